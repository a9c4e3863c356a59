"""A worker that dies leaves nothing stuck (issue 13, item 10): background jobs beat a heartbeat,
and a job whose worker stopped is given up, with its task row, by whoever sees it next.

These play the worker in the test process; tests/test_worker_killed.py kills a real one.
"""

from __future__ import annotations

import datetime
import subprocess
import threading
import time
import uuid

import pytest
from django.core.management import get_commands
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from csp import jobs
from csp.models import (
    PeriodStatus,
    RenderKind,
    RenderState,
    ReportingPeriod,
    ReportRender,
    ReportState,
    ScrutinyReport,
)
from csp.models.jobs import this_worker
from csp.reports import issuing
from csp.tasks import render_report
from tests.test_issued_reports import FAKE_PDF, draft
from tests.test_report_renders import REFRESH, page


@pytest.fixture
def long_reports(settings):
    """Every report is made in the background; the dummy backend's queue, emptied."""
    settings.REPORT_INLINE_MAX_ACTIONS = 0
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


ELSEWHERE = "another-host 4242 some-other-machine:1"  # a worker this process cannot see


def task_row(status: str = "RUNNING", started: datetime.datetime | None = None) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="csp.tasks.render_report",
        backend_name="default",
        started_at=started or timezone.now(),
    )


def running(cast, *, beat_ago: float, worker: str = ELSEWHERE, **fields) -> ReportRender:
    """A render under way in some worker, whose last heartbeat was ``beat_ago`` seconds ago."""
    now = timezone.now()
    fields.setdefault("kind", RenderKind.ISSUE)
    fields.setdefault("started_at", now - datetime.timedelta(seconds=beat_ago + 30))
    return ReportRender.objects.create(
        report=draft(cast),
        state=RenderState.RUNNING,
        step=3,
        progress="Laying out pages: page 40",
        heartbeat_at=now - datetime.timedelta(seconds=beat_ago),
        worker=worker,
        **fields,
    )


