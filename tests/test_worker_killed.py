"""A worker killed in the middle of a render leaves nothing stuck (issue 13, item 10), for real:
``manage.py db_worker`` processes against a database of their own (a SQLite file, or a scratch
PostgreSQL database when the suite runs on PostgreSQL), one killed with SIGKILL half-way through
issuing a long report, then a new one started.

About 30 s: a migrated database, a generated plan of 120 actions, a render of a dozen seconds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]
STALE_SECONDS = 5
Query = Callable[[str], list[tuple[Any, ...]]]

QUEUE_AN_ISSUE = """
from csp.models import Plan, RenderKind, ScrutinyReport
from csp.tasks import request_render
plan = Plan.objects.get(slug="gen-plan-01")
report = ScrutinyReport.objects.create(partnership=plan.partnership, plan=plan)
report.periods.set(plan.periods.exclude(status="open"))
print(request_render(report, RenderKind.ISSUE, None).pk)
"""


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[tuple[str, Query]]:
    """A database the worker processes share with this test: its URL and a way to read it."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        path = tmp_path / "worker.sqlite3"

        def query(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path, timeout=20) as db:
                return db.execute(sql).fetchall()

        yield f"sqlite:///{path}", query
        return

    import psycopg

    base = urlsplit(os.environ["DATABASE_URL"])
    name = f"{base.path.lstrip('/')}_killed_worker"
    url = urlunsplit(base._replace(path=f"/{name}"))
    admin_url = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')

    def query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as db:
            return db.execute(sql).fetchall()

    try:
        yield url, query
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for(what: str, check: Callable[[], bool], seconds: float) -> float:
    """Seconds until ``check()`` holds; fails the test after ``seconds``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.1)
    return time.monotonic() - start


def test_a_render_whose_worker_is_killed_is_failed_by_the_next_worker(scratch_database, tmp_path):
    url, query = scratch_database
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csp.settings",
        "DATABASE_URL": url,
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "JOB_HEARTBEAT_SECONDS": "1",
        "JOB_STALE_SECONDS": str(STALE_SECONDS),
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [*MANAGE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def worker(log: str) -> subprocess.Popen[bytes]:
        with open(tmp_path / log, "wb") as out:
            return subprocess.Popen(
                [*MANAGE, "db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def render() -> tuple[str, int, str, str]:
        [row] = query(
            "SELECT r.state, r.step, r.error, t.status FROM csp_reportrender r "
            "JOIN django_tasks_database_dbtaskresult t ON CAST(t.id AS TEXT) = r.task_id "
            if url.startswith("postgres")
            else "SELECT r.state, r.step, r.error, t.status FROM csp_reportrender r "
            "JOIN django_tasks_database_dbtaskresult t ON t.id = REPLACE(r.task_id, '-', '')"
        )
        return row

    manage("migrate", "-v0")
    manage("generate_county", "--partnerships", "1", "--actions", "120", "--updates", "480")
    manage("shell", "-c", QUEUE_AN_ISSUE)
    periods_before = query("SELECT id, status FROM csp_reportingperiod ORDER BY id")

    first = worker("first.log")
    second = None
    try:
        # Killed while laying out the pages: the render is under way and beating.
        wait_for("the render laying out its pages", lambda: render()[:2] >= ("running", 3), 120)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        state, _, _, task = render()
        assert (state, task) == ("running", "RUNNING")  # what the dead worker left

        second = worker("second.log")
        took = wait_for(
            "the render failed by the new worker",
            lambda: render()[0] != "running" and render()[3] != "RUNNING",
            30,
        )
        print(f"\nfailed {took:.1f} s after the new worker was started")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)

    state, _, error, task = render()
    assert state == "failed" and task == "FAILED"
    assert error.startswith("The background worker stopped while making it (")
    assert "Try again" in error
    assert took < 15  # the new worker's start-up (a few seconds on a busy machine) and one look
    # Nothing was half-issued: the report is still a draft, its periods as they were.
    reports = query("SELECT state, pdf IS NULL FROM csp_scrutinyreport")
    assert [(state, bool(no_pdf)) for state, no_pdf in reports] == [("draft", True)]
    assert query("SELECT id, status FROM csp_reportingperiod ORDER BY id") == periods_before
