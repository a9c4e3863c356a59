"""``manage.py rq_worker``: django-rq's worker set up for our tasks, with the job watchdog."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_rq.management.commands import rqworker

from csp import jobs
from csp.management.commands import rq_worker


def test_it_refuses_to_start_unless_the_tasks_go_to_rq(settings):
    settings.TASKS_BACKEND = "django_tasks_db.DatabaseBackend"
    with pytest.raises(CommandError, match="TASKS_BACKEND is not an RQ backend"):
        call_command("rq_worker")


def test_it_runs_django_tasks_in_its_own_process_with_the_watchdog(settings, monkeypatch):
    settings.TASKS_BACKEND = "django_tasks_rq.RQBackend"
    started: list[str] = []
    ran: dict[str, Any] = {}
    monkeypatch.setattr(jobs, "watchdog", lambda: started.append("watchdog"))

    def handle(self, *queues: str, **options: Any) -> None:  # type: ignore[no-untyped-def]
        ran.update(options, queues=queues)

    monkeypatch.setattr(rqworker.Command, "handle", handle)
    call_command("rq_worker", "--name", "w1")
    assert started == ["watchdog"]
    assert ran["queues"] == ("default",)
    # django-tasks-rq's job class runs a Django task; without it RQ would refuse the job.
    assert ran["job_class"] == rq_worker.JOB_CLASS == "django_tasks_rq.backend.Job"
    # No fork per job: the watchdog thread would be in a process forked from a threaded one.
    assert ran["worker_class"] == "rq.worker.SimpleWorker"
    assert ran["name"] == "w1"
