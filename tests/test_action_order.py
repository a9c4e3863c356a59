"""Each action's stored order (``Action.sort_*``: its plan's title, its priority's and
objective's numbers) follows every kind of change, so the list's index always tells the truth."""

import pytest
from django.db.models import F

from csp.importers.plan_import import PlanImport
from csp.models import Action, Plan, Priority, StrategicObjective
from tests import factories as make

pytestmark = pytest.mark.django_db


def stale() -> list[str]:
    """Actions whose stored keys differ from what their plan, priority and objective say."""
    return list(
        Action.objects.exclude(
            sort_plan_title=F("objective__priority__plan__title"),
            sort_priority=F("objective__priority__number"),
            sort_objective=F("objective__number"),
        ).values_list("description", flat=True)
    )


def keys(action: Action) -> tuple:
    return Action.objects.filter(pk=action.pk).values_list(
        "sort_plan_title", "sort_priority", "sort_objective"
    )[0]


@pytest.fixture
def plan():
    plan = make.plan(title="Plan B")
    first = make.objective(make.priority(plan, number=1), number=1)
    second = make.objective(make.priority(plan, number=2), number=3)
    make.action(first, description="one")
    make.action(second, description="two")
    return plan


def test_a_new_action_has_its_keys(plan):
    action = Action.objects.get(description="two")
    assert keys(action) == ("Plan B", 2, 3)
    assert stale() == []


def test_saving_a_level_refreshes_its_actions(plan):
    plan.title = "Plan A"
    plan.save()
    priority = Priority.objects.get(plan=plan, number=2)
    priority.number = 7
    priority.save()
    objective = StrategicObjective.objects.get(priority=priority)
    objective.number = 9
    objective.save()
    assert keys(Action.objects.get(description="two")) == ("Plan A", 7, 9)
    assert stale() == []


def test_moving_a_level_elsewhere_refreshes_its_actions(plan):
    other = make.plan(title="Other plan")
    elsewhere = make.priority(other, number=5)
    Priority.objects.filter(plan=plan, number=1).update(plan=other, number=6)
    objective = StrategicObjective.objects.get(actions__description="two")
    objective.priority = elsewhere
    objective.save()
    assert keys(Action.objects.get(description="one")) == ("Other plan", 6, 1)
    assert keys(Action.objects.get(description="two")) == ("Other plan", 5, 3)
    assert stale() == []


def test_bulk_writes_on_every_level_refresh_them(plan):
    Plan.objects.filter(pk=plan.pk).update(title="Renamed")
    assert stale() == []
    priorities = list(Priority.objects.filter(plan=plan))
    for priority in priorities:
        priority.number += 10
    Priority.objects.bulk_update(priorities, ["number"])
    assert stale() == []
    objectives = list(StrategicObjective.objects.filter(priority__plan=plan))
    for objective in objectives:
        objective.number += 20
    StrategicObjective.objects.bulk_update(objectives, ["number"])
    StrategicObjective.objects.filter(priority__plan=plan).update(number=F("number") + 1)
    assert stale() == []
    assert keys(Action.objects.get(description="two")) == ("Renamed", 12, 24)


def test_an_action_moved_to_another_objective_by_any_path(plan):
    target = make.objective(make.priority(make.plan(title="Z plan"), number=4), number=2)
    one = Action.objects.get(description="one")
    one.objective = target
    one.number = 5
    one.save()
    assert keys(one) == ("Z plan", 4, 2)
    two = Action.objects.get(description="two")
    two.objective = target
    Action.objects.bulk_update([two], ["objective"])
    assert keys(two) == ("Z plan", 4, 2)
    Action.objects.filter(pk=two.pk).update(objective=StrategicObjective.objects.first())
    assert stale() == []


def test_an_action_saved_with_only_its_objective_named(plan):
    target = make.objective(make.priority(plan, number=8), number=1)
    one = Action.objects.get(description="one")
    one.objective = target
    one.save(update_fields=["objective"])
    assert keys(one) == ("Plan B", 8, 1)


def test_a_refreshed_plan_and_an_imported_one_have_their_keys(plan):
    plan.refresh_to_next_year()
    partnership = make.partnership()
    police = make.organisation(name="Essex Police", slug="essex-police")
    partnership.organisations.add(police)
    rows = [
        ["Priority", "Strategic objective", "Action", "Lead"],
        ["Safer streets", "Cut burglary", "Mark property", "Essex Police"],
        ["Safer homes", "Fire safety", "Check blankets", "Essex Police"],
    ]
    imported = PlanImport(partnership, rows, plan_slug="imported", first_year=2016)
    assert imported.ok, [str(p) for p in imported.problems]
    imported.commit()
    assert Action.objects.filter(sort_plan_title="").count() == 0
    assert stale() == []


def test_a_change_that_leaves_the_order_alone_writes_no_actions(plan, django_assert_num_queries):
    priority = Priority.objects.get(plan=plan, number=1)
    priority.title = "New words"
    with django_assert_num_queries(2) as queries:  # its own UPDATE and its history row
        priority.save()
    assert not [q for q in queries.captured_queries if "csp_action" in q["sql"]]


def test_the_list_order_is_plan_title_priority_objective_number(client, cast):
    """The default order of the list is read from the keys and is what it always was."""
    client.force_login(cast.alice)
    expected = list(
        Action.objects.visible_to(cast.alice)
        .order_by(
            "objective__priority__plan__title",
            "objective__priority__number",
            "objective__number",
            "number",
            "pk",
        )
        .values_list("pk", flat=True)
    )
    shown = [row.pk for row in client.get("/actions/").context["table"].page.object_list]
    assert shown == expected
    back = [
        row.pk for row in client.get("/actions/?sort=-reference").context["table"].page.object_list
    ]
    assert back == expected[::-1]
