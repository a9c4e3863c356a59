"""Refreshing a plan to the next financial year (issue 7, item 5): ``Plan.refresh_to_next_year``,
``manage.py refresh_plan`` and the admin action.

The copy takes the priorities, themes, objectives and strands, and the actions not finished
with their districts, leads and measures; the old plan and its history stay exactly as they were.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    Measure,
    MeasureFigure,
    ObjectiveStrand,
    Plan,
    PlanStatus,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    StatutoryStrand,
    StrategicObjective,
    Theme,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make

pytestmark = pytest.mark.django_db

FINISHED = {UpdateStatus.COMPLETE, UpdateStatus.NO_LONGER_REQUIRED}


# -- what a plan holds, without its ids ---------------------------------------------------------


def contents(plan: Plan, *, keep=lambda action: True, shift: int = 0) -> list[Any]:
    """Everything a refresh copies, nested and free of ids, so two plans can be compared.

    ``keep`` chooses the actions; ``shift`` moves their due years on, for an expected copy.
    """
    result = []
    for priority in Priority.objects.filter(plan=plan).order_by("number"):
        themes = [(t.number, t.title) for t in priority.themes.order_by("number")]
        objectives = []
        for objective in priority.objectives.order_by("number").select_related("theme"):
            actions = []
            for action in objective.actions.order_by("number"):
                if not keep(action):
                    continue
                actions.append(
                    {
                        "number": action.number,
                        "description": action.description,
                        "outcomes": action.outcomes,
                        "lead_as_written": action.lead_as_written,
                        "timescale": action.timescale,
                        "due_year": None if action.due_year is None else action.due_year + shift,
                        "due_quarter": action.due_quarter,
                        "is_restricted": action.is_restricted,
                        "districts": sorted(action.districts.values_list("pk", flat=True)),
                        "leads": list(
                            action.leads.order_by("number").values_list(
                                "number", "organisation_id", "officer_id", "all_partners"
                            )
                        ),
                        "measures": list(
                            action.measures.order_by("number").values_list(
                                "number", "description", "target_value", "unit", "target_text"
                            )
                        ),
                    }
                )
            objectives.append(
                {
                    "number": objective.number,
                    "title": objective.title,
                    "theme": objective.theme and (objective.theme.number, objective.theme.title),
                    "is_statutory": objective.is_statutory,
                    "strands": sorted(objective.strands.values_list("strand", flat=True)),
                    "actions": actions,
                }
            )
        result.append(
            {
                "number": priority.number,
                "title": priority.title,
                "description": priority.description,
                "themes": themes,
                "objectives": objectives,
            }
        )
    return result


def snapshot(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    """Every row of a plan and of its history, ids and all, to prove nothing of it changes."""
    actions = Action.objects.in_plan(plan)
    rows = {
        "plan": Plan.objects.filter(pk=plan.pk),
        "priorities": Priority.objects.filter(plan=plan),
        "themes": Theme.objects.filter(priority__plan=plan),
        "objectives": StrategicObjective.objects.filter(priority__plan=plan),
        "strands": ObjectiveStrand.objects.filter(objective__priority__plan=plan),
        "actions": actions,
        "districts": Action.districts.through.objects.filter(action__in=actions),
        "leads": ActionLead.objects.filter(action__in=actions),
        "measures": Measure.objects.filter(action__in=actions),
        "periods": ReportingPeriod.objects.filter(plan=plan),
        "updates": QuarterlyUpdate.objects.filter(action__in=actions),
        "statuses": ActionStatus.objects.filter(action__in=actions),
        "figures": MeasureFigure.objects.filter(measure__action__in=actions),
        "summaries": PrioritySummary.objects.filter(priority__plan=plan),
    }
    return {name: list(queryset.order_by("pk").values()) for name, queryset in rows.items()}


def finished(action: Action) -> bool:
    return action.status_for() in FINISHED


# -- the cast, filled out with everything a refresh copies -------------------------------------


@pytest.fixture
def full(cast):
    """The cast's Castle plan with themes, measures and figures, one action finished (patrols,
    complete in Q2), one no longer required (covert), one with a complete update still in draft
    (hub: not finished) and one with no update at all (posters); and an objective (1.2) and a
    priority (3) whose only actions are finished."""
    plan = cast.plan
    plan.status = PlanStatus.ADOPTED
    plan.version_label = "Version 2 – July 2016"
    plan.priorities_agreed_on = date(2016, 3, 14)
    plan.priorities_agreed_by = "Responsible Authorities Group"
    plan.introduction = "Our plan for a safer Castle."
    plan.save()
    community = plan.priorities.get(number=1)
    community.description = "Feeling safe where we live"
    community.save()
    patrolling = community.objectives.get(number=1)
    patrolling.theme = Theme.objects.create(priority=community, number=1, title="Visibility")
    patrolling.save()
    Theme.objects.create(priority=community, number=2, title="Unused theme")
    burgling = plan.priorities.get(number=2).objectives.get()
    burgling.is_statutory = True
    burgling.save()
    ObjectiveStrand.objects.create(objective=burgling, strand=StatutoryStrand.CRIME_AND_DISORDER)

    cast.hub.districts.set([cast.north, cast.south])
    ActionLead.objects.create(action=cast.hub, number=2, organisation=cast.police)
    cast.hub.lead_as_written = "CC / SP"
    cast.hub.save()
    hub_measure = Measure.objects.create(
        action=cast.hub,
        description="residents visiting the hub",
        target_value=Decimal("100"),
        unit="residents",
        target_text="at least 100 residents",
    )
    Measure.objects.create(action=cast.hub, number=2, description="opening days", unit="days")
    q1_update = QuarterlyUpdate.objects.get(action=cast.hub, district=cast.north)
    MeasureFigure.objects.create(measure=hub_measure, update=q1_update, value=Decimal("12"))
    Measure.objects.create(action=cast.patrols, description="patrols", target_value=50)

    make.update(cast.patrols, cast.q2, UpdateStatus.COMPLETE, cast.north, progress="Done")
    make.update(cast.covert, cast.q2, UpdateStatus.NO_LONGER_REQUIRED, progress="Stood down")
    make.update(
        cast.hub, cast.q2, UpdateStatus.COMPLETE, cast.north, state=UpdateState.DRAFT
    )  # a draft does not count: the hub is still off track from Q1
    posters = make.action(
        plan.priorities.get(number=1).objectives.get(number=2),
        description="Put up posters",
        timescale="Q3",
        due_year=2016,
        due_quarter=3,
        is_restricted=True,
        lead=cast.council,
    )
    old_scheme = make.action(
        make.objective(plan.priorities.get(number=2), number=2, title="Close the old scheme"),
        description="Wind up the old scheme",
    )
    make.update(old_scheme, cast.q1, UpdateStatus.COMPLETE, progress="Wound up")
    retired = make.action(
        make.objective(make.priority(plan, number=3, title="Retired priority")),
        description="A retired action",
        lead=cast.police,
    )
    make.update(retired, cast.q2, UpdateStatus.NO_LONGER_REQUIRED, progress="Not needed")
    PrioritySummary.objects.create(
        priority=community, period=cast.q1, organisation=cast.police, pursue="Arrests"
    )
    cast.posters = posters
    return cast


# -- the copy ----------------------------------------------------------------------------------


def test_the_new_plan_is_a_draft_for_the_next_year(full):
    old = full.plan
    new = old.refresh_to_next_year()
    new.refresh_from_db()
    assert new.pk != old.pk
    assert new.partnership == old.partnership
    assert (new.first_year, new.last_year) == (2017, 2017)
    assert new.title == "Castle Plan 2017/18"
    assert new.slug == "castle-2017-18"
    assert new.status == PlanStatus.DRAFT
    assert new.version_label == ""
    assert new.priorities_agreed_on is None
    assert new.priorities_agreed_by == ""
    assert new.introduction == "Our plan for a safer Castle."
    assert new.previous_version == old
    assert list(old.next_versions.all()) == [new]


def test_every_copied_field_matches_leaving_finished_actions_out(full):
    old = full.plan
    statuses = {a.description: a.status_for() for a in Action.objects.in_plan(old)}
    assert statuses == {
        "Evening patrols in the town centre": UpdateStatus.COMPLETE,
        "Open a community safety hub": UpdateStatus.OFF_TRACK,
        "Deliver crime prevention leaflets": UpdateStatus.ON_TRACK,
        "Covert operation against handlers": UpdateStatus.NO_LONGER_REQUIRED,
        "Target hardening for repeat victims": UpdateStatus.AT_RISK,
        "Put up posters": None,
        "Wind up the old scheme": UpdateStatus.COMPLETE,
        "A retired action": UpdateStatus.NO_LONGER_REQUIRED,
    }
    expected = contents(old, keep=lambda action: not finished(action), shift=1)

    new = old.refresh_to_next_year()

    assert contents(new) == expected
    carried = set(Action.objects.in_plan(new).values_list("description", flat=True))
    assert carried == {
        "Open a community safety hub",
        "Deliver crime prevention leaflets",
        "Target hardening for repeat victims",
        "Put up posters",
    }


def test_the_copy_spelled_out(full):
    new = full.plan.refresh_to_next_year()
    community, crime, _ = new.priorities.order_by("number")
    assert (community.title, community.description) == (
        "Safer communities",
        "Feeling safe where we live",
    )
    assert list(community.themes.values_list("title", flat=True)) == ["Visibility", "Unused theme"]
    patrolling = community.objectives.get(number=1)
    assert patrolling.theme.priority == community  # the new plan's theme, not the old one's
    assert patrolling.strand_values == [StatutoryStrand.CRIME_AND_DISORDER]
    assert [a.number for a in patrolling.actions.all()] == [2]  # the hub; patrols is complete
    # An objective and a priority whose actions are all finished are kept, for the coordinator.
    assert not crime.objectives.get(number=2).actions.exists()
    retired = new.priorities.get(number=3)
    assert retired.title == "Retired priority"
    assert not Action.objects.filter(objective__priority=retired).exists()
    burgling = crime.objectives.get(number=1)
    assert burgling.is_statutory
    assert sorted(burgling.strand_values) == [
        StatutoryStrand.CRIME_AND_DISORDER,
        StatutoryStrand.REOFFENDING,
    ]
    assert [a.number for a in burgling.actions.all()] == [2]  # covert (1) is no longer required

    hub = Action.objects.in_plan(new).get(description="Open a community safety hub")
    assert hub.pk != full.hub.pk
    assert hub.reference == "1.1.2"
    assert hub.timescale == "Q2 - Sept 16"  # kept as written
    assert (hub.due_year, hub.due_quarter) == (2017, 2)
    assert hub.outcomes == "Hub open weekly"
    assert hub.lead_as_written == "CC / SP"
    assert set(hub.districts.all()) == {full.north, full.south}
    assert [(lead.organisation, lead.number) for lead in hub.leads.all()] == [
        (full.council, 1),
        (full.police, 2),
    ]
    measure = hub.measures.get(number=1)
    assert (measure.description, measure.target_value, measure.unit, measure.target_text) == (
        "residents visiting the hub",
        Decimal("100.00"),
        "residents",
        "at least 100 residents",
    )
    assert not MeasureFigure.objects.filter(measure__action__objective__priority__plan=new)

    leaflets = Action.objects.in_plan(new).get(description="Deliver crime prevention leaflets")
    assert (leaflets.due_year, leaflets.due_quarter) == (None, None)
    assert list(leaflets.leads.values_list("all_partners", "organisation", "officer")) == [
        (True, None, None)
    ]
    assert not leaflets.districts.exists()  # every district, as before

    posters = Action.objects.in_plan(new).get(description="Put up posters")
    assert posters.is_restricted
    assert posters.status_for() is None


def test_an_officer_lead_is_copied(cast):
    new = cast.plan.refresh_to_next_year()
    patrols = Action.objects.in_plan(new).get(description="Evening patrols in the town centre")
    assert list(patrols.leads.values_list("organisation", "officer", "all_partners")) == [
        (cast.police.pk, cast.inspector.pk, False)
    ]
    assert list(patrols.districts.all()) == [cast.north]
    assert patrols.objective.strand_values == [StatutoryStrand.CRIME_AND_DISORDER]


def test_no_periods_updates_statuses_or_summaries_are_copied(full):
    new = full.plan.refresh_to_next_year()
    assert not ReportingPeriod.objects.filter(plan=new).exists()
    assert not QuarterlyUpdate.objects.filter(action__objective__priority__plan=new).exists()
    assert not ActionStatus.objects.filter(action__objective__priority__plan=new).exists()
    assert not PrioritySummary.objects.filter(priority__plan=new).exists()
    assert all(a.status_for() is None for a in Action.objects.in_plan(new))


def test_the_old_plan_and_its_history_are_untouched(full):
    before = snapshot(full.plan)
    assert before["updates"] and before["statuses"] and before["figures"] and before["summaries"]
    full.plan.refresh_to_next_year()
    assert snapshot(full.plan) == before


def test_other_plans_are_untouched(full):
    before = snapshot(full.other_plan)
    full.plan.refresh_to_next_year()
    assert snapshot(full.other_plan) == before


def test_a_failure_part_way_writes_nothing(full, monkeypatch):
    plans, actions = Plan.objects.count(), Action.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(Measure.objects), "bulk_create", broken)
    with pytest.raises(RuntimeError):
        full.plan.refresh_to_next_year()
    assert (Plan.objects.count(), Action.objects.count()) == (plans, actions)


def test_a_fixed_number_of_queries(full, django_assert_max_num_queries):
    # One read and one bulk write per kind of record, the new plan and its history row.
    with django_assert_max_num_queries(21):
        full.plan.refresh_to_next_year()


def test_refreshing_the_refreshed_plan(full):
    second = full.plan.refresh_to_next_year()
    third = second.refresh_to_next_year()
    assert (third.title, third.slug, third.first_year) == (
        "Castle Plan 2018/19",
        "castle-2018-19",
        2018,
    )
    assert third.previous_version == second
    assert contents(third) == contents(second, shift=1)  # no updates yet: all carried over


# -- titles and slugs --------------------------------------------------------------------------


def test_refreshing_twice_finds_a_free_slug(cast):
    first = cast.plan.refresh_to_next_year()
    second = cast.plan.refresh_to_next_year()
    third = cast.plan.refresh_to_next_year()
    assert [p.slug for p in (first, second, third)] == [
        "castle-2017-18",
        "castle-2017-18-2",
        "castle-2017-18-3",
    ]
    assert {p.title for p in (first, second, third)} == {"Castle Plan 2017/18"}


def test_a_title_and_slug_without_years_get_the_new_year(cast):
    plan = make.plan(cast.castle, title="Castle Plan", slug="castle-plan")
    new = plan.refresh_to_next_year()
    assert (new.title, new.slug) == ("Castle Plan (2017/18)", "castle-plan-2017-18")
    # A slug with no year whose new slug is taken gets a number.
    assert plan.refresh_to_next_year().slug == "castle-plan-2017-18-2"


def test_only_the_plans_own_years_are_moved(cast):
    plan = make.plan(
        cast.castle,
        title="Plan 2016/17, building on 2015/16",
        slug="castle-2015-16-to-2016-17",
        first_year=2016,
        last_year=2016,
    )
    new = plan.refresh_to_next_year()
    assert new.title == "Plan 2017/18, building on 2015/16"
    assert new.slug == "castle-2015-16-to-2017-18"


def test_a_multi_year_plan_moves_on_by_its_length(cast):
    plan = make.plan(
        cast.castle,
        title="Strategy 2020/21 to 2023/24",
        slug="castle-2020-21-to-2023-24",
        first_year=2020,
        last_year=2023,
    )
    action = make.action(make.objective(make.priority(plan)), due_year=2021, due_quarter=3)
    new = plan.refresh_to_next_year()
    assert (new.first_year, new.last_year) == (2024, 2027)
    assert new.title == "Strategy 2024/25 to 2027/28"
    assert new.slug == "castle-2024-25-to-2027-28"
    copy = Action.objects.in_plan(new).get(description=action.description)
    assert (copy.due_year, copy.due_quarter) == (2025, 3)  # still the plan's second year


def test_a_long_title_and_slug_still_fit(cast):
    plan = make.plan(cast.castle, title="T" * 200, slug="s" * 80)
    new = plan.refresh_to_next_year()
    new.full_clean()
    assert new.title.endswith(" (2017/18)") and len(new.title) == 200
    assert new.slug.endswith("-2017-18") and len(new.slug) == 80
    again = plan.refresh_to_next_year()
    again.full_clean()
    assert again.slug != new.slug and len(again.slug) <= 80


def test_a_title_and_slug_given_win(cast):
    new = cast.plan.refresh_to_next_year(slug="castle-next", title="Castle Plan, next year")
    assert (new.slug, new.title) == ("castle-next", "Castle Plan, next year")


@pytest.mark.parametrize(
    "slug, message",
    [
        ("elsewhere-2016-17", "exists already"),
        ("castle-2016-17", "exists already"),
        ("not a slug", "not a valid slug"),
        ("", "not a valid slug"),
        ("x" * 81, "longer than 80"),
    ],
)
def test_a_slug_given_that_cannot_be_used_is_refused(cast, slug, message):
    before = Plan.objects.count(), Priority.objects.count()
    with pytest.raises(ValueError, match=message):
        cast.plan.refresh_to_next_year(slug=slug)
    assert (Plan.objects.count(), Priority.objects.count()) == before


def test_a_blank_title_is_refused(cast):
    with pytest.raises(ValueError, match="title"):
        cast.plan.refresh_to_next_year(title="  ")
    assert not Plan.objects.filter(previous_version=cast.plan).exists()


# -- the demo ----------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())


def test_the_demo_plan_carries_over_whole(demo):
    old = Plan.objects.get(slug="castle-point-rochford-2016-17")
    assert not any(finished(a) for a in Action.objects.in_plan(old))
    before = snapshot(old)
    expected = contents(old, shift=1)

    with CaptureQueriesContext(connection) as queries:
        new = old.refresh_to_next_year()

    assert (new.title, new.slug) == ("Partnership Plan 2017/18", "castle-point-rochford-2017-18")
    assert (new.first_year, new.last_year, new.previous_version) == (2017, 2017, old)
    assert contents(new) == expected
    assert new.priorities.count() == 3
    assert StrategicObjective.objects.filter(priority__plan=new).count() == 15
    assert Action.objects.in_plan(new).count() == 50
    assert ActionLead.objects.filter(action__objective__priority__plan=new).count() == 75
    assert Measure.objects.filter(action__objective__priority__plan=new).count() == (
        Measure.objects.filter(action__objective__priority__plan=old).count()
    )
    assert not QuarterlyUpdate.objects.filter(action__objective__priority__plan=new).exists()
    assert snapshot(old) == before
    # One read and one bulk write per kind of record, the new plan and its history row.
    assert len(queries) <= 21


def test_the_demo_medway_plan_spans_four_years(demo):
    old = Plan.objects.get(slug="medway-2020-24")
    new = old.refresh_to_next_year()
    assert (new.first_year, new.last_year) == (2024, 2027)
    # "2020 to 2024" is not a financial year's label, so it is kept and the years are added.
    assert new.title == "Community Safety Plan 2020 to 2024 (2024/25 to 2027/28)"
    assert new.slug == "medway-2020-24-2024-25-to-2027-28"
    assert new.years_label == "2024/25 to 2027/28"
    assert contents(new) == contents(old, shift=4)


def test_the_demo_maldon_plan(demo):
    new = Plan.objects.get(slug="maldon-2017-18").refresh_to_next_year()
    assert (new.title, new.slug) == (
        "Community Safety Partnership priorities 2018/19",
        "maldon-2018-19",
    )
    assert new.priorities.count() == 5


# -- the command -------------------------------------------------------------------------------


def test_the_command_says_what_it_made(full):
    out = StringIO()
    call_command("refresh_plan", plan="castle-2016-17", stdout=out)
    new = Plan.objects.get(slug="castle-2017-18")
    assert new.previous_version == full.plan
    assert out.getvalue().strip() == (
        "Castle Plan 2017/18 (castle-2017-18, 2017/18) made from Castle Plan 2016/17: "
        "3 priorities, 5 objectives, 4 actions carried over, 4 finished actions left behind."
    )


def test_the_command_with_a_slug_and_title(cast):
    out = StringIO()
    call_command(
        "refresh_plan",
        "--plan",
        "castle-2016-17",
        "--slug",
        "castle-next",
        "--title",
        "Castle Plan 2017/18 draft",
        stdout=out,
    )
    new = Plan.objects.get(slug="castle-next")
    assert new.title == "Castle Plan 2017/18 draft"
    assert "castle-next" in out.getvalue()
    assert "5 actions carried over, 0 finished actions left behind" in out.getvalue()


def test_the_command_refuses_an_unknown_plan(cast):
    with pytest.raises(CommandError, match=r"No plan 'nowhere'.*castle-2016-17"):
        call_command("refresh_plan", plan="nowhere", stdout=StringIO())


def test_the_command_refuses_a_taken_slug(cast):
    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "refresh_plan", plan="castle-2016-17", slug="elsewhere-2016-17", stdout=StringIO()
        )
    assert Plan.objects.count() == 2


# -- the admin action --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.invalid", "pw"))
    return client


def test_the_admin_action_refreshes_each_chosen_plan(full, admin_client):
    changelist = reverse("admin:csp_plan_changelist")
    assert "Refresh to next financial year" in admin_client.get(changelist).content.decode()
    response = admin_client.post(
        changelist,
        {
            "action": "refresh_to_next_year",
            "_selected_action": [full.plan.pk, full.other_plan.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    castle = Plan.objects.get(slug="castle-2017-18")
    elsewhere = Plan.objects.get(slug="elsewhere-2017-18")
    assert castle.previous_version == full.plan
    assert elsewhere.previous_version == full.other_plan
    assert elsewhere.title == "Elsewhere Plan (2017/18)"
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2
    assert any("castle-2017-18" in m and "4 actions carried over" in m for m in messages)
    assert any("elsewhere-2017-18" in m and "1 action carried over" in m for m in messages)
    assert reverse("admin:csp_plan_change", args=[castle.pk]) in response.content.decode()


def test_the_admin_action_needs_permission_to_add_plans(cast, client):
    from django.contrib.auth.models import Permission

    staff = User.objects.create_user("staff", "staff@example.invalid", "pw", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_plan"), Permission.objects.get(codename="change_plan")
    )
    client.force_login(staff)
    changelist = reverse("admin:csp_plan_changelist")
    assert "Refresh to next financial year" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "refresh_to_next_year", "_selected_action": [cast.plan.pk]})
    assert not Plan.objects.filter(previous_version=cast.plan).exists()
