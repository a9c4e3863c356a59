"""``manage.py rq_worker``: an RQ worker for the background jobs when ``TASKS_BACKEND`` is
``django_tasks_rq.RQBackend``, with the watchdog ``db_worker`` has.

It is django-rq's ``rqworker`` (installed with django-tasks-rq) with what our tasks need said
once instead of on every command line: django-tasks-rq's job class (which runs a Django task),
the ``default`` queue unless others are named, and RQ's ``SimpleWorker``, which runs each job in
the worker's own process instead of a fork: the watchdog thread (``csp.jobs.watchdog``) runs
beside it, and a fork of a process with threads may inherit a lock held by one of them. So a
worker killed mid-job takes its job with it, and the other workers' watchdogs give the job up
(at once on the same machine, after ``JOB_STALE_SECONDS`` elsewhere): never stuck "in progress".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django_rq.management.commands import rqworker

from csp import jobs

JOB_CLASS = "django_tasks_rq.backend.Job"
WORKER_CLASS = "rq.worker.SimpleWorker"


class Command(rqworker.Command):
    help = "Runs an RQ worker for the background jobs, giving up jobs whose worker has stopped"

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.TASKS_BACKEND.startswith("django_tasks_rq."):
            raise CommandError(
                "TASKS_BACKEND is not an RQ backend: set TASKS_BACKEND=django_tasks_rq.RQBackend "
                "and REDIS_URL, or run manage.py db_worker for the database queue"
            )
        options["job_class"] = options.get("job_class") or JOB_CLASS
        options["worker_class"] = options.get("worker_class") or WORKER_CLASS
        jobs.watchdog()
        super().handle(*(args or ("default",)), **options)
