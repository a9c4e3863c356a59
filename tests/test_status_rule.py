"""An action's status: the worst of its districts' reported updates, for a period or the latest."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csp.filters import ActionListing
from csp.models import Action, ActionStatus, QuarterlyUpdate, UpdateState, UpdateStatus
from csp.quarters import FinancialQuarter
from tests import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    action = make.action()
    plan = action.plan
    partnership = plan.partnership
    return {
        "action": action,
        "q1": make.period(plan, 2016, 1),
        "q2": make.period(plan, 2016, 2),
        "rochford": make.district(partnership, "Rochford"),
        "castle_point": make.district(partnership, "Castle Point"),
    }


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (UpdateStatus.ON_TRACK, UpdateStatus.AT_RISK, UpdateStatus.AT_RISK),
        (UpdateStatus.AT_RISK, UpdateStatus.OFF_TRACK, UpdateStatus.OFF_TRACK),
        (UpdateStatus.COMPLETE, UpdateStatus.ON_TRACK, UpdateStatus.ON_TRACK),
        (UpdateStatus.NOT_STARTED, UpdateStatus.ON_TRACK, UpdateStatus.NOT_STARTED),
        (UpdateStatus.COMPLETE, UpdateStatus.NO_LONGER_REQUIRED, UpdateStatus.COMPLETE),
        (UpdateStatus.NOT_GIVEN, UpdateStatus.COMPLETE, UpdateStatus.COMPLETE),
        (UpdateStatus.COMPLETE, UpdateStatus.COMPLETE, UpdateStatus.COMPLETE),
    ],
)
def test_the_worst_district_status_wins(setting, first, second, expected):
    s = setting
    make.update(s["action"], s["q1"], first, s["rochford"])
    make.update(s["action"], s["q1"], second, s["castle_point"])
    assert s["action"].status_for(s["q1"]) == expected


def test_a_whole_area_update_counts_alongside_district_ones(setting):
    s = setting
    make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    make.update(s["action"], s["q1"], UpdateStatus.OFF_TRACK)
    assert s["action"].status_for(s["q1"]) == UpdateStatus.OFF_TRACK


def test_drafts_and_returned_updates_do_not_count(setting):
    s = setting
    make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    make.update(
        s["action"], s["q1"], UpdateStatus.OFF_TRACK, s["castle_point"], state=UpdateState.DRAFT
    )
    assert s["action"].status_for(s["q1"]) == UpdateStatus.ON_TRACK
    s["action"].updates.filter(district=s["rochford"]).update(state=UpdateState.RETURNED)
    assert s["action"].status_for(s["q1"]) is None


def test_without_a_period_the_latest_reported_period_counts(setting):
    s = setting
    make.update(s["action"], s["q1"], UpdateStatus.OFF_TRACK, s["rochford"])
    make.update(s["action"], s["q2"], UpdateStatus.ON_TRACK, s["rochford"])
    make.update(s["action"], s["q2"], UpdateStatus.COMPLETE, s["castle_point"])
    annotated = Action.objects.with_status().get(pk=s["action"].pk)
    assert annotated.current_status == UpdateStatus.ON_TRACK
    assert annotated.status_period_id == s["q2"].pk
    assert s["action"].status_for(s["q1"]) == UpdateStatus.OFF_TRACK


def test_latest_period_is_by_quarter_not_by_insertion_order(setting):
    s = setting
    make.update(s["action"], s["q2"], UpdateStatus.COMPLETE, s["rochford"])
    make.update(s["action"], s["q1"], UpdateStatus.OFF_TRACK, s["rochford"])
    assert s["action"].status_for() == UpdateStatus.COMPLETE


def test_a_period_with_no_update_has_no_status(setting):
    s = setting
    make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    assert s["action"].status_for(s["q2"]) is None


def test_status_for_a_whole_list_costs_one_query(setting):
    s = setting
    objective = s["action"].objective
    for n in range(2, 30):
        action = make.action(objective, number=n)
        make.update(
            action, s["q1"], UpdateStatus.AT_RISK if n % 2 else UpdateStatus.ON_TRACK, s["rochford"]
        )
    with CaptureQueriesContext(connection) as queries:
        statuses = list(
            Action.objects.in_plan(s["action"].plan)
            .with_status(s["q1"])
            .values_list("number", "current_status")
        )
    assert len(queries) == 1
    assert len(statuses) == 29
    assert dict(statuses)[3] == UpdateStatus.AT_RISK
    assert dict(statuses)[4] == UpdateStatus.ON_TRACK


def test_a_financial_quarter_means_that_quarter_in_each_actions_own_plan(setting):
    s = setting
    other = make.action()
    other_q1 = make.period(other.plan, 2016, 1)
    make.update(s["action"], s["q1"], UpdateStatus.AT_RISK, s["rochford"])
    make.update(other, other_q1, UpdateStatus.COMPLETE)
    make.update(s["action"], s["q2"], UpdateStatus.ON_TRACK, s["rochford"])
    statuses = dict(
        Action.objects.with_status(FinancialQuarter(2016, 1)).values_list("pk", "current_status")
    )
    assert statuses == {s["action"].pk: UpdateStatus.AT_RISK, other.pk: UpdateStatus.COMPLETE}


def stored_statuses():
    return sorted(
        ActionStatus.objects.values_list("action_id", "period_id", "quarter_key", "rank", "status")
    )


def recomputed_statuses():
    ActionStatus.refresh(None)
    return stored_statuses()


def test_the_stored_statuses_follow_every_kind_of_write(setting):
    s = setting
    first = make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    make.update(s["action"], s["q1"], UpdateStatus.AT_RISK, s["castle_point"])
    assert stored_statuses() == [(s["action"].pk, s["q1"].pk, 20161, 5, "at_risk")]

    first.status = UpdateStatus.OFF_TRACK
    first.save()
    assert stored_statuses() == [(s["action"].pk, s["q1"].pk, 20161, 6, "off_track")]

    QuarterlyUpdate.objects.filter(pk=first.pk).update(state=UpdateState.DRAFT)
    assert stored_statuses() == [(s["action"].pk, s["q1"].pk, 20161, 5, "at_risk")]

    QuarterlyUpdate.objects.filter(pk=first.pk).update(period=s["q2"], state=UpdateState.SUBMITTED)
    expected = [
        (s["action"].pk, s["q1"].pk, 20161, 5, "at_risk"),
        (s["action"].pk, s["q2"].pk, 20162, 6, "off_track"),
    ]
    assert stored_statuses() == expected

    QuarterlyUpdate.objects.filter(period=s["q1"]).delete()
    assert stored_statuses() == [(s["action"].pk, s["q2"].pk, 20162, 6, "off_track")]

    QuarterlyUpdate.objects.bulk_create(
        [
            QuarterlyUpdate(
                action=s["action"],
                period=s["q1"],
                district=s["rochford"],
                status="complete",
                state="accepted",
            )
        ]
    )
    first.refresh_from_db()
    first.delete()
    assert stored_statuses() == [(s["action"].pk, s["q1"].pk, 20161, 2, "complete")]
    assert stored_statuses() == recomputed_statuses()


def every_stored_column():
    return sorted(
        ActionStatus.objects.values_list(
            "action_id", "period_id", "quarter_key", "rank", "status", "public_rank",
            "public_status",
        )
    )  # fmt: skip


def test_a_rebuild_of_everything_stores_what_each_write_stored(setting):
    """``refresh(None)`` is one INSERT … SELECT, the write path a Python loop: same rows, the
    public columns included (a restricted update that is the worst, one that is the only)."""
    s = setting
    other = make.action(s["action"].objective, number=2)
    make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    make.update(s["action"], s["q1"], UpdateStatus.OFF_TRACK, s["castle_point"], is_restricted=True)
    make.update(s["action"], s["q2"], UpdateStatus.COMPLETE, state=UpdateState.SUBMITTED)
    make.update(other, s["q1"], UpdateStatus.AT_RISK, is_restricted=True)
    make.update(other, s["q2"], UpdateStatus.NOT_GIVEN, s["rochford"])
    make.update(other, s["q2"], UpdateStatus.ON_TRACK, s["castle_point"], state=UpdateState.DRAFT)
    written = every_stored_column()
    assert {(row[0], row[1]): row[4:] for row in written} == {
        (s["action"].pk, s["q1"].pk): ("off_track", 3, "on_track"),
        (s["action"].pk, s["q2"].pk): ("complete", 2, "complete"),
        (other.pk, s["q1"].pk): ("at_risk", None, ""),
        (other.pk, s["q2"].pk): ("not_given", 0, "not_given"),
    }
    ActionStatus.objects.all().delete()
    ActionStatus.refresh(None)
    assert every_stored_column() == written


def test_moving_an_update_to_another_period_refreshes_both(setting):
    s = setting
    update = make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    update.period = s["q2"]
    update.save()
    assert s["action"].status_for(s["q1"]) is None
    assert s["action"].status_for(s["q2"]) == UpdateStatus.ON_TRACK


def test_the_refresh_command_rebuilds_the_table(setting):
    from io import StringIO

    from django.core.management import call_command

    s = setting
    make.update(s["action"], s["q1"], UpdateStatus.ON_TRACK, s["rochford"])
    ActionStatus.objects.all().delete()
    out = StringIO()
    call_command("refresh_statuses", stdout=out)
    assert s["action"].status_for(s["q1"]) == UpdateStatus.ON_TRACK
    assert "1 action statuses rebuilt" in out.getvalue()


@pytest.mark.parametrize("who", ["alice", "charlie", "nobody", "root"])
def test_a_page_s_statuses_read_at_once_are_what_with_status_says(cast, who):
    """ActionStatus.shown (the list's rows) agrees with ActionQuerySet.with_status and the
    list's last update, for members, other members, the public and superusers alike."""
    cast.castle.is_public = True
    cast.castle.save()
    user = {
        "alice": cast.alice,
        "charlie": cast.charlie,
        "nobody": AnonymousUser(),
        "root": User.objects.create_superuser("root"),
    }[who]
    ids = list(Action.objects.values_list("pk", flat=True))
    for quarter in (None, cast.q1.financial_quarter, cast.q2.financial_quarter):
        expected = {
            pk: (status, last)
            for pk, status, last in ActionListing.with_last_quarter(
                Action.objects.with_status(quarter, user), user
            ).values_list("pk", "current_status", "last_quarter")
        }
        assert ActionStatus.shown(ids, quarter, user) == expected
