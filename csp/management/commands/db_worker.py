"""``manage.py db_worker``: django-tasks-db's worker, with a watchdog for background jobs.

The watchdog (``csp.jobs.watchdog``) gives up, as the worker starts and then every heartbeat,
the jobs whose worker has stopped: so a worker restarted after a crash fails what the crashed
one left at once, and a job whose worker died elsewhere is failed within ``JOB_STALE_SECONDS``.
Everything else (options, signals, the loop) is django-tasks-db's own.
"""

from __future__ import annotations

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from csp import jobs


class Command(db_worker.Command):
    help = db_worker.Command.help + ", giving up background jobs whose worker has stopped"

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload, the process started first only watches the code; its child works.
        watcher = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not watcher:
            jobs.watchdog()
        super().handle(*args, **options)
