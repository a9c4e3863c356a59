"""Opening a reporting period, and moving one from open to closed to reported: coordinators only."""

from __future__ import annotations

import pytest
from django.test import Client

from csp.models import PeriodStatus, ReportingPeriod, UpdateState, UpdateStatus
from tests import factories as make
from tests.html import form_fields, tables, text_of

pytestmark = pytest.mark.django_db


def new_url(cast):
    return f"/plans/{cast.plan.slug}/periods/new/"


def open_quarter(client, cast, quarter="2016-17-q3", day="14", month="10", year="2016"):
    return client.post(
        new_url(cast),
        {"quarter": quarter, "deadline_day": day, "deadline_month": month, "deadline_year": year},
    )


# -- opening a period -------------------------------------------------------------------------


def test_it_offers_the_quarters_not_yet_opened(alice, cast):
    html = alice.get(new_url(cast)).content.decode()
    assert "Open a reporting period" in html
    assert '<option value="2016-17-q3" selected>2016/17 Q3</option>' in html
    assert '<option value="2016-17-q4">2016/17 Q4</option>' in html
    assert "2016-17-q1" not in html and "2016-17-q2" not in html


def test_it_opens_a_quarter_with_a_deadline(alice, cast):
    response = open_quarter(alice, cast)
    period = ReportingPeriod.objects.get(plan=cast.plan, year=2016, quarter=3)
    assert response.status_code == 302
    assert response["Location"] == f"/periods/{period.pk}/"
    assert period.status == PeriodStatus.OPEN
    assert str(period.deadline) == "2016-10-14"
    html = alice.get(response["Location"]).content.decode()
    assert "2016/17 Q3 is open. Updates are due by 14 October 2016." in html


def test_it_refuses_a_quarter_already_opened(alice, cast):
    response = open_quarter(alice, cast, quarter="2016-17-q2")
    assert response.status_code == 200
    assert "2016/17 Q2 has already been opened (it is open). Each quarter is opened once." in (
        response.content.decode()
    )
    assert cast.plan.periods.count() == 2


def test_it_refuses_a_quarter_outside_the_plan_years(alice, cast):
    response = open_quarter(alice, cast, quarter="2017-18-q1", year="2017")
    assert "Castle Plan 2016/17 runs 2016/17 only" in response.content.decode()
    assert cast.plan.periods.count() == 2


def test_it_refuses_something_that_is_not_a_quarter(alice, cast):
    response = open_quarter(alice, cast, quarter="next one")
    assert "Choose a quarter from the list." in response.content.decode()
    assert cast.plan.periods.count() == 2


@pytest.mark.parametrize(
    "day, month, year, message",
    [
        ("", "", "", "Enter the deadline for updates."),
        ("14", "", "2016", "Enter the deadline as a day, month and year."),
        ("31", "2", "2017", "The deadline must be a real date"),
        ("1", "X", "2017", "The deadline must be a real date"),
        ("30", "9", "2016", "The deadline must be after 2016/17 Q3 starts (1 October 2016)."),
    ],
)
def test_it_needs_a_real_deadline(alice, cast, day, month, year, message):
    response = open_quarter(alice, cast, day=day, month=month, year=year)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert message in html
    assert cast.plan.periods.count() == 2


def test_it_says_when_every_quarter_is_open(alice, cast):
    make.period(cast.plan, 2016, 3)
    make.period(cast.plan, 2016, 4)
    html = alice.get(new_url(cast)).content.decode()
    assert "Every quarter of 2016/17 has been opened." in html
    assert "<select" not in html


