"""The coordinator's review of a period: who owes what, accepting and returning, amendments."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from csp.cycle import PeriodSlots, UpdateInput, save_update
from csp.models import (
    ActionLead,
    Amendment,
    Measure,
    MeasureFigure,
    PeriodLocked,
    PeriodStatus,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make
from tests.html import tables

pytestmark = pytest.mark.django_db


def submitted(cast, action=None, district=None, period=None, **kwargs):
    """A submitted update, by default Castle Council's for the hub in North, 2016/17 Q2."""
    values = {
        "organisation": cast.council,
        "author": cast.olive,
        "submitted_at": timezone.now(),
        "progress": "Venue booked for Tuesdays",
        "risks": "Lease not yet signed",
        "state": UpdateState.SUBMITTED,
    } | kwargs
    return make.update(
        action or cast.hub,
        period or cast.q2,
        UpdateStatus.AT_RISK,
        district or cast.north,
        **values,
    )


def review(period):
    return f"/periods/{period.pk}/"


def act(update, what):
    return f"/periods/{update.period_id}/updates/{update.pk}/{what}/"


def fresh(update):
    return QuarterlyUpdate.objects.get(pk=update.pk)


def report(period):
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.REPORTED)
    period.refresh_from_db()


# -- the page ---------------------------------------------------------------------------------


def test_it_shows_the_period_with_its_status_and_deadline(alice, cast):
    cast.q2.deadline = timezone.localdate() + datetime.timedelta(days=5)
    cast.q2.save()
    html = alice.get(review(cast.q2)).content.decode()
    assert "2016/17 Q2 updates – Castle Plan 2016/17" in html
    assert '<strong class="govuk-tag govuk-tag--green">Open</strong>' in html
    assert "(5 days left)" in html


def test_it_says_when_the_deadline_has_passed(alice, cast):
    cast.q2.deadline = timezone.localdate() - datetime.timedelta(days=2)
    cast.q2.save()
    html = alice.get(review(cast.q2)).content.decode()
    assert "<strong>overdue by 2 days</strong>" in html
    # Everything still owed is late.
    assert html.count('govuk-tag--red">Late</strong>') == 5


def test_it_counts_what_has_come_in_by_organisation_and_priority(alice, cast):
    submitted(cast)
    cast.q2.deadline = timezone.localdate() - datetime.timedelta(days=1)
    cast.q2.save()
    found = tables(alice.get(review(cast.q2)))
    header = ["Expected", "Accepted", "Submitted", "Returned", "Draft", "Missing", "Late"]
    # Issue 12 added the "Shared" column, the reminder buttons and the totals row.
    assert found[0][0] == ["Organisation", *header, "Shared", "Chase"]
    remind = "Send a reminder now to"
    assert found[0][1:] == [
        # hub north submitted, hub south missing, burglary (whole area) accepted
        ["Castle Council", "3", "1", "1", "0", "0", "1", "1", "–", f"{remind} Castle Council"],
        # patrols north; covert north and south: nothing yet
        ["Shire Police", "3", "0", "0", "0", "0", "3", "3", "–", f"{remind} Shire Police"],
        # leaflets: finished in Q1, but given an accepted update in Q2 all the same
        ["All partners", "1", "1", "0", "0", "0", "0", "0", "–", ""],
        ["All updates", "7", "2", "1", "0", "0", "4", "4", "", ""],
    ]
    assert found[1][0] == ["Priority", *header]
    assert found[1][1:] == [
        ["1. Safer communities", "4", "1", "1", "0", "0", "2", "2"],
        ["2. Acquisitive crime", "3", "1", "0", "0", "0", "2", "2"],
        ["All updates", "7", "2", "1", "0", "0", "4", "4"],
    ]


