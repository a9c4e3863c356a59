"""Long scrutiny reports are made in the background (issue 6, item 6): queued by the request, run
by the worker, with a progress page that offers the file when it is ready.

The tests use the dummy task backend (tests/settings.py): a task is recorded, not run, and a
test plays the worker by calling ``render_report.call``. Rendering takes a second or two, so
only two tests render for real; the rest use stand-in bytes.
"""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from csp.models import (
    PartnershipRole,
    PeriodStatus,
    Plan,
    RenderKind,
    RenderState,
    ReportingPeriod,
    ReportRender,
    ReportState,
    Role,
    ScrutinyReport,
)
from csp.reports import issuing
from csp.tasks import render_report
from tests.test_issued_reports import FAKE_PDF, draft, member

# While a render runs its page asks to be checked again (static/js/render-progress.mjs); never
# by a meta refresh, which axe-core rightly fails (WCAG 2.2.1).
REFRESH = "data-csp-refresh="


@pytest.fixture
def queue():
    """The dummy backend's record of queued tasks, empty at the start of each test."""
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


@pytest.fixture
def long_reports(settings, queue):
    """Every report counts as long: made in the background."""
    settings.REPORT_INLINE_MAX_ACTIONS = 0
    return queue


@pytest.fixture
def stand_in_render(monkeypatch):
    """Rendering returns stand-in bytes at once, still reporting its steps as it goes."""

    def render(self, *, html=None, progress=None, **version):  # type: ignore[no-untyped-def]
        if progress:
            progress(3, "Laying out pages: page 1")
        return FAKE_PDF

    monkeypatch.setattr(issuing, "report_pdf", render)


def run_worker(queue) -> None:
    """What ``manage.py db_worker`` does: run each queued task."""
    for result in list(queue.results):
        result.task.call(*result.args, **result.kwargs)
    queue.clear()


def page(client, render: ReportRender) -> str:
    response = client.get(render.get_absolute_url())
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


# -- issuing ----------------------------------------------------------------------------------


def test_a_long_report_is_issued_in_the_background(alice, cast, long_reports):
    report = draft(cast)
    response = alice.post(reverse("report-detail", args=[report.pk]))

    render = ReportRender.objects.get()
    assert response["Location"] == render.get_absolute_url()
    assert (render.kind, render.state, render.requested_by) == (
        RenderKind.ISSUE,
        RenderState.QUEUED,
        cast.alice,
    )
    [queued] = long_reports.results
    assert queued.task == render_report and queued.args == [render.pk]
    assert render.task_id == queued.id
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT  # nothing issued by the request itself
    html = page(alice, render)
    assert REFRESH in html and "Waiting for the background worker" in html
    assert "Not started" in html

    run_worker(long_reports)  # the one render in this test

    render.refresh_from_db()
    report.refresh_from_db()
    assert render.state == RenderState.DONE and render.finished_at is not None
    assert render.pdf is None  # the issued report keeps its own
    assert report.state == ReportState.ISSUED and report.issued_by == cast.alice
    data = report.pdf_bytes()
    assert data.startswith(b"%PDF") and report.sha256 == hashlib.sha256(data).hexdigest()
    assert ReportingPeriod.objects.get(pk=cast.q1.pk).status == PeriodStatus.REPORTED
    html = page(alice, render)
    assert REFRESH not in html and "Report issued" in html
    assert reverse("report-pdf", args=[report.pk]) in html
    assert alice.get(reverse("report-pdf", args=[report.pk])).content == data


def test_issuing_twice_joins_the_render_under_way(alice, cast, long_reports):
    report = draft(cast)
    first = alice.post(reverse("report-detail", args=[report.pk]))
    second = alice.post(reverse("report-detail", args=[report.pk]))
    assert first["Location"] == second["Location"]
    assert ReportRender.objects.count() == 1 and len(long_reports.results) == 1
    detail = alice.get(reverse("report-detail", args=[report.pk])).content.decode()
    assert "This report is being issued" in detail
    assert "Issue this report</button>" not in detail


