"""Background jobs that a dead worker cannot leave stuck: running one, and noticing one whose
worker has gone.

A piece of background work (a long report's PDF today; a large spreadsheet import next) is a
model that subclasses ``csp.models.jobs.BackgroundJob``, whose row the progress page reads. The
web request creates the row, queues a task with the Django tasks API and stores the task's id;
the task, in the worker, calls ``run``.

API
---
Model (``csp.models.jobs``):

``class MyJob(BackgroundJob)``
    adds its own fields (what the work is about, its result). Inherited: ``state``
    (``JobState``: queued, running, done, failed), ``step`` and ``progress`` (how far it has got,
    for the progress page), ``error`` (why it failed, for the person who asked), ``created_at``,
    ``started_at``, ``finished_at``, ``heartbeat_at``, ``worker`` and ``task_id``. May set
    ``doing = "importing it"`` for its messages, and override ``time_limit()`` (a cap on the
    whole run, heartbeat or not) and ``stopped_message(why)``.
``job.note(step, text)``
    from inside the work: record progress (throttled to once a second within a step; it beats
    the heartbeat too). Pass it as the work's progress callback.
``job.finish(**values)`` / ``job.fail(why)``
    conditional: they change a job only while it is unfinished and say whether they did. Work
    that commits its result in a transaction of its own calls ``finish`` inside it and raises
    ``JobGivenUp`` if it returns False, so a job given up can never also have done its work.
``job.give_up_if_stale()``
    called by whoever looks at a job (its progress page, a request about to join it): marks it
    failed, with ``stopped_message``, if its worker has stopped; its django-tasks-db row too.
``job.is_finished``, ``job.waiting_long``
    for the progress page.

Worker (this module):

``run(job, work)``
    the task's body. Gives up stale jobs of every kind first (any live worker notices a dead
    one), claims ``job`` (so it runs once however often its task is delivered), then calls
    ``work(job)`` while a thread beats the heartbeat every ``JOB_HEARTBEAT_SECONDS`` (so a long
    step that reports nothing still shows the worker alive). ``work`` returns the fields to save
    as the job finishes (or ``None``). An exception of a type in ``refusals`` (default
    ``ValueError``: the model's own refusals) fails the job with its message; any other fails it
    with ``failure_message(error)``. ``run`` never raises.
``give_up_stale()``
    every kind of job, once: what ``run`` and the worker's watchdog call.
``watchdog()``
    started by ``manage.py db_worker`` (``csp/management/commands/db_worker.py``) beside
    django-tasks-db's worker loop: gives stale jobs up as the worker starts (so a worker
    restarted after a crash fails what the crashed one left at once) and every heartbeat.

Settings: ``JOB_HEARTBEAT_SECONDS`` (5) and ``JOB_STALE_SECONDS`` (60): a running job with no
beat for that long has lost its worker. A worker on the same machine (and process namespace)
whose process has ended is known dead without waiting that long.

Workers of other backends (RQ) have no watchdog: stale jobs are noticed when a job starts and
when someone looks at one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections

from csp.models.jobs import BackgroundJob, JobGivenUp

logger = logging.getLogger(__name__)
J = TypeVar("J", bound=BackgroundJob)


def job_models() -> list[type[BackgroundJob]]:
    """Every concrete kind of background job."""
    return [m for m in apps.get_models() if issubclass(m, BackgroundJob)]


def give_up_stale() -> int:
    """Give up every job, of every kind, whose worker has stopped; how many were."""
    given_up = 0
    for model in job_models():
        try:
            given_up += model.give_up_stale()
        except DatabaseError:  # the database is away: try again at the next beat
            logger.warning("Could not look for stale %s", model._meta.verbose_name_plural)
    return given_up


def default_failure_message(error: Exception) -> str:
    return f"It could not be done: {f'{type(error).__name__}: {error}'[:300]}"


def run(
    job: J,
    work: Callable[[J], dict[str, Any] | None],
    *,
    refusals: tuple[type[Exception], ...] = (ValueError,),
    failure_message: Callable[[Exception], str] = default_failure_message,
    claim: dict[str, Any] | None = None,
) -> None:
    """Run ``work`` for ``job`` in this worker, with a heartbeat; record how it ended.

    ``claim``: fields to set as the job starts (its first step). See the module's docstring.
    """
    give_up_stale()
    if not job.claim(**(claim or {})):
        logger.warning("%s was not waiting to start; not run again", job._label)
        return
    try:
        with heartbeat(job):
            values = work(job)
    except JobGivenUp:
        logger.warning("%s was given up while it ran; its result was not kept", job._label)
        return
    except refusals as error:
        logger.info("%s refused: %s", job._label, error)
        job.fail(str(error))
        return
    except Exception as error:
        logger.exception("%s failed", job._label)
        job.fail(failure_message(error))
        return
    if not job.is_finished and not job.finish(**(values or {})):
        logger.warning("%s was given up while it ran; its result was not kept", job._label)


@contextmanager
def heartbeat(job: BackgroundJob, every: float | None = None) -> Iterator[None]:
    """Beat ``job``'s heartbeat every ``every`` seconds from a thread while the block runs.

    The work itself may be deep in a library for minutes without a word (WeasyPrint setting out
    a long document); the thread shows the process alive meanwhile. A beat that fails (the
    database busy or away) is logged and tried again at the next.
    """
    interval = settings.JOB_HEARTBEAT_SECONDS if every is None else every
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not job.beat():
                        return  # finished, or given up: nothing more to say
                except DatabaseError:
                    logger.warning("Could not beat the heartbeat of %s", job._label)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"heartbeat {job._label}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def watchdog(every: float | None = None) -> threading.Thread:
    """Start a thread giving stale jobs up now and every ``every`` seconds (the worker's)."""
    interval = settings.JOB_HEARTBEAT_SECONDS if every is None else every

    def watch() -> None:
        while True:
            close_old_connections()
            try:
                given_up = give_up_stale()
            except Exception:  # never let the watchdog die: it is what notices the dead
                logger.exception("Looking for stale background jobs failed")
            else:
                if given_up:
                    logger.warning("Gave up %s job(s) whose worker had stopped", given_up)
            close_old_connections()
            threading.Event().wait(interval)

    thread = threading.Thread(target=watch, name="background job watchdog", daemon=True)
    thread.start()
    return thread
