"""``manage.py generate_county`` builds exactly the data set asked for, keeps every rule of the
model, refuses to run twice over the same prefix and, with ``--replace``, builds it afresh."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.db.models import Count

from csp.management.commands.generate_county import CountyGenerator
from csp.models import (
    STATUS_SEVERITY,
    Action,
    ActionLead,
    ActionStatus,
    District,
    Membership,
    ObjectiveStrand,
    Officer,
    Organisation,
    Partnership,
    PeriodStatus,
    Plan,
    PlanStatus,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    StrategicObjective,
    UpdateState,
    UpdateStatus,
)
from csp.quarters import due_quarter_from_timescale

pytestmark = pytest.mark.django_db

SMALL = {"partnerships": 2, "actions": 60, "updates": 150, "prefix": "t"}


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_county", stdout=out, **(SMALL | options))
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows in every table of the app and of auth, many-to-many ones too.

    Not the change history, which rightly records the deletions that ``--replace`` makes.
    """
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in {"csp", "auth"}
        and not model._meta.object_name.startswith("Historical")
    }


def plan_contents(prefix: str = "") -> list[tuple]:
    """What was generated (in plans whose slug starts with ``prefix``), free of database ids."""
    actions = Action.objects.filter(objective__priority__plan__slug__startswith=prefix).order_by(
        "objective__priority__plan__slug",
        "objective__priority__number",
        "objective__number",
        "number",
    )
    updates = QuarterlyUpdate.objects.filter(period__plan__slug__startswith=prefix).order_by(
        "action__objective__priority__plan__slug",
        "action__objective__priority__number",
        "action__objective__number",
        "action__number",
        "period__year",
        "period__quarter",
        "district__name",
    )
    return [
        *actions.values_list(
            "description", "outcomes", "timescale", "lead_as_written", "is_restricted"
        ),
        *updates.values_list("district__name", "status", "state", "progress", "risks"),
    ]


@pytest.fixture
def generated() -> str:
    return generate()


def test_exactly_the_requested_numbers(generated):
    assert Partnership.objects.filter(slug__startswith="t-partnership-").count() == 2
    assert sorted(Partnership.objects.values_list("slug", flat=True)) == [
        "t-partnership-01",
        "t-partnership-02",
    ]
    assert sorted(Plan.objects.values_list("slug", flat=True)) == ["t-plan-01", "t-plan-02"]
    assert Action.objects.count() == 60
    assert QuarterlyUpdate.objects.count() == 150
    assert ReportingPeriod.objects.count() == 2 * 5
    assert "quarterly updates" in generated and "150" in generated


def test_the_shape_of_each_partnership(generated):
    for partnership in Partnership.objects.all():
        assert 2 <= partnership.districts.count() <= 3
        assert 10 <= partnership.memberships.count() <= 15
        assert partnership.memberships.filter(is_responsible_authority=True).exists()
        (plan,) = partnership.plans.all()
        assert (plan.first_year, plan.last_year, plan.status) == (2016, 2017, PlanStatus.ADOPTED)
        periods = list(plan.periods.order_by("year", "quarter"))
        assert [p.label for p in periods] == [
            "2016/17 Q1",
            "2016/17 Q2",
            "2016/17 Q3",
            "2016/17 Q4",
            "2017/18 Q1",
        ]
        assert PeriodStatus.OPEN not in [p.status for p in periods[:-1]]
        assert periods[-1].status == PeriodStatus.OPEN
        assert 3 <= plan.priorities.count() <= 5
        for priority in plan.priorities.all():
            assert 3 <= priority.objectives.count() <= 6
    # organisations come from one county-wide pool shared by the partnerships
    assert Organisation.objects.filter(memberships__isnull=False).distinct().count() < (
        Membership.objects.count()
    )
    officers = Counter(Officer.objects.values_list("organisation_id", flat=True))
    assert set(officers) == set(Organisation.objects.values_list("pk", flat=True))
    assert set(officers.values()) <= {1, 2, 3}
    assert not Officer.objects.filter(initials="").exists()
    assert ObjectiveStrand.objects.exists()