def test_a_failed_render_says_why_and_issues_nothing(alice, cast, long_reports, monkeypatch):
    report = draft(cast)
    alice.post(reverse("report-detail", args=[report.pk]))

    def broken(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("renderer fell over")

    monkeypatch.setattr(issuing, "report_pdf", broken)
    run_worker(long_reports)

    render = ReportRender.objects.get()
    assert render.state == RenderState.FAILED
    assert render.error == "The report could not be made: RuntimeError: renderer fell over"
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT and report.pdf is None
    assert ReportingPeriod.objects.get(pk=cast.q1.pk).status == PeriodStatus.CLOSED
    html = page(alice, render)
    assert REFRESH not in html
    assert "There is a problem" in html and "renderer fell over" in html
    assert "the report is still a draft and no periods have been locked" in html
    assert "Try issuing it again" in html


def test_the_plan_changing_during_the_render_issues_nothing(alice, cast, long_reports):
    report = draft(cast)
    alice.post(reverse("report-detail", args=[report.pk]))
    real_render = issuing.report_pdf

    def render_while_someone_edits(self, **kwargs):  # type: ignore[no-untyped-def]
        Plan.objects.filter(pk=cast.plan.pk).update(title="Castle Plan, renamed meanwhile")
        return FAKE_PDF

    issuing.report_pdf = render_while_someone_edits
    try:
        run_worker(long_reports)
    finally:
        issuing.report_pdf = real_render

    render = ReportRender.objects.get()
    assert render.state == RenderState.FAILED
    assert "The plan changed while the report was being made" in render.error
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    assert ReportingPeriod.objects.get(pk=cast.q1.pk).status == PeriodStatus.CLOSED


def test_a_period_reported_by_another_report_meanwhile_issues_nothing(
    alice, cast, long_reports, monkeypatch
):
    report = draft(cast)
    alice.post(reverse("report-detail", args=[report.pk]))

    def render_while_another_is_issued(self, **kwargs):  # type: ignore[no-untyped-def]
        ReportingPeriod.objects.filter(pk=cast.q1.pk).update(status=PeriodStatus.REPORTED)
        return FAKE_PDF

    monkeypatch.setattr(issuing, "report_pdf", render_while_another_is_issued)
    run_worker(long_reports)

    render = ReportRender.objects.get()
    assert render.state == RenderState.FAILED
    assert render.error == (
        f"{cast.q1.label} was reported by another report while this one was being made, "
        "so this one was not issued."
    )
    assert ScrutinyReport.objects.get(pk=report.pk).state == ReportState.DRAFT


def test_a_render_that_has_run_is_not_run_again(cast, stand_in_render):
    report = draft(cast)
    render = ReportRender.objects.create(report=report, kind=RenderKind.ISSUE)
    render_report.call(render.pk)
    render_report.call(render.pk)  # a task backend that retries, say
    render.refresh_from_db()
    assert render.state == RenderState.DONE
    assert ScrutinyReport.objects.get(pk=report.pk).state == ReportState.ISSUED


# -- draft PDFs -------------------------------------------------------------------------------


def test_a_long_drafts_pdf_is_made_in_the_background_and_offered(
    alice, cast, long_reports, monkeypatch
):
    report = draft(cast)
    detail = alice.get(reverse("report-detail", args=[report.pk])).content.decode()
    assert "Make a draft PDF" in detail
    assert reverse("report-pdf", args=[report.pk]) not in detail
    # The inline preview is not made for a long report: back to the report's page.
    response = alice.get(reverse("report-pdf", args=[report.pk]))
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()

    response = alice.post(reverse("report-render-new", args=[report.pk]))
    render = ReportRender.objects.get()
    assert response["Location"] == render.get_absolute_url()
    assert render.kind == RenderKind.DRAFT
    pdf_url = reverse("report-render-pdf", args=[report.pk, render.pk])
    assert alice.get(pdf_url).status_code == 404  # not ready yet

    steps = []
    note = ReportRender._note
    monkeypatch.setattr(
        ReportRender, "_note", lambda self, step, text: steps.append(step) or note(self, step, text)
    )
    run_worker(long_reports)  # the one render in this test

    assert steps[0] == 1 and {2, 3, 4} <= set(steps)  # WeasyPrint's own steps were heard
    render.refresh_from_db()
    assert render.state == RenderState.DONE and render.size == len(render.pdf_bytes())
    html = page(alice, render)
    assert REFRESH not in html and "Your draft PDF is ready" in html and pdf_url in html
    response = alice.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == render.pdf_bytes() and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == (
        'attachment; filename="scrutiny-report-castle-2016-17-2016-17-q1-draft.pdf"'
    )
    assert ScrutinyReport.objects.get(pk=report.pk).state == ReportState.DRAFT


def test_the_progress_page_shows_the_step_under_way(alice, cast, long_reports):
    render = ReportRender.objects.create(
        report=draft(cast),
        kind=RenderKind.DRAFT,
        state=RenderState.RUNNING,
        step=3,
        progress="Laying out pages: page 212",
        started_at=timezone.now(),
    )
    html = page(alice, render)
    assert REFRESH in html and "Laying out pages: page 212" in html
    assert html.count(">Done<") == 2 and "In progress" in html and html.count("Not started") == 1


def test_a_render_waiting_long_suggests_checking_the_worker(alice, cast, long_reports):
    render = ReportRender.objects.create(
        report=draft(cast),
        kind=RenderKind.DRAFT,
        created_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    html = page(alice, render)
    assert REFRESH in html and "check that the worker is running" in html


def test_a_render_whose_worker_died_is_failed_and_a_new_request_starts_afresh(
    alice, cast, long_reports
):
    report = draft(cast)
    dead = ReportRender.objects.create(
        report=report,
        kind=RenderKind.ISSUE,
        state=RenderState.RUNNING,
        step=4,
        started_at=timezone.now() - datetime.timedelta(minutes=31),
    )
    html = page(alice, dead)
    assert "The background worker stopped while making it" in html and REFRESH not in html
    dead.refresh_from_db()
    assert dead.state == RenderState.FAILED
    again = alice.post(reverse("report-detail", args=[report.pk]))
    assert again["Location"] != reverse("report-render", args=[report.pk, dead.pk])
    assert ReportRender.objects.filter(report=report, state=RenderState.QUEUED).count() == 1


def test_a_long_render_still_under_way_is_joined(alice, cast, long_reports):
    report = draft(cast)
    busy = ReportRender.objects.create(
        report=report,
        kind=RenderKind.ISSUE,
        state=RenderState.RUNNING,
        started_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    joined = alice.post(reverse("report-detail", args=[report.pk]))
    assert joined["Location"] == reverse("report-render", args=[report.pk, busy.pk])


# -- small reports, while the browser waits ---------------------------------------------------


def test_a_small_report_is_still_made_while_the_browser_waits(alice, cast, queue, stand_in_render):
    report = draft(cast)
    assert report.action_count <= 150
    response = alice.get(reverse("report-pdf", args=[report.pk]))
    assert response.status_code == 200 and response.content == FAKE_PDF
    response = alice.post(reverse("report-detail", args=[report.pk]))
    assert response["Location"] == report.get_absolute_url()
    report.refresh_from_db()
    assert report.state == ReportState.ISSUED and report.pdf_bytes() == FAKE_PDF
    assert not ReportRender.objects.exists() and not queue.results


def test_with_the_immediate_backend_the_render_is_done_by_the_request(
    alice, cast, settings, stand_in_render
):
    settings.REPORT_INLINE_MAX_ACTIONS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    report = draft(cast)
    response = alice.post(reverse("report-render-new", args=[report.pk]))
    render = ReportRender.objects.get()
    assert render.state == RenderState.DONE
    assert REFRESH not in page(alice, render)
    assert response["Location"] == render.get_absolute_url()


# -- who may see them -------------------------------------------------------------------------


def test_coordinators_and_clerks_follow_renders_others_may_not(client, cast, long_reports):
    report = draft(cast)
    render = ReportRender.objects.create(report=report, kind=RenderKind.DRAFT)
    url = render.get_absolute_url()
    new = reverse("report-render-new", args=[report.pk])

    for user in (cast.alice, cast.clara):
        client.force_login(user)
        assert client.get(url).status_code == 200
    for role in (Role.VIEWER, Role.OFFICER):
        client.force_login(member(cast, f"someone-{role}", role))
        assert client.get(url).status_code == 403
        assert client.post(new).status_code == 403
    client.force_login(cast.charlie)  # Elsewhere only
    assert client.get(url).status_code == 404
    assert client.post(new).status_code == 404
    PartnershipRole.objects.filter(user=cast.charlie).update(role=Role.CLERK)
    assert client.get(url).status_code == 404  # a clerk elsewhere
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(new).status_code == 302
    assert ReportRender.objects.count() == 1 and not long_reports.results
    # A render of another report is not found under this one.
    other = ReportRender.objects.create(report=draft(cast), kind=RenderKind.DRAFT)
    client.force_login(cast.alice)
    assert client.get(reverse("report-render", args=[report.pk, other.pk])).status_code == 404


def test_only_post_makes_a_draft_pdf(alice, cast, long_reports):
    report = draft(cast)
    assert alice.get(reverse("report-render-new", args=[report.pk])).status_code == 405
    assert not ReportRender.objects.exists()


def test_the_progress_page_never_reloads_itself_on_a_timer(alice, cast, long_reports):
    render = ReportRender.objects.create(
        report=draft(cast), kind=RenderKind.DRAFT, state=RenderState.RUNNING
    )
    html = page(alice, render)
    assert 'http-equiv="refresh"' not in html
    assert "Check progress" in html  # without JavaScript, a person asks
    assert 'src="/static/js/init.mjs"' in html