def ended_process() -> int:
    """The id of a process of this machine that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# -- noticing a dead worker -------------------------------------------------------------------


def test_a_render_with_no_heartbeat_for_too_long_is_failed_when_its_page_is_seen(
    alice, cast, settings
):
    settings.JOB_STALE_SECONDS = 60
    task = task_row()
    render = running(cast, beat_ago=61, task_id=str(task.pk))

    html = page(alice, render)

    render.refresh_from_db()
    assert render.state == RenderState.FAILED and render.finished_at is not None
    assert render.error == (
        "The background worker stopped while making it (it gave no sign of life for over 60 "
        "seconds). Try again; if it stops again, ask your system administrator to check the "
        "worker's memory and logs."
    )
    assert REFRESH not in html and "The background worker stopped while making it" in html
    assert "Try issuing it again" in html
    task.refresh_from_db()
    assert task.status == "FAILED" and task.finished_at is not None
    assert task.exception_class_path == "csp.models.jobs.JobGivenUp"
    assert ScrutinyReport.objects.get(pk=render.report_id).state == ReportState.DRAFT


def test_a_render_whose_worker_still_beats_is_left_alone_and_joined(
    alice, cast, settings, long_reports
):
    settings.JOB_STALE_SECONDS = 60
    task = task_row()
    render = running(cast, beat_ago=50, task_id=str(task.pk))

    assert REFRESH in page(alice, render)
    joined = alice.post(reverse("report-detail", args=[render.report_id]))

    assert joined["Location"] == render.get_absolute_url()
    render.refresh_from_db()
    task.refresh_from_db()
    assert render.state == RenderState.RUNNING and task.status == "RUNNING"


def test_a_new_request_does_not_join_a_render_whose_worker_died(alice, cast, long_reports):
    render = running(cast, beat_ago=3600)
    again = alice.post(reverse("report-detail", args=[render.report_id]))
    render.refresh_from_db()
    assert render.state == RenderState.FAILED
    fresh = ReportRender.objects.exclude(pk=render.pk).get()
    assert again["Location"] == fresh.get_absolute_url() and fresh.state == RenderState.QUEUED
    assert len(long_reports.results) == 1


def test_a_worker_on_this_machine_whose_process_ended_is_known_dead_at_once(cast):
    host, _, space = this_worker().split(" ")
    assert space, "this machine says which process space it is"
    render = running(cast, beat_ago=0, worker=f"{host} {ended_process()} {space}")

    assert render.give_up_if_stale()

    render.refresh_from_db()
    assert render.state == RenderState.FAILED
    assert "(its process has ended)" in render.error


def test_a_live_process_or_one_elsewhere_is_not_taken_for_dead(cast):
    alive = running(cast, beat_ago=0, worker=this_worker())
    elsewhere = running(cast, beat_ago=0, worker=ELSEWHERE)
    host, _, _ = this_worker().split(" ")
    other_space = running(cast, beat_ago=0, worker=f"{host} {ended_process()} another:space")
    for render in (alive, elsewhere, other_space):
        assert not render.give_up_if_stale()
        render.refresh_from_db()
        assert render.state == RenderState.RUNNING


def test_a_render_that_beat_again_meanwhile_is_not_given_up(cast, settings):
    settings.JOB_STALE_SECONDS = 60
    render = running(cast, beat_ago=120)
    ReportRender.objects.filter(pk=render.pk).update(heartbeat_at=timezone.now())  # it beat

    assert not render.give_up_if_stale()  # read as stale, but the database knows better

    render.refresh_from_db()
    assert render.state == RenderState.RUNNING


def test_a_render_from_before_heartbeats_is_judged_by_the_time_limit_only(cast, settings):
    settings.REPORT_RENDER_TIMEOUT_MINUTES = 30
    young = running(cast, beat_ago=600)
    ReportRender.objects.filter(pk=young.pk).update(heartbeat_at=None)
    young.refresh_from_db()
    assert not young.give_up_if_stale()
    old = running(cast, beat_ago=0, started_at=timezone.now() - datetime.timedelta(minutes=31))
    assert old.give_up_if_stale()
    assert "(it ran for more than 30 minutes)" in old.error


def test_one_sweep_gives_up_every_stale_job_and_mends_the_task_rows(cast, settings):
    settings.JOB_STALE_SECONDS = 60
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    dead = running(cast, beat_ago=300, task_id=str(task_row().pk))
    alive = running(cast, beat_ago=1)
    # A worker took the task, then died before it could start the render.
    taken = task_row(started=long_ago)
    never_started = ReportRender.objects.create(
        report=draft(cast), kind=RenderKind.DRAFT, task_id=str(taken.pk)
    )
    just_taken = ReportRender.objects.create(
        report=draft(cast), kind=RenderKind.DRAFT, task_id=str(task_row().pk)
    )
    # A worker finished the render, then died before it could say so to the queue.
    finished_task = task_row(started=long_ago)
    ReportRender.objects.create(
        report=draft(cast),
        kind=RenderKind.DRAFT,
        state=RenderState.DONE,
        finished_at=long_ago,
        task_id=str(finished_task.pk),
    )
    rq_job = running(cast, beat_ago=300, task_id="an-rq-job-id")  # not the database queue's

    assert jobs.give_up_stale() == 3

    states = dict(ReportRender.objects.values_list("pk", "state"))
    assert states[dead.pk] == states[never_started.pk] == states[rq_job.pk] == RenderState.FAILED
    assert states[alive.pk] == RenderState.RUNNING
    assert states[just_taken.pk] == RenderState.QUEUED
    assert ReportRender.objects.get(pk=never_started.pk).error.startswith(
        "The background worker stopped while making it (it stopped before it began)"
    )
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[uuid.UUID(dead.task_id)] == "FAILED"
    assert statuses[taken.pk] == "FAILED"
    assert statuses[finished_task.pk] == "SUCCESSFUL"
    assert statuses[uuid.UUID(just_taken.task_id)] == "RUNNING"
    assert jobs.give_up_stale() == 0  # nothing twice


def test_the_worker_command_is_ours_with_its_watchdog():
    assert get_commands()["db_worker"] == "csp"


# -- the worker's side ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_beats_while_a_long_step_says_nothing(cast, settings):
    settings.JOB_HEARTBEAT_SECONDS = 0.2
    render = ReportRender.objects.create(report=draft(cast), kind=RenderKind.DRAFT)
    beats = []

    def silent_work(job: ReportRender) -> dict[str, object]:
        claimed = ReportRender.objects.get(pk=job.pk).heartbeat_at
        for _ in range(10):
            time.sleep(0.15)
            beats.append(ReportRender.objects.get(pk=job.pk).heartbeat_at)
        assert max(beats) > claimed  # the thread beat while the work said nothing
        return {"pdf": FAKE_PDF, "size": len(FAKE_PDF)}

    jobs.run(render, silent_work)

    render.refresh_from_db()
    assert render.state == RenderState.DONE and render.pdf_bytes() == FAKE_PDF
    assert len(set(beats)) >= 3
    assert render.worker == this_worker()
    assert not [t for t in threading.enumerate() if t.name.startswith("heartbeat")]


def test_an_issue_given_up_while_it_rendered_issues_nothing(cast, monkeypatch):
    report = draft(cast)
    render = ReportRender.objects.create(report=report, kind=RenderKind.ISSUE)

    def render_while_given_up(report, **kwargs):  # type: ignore[no-untyped-def]
        # The worker is slow (swapped out, say): someone took it for dead meanwhile.
        ReportRender.objects.filter(pk=render.pk).update(state=RenderState.FAILED, error="given up")
        return FAKE_PDF

    monkeypatch.setattr(issuing, "report_pdf", render_while_given_up)
    render_report.call(render.pk)

    render.refresh_from_db()
    report.refresh_from_db()
    assert render.state == RenderState.FAILED and render.error == "given up"
    assert report.state == ReportState.DRAFT and report.pdf is None
    assert ReportingPeriod.objects.get(pk=cast.q1.pk).status == PeriodStatus.CLOSED


def test_an_issue_and_its_render_are_done_together(cast, monkeypatch):
    report = draft(cast)
    render = ReportRender.objects.create(report=report, kind=RenderKind.ISSUE)
    monkeypatch.setattr(issuing, "report_pdf", lambda report, **kwargs: FAKE_PDF)
    render_report.call(render.pk)
    render.refresh_from_db()
    report.refresh_from_db()
    assert render.state == RenderState.DONE and render.heartbeat_at is not None
    assert report.state == ReportState.ISSUED


def test_a_worker_starting_a_job_gives_up_the_dead_ones_first(cast, monkeypatch, settings):
    settings.JOB_STALE_SECONDS = 60
    dead = running(cast, beat_ago=600)
    render = ReportRender.objects.create(report=draft(cast), kind=RenderKind.DRAFT)
    monkeypatch.setattr(issuing, "report_pdf", lambda report, **kwargs: FAKE_PDF)
    render_report.call(render.pk)
    dead.refresh_from_db()
    assert dead.state == RenderState.FAILED


def test_a_job_waiting_for_a_task_its_queue_lost_is_given_up(cast, settings):
    """Redis restarted without persistence loses what waited in it: the job must not wait for
    ever (the progress page would say 'waiting to start' for good)."""
    from csp.models import ImportJob
    from csp.models.jobs import JobState

    # A backend that answers for its tasks (RQ does too); the tests' own keeps no results.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    old = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    lost = ImportJob.objects.create(
        partnership=cast.castle, token="lost", options={}, task_id=str(uuid.uuid4())
    )
    fresh = ImportJob.objects.create(
        partnership=cast.castle, token="fresh", options={}, task_id=str(uuid.uuid4())
    )
    ImportJob.objects.filter(pk=lost.pk).update(created_at=old)
    ImportJob.give_up_stale()
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.state == JobState.FAILED
    assert "its task was lost from the queue" in lost.error and "Try again" in lost.error
    # Just queued: its worker may simply not have got to it yet.
    assert fresh.state == JobState.QUEUED


def test_a_queue_that_cannot_be_asked_has_not_lost_the_task(cast, settings, monkeypatch):
    from django_tasks_db.backend import DatabaseBackend

    from csp.models import ImportJob
    from csp.models.jobs import JobState

    def away(task_id):  # type: ignore[no-untyped-def]
        raise ConnectionError("Redis away")

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(DatabaseBackend, "get_result", away)
    job = ImportJob.objects.create(
        partnership=cast.castle, token="t", options={}, task_id=str(uuid.uuid4())
    )
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    ImportJob.give_up_stale()
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


def test_a_job_waiting_for_a_task_that_ended_without_it_is_given_up(cast, settings):
    """RQ fails the task of a worker that died between taking it and starting the job: the job,
    never claimed, would wait for ever."""
    from django_tasks.base import TaskResultStatus

    from csp.models import ImportJob
    from csp.models.jobs import JobState
    from csp.tasks import import_spreadsheet

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = ImportJob.objects.create(partnership=cast.castle, token="t", options={})
    task = import_spreadsheet.enqueue(job.pk)
    DBTaskResult.objects.filter(pk=task.id).update(status=TaskResultStatus.FAILED)
    ImportJob.objects.filter(pk=job.pk).update(
        task_id=str(task.id), created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    ImportJob.give_up_stale()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "its task ended before the job began" in job.error
