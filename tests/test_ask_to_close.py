"""A draft report whose periods are still open (issue 12, item 3): a clerk cannot close them, so
the page names the coordinators and offers to ask them; a coordinator is sent to the review page."""

from __future__ import annotations

import pytest
from django.core import mail

from csp.models import PeriodStatus, ReportState, ScrutinyReport
from tests.html import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(cast):
    cast.alice.first_name, cast.alice.last_name = "Alice", "Archer"
    cast.alice.save()
    report = ScrutinyReport.objects.create(partnership=cast.castle, plan=cast.plan)
    report.periods.set([cast.q1, cast.q2])
    return report


def test_a_clerk_is_told_who_can_close_the_period_not_sent_to_a_page_she_cannot_open(
    client, cast, report
):
    client.force_login(cast.clara)
    page = client.get(f"/reports/{report.pk}/")
    text = text_of(page)
    assert "2016/17 Q2 is still open, and only a coordinator can close it: Alice Archer." in text
    assert f'action="/reports/{report.pk}/ask-to-close/"' in page.content.decode()
    assert f'href="/periods/{cast.q2.pk}/"' not in page.content.decode()
    refused = text_of(client.post(f"/reports/{report.pk}/", follow=True))
    assert "only a coordinator can close it before the report is issued: Alice Archer" in refused
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT


def test_asking_e_mails_the_coordinators_with_a_link_to_close_it(client, cast, report):
    client.force_login(cast.clara)
    response = client.post(f"/reports/{report.pk}/ask-to-close/", follow=True)
    assert "Alice Archer has been asked by e-mail to close 2016/17 Q2." in text_of(response)
    [message] = mail.outbox
    assert message.to == ["alice@example.invalid"]
    assert message.subject == ("Castle CSP: please close 2016/17 Q2 so that a report can be issued")
    assert "clara (clara@example.invalid) would like to issue" in message.body
    assert f"- 2016/17 Q2: http://testserver/periods/{cast.q2.pk}/" in message.body
    # Asking closes nothing itself.
    cast.q2.refresh_from_db()
    assert cast.q2.status == PeriodStatus.OPEN


def test_when_no_coordinator_can_be_e_mailed_the_clerk_is_told(client, cast, report):
    cast.alice.email = ""
    cast.alice.save()
    client.force_login(cast.clara)
    text = text_of(client.post(f"/reports/{report.pk}/ask-to-close/", follow=True))
    assert "No coordinator could be e-mailed" in text
    assert mail.outbox == []


def test_with_every_period_closed_there_is_nothing_to_ask(client, cast, report):
    cast.q2.status = PeriodStatus.CLOSED
    cast.q2.save()
    client.force_login(cast.clara)
    assert "ask-to-close" not in client.get(f"/reports/{report.pk}/").content.decode()
    text = text_of(client.post(f"/reports/{report.pk}/ask-to-close/", follow=True))
    assert "Every period this report covers is closed already." in text
    assert mail.outbox == []


def test_a_coordinator_is_sent_to_the_review_page(client, cast, report):
    client.force_login(cast.alice)
    page = client.get(f"/reports/{report.pk}/")
    assert f'href="/periods/{cast.q2.pk}/"' in page.content.decode()
    assert "Close it on its review page before issuing" in text_of(page)
    assert "ask-to-close" not in page.content.decode()


@pytest.mark.parametrize("who", ["bob", "olive"])
def test_only_report_makers_may_ask(client, cast, report, who):
    client.force_login(getattr(cast, who))
    assert client.post(f"/reports/{report.pk}/ask-to-close/").status_code == 403
    assert mail.outbox == []


def test_another_partnership_cannot_ask(client, cast, report):
    client.force_login(cast.charlie)
    assert client.post(f"/reports/{report.pk}/ask-to-close/").status_code == 404


def test_asking_is_post_only(client, cast, report):
    client.force_login(cast.clara)
    assert client.get(f"/reports/{report.pk}/ask-to-close/").status_code == 405
