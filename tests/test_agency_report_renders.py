"""Long agency reports are made in the background, and asking for them is rate-limited (issue 13,
item 2): an organisation leading 1,737 actions took 30 s in the request, and three anonymous
requests slowed the home page to 38 s.

The dummy task backend records tasks; a test plays the worker by calling the task.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from csp import ratelimit, tasks
from csp.access import audience
from csp.models import AgencyReportRender, JobState, PartnershipRole, Role
from csp.models.reports import audience_key
from csp.reports import agency
from csp.tasks import render_agency_report
from csp.views import agency_report
from tests.test_agency_report import pdf_text
from tests.test_issued_reports import FAKE_PDF

REFRESH = "data-csp-refresh="


@pytest.fixture
def queue():
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


@pytest.fixture
def long_reports(settings, queue):
    """Every agency report counts as long: made in the background."""
    settings.REPORT_INLINE_MAX_ACTIONS = 0
    return queue


@pytest.fixture
def stand_in_pdf(monkeypatch):
    """Laying out returns stand-in bytes at once, still reporting a step as it goes."""

    def render(report, progress=None):  # type: ignore[no-untyped-def]
        if progress:
            progress(3, "Laying out pages: page 1")
        return FAKE_PDF

    monkeypatch.setattr(agency, "render_agency_pdf", render)  # in the worker
    monkeypatch.setattr(agency_report, "render_agency_pdf", render)  # in the request


def run_worker(queue) -> None:
    for result in list(queue.results):
        result.task.call(*result.args, **result.kwargs)
    queue.clear()


def ask(client, organisation):  # type: ignore[no-untyped-def]
    return client.get(reverse("agency-report", args=[organisation.slug]))


# -- the background path ----------------------------------------------------------------------


def test_a_long_agency_report_is_made_in_the_background_and_offered(
    alice, cast, long_reports, stand_in_pdf
):
    response = ask(alice, cast.police)

    render = AgencyReportRender.objects.get()
    assert response.status_code == 302 and response["Location"] == render.get_absolute_url()
    assert (render.state, render.organisation, render.requested_by) == (
        JobState.QUEUED,
        cast.police,
        cast.alice,
    )
    assert render.audience == audience_key(f"members:{cast.castle.pk}")
    [queued] = long_reports.results
    assert queued.task == render_agency_report and queued.args == [render.pk]
    page = alice.get(render.get_absolute_url())
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert REFRESH in html and "Making the progress report" in html
    assert "Waiting for the background worker" in html and "Check progress" in html
    pdf_url = reverse("agency-report-render-pdf", args=[cast.police.slug, render.pk])
    assert alice.get(pdf_url).status_code == 404  # not ready

    run_worker(long_reports)

    render.refresh_from_db()
    assert render.state == JobState.DONE and render.pdf_bytes() == FAKE_PDF
    assert render.size == len(FAKE_PDF) and render.heartbeat_at is not None
    html = alice.get(render.get_absolute_url()).content.decode()
    assert REFRESH not in html and "The progress report is ready" in html and pdf_url in html
    download = alice.get(pdf_url)
    assert download.status_code == 200 and download.content == FAKE_PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Disposition"] == (
        'attachment; filename="shire-police-progress-report.pdf"'
    )


def test_the_background_report_is_the_one_the_visitor_would_get_at_once(
    client, public, long_reports
):
    """One real render: what the worker makes for a public visitor leaves out what is
    restricted, exactly as the report made in the request does."""
    response = ask(client, public.police)
    render = AgencyReportRender.objects.get()
    assert response["Location"] == render.get_absolute_url()
    assert render.requested_by is None and render.audience == audience_key("public")

    run_worker(long_reports)

    render.refresh_from_db()
    assert render.state == JobState.DONE, render.error
    text = pdf_text(render.pdf_bytes())
    assert "Progress report: Shire Police" in text
    assert "Evening patrols in the town centre" in text
    assert "Covert operation against handlers" not in text  # restricted


def test_identical_requests_join_the_render_under_way(client, cast, long_reports):
    bob = User.objects.get(username="bob")  # a viewer in Castle: sees what alice sees
    client.force_login(cast.alice)
    first = ask(client, cast.police)
    client.force_login(bob)
    second = ask(client, cast.police)

    assert first["Location"] == second["Location"]
    assert AgencyReportRender.objects.count() == 1 and len(long_reports.results) == 1
    assert client.get(second["Location"]).status_code == 200  # bob may follow it too


def test_visitors_who_see_differently_get_renders_of_their_own(client, public, long_reports):
    client.force_login(public.alice)
    member = ask(client, public.police)["Location"]
    client.logout()
    anonymous = ask(client, public.police)["Location"]

    assert member != anonymous and AgencyReportRender.objects.count() == 2
    # The member's render may hold restricted actions: not for the public, nor for an
    # outsider, nor under another organisation.
    assert client.get(member).status_code == 404
    assert client.get(member.rstrip("/") + "/report.pdf").status_code == 404
    client.force_login(public.charlie)
    assert client.get(member).status_code == 404
    client.force_login(public.alice)
    render = AgencyReportRender.objects.get(requested_by=public.alice)
    other = reverse("agency-report-render", args=[public.council.slug, render.pk])
    assert client.get(other).status_code == 404
    assert client.get(member).status_code == 200


def test_two_renders_for_one_audience_cannot_be_under_way_at_once(cast):
    AgencyReportRender.objects.create(organisation=cast.police, audience="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyReportRender.objects.create(
            organisation=cast.police, audience="x", state=JobState.RUNNING
        )
    # Finished ones do not count.
    AgencyReportRender.objects.create(organisation=cast.police, audience="x", state="done")


def test_a_request_arriving_as_another_starts_one_joins_it(alice, cast, long_reports, monkeypatch):
    """The race: both saw nothing under way; the database lets the first in, the second joins."""
    look = tasks.agency_render_under_way
    other = []

    def nothing_yet_then_another_starts(organisation, key):  # type: ignore[no-untyped-def]
        if not other:  # this request saw nothing; another started one just after
            other.append(AgencyReportRender.objects.create(organisation=cast.police, audience=key))
            return None
        return look(organisation, key)

    monkeypatch.setattr(tasks, "agency_render_under_way", nothing_yet_then_another_starts)
    response = ask(alice, cast.police)

    assert response["Location"] == other[0].get_absolute_url()
    assert AgencyReportRender.objects.count() == 1 and len(long_reports.results) == 0


def test_a_finished_render_is_not_joined_and_old_ones_are_cleared(alice, cast, long_reports):
    key = audience_key(audience(cast.alice))
    done = AgencyReportRender.objects.create(
        organisation=cast.police, audience=key, state=JobState.DONE, finished_at=timezone.now()
    )
    old = AgencyReportRender.objects.create(
        organisation=cast.council,
        audience=key,
        state=JobState.DONE,
        finished_at=timezone.now() - datetime.timedelta(days=2),
    )
    response = ask(alice, cast.police)
    fresh = AgencyReportRender.objects.get(state=JobState.QUEUED)
    assert response["Location"] == fresh.get_absolute_url()
    assert AgencyReportRender.objects.filter(pk=done.pk).exists()
    assert not AgencyReportRender.objects.filter(pk=old.pk).exists()


def test_a_render_whose_worker_died_is_failed_by_its_page_and_not_joined(
    alice, cast, long_reports, settings
):
    settings.JOB_STALE_SECONDS = 60
    key = audience_key(audience(cast.alice))
    dead = AgencyReportRender.objects.create(
        organisation=cast.police,
        audience=key,
        state=JobState.RUNNING,
        started_at=timezone.now() - datetime.timedelta(minutes=5),
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=4),
        worker="elsewhere 1 other:1",
    )
    html = alice.get(dead.get_absolute_url()).content.decode()
    assert "The background worker stopped while making it" in html and REFRESH not in html
    assert "Try again" in html
    assert ask(alice, cast.police)["Location"] != dead.get_absolute_url()


def test_a_render_asked_for_by_someone_whose_roles_changed_is_refused(
    alice, cast, long_reports, stand_in_pdf
):
    ask(alice, cast.police)
    PartnershipRole.objects.create(user=cast.alice, partnership=cast.elsewhere, role=Role.VIEWER)

    run_worker(long_reports)

    render = AgencyReportRender.objects.get()
    assert render.state == JobState.FAILED and render.pdf is None
    assert render.error.startswith("What the person who asked for it may see changed")


def test_a_short_report_is_still_made_in_the_request(alice, cast, queue, stand_in_pdf):
    response = ask(alice, cast.police)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert not AgencyReportRender.objects.exists() and not queue.results


# -- the rate limit ---------------------------------------------------------------------------


@pytest.fixture
def limit(settings, monkeypatch):
    """Three agency reports in five minutes, all asked within one window of the clock (a real
    clock may cross a window's end between two asks, and the count start again)."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "agency-report": (3, 300)}
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 999_920.0))


