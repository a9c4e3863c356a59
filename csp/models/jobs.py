"""What every piece of background work records about itself, so a worker that dies leaves nothing
"in progress": ``BackgroundJob``, an abstract model. ``csp.jobs`` runs one and explains the API.

A job is waiting (``queued``), under way (``running``), ``done`` or ``failed``. While it runs,
the worker writes ``heartbeat_at`` every ``JOB_HEARTBEAT_SECONDS``; a job under way whose last
beat is older than ``JOB_STALE_SECONDS`` has lost its worker (killed, out of memory, the machine
restarted) and is given up: marked failed with a reason the person who asked can act on, and its
row in the database task queue (django-tasks-db's ``DBTaskResult``) failed with it, so nothing
stays "running" for ever. A worker on this machine whose process is gone is known dead at once,
without waiting for the heartbeat to age.

Every change of state is one conditional ``UPDATE`` (``claim``: queued → running, ``finish``
and ``give_up``: running → done or failed), so a worker and whoever gives its job up cannot both
win: a job given up stays given up, and the worker, coming back, finds it no longer running.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import DatabaseError, models
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)
T = TypeVar("T")


class JobState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "In progress"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


class JobGivenUp(Exception):
    """The job was given up (its worker was taken for dead) while this worker was still on it."""


def _process_space() -> str:
    """Which machine and process namespace this process lives in, as far as Linux says.

    Two workers with the same space can tell whether each other's process is alive from its
    process id; anywhere else (another machine, another container) they cannot. Empty when
    unknown (not Linux), and then only the heartbeat decides.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{boot}:{namespace}"


def this_worker() -> str:
    """This process, as a job records who runs it: ``host pid space``."""
    return f"{socket.gethostname()[:100]} {os.getpid()} {_process_space()}"


def process_is_gone(worker: str) -> bool:
    """Whether the process ``worker`` names (``this_worker`` of another process) has surely ended.

    Only a process in this one's own space can be known to have ended; a process id in use
    again by another process counts as alive (then the heartbeat decides).
    """
    try:
        _, pid_text, space = worker.split(" ")
        pid = int(pid_text)
    except ValueError:
        return False
    if not space or space != _process_space():
        return False
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    # "pid (name) S ...": a zombie (Z) or dead (X) process has stopped, though not yet reaped.
    return status.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