@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_only_coordinators_open_periods(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(new_url(cast)).status_code == 403
    assert open_quarter(client, cast).status_code == 403
    assert cast.plan.periods.count() == 2


def test_another_partnership_cannot_find_the_page(client, cast):
    client.force_login(cast.charlie)
    assert client.get(new_url(cast)).status_code == 404
    assert open_quarter(client, cast).status_code == 404


def test_a_visitor_is_asked_to_sign_in(client, cast):
    response = client.get(new_url(cast))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=")
    assert open_quarter(client, cast).status_code == 302
    assert cast.plan.periods.count() == 2


# -- the plan dashboard links them ------------------------------------------------------------


def test_the_dashboard_lists_periods_for_coordinators(alice, cast):
    html = alice.get(f"/plans/{cast.plan.slug}/").content.decode()
    assert "Reporting periods" in html
    assert f'href="/periods/{cast.q1.pk}/"' in html
    assert f'href="/periods/{cast.q2.pk}/"' in html
    assert f'href="{new_url(cast)}"' in html


def test_the_dashboard_keeps_them_from_others(client, cast):
    client.force_login(cast.bob)
    html = client.get(f"/plans/{cast.plan.slug}/").content.decode()
    assert "Reporting periods" not in html
    assert "/periods/" not in html


# -- a period's life cycle --------------------------------------------------------------------


def move(client, period, to):
    return client.post(f"/periods/{period.pk}/{to}/", follow=True)


def status_of(period):
    return ReportingPeriod.objects.get(pk=period.pk).status


def test_it_closes_an_open_period_once_the_coordinator_confirms(alice, cast):
    html = alice.post(f"/periods/{cast.q2.pk}/close/", {"confirm": "yes"}, follow=True)
    assert status_of(cast.q2) == PeriodStatus.CLOSED
    assert (
        "2016/17 Q2 is closed. Leads can no longer change their updates, except those returned "
        "to them, until the period is reported." in html.content.decode()
    )


def test_it_reopens_a_closed_period(alice, cast):
    html = move(alice, cast.q1, "reopen").content.decode()
    assert status_of(cast.q1) == PeriodStatus.OPEN
    assert "2016/17 Q1 is open again for updates." in html


def test_it_marks_a_closed_period_reported(alice, cast):
    html = move(alice, cast.q1, "report").content.decode()
    assert status_of(cast.q1) == PeriodStatus.REPORTED
    assert "2016/17 Q1 is marked reported and locked." in html


def test_it_will_not_report_an_open_period(alice, cast):
    html = move(alice, cast.q2, "report").content.decode()
    assert status_of(cast.q2) == PeriodStatus.OPEN
    assert "Close 2016/17 Q2 before marking it reported; it is open." in html


@pytest.mark.parametrize(
    "start, to, message",
    [
        (PeriodStatus.CLOSED, "close", "Only an open period can be closed; 2016/17 Q2 is closed."),
        (PeriodStatus.OPEN, "reopen", "Only a closed period can be re-opened; 2016/17 Q2 is open."),
        (
            PeriodStatus.REPORTED,
            "reopen",
            "Only a closed period can be re-opened; 2016/17 Q2 is reported.",
        ),
        (PeriodStatus.REPORTED, "close", "Only an open period can be closed"),
        (PeriodStatus.REPORTED, "report", "Close 2016/17 Q2 before marking it reported"),
    ],
)
def test_it_refuses_moves_out_of_order(alice, cast, start, to, message):
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=start)
    html = move(alice, cast.q2, to).content.decode()
    assert status_of(cast.q2) == start
    assert message in html


def test_the_page_offers_the_next_moves(alice, cast):
    open_page = alice.get(f"/periods/{cast.q2.pk}/").content.decode()
    assert f'action="/periods/{cast.q2.pk}/close/"' in open_page
    assert "/report/" not in open_page and "/reopen/" not in open_page
    closed_page = alice.get(f"/periods/{cast.q1.pk}/").content.decode()
    assert f'action="/periods/{cast.q1.pk}/report/"' in closed_page
    assert f'action="/periods/{cast.q1.pk}/reopen/"' in closed_page
    assert "/close/" not in closed_page


@pytest.mark.parametrize("to", ["close", "reopen", "report"])
def test_moves_are_post_only(alice, cast, to):
    assert alice.get(f"/periods/{cast.q2.pk}/{to}/").status_code == 405
    assert status_of(cast.q2) == PeriodStatus.OPEN


@pytest.mark.parametrize("to", ["close", "reopen", "report"])
@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_only_coordinators_move_periods(client, cast, who, to):
    client.force_login(getattr(cast, who))
    assert client.post(f"/periods/{cast.q1.pk}/{to}/").status_code == 403
    assert client.post(f"/periods/{cast.q2.pk}/{to}/").status_code == 403
    assert status_of(cast.q1) == PeriodStatus.CLOSED
    assert status_of(cast.q2) == PeriodStatus.OPEN