@pytest.fixture
def clock(monkeypatch):
    """The rate limit's clock, set by the test: 20 s into a five-minute window."""
    now = [999_920.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    return now


def test_a_visitor_asking_too_often_gets_429_saying_when_to_try_again(
    alice, cast, limit, clock, stand_in_pdf
):
    for _ in range(3):
        assert ask(alice, cast.police).status_code == 200
    response = ask(alice, cast.police)

    assert response.status_code == 429
    assert response["Retry-After"] == "280"  # to the end of the five-minute window
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "<title>Too many requests" in html and 'class="govuk-heading-l"' in html
    assert "You have asked for agency progress reports too often in a short time." in html
    assert "Try again in 5 minutes." in html
    assert ask(alice, cast.council).status_code == 429  # per visitor, not per organisation

    clock[0] += 280  # the next window
    assert ask(alice, cast.police).status_code == 200


def test_the_limit_is_per_account_for_signed_in_visitors(client, cast, limit, stand_in_pdf):
    client.force_login(cast.alice)
    for _ in range(3):
        ask(client, cast.police)
    assert ask(client, cast.police).status_code == 429
    client.force_login(cast.bob)  # a colleague behind the same address
    assert ask(client, cast.police).status_code == 200


def test_the_limit_is_per_client_address_for_signed_out_visitors(
    client, public, limit, stand_in_pdf, settings
):
    url = reverse("agency-report", args=[public.police.slug])
    for _ in range(3):
        assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200
    assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert client.get(url, REMOTE_ADDR="198.51.100.2").status_code == 200

    # Behind one proxy, the address is the one it forwards, as django-axes reads it (configured
    # here as issue 13, item 5 asks): so one visitor cannot use up everyone's allowance through
    # the proxy's address.
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(3):
        response = client.get(url, HTTP_X_FORWARDED_FOR="192.0.2.50, 10.0.0.1", **proxy)
        assert response.status_code == 200
    forwarded = {"HTTP_X_FORWARDED_FOR": "192.0.2.50, 10.0.0.1", **proxy}
    assert client.get(url, **forwarded).status_code == 429
    forwarded = {"HTTP_X_FORWARDED_FOR": "192.0.2.99, 10.0.0.1", **proxy}
    assert client.get(url, **forwarded).status_code == 200


def test_following_a_render_is_not_counted(alice, cast, limit, long_reports):
    location = ask(alice, cast.police)["Location"]
    for _ in range(10):
        assert alice.get(location).status_code == 200
    assert ask(alice, cast.police).status_code == 302  # its second ask of three


def test_joining_a_render_counts_too(alice, cast, limit, long_reports):
    for _ in range(3):
        assert ask(alice, cast.police).status_code == 302
    assert ask(alice, cast.police).status_code == 429
    assert AgencyReportRender.objects.count() == 1