class BackgroundJob(models.Model):
    """A piece of work for the background worker, which notes here how it is going.

    Subclasses add what the work is about and its result (``ReportRender``: the report, the
    PDF), and may override ``stopped_message`` and ``time_limit``.
    """

    state = models.CharField(max_length=10, choices=JobState, default=JobState.QUEUED)
    step = models.PositiveSmallIntegerField(
        default=0, help_text="How far it has got, for the progress page; 0 not started."
    )
    progress = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True, help_text="Why it failed, for the person who asked.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker last said it was still at it."
    )
    worker = models.CharField(
        max_length=200, blank=True, help_text="The worker process running it: host, process id."
    )
    task_id = models.CharField(
        max_length=64, blank=True, help_text="The task backend's id for the queued task."
    )

    objects = models.Manager()

    # What it is called in the messages a person reads: "while making it".
    doing: ClassVar[str] = "doing it"
    _noted_at: float = 0.0  # when progress was last written (time.monotonic)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.state not in UNFINISHED

    @property
    def waiting_long(self) -> bool:
        """Still queued after two minutes: most likely no worker is running."""
        return (
            self.state == JobState.QUEUED
            and timezone.now() - self.created_at > datetime.timedelta(minutes=2)
        )

    def steps_of(self, labels: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        """Each of ``labels`` (step 1, 2 …) with ``done``, ``current`` or ``waiting``."""
        shown = []
        for number, label in enumerate(labels, start=1):
            if self.state == JobState.DONE or number < self.step:
                shown.append((label, "done"))
            elif number == self.step and self.state == JobState.RUNNING:
                shown.append((label, "current"))
            else:
                shown.append((label, "waiting"))
        return shown

    # -- the worker's side ---------------------------------------------------------------------

    def claim(self, **values: Any) -> bool:
        """Mark the job as started by this process, if it is still waiting: whether it was.

        So it runs once however many times its task is delivered. ``values``: other fields to
        set as it starts (its first step, say).
        """
        now = timezone.now()
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, state=JobState.QUEUED)
            .update(
                state=JobState.RUNNING,
                started_at=now,
                heartbeat_at=now,
                worker=this_worker(),
                **values,
            )
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

    def beat(self) -> bool:
        """Say the job is still under way; whether it still is (it may have been given up)."""
        return bool(
            type(self)
            .objects.filter(pk=self.pk, state=JobState.RUNNING)
            .update(heartbeat_at=timezone.now())
        )

    def note(self, step: int, text: str) -> None:
        """Record progress (and a heartbeat); at most once a second within a step.

        Cheap enough to call for every page WeasyPrint lays out. Progress is a courtesy: a
        database error here is logged, never raised into the work.
        """
        clock = time.monotonic()
        if step == self.step and clock - self._noted_at < 1:
            return
        self.step, self.progress, self._noted_at = step, text[:200], clock
        try:
            type(self).objects.filter(pk=self.pk, state=JobState.RUNNING).update(
                step=step, progress=self.progress, heartbeat_at=timezone.now()
            )
        except DatabaseError:
            logger.warning("Could not note the progress of %s", self._label, exc_info=True)

    def finish(self, **values: Any) -> bool:
        """Mark the job done, saving ``values`` with it: whether it was still under way.

        Inside a transaction this is the job's own commit point: if it returns False the job
        was given up meanwhile, and the caller should roll its work back (``JobGivenUp``).
        """
        now = timezone.now()
        done = (
            type(self)
            .objects.filter(pk=self.pk, state=JobState.RUNNING)
            .update(state=JobState.DONE, progress="Done", finished_at=now, **values)
        )
        if done:
            self.state, self.progress, self.finished_at = JobState.DONE, "Done", now
            for name, value in values.items():
                setattr(self, name, value)
        return bool(done)

    def fail(self, why: str) -> bool:
        """Mark the job failed, saying why, unless it has finished already: whether it was."""
        now = timezone.now()
        failed = (
            type(self)
            .objects.filter(pk=self.pk, state__in=UNFINISHED)
            .update(state=JobState.FAILED, error=why, finished_at=now)
        )
        if failed:
            self.state, self.error, self.finished_at = JobState.FAILED, why, now
        return bool(failed)

    # -- anyone's side: is its worker still there? ---------------------------------------------

    def time_limit(self) -> datetime.timedelta | None:
        """How long it may run at all, heartbeat or not (a worker stuck but beating)."""
        return None

    def stopped_message(self, why: str) -> str:
        """What the person who asked reads when the worker stopped: ``why`` says how we know."""
        return (
            f"The background worker stopped while {self.doing} ({why}). Try again; if it stops "
            "again, ask your system administrator to check the worker's memory and logs."
        )

    def stale_reason(self, now: datetime.datetime | None = None) -> str | None:
        """Why this job's worker is taken to have stopped, or ``None`` while it seems alive."""
        now = now or timezone.now()
        if self.state != JobState.RUNNING:
            return None
        limit = self.time_limit()
        if limit is not None and self.started_at and now - self.started_at > limit:
            minutes = round(limit.total_seconds() / 60)
            return f"it ran for more than {minutes} minute{'s' if minutes != 1 else ''}"
        if self.heartbeat_at is None:
            # Claimed by a worker from before heartbeats (``claim`` always sets one): only the
            # time limit can tell.
            return None
        stale = datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
        if now - self.heartbeat_at > stale:
            seconds = settings.JOB_STALE_SECONDS
            return f"it gave no sign of life for over {seconds} second{'s' if seconds != 1 else ''}"
        if self.worker and process_is_gone(self.worker):
            return "its process has ended"
        return None

    def give_up_if_stale(self) -> bool:
        """Mark the job failed if its worker has stopped (see ``stale_reason``): whether it did.

        Its task row in the database queue is failed too. Safe to call from anywhere, at any
        time, by as many processes at once as like: only one gives it up, and a job that beat
        again meanwhile is left alone.
        """
        why = self.stale_reason()
        if why is None:
            return False
        # Given up only as it was read: a heartbeat written since means the worker is alive.
        given_up = (
            type(self)
            .objects.filter(
                pk=self.pk,
                state=JobState.RUNNING,
                heartbeat_at=self.heartbeat_at,
                worker=self.worker,
            )
            .update(
                state=JobState.FAILED, error=self.stopped_message(why), finished_at=timezone.now()
            )
        )
        self.refresh_from_db()
        if given_up:
            logger.warning("Gave up %s: %s", self._label, why)
            fail_task_row(self.task_id, f"Its worker stopped: {why}.")
        return bool(given_up)

    @classmethod
    def give_up_stale(cls) -> int:
        """Give up every job of this kind whose worker has stopped; how many were.

        Also: a job still waiting whose task a worker took more than ``JOB_STALE_SECONDS`` ago
        (the worker died between taking the task and starting the job), one waiting longer than
        that for a task its queue no longer holds or holds as ended, and the queue's rows
        left running for jobs that finished (it died between the two).
        """
        given_up = sum(job.give_up_if_stale() for job in cls.objects.filter(state=JobState.RUNNING))
        now = timezone.now()
        stale = now - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
        waiting = _by_task({job.task_id: job for job in cls.objects.filter(state=JobState.QUEUED)})
        taken = DBTaskResult.objects.filter(
            pk__in=waiting, status=TaskResultStatus.RUNNING, started_at__lt=stale
        )
        for task_id in taken.values_list("pk", flat=True):
            job = waiting[task_id]
            if job.fail(job.stopped_message("it stopped before it began")):
                fail_task_row(job.task_id, "Its worker stopped before the job began.")
                given_up += 1
        # Waiting for a task its queue no longer holds (Redis restarted without persistence, a
        # queue flushed) or holds as ended (RQ fails the task of a worker that died holding it):
        # nothing will ever run it.
        old = cls.objects.filter(state=JobState.QUEUED, created_at__lt=stale).exclude(task_id="")
        for job in old:
            why = task_gone(job.task_id)
            if why and job.fail(job.stopped_message(why)):
                logger.warning("Gave up %s: %s", job._label, why)
                given_up += 1
        finished = _by_task(
            dict(
                cls.objects.filter(
                    state__in=(JobState.DONE, JobState.FAILED),
                    finished_at__range=(now - datetime.timedelta(days=1), stale),
                ).values_list("task_id", "state")
            )
        )
        left = DBTaskResult.objects.filter(pk__in=finished, status=TaskResultStatus.RUNNING)
        for task_id in left.values_list("pk", flat=True):
            if finished[task_id] == JobState.DONE:
                DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.SUCCESSFUL, finished_at=now
                )
            else:
                fail_task_row(str(task_id), "Its worker stopped as the job failed.")
        return given_up

    @property
    def _label(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


def _by_task(by_task_id: dict[str, T]) -> dict[uuid.UUID, T]:
    """``by_task_id`` keyed by the database queue's ids (UUIDs); other backends' are left out."""
    found = {}
    for task_id, value in by_task_id.items():
        try:
            found[uuid.UUID(task_id)] = value
        except ValueError:
            continue
    return found


def task_gone(task_id: str) -> str | None:
    """Why the tasks backend will never run task ``task_id`` (it holds no such task, or holds it
    as ended), or ``None``.

    Asked only of a job still waiting: a task that ended without it ever starting never will.
    A queue that cannot be asked (Redis away) or a backend that keeps no results has lost
    nothing: only a definite answer counts.
    """
    if not default_task_backend.supports_get_result:
        return None
    try:
        result = default_task_backend.get_result(task_id)
    except TaskResultDoesNotExist:
        return "its task was lost from the queue"
    except Exception:
        logger.warning("Could not ask the task queue about task %s", task_id, exc_info=True)
        return None
    if result.status in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL):
        return "its task ended before the job began"
    return None


def fail_task_row(task_id: str, why: str) -> bool:
    """Fail the database queue's row for ``task_id`` if it is still marked running.

    django-tasks-db marks a task running when a worker takes it and finished when the worker
    says so; a worker killed in between leaves it running for ever. Other backends keep no
    such row (``task_id`` is then theirs, and nothing matches).
    """
    try:
        key = uuid.UUID(task_id)
    except ValueError:
        return False
    return bool(
        DBTaskResult.objects.filter(pk=key, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{__name__}.{JobGivenUp.__qualname__}",
            traceback=why,
        )
    )