@pytest.mark.parametrize("to", ["close", "reopen", "report"])
def test_another_partnership_cannot_move_them(client, cast, to):
    client.force_login(cast.charlie)
    assert client.post(f"/periods/{cast.q1.pk}/{to}/").status_code == 404
    assert status_of(cast.q1) == PeriodStatus.CLOSED


@pytest.mark.parametrize("to", ["close", "reopen", "report"])
def test_a_visitor_moving_one_is_asked_to_sign_in(client, cast, to):
    response = client.post(f"/periods/{cast.q1.pk}/{to}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert status_of(cast.q1) == PeriodStatus.CLOSED


def test_moves_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    assert client.post(f"/periods/{cast.q2.pk}/close/").status_code == 403
    assert status_of(cast.q2) == PeriodStatus.OPEN


# -- closing is a decision (issue 12, item 3) -------------------------------------------------


def test_closing_first_lists_what_is_missing_and_returned_and_asks(alice, cast):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.AT_RISK,
        cast.south,
        state=UpdateState.RETURNED,
        return_comment="Say when the lease is signed",
    )
    response = alice.post(f"/periods/{cast.q2.pk}/close/")
    assert response.status_code == 200
    assert status_of(cast.q2) == PeriodStatus.OPEN  # nothing closed yet
    text = text_of(response)
    assert "Close 2016/17 Q2?" in text
    assert "4 updates have not come in and 1 is returned to its lead." in text
    missing = next(t for t in tables(response) if t[0][0] == "Action")
    assert [row[0].split()[0] for row in missing[1:]] == ["1.1.1", "1.1.2", "2.1.1", "2.1.1"]
    assert "Say when the lease is signed" in text
    assert "they can still correct and submit them until the period is reported" in text
    html = response.content.decode()
    assert '<input type="hidden" name="confirm" value="yes">' in html
    assert "Close 2016/17 Q2 anyway" in text


def test_closing_a_complete_period_still_asks_plainly(alice, cast):
    for action, district in [
        (cast.patrols, cast.north),
        (cast.hub, cast.north),
        (cast.hub, cast.south),
        (cast.covert, cast.north),
        (cast.covert, cast.south),
    ]:
        make.update(action, cast.q2, UpdateStatus.ON_TRACK, district)
    text = text_of(alice.post(f"/periods/{cast.q2.pk}/close/"))
    assert "Every expected update has come in." in text
    assert "anyway" not in text
    assert status_of(cast.q2) == PeriodStatus.OPEN


def test_a_returned_update_stays_fixable_after_close_until_reported(client, cast):
    update = make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.AT_RISK,
        cast.north,
        state=UpdateState.RETURNED,
        return_comment="Add the figures",
        organisation=cast.council,
    )
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.CLOSED)
    client.force_login(cast.olive)
    # My updates lists the closed period for what was returned, not "no period is open".
    mine = text_of(client.get("/updates/"))
    assert "No reporting period is open" not in mine
    assert "2016/17 Q2 is closed: you can still change the updates returned to you" in mine
    page = client.get(f"/updates/{cast.q2.pk}/")
    fields = form_fields(page)
    prefix = f"s{cast.hub.pk}-{cast.north.pk}"
    assert f"{prefix}-progress" in fields
    assert f"s{cast.hub.pk}-{cast.south.pk}-progress" not in fields  # missing: closed to them
    assert "only the updates returned to you can still be changed" in text_of(page)
    client.post(
        f"/updates/{cast.q2.pk}/",
        fields
        | {
            f"{prefix}-status": UpdateStatus.ON_TRACK,
            f"{prefix}-progress": "Figures added",
            "intent": f"submit:{prefix}",
        },
    )
    update.refresh_from_db()
    assert (update.state, update.progress) == (UpdateState.SUBMITTED, "Figures added")
    # Once reported, it is locked like the rest.
    update.state = UpdateState.RETURNED
    update.save()
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.REPORTED)
    assert f"{prefix}-progress" not in form_fields(client.get(f"/updates/{cast.q2.pk}/"))


def test_a_closed_period_with_nothing_returned_is_not_on_my_updates(client, cast):
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.CLOSED)
    client.force_login(cast.olive)
    assert "2016/17 Q2" not in text_of(client.get("/updates/"))