def test_actions_leads_and_texts_are_within_bounds(generated):
    for action in Action.objects.prefetch_related("leads__officer", "districts").select_related(
        "objective__priority__plan"
    ):
        partnership_id = action.objective.priority.plan.partnership_id
        assert 60 <= len(action.description) <= 300
        assert 40 <= len(action.outcomes) <= 250
        due = due_quarter_from_timescale(action.timescale, 2016)
        assert (action.due_year, action.due_quarter) == (
            (due.year, due.quarter) if due else (None, None)
        )
        assert {d.partnership_id for d in action.districts.all()} <= {partnership_id}
        leads = list(action.leads.all())
        assert 1 <= len(leads) <= 3
        assert [lead.number for lead in leads] == list(range(1, len(leads) + 1))
        for lead in leads:
            if lead.all_partners:
                assert lead.organisation_id is None
                continue
            assert Membership.objects.filter(
                partnership_id=partnership_id, organisation_id=lead.organisation_id
            ).exists()
            assert lead.officer is None or lead.officer.organisation_id == lead.organisation_id
    assert Action.objects.filter(is_restricted=True).count() < 60 // 4
    assert ActionLead.objects.count() >= 60


def test_updates_keep_the_constraints_and_the_rules(generated):
    duplicates = (
        QuarterlyUpdate.objects.values("action", "period", "district")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    whole_area = (
        QuarterlyUpdate.objects.filter(district__isnull=True)
        .values("action", "period")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not whole_area.exists()
    for update in QuarterlyUpdate.objects.select_related("action", "period", "district"):
        update.clean_fields()
        update.check_place()  # own plan's period, own partnership's district, covered district
        assert 80 <= len(update.progress) <= 600
        assert (update.submitted_at is None) == (update.state == UpdateState.DRAFT)
        # dated when written, at the end of the quarter it reports on, not when the command ran
        quarter = update.period.financial_quarter
        assert quarter.end - timedelta(days=3) < update.created_at.date() < quarter.next().end
        assert update.created_at <= update.updated_at
        assert update.updated_at.year < 2019
        if update.submitted_at:
            assert update.updated_at == update.submitted_at
    statuses = Counter(QuarterlyUpdate.objects.values_list("status", flat=True))
    assert statuses.most_common(1)[0][0] == UpdateStatus.ON_TRACK
    states = Counter(QuarterlyUpdate.objects.values_list("state", flat=True))
    assert states[UpdateState.ACCEPTED] + states[UpdateState.SUBMITTED] > 150 * 0.8
    assert QuarterlyUpdate.objects.exclude(risks="").exists()
    # spread over actions, not piled on a few
    assert QuarterlyUpdate.objects.values("action").distinct().count() > 30


def test_each_actions_status_per_period_is_stored_by_the_rule(generated):
    worst: dict[tuple[int, int], str] = {}
    for action_id, period_id, status in QuarterlyUpdate.objects.reported().values_list(
        "action_id", "period_id", "status"
    ):
        key = (action_id, period_id)
        if key not in worst or STATUS_SEVERITY[status] > STATUS_SEVERITY[worst[key]]:
            worst[key] = status
    stored = {
        (s.action_id, s.period_id): s.status
        for s in ActionStatus.objects.select_related("period")
        if s.quarter_key == s.period.financial_quarter.key
    }
    assert stored == worst
    assert ActionStatus.objects.count() == len(worst)
    assert "action statuses" in generated


def test_running_again_is_refused_and_changes_nothing(generated):
    before = row_counts()
    contents = plan_contents()
    with pytest.raises(CommandError) as refused:
        generate()
    message = str(refused.value)
    assert "prefix 't' already exists" in message
    assert "nothing was changed" in message
    assert "--replace" in message
    assert row_counts() == before
    assert plan_contents() == contents


def test_replace_builds_the_same_data_afresh(generated):
    before = row_counts()
    contents = plan_contents()
    old_actions = set(Action.objects.values_list("pk", flat=True))
    out = generate(replace=True)
    assert "Deleted the earlier 't' data" in out
    assert row_counts() == before
    assert plan_contents() == contents
    assert not old_actions & set(Action.objects.values_list("pk", flat=True))


def test_another_prefix_sits_alongside_and_another_seed_gives_other_data(generated):
    first = plan_contents("t-")
    generate(prefix="u")
    assert Partnership.objects.count() == 4
    assert Action.objects.count() == 120
    assert QuarterlyUpdate.objects.count() == 300
    assert Organisation.objects.filter(name="Northshire Police (u)").exists()
    assert plan_contents("u-") == first  # the same seed: the same plans, under other slugs

    generate(prefix="u", seed=2, replace=True)
    assert plan_contents("u-") != first
    assert QuarterlyUpdate.objects.count() == 300
    assert plan_contents("t-") == first  # replacing u left t alone


def test_more_updates_than_fit_is_refused_and_writes_nothing():
    before = row_counts()
    with pytest.raises(CommandError, match="more than 2 actions can take"):
        generate(actions=2, updates=41)
    assert row_counts() == before
    # Within that bound, whether an action's districts take 20 updates depends on the seed:
    # some seeds give one that does not, and that run is refused after building the rest.
    refused = []
    for seed in range(1, 6):
        try:
            generate(partnerships=1, actions=1, updates=20, seed=seed, prefix=f"s{seed}")
        except CommandError as error:
            assert "take at most" in str(error)
            refused.append(seed)
            assert not Partnership.objects.filter(slug__startswith=f"s{seed}-").exists()
    assert refused
    assert Partnership.objects.count() == 5 - len(refused)
    assert QuarterlyUpdate.objects.count() == 20 * (5 - len(refused))


@pytest.mark.parametrize("options", [{"partnerships": 0}, {"actions": -1}, {"updates": -1}])
def test_counts_below_zero_or_no_partnership_are_refused(options):
    with pytest.raises(CommandError, match="at least"):
        generate(**options)
    assert not Partnership.objects.exists()


@pytest.mark.parametrize("prefix", ["", "Gen", "gen-1", "a" * 21, "1st"])
def test_a_prefix_that_is_not_a_short_slug_word_is_refused(prefix):
    with pytest.raises(CommandError, match="--prefix"):
        generate(prefix=prefix)
    assert not Partnership.objects.exists()


def test_districts_priorities_and_objectives_are_numbered_in_order(generated):
    for priority in Priority.objects.all():
        numbers = list(priority.objectives.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    for objective in StrategicObjective.objects.all():
        numbers = list(objective.actions.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    assert (
        District.objects.values("partnership", "slug").distinct().count()
        == District.objects.count()
    )


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the text indexes are dropped on PostgreSQL only"
)


def foreign_keys() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2"
        )
        return cursor.fetchall()


def text_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename IN ('csp_action', 'csp_quarterlyupdate') AND indexdef LIKE %s "
            "ORDER BY indexname",
            ["%USING gin%"],
        )
        return cursor.fetchall()


@needs_postgres
@pytest.mark.parametrize("keep", [False, True])
def test_the_text_indexes_and_foreign_keys_are_there_after_as_before_and_work(keep):
    before, keys = text_indexes(), foreign_keys()
    assert len(before) == 3  # descriptions, outcomes, progress (migration 0002)
    generate(database_in_use=keep)
    assert text_indexes() == before
    assert foreign_keys() == keys
    word = QuarterlyUpdate.objects.values_list("progress", flat=True).first().split()[2]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        found = QuarterlyUpdate.objects.filter(progress__icontains=word)
        assert found.count() == sum(
            word.upper() in p.upper()
            for p in QuarterlyUpdate.objects.values_list("progress", flat=True)
        )


@needs_postgres
def test_a_row_the_foreign_keys_refuse_is_refused_when_they_are_put_back(monkeypatch):
    """With the keys set aside, a bad row goes in; putting them back checks every row, so the
    run fails whole rather than leave it there."""
    keys, counts = foreign_keys(), row_counts()
    make_updates = CountyGenerator.make_updates

    def and_a_lead_of_no_organisation(self) -> None:
        make_updates(self)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO csp_actionlead (action_id, number, organisation_id, all_partners) "
                "SELECT id, 99, 987654321, false FROM csp_action LIMIT 1"
            )

    monkeypatch.setattr(CountyGenerator, "make_updates", and_a_lead_of_no_organisation)
    with pytest.raises(CommandError, match="nothing was changed"):
        generate()
    assert foreign_keys() == keys
    assert row_counts() == counts


@needs_postgres
def test_a_run_that_fails_after_dropping_the_text_indexes_leaves_them_and_writes_nothing(
    monkeypatch,
):
    before, keys, counts = text_indexes(), foreign_keys(), row_counts()

    def fail(self) -> None:
        raise IntegrityError("a clash while writing the updates")

    monkeypatch.setattr(CountyGenerator, "make_updates", fail)
    with pytest.raises(CommandError, match="nothing was changed"):
        generate()
    assert text_indexes() == before
    assert foreign_keys() == keys
    assert row_counts() == counts