def test_a_co_led_update_counts_once_in_the_shared_row(alice, cast):
    """Issue 12: a co-led update counted for each co-lead, so the rows added up to more."""
    ActionLead.objects.create(action=cast.hub, number=2, organisation=cast.police)
    submitted(cast)  # the hub, North: now owed by the council and the police together
    rows = {row[0]: row[1:-1] for row in tables(alice.get(review(cast.q2)))[0][1:]}
    assert rows["Castle Council"] == ["1", "1", "0", "0", "0", "0", "0", "2"]  # burglary alone
    assert rows["Shire Police"] == ["3", "0", "0", "0", "0", "3", "0", "2"]
    assert rows["Shared by two or more leads"] == ["2", "0", "1", "0", "0", "1", "0", "–"]
    expected = [int(row[0]) for label, row in rows.items() if label != "All updates"]
    assert sum(expected) == int(rows["All updates"][0]) == 7


def test_an_action_with_no_lead_is_listed_as_owed_by_nobody(alice, cast):
    orphan = make.action(cast.hub.objective, description="Nobody's job")
    response = alice.get(review(cast.q2))
    rows = {row[0]: row[1:] for row in tables(response)[0][1:]}
    assert rows["Owed by nobody (no lead)"][:6] == ["2", "0", "0", "0", "0", "2"]
    html = response.content.decode()
    assert "Owed by nobody (1)" in html
    assert f'href="/admin/csp/action/{orphan.pk}/change/"' in html
    chase = next(t for t in tables(response) if t[0][0] == "Action")
    assert ["North", "Nobody: the action has no lead", "Missing", ""] in [r[1:] for r in chase]
    assert [s.action for s in PeriodSlots(cast.q2).slots if s.is_owed_by_nobody] == [
        orphan,
        orphan,
    ]


def test_it_lists_who_to_chase(alice, cast):
    make.update(cast.covert, cast.q2, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT)
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.AT_RISK,
        cast.south,
        state=UpdateState.RETURNED,
        return_comment="Say when the lease is signed",
    )
    chase = next(t for t in tables(alice.get(review(cast.q2))) if t[0][0] == "Action")
    assert chase[0] == ["Action", "District", "Owed by", "State", "Comment"]
    rows = [[row[0].split()[0], *row[1:]] for row in chase[1:]]
    assert rows == [
        ["1.1.1", "North", "SP", "Missing", ""],
        ["1.1.2", "North", "CC", "Missing", ""],
        ["1.1.2", "South", "CC", "Returned", "Say when the lease is signed"],
        ["2.1.1", "North", "SP", "Draft", ""],
        ["2.1.1", "South", "SP", "Missing", ""],
    ]


def test_it_shows_an_update_awaiting_review_in_full(alice, cast):
    measure = Measure.objects.create(action=cast.hub, description="Sessions held", unit="sessions")
    update = submitted(
        cast, submitted_at=datetime.datetime(2016, 10, 3, 9, 30, tzinfo=datetime.UTC)
    )
    MeasureFigure.objects.create(measure=measure, update=update, value=Decimal("12"))
    html = alice.get(review(cast.q2)).content.decode()
    assert "Awaiting review (1)" in html
    assert "Open a community safety hub" in html
    assert "Castle Council" in html
    assert '<strong class="govuk-tag govuk-tag--orange">At risk</strong>' in html
    assert "Venue booked for Tuesdays" in html
    assert "Lease not yet signed" in html
    assert "Sessions held: 12 sessions" in html
    assert "olive, 3 October 2016, 10:30" in html
    assert f'action="{act(update, "accept")}"' in html
    assert f'action="{act(update, "return")}"' in html
    assert f'name="version" value="{update.version}"' in html


def test_accepted_updates_are_listed_compactly(alice, cast):
    accepted = next(
        t
        for t in tables(alice.get(review(cast.q2)))
        if t[0][0] == "Action" and t[0][2] == "Organisation"
    )
    rows = {row[0].split()[0]: row[1:] for row in accepted[1:]}
    assert rows["2.1.2"] == ["Whole area", "CC", "At risk"]
    assert rows["1.2.1"] == ["Whole area", "All partners", "On track"]


def test_the_page_does_not_query_more_for_more_updates(alice, cast, django_assert_max_num_queries):
    measure = Measure.objects.create(action=cast.hub, description="Sessions held")
    MeasureFigure.objects.create(measure=measure, update=submitted(cast), value=1)
    with CaptureQueriesContext(connection) as few:
        assert alice.get(review(cast.q2)).status_code == 200
    objective = cast.hub.objective
    for n in range(12):
        action = make.action(objective, description=f"Extra {n}", lead=cast.police)
        measure = Measure.objects.create(action=action, description="Arrests")
        for district in (cast.north, cast.south):
            update = submitted(cast, action, district, organisation=cast.police, author=cast.dave)
            MeasureFigure.objects.create(measure=measure, update=update, value=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = alice.get(review(cast.q2))
    assert "Awaiting review (25)" in response.content.decode()


# -- who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_other_members_may_not_review(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(review(cast.q2)).status_code == 403


def test_another_partnership_cannot_find_the_review(client, cast):
    client.force_login(cast.charlie)
    assert client.get(review(cast.q2)).status_code == 404


def test_a_visitor_is_asked_to_sign_in_to_review(client, cast):
    response = client.get(review(cast.q2))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next=/periods/{cast.q2.pk}/"


def test_a_period_that_does_not_exist_is_not_found(alice, cast):
    assert alice.get("/periods/99999/").status_code == 404


@pytest.mark.parametrize("what", ["accept", "return", "amend"])
@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_other_members_may_not_accept_return_or_amend(client, cast, who, what):
    update = submitted(cast)
    client.force_login(getattr(cast, who))
    data = {"version": update.version, "comment": "No", "reason": "Wrong figure"}
    assert client.post(act(update, what), data).status_code == 403
    assert fresh(update).state == UpdateState.SUBMITTED
    assert not Amendment.objects.exists()


@pytest.mark.parametrize("what", ["accept", "return", "amend"])
def test_another_partnership_cannot_accept_return_or_amend(client, cast, what):
    update = submitted(cast)
    client.force_login(cast.charlie)
    data = {"version": update.version, "comment": "No", "reason": "Wrong figure"}
    assert client.post(act(update, what), data).status_code == 404
    assert fresh(update).state == UpdateState.SUBMITTED


@pytest.mark.parametrize("what", ["accept", "return", "amend"])
def test_a_visitor_accepting_is_asked_to_sign_in(client, cast, what):
    update = submitted(cast)
    response = client.post(act(update, what), {"version": update.version, "comment": "No"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert fresh(update).state == UpdateState.SUBMITTED


@pytest.mark.parametrize("what", ["accept", "return", "amend"])
def test_accepting_and_returning_are_post_only(alice, cast, what):
    update = submitted(cast)
    assert alice.get(act(update, what)).status_code == 405
    assert fresh(update).state == UpdateState.SUBMITTED


def test_an_update_of_another_period_is_not_found_here(alice, cast):
    update = submitted(cast)
    url = f"/periods/{cast.q1.pk}/updates/{update.pk}/accept/"
    assert alice.post(url, {"version": update.version}).status_code == 404
    assert fresh(update).state == UpdateState.SUBMITTED


# -- accepting and returning ------------------------------------------------------------------


def test_it_accepts_an_update(alice, cast):
    update = submitted(cast)
    response = alice.post(act(update, "accept"), {"version": update.version}, follow=True)
    assert fresh(update).state == UpdateState.ACCEPTED
    assert "Accepted 1.1.2 North." in response.content.decode()
    assert "Awaiting review (0)" in response.content.decode()


def test_it_refuses_to_accept_text_changed_since_the_page_was_drawn(alice, cast):
    update = submitted(cast)
    response = alice.post(act(update, "accept"), {"version": update.version - 1}, follow=True)
    assert fresh(update).state == UpdateState.SUBMITTED
    assert "1.1.2 North has changed since you opened the page." in response.content.decode()


def test_it_only_accepts_submitted_updates(alice, cast):
    update = submitted(cast, state=UpdateState.DRAFT)
    response = alice.post(act(update, "accept"), {"version": update.version}, follow=True)
    assert fresh(update).state == UpdateState.DRAFT
    assert "only a submitted update can be accepted" in response.content.decode()


def test_it_returns_an_update_with_a_comment(alice, cast):
    update = submitted(cast)
    response = alice.post(
        act(update, "return"),
        {"version": update.version, "comment": "Give the date the hub opens"},
        follow=True,
    )
    update = fresh(update)
    assert update.state == UpdateState.RETURNED
    assert update.return_comment == "Give the date the hub opens"
    html = response.content.decode()
    assert "Returned 1.1.2 North to Castle Council with your comment." in html
    assert "Give the date the hub opens" in html  # in the list of who to chase


def test_returning_e_mails_the_author_the_comment_and_a_link(alice, cast, mailoutbox):
    update = submitted(cast)
    response = alice.post(
        act(update, "return"),
        {"version": update.version, "comment": "Give the date the hub opens"},
        follow=True,
    )
    assert "They have been e-mailed." in response.content.decode()
    [message] = mailoutbox
    assert message.to == ["olive@example.invalid"]
    assert message.subject == "Castle CSP: your update 1.1.2 North for 2016/17 Q2 was returned"
    assert "Give the date the hub opens" in message.body
    assert f"http://testserver/updates/{cast.q2.pk}/" in message.body


def test_a_return_is_kept_when_the_e_mail_cannot_be_sent(alice, cast, monkeypatch, mailoutbox):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("csp.cycle.send_mail", refuse)
    update = submitted(cast)
    response = alice.post(
        act(update, "return"), {"version": update.version, "comment": "Say when"}, follow=True
    )
    html = response.content.decode()
    assert "Returned 1.1.2 North to Castle Council with your comment." in html
    assert "e-mailed" not in html
    assert fresh(update).state == UpdateState.RETURNED


def test_no_e_mail_when_the_author_has_no_address(alice, cast, mailoutbox):
    cast.olive.email = ""
    cast.olive.save()
    update = submitted(cast)
    alice.post(act(update, "return"), {"version": update.version, "comment": "Say when"})
    assert fresh(update).state == UpdateState.RETURNED
    assert mailoutbox == []


@pytest.mark.parametrize("comment", ["", "   "])
def test_returning_needs_a_comment(alice, cast, comment):
    update = submitted(cast)
    response = alice.post(act(update, "return"), {"version": update.version, "comment": comment})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert f'<a href="#return-{update.pk}">Enter a comment saying what needs to change.</a>' in html
    assert "govuk-textarea--error" in html
    update = fresh(update)
    assert update.state == UpdateState.SUBMITTED
    assert update.return_comment == ""


def test_returning_in_a_closed_period_says_the_lead_can_still_correct_it(alice, cast):
    # Issue 12: a returned update stays fixable after close (it used to say "re-open it").
    update = submitted(cast)
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.CLOSED)
    response = alice.post(
        act(update, "return"), {"version": update.version, "comment": "Add figures"}, follow=True
    )
    assert fresh(update).state == UpdateState.RETURNED
    assert (
        "The period is closed, but a returned update stays open to its lead until the period "
        "is reported." in response.content.decode()
    )
    assert PeriodSlots(cast.q2).find(cast.hub.pk, cast.north.pk).is_editable


def test_a_reported_period_refuses_accepting_and_returning(alice, cast):
    update = submitted(cast)
    report(cast.q2)
    page = alice.get(review(cast.q2)).content.decode()
    assert act(update, "accept") not in page
    assert act(update, "return") not in page
    assert act(update, "amend") in page
    accepting = alice.post(act(update, "accept"), {"version": update.version}, follow=True)
    returning = alice.post(
        act(update, "return"), {"version": update.version, "comment": "No"}, follow=True
    )
    for response in (accepting, returning):
        assert response.status_code == 200
        assert "2016/17 Q2 has been reported and is locked." in response.content.decode()
    update = fresh(update)
    assert update.state == UpdateState.SUBMITTED
    assert update.version == 1


def test_amendments_are_only_for_reported_periods(alice, cast):
    update = submitted(cast)
    response = alice.post(act(update, "amend"), {"reason": "Wrong figure"}, follow=True)
    assert "2016/17 Q2 has not been reported: return the update instead." in (
        response.content.decode()
    )
    assert not Amendment.objects.exists()


def test_an_amendment_needs_a_reason(alice, cast):
    update = QuarterlyUpdate.objects.get(action=cast.patrols, period=cast.q1)
    report(cast.q1)
    response = alice.post(act(update, "amend"), {"reason": " "})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#amend-{update.pk}">Enter the reason for re-opening this update.</a>' in html
    assert not Amendment.objects.exists()
    assert fresh(update).state == UpdateState.ACCEPTED


def test_the_amendment_flow(alice, cast):
    """Re-open with a reason; only that update can change; the lead resubmits; accepting closes."""
    update = QuarterlyUpdate.objects.get(action=cast.patrols, period=cast.q1)
    other = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q1, district=cast.north)
    assert alice.post(review(cast.q1) + "report/").status_code == 302
    cast.q1.refresh_from_db()
    assert cast.q1.status == PeriodStatus.REPORTED

    response = alice.post(
        act(update, "amend"), {"reason": "The patrol count was for Q2"}, follow=True
    )
    assert "1.1.1 North is open for amendment." in response.content.decode()
    amendment = Amendment.objects.get()
    assert (amendment.update, amendment.reason, amendment.opened_by) == (
        update,
        "The patrol count was for Q2",
        cast.alice,
    )
    assert amendment.closed_at is None
    update = fresh(update)
    assert update.state == UpdateState.RETURNED
    assert update.return_comment == "The patrol count was for Q2"

    # The amended update is open to its lead; the rest of the period stays locked.
    slots = PeriodSlots(cast.q1)
    assert slots.find(cast.patrols.pk, cast.north.pk).is_editable
    assert not slots.find(cast.hub.pk, cast.north.pk).is_editable
    other.progress = "Changed after the report"
    with pytest.raises(PeriodLocked):
        other.save()
    save_update(
        slots.find(cast.patrols.pk, cast.north.pk),
        UpdateInput(UpdateStatus.ON_TRACK, "Patrols every Friday and Saturday", "", {}, 2),
        user=cast.dave,
        submit=True,
    )
    update = fresh(update)
    assert update.state == UpdateState.SUBMITTED

    # A second amendment of the same update is refused while the first is open.
    again = alice.post(act(update, "amend"), {"reason": "Again"}, follow=True)
    assert "1.1.1 North is already open for amendment." in again.content.decode()
    assert Amendment.objects.count() == 1

    page = alice.get(review(cast.q1)).content.decode()
    assert "The patrol count was for Q2" in page
    assert act(update, "accept") in page

    response = alice.post(act(update, "accept"), {"version": update.version}, follow=True)
    assert "Accepted 1.1.1 North. Its amendment is closed." in response.content.decode()
    update = fresh(update)
    assert update.state == UpdateState.ACCEPTED
    assert update.progress == "Patrols every Friday and Saturday"
    amendment.refresh_from_db()
    assert amendment.closed_at is not None
    update.progress = "One more change"
    with pytest.raises(PeriodLocked):
        update.save()


def test_it_refuses_a_second_open_amendment(alice, cast):
    update = QuarterlyUpdate.objects.get(action=cast.patrols, period=cast.q1)
    report(cast.q1)
    Amendment.objects.create(update=update, reason="First", opened_by=cast.alice)
    # Accepted again without closing the amendment: the one case the state check lets through.
    response = alice.post(act(update, "amend"), {"reason": "Second"}, follow=True)
    assert "1.1.1 North is already open for amendment." in response.content.decode()
    assert Amendment.objects.count() == 1
    assert fresh(update).state == UpdateState.ACCEPTED


def test_returning_an_amended_update_keeps_the_amendment_open(alice, cast):
    update = QuarterlyUpdate.objects.get(action=cast.patrols, period=cast.q1)
    report(cast.q1)
    Amendment.objects.create(update=update, reason="Check the count", opened_by=cast.alice)
    QuarterlyUpdate.objects.filter(pk=update.pk).update(state=UpdateState.SUBMITTED)
    response = alice.post(
        act(update, "return"), {"version": update.version, "comment": "Still wrong"}, follow=True
    )
    assert "Returned 1.1.1 North" in response.content.decode()
    assert fresh(update).state == UpdateState.RETURNED
    assert Amendment.objects.get().closed_at is None


def test_the_e_mail_for_a_return_in_a_closed_period_says_it_can_still_be_changed(
    alice, cast, mailoutbox
):
    # Issue 12: it said "cannot be changed yet" and its link led to a locked page.
    update = submitted(cast)
    cast.q2.status = PeriodStatus.CLOSED
    cast.q2.save()
    alice.post(act(update, "return"), {"version": update.version, "comment": "Say when"})
    [message] = mailoutbox
    assert "Please change the update and submit it again:" in message.body
    assert (
        "2016/17 Q2 is closed, but an update returned to you stays open to you until the period "
        "is reported to committee." in message.body
    )
    assert "cannot be changed yet" not in message.body


def test_a_draft_stuck_in_a_reported_period_can_be_reopened_for_amendment(alice, cast):
    update = make.update(
        cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT
    )
    cast.q2.status = PeriodStatus.REPORTED
    cast.q2.save()
    page = alice.get(review(cast.q2)).content.decode()
    assert f'action="{act(update, "amend")}"' in page
    alice.post(act(update, "amend"), {"reason": "Finish the draft for the record"})
    update = fresh(update)
    assert update.open_amendment is not None
    assert update.state == UpdateState.RETURNED


def test_the_4ps_summaries_are_shown_where_the_partnership_reports_that_way(alice, cast):
    from csp.models import PrioritySummary

    assert "the 4 Ps" not in alice.get(review(cast.q2)).content.decode()
    cast.castle.reports_by_priority_summary = True
    cast.castle.save()
    safer = cast.plan.priorities.get(number=1)
    PrioritySummary.objects.create(
        priority=safer,
        period=cast.q2,
        organisation=cast.council,
        pursue="Two dealers arrested",
        state=UpdateState.SUBMITTED,
    )
    html = alice.get(review(cast.q2)).content.decode()
    assert "Summaries by priority (the 4 Ps)" in html
    assert "Two dealers arrested" in html and "Castle Council" in html
    assert "No summary yet." in html  # priority 2


def test_a_reported_periods_page_does_not_query_per_update(
    alice, cast, django_assert_max_num_queries
):
    periods = ReportingPeriod.objects.filter(pk=cast.q1.pk)
    periods.update(status=PeriodStatus.REPORTED)
    with CaptureQueriesContext(connection) as few:
        alice.get(review(cast.q1))
    # Un-reported behind the locks' back (plainly), only to add updates for the second count.
    models.QuerySet.update(periods, status=PeriodStatus.CLOSED)
    for n in range(6):
        action = make.action(cast.hub.objective, description=f"Extra {n}", lead=cast.council)
        make.update(action, cast.q1, UpdateStatus.ON_TRACK, cast.north)
    periods.update(status=PeriodStatus.REPORTED)
    with django_assert_max_num_queries(len(few)):  # the amendment forms name their actions
        alice.get(review(cast.q1))


@pytest.mark.parametrize(
    ("unit", "value", "shown"),
    [
        ("campaigns", "1", "1 campaign"),  # issue 12: "1 campaigns"
        ("campaigns", "2", "2 campaigns"),
        ("vulnerable residents", "1", "1 vulnerable resident"),
        ("activities", "1.00", "1 activity"),
        ("people", "1", "1 person"),
        ("%", "85", "85%"),
        ("", "1200", "1,200"),
        ("hours", "1.5", "1.5 hours"),
    ],
)
def test_a_figure_reads_with_its_unit_in_the_right_number(alice, cast, unit, value, shown):
    measure = Measure.objects.create(action=cast.hub, description="Things done", unit=unit)
    MeasureFigure.objects.create(measure=measure, update=submitted(cast), value=Decimal(value))
    assert f"Things done: {shown}</li>" in alice.get(review(cast.q2)).content.decode()
