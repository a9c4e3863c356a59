"""Work done by the background worker, with the Django tasks API (the ``django-tasks`` backport).

Which backend queues and runs a task is configuration (``TASKS`` in settings, from the
``TASKS_BACKEND`` environment variable): by default the database, with ``manage.py db_worker``
running the tasks, so no other server is needed.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from csp.access import AnyUser, audience
from csp.importers.uploads import run_job
from csp.models import (
    AgencyReportRender,
    ImportJob,
    Organisation,
    Partnership,
    ReportRender,
    ScrutinyReport,
)
from csp.models.jobs import UNFINISHED, BackgroundJob
from csp.models.reports import audience_key
from csp.reports.agency import run_agency_render
from csp.reports.issuing import run_render

logger = logging.getLogger(__name__)


@task()
def render_report(render_id: int) -> None:
    """Make the PDF a ``ReportRender`` asks for: a long draft to download, or the issued copy."""
    run_render(ReportRender.objects.get(pk=render_id))


def request_render(report: ScrutinyReport, kind: str, user: Any) -> ReportRender:
    """Queue a render of ``report``, or join the one of that kind already under way.

    Views run in autocommit (no ``ATOMIC_REQUESTS``), so the row is saved before the task
    is queued, and a worker on another queue (RQ, Celery) finds it.
    """
    under_way = ReportRender.objects.filter(report=report, kind=kind, state__in=UNFINISHED).first()
    if under_way is not None and not under_way.give_up_if_stale():
        return under_way
    render = ReportRender.objects.create(report=report, kind=kind, requested_by=user)
    return _enqueue(render, render_report)


@task()
def render_agency_report(render_id: int) -> None:
    """Make the PDF an ``AgencyReportRender`` asks for: a long agency progress report."""
    run_agency_render(AgencyReportRender.objects.select_related("organisation").get(pk=render_id))


# Finished agency renders are kept this long, for their PDF to be downloaded, then deleted.
AGENCY_RENDERS_KEPT = datetime.timedelta(days=1)


def request_agency_render(organisation: Organisation, user: AnyUser) -> AgencyReportRender:
    """Queue ``organisation``'s progress report as ``user`` sees it, or join the render under
    way for someone who sees the same (two requests at once included: the database lets one
    render per audience be under way)."""
    key = audience_key(audience(user))
    for _ in range(3):
        under_way = agency_render_under_way(organisation, key)
        if under_way is not None:
            return under_way
        try:
            with transaction.atomic():
                render = AgencyReportRender.objects.create(
                    organisation=organisation,
                    audience=key,
                    requested_by=user if user.is_authenticated else None,
                )
        except IntegrityError:
            continue  # someone else's identical request started one just now: join it
        break
    else:
        raise RuntimeError("Could neither start nor join an agency report render")
    AgencyReportRender.objects.filter(finished_at__lt=timezone.now() - AGENCY_RENDERS_KEPT).delete()
    return _enqueue(render, render_agency_report)


def agency_render_under_way(organisation: Organisation, key: str) -> AgencyReportRender | None:
    """The render of ``organisation``'s report for audience ``key`` under way, if one is (a
    render whose worker died is given up, and not joined)."""
    under_way = (
        AgencyReportRender.objects.filter(
            organisation=organisation, audience=key, state__in=UNFINISHED
        )
        .defer("pdf")
        .first()
    )
    if under_way is None or under_way.give_up_if_stale():
        return None
    return under_way


@task()
def import_spreadsheet(job_id: int) -> None:
    """Write a long spreadsheet's import (``ImportJob``), or say why not."""
    run_job(ImportJob.objects.select_related("partnership", "requested_by").get(pk=job_id))


def request_import(
    partnership: Partnership, token: str, options: dict[str, Any], user: Any
) -> ImportJob:
    """Queue the import of upload ``token`` as ``options`` say, or join the one under way (the
    Import button pressed twice: the database lets one job per upload be under way)."""
    for _ in range(3):
        under_way = ImportJob.objects.filter(
            partnership=partnership, token=token, state__in=UNFINISHED
        ).first()
        if under_way is not None and not under_way.give_up_if_stale():
            return under_way
        try:
            with transaction.atomic():
                job = ImportJob.objects.create(
                    partnership=partnership,
                    token=token,
                    options=options,
                    requested_by=user if user.is_authenticated else None,
                )
        except IntegrityError:
            continue
        return _enqueue(job, import_spreadsheet)
    raise RuntimeError("Could neither start nor join an import job")


J = TypeVar("J", bound=BackgroundJob)


def _enqueue(job: J, work: Task[[int], None]) -> J:
    """Queue ``work`` for ``job`` (saved already) and note the task's id; fail the job, saying
    so, if it cannot be queued."""
    try:
        result = work.enqueue(job.pk)
    except Exception as error:
        logger.exception("%s could not be queued", job._label)
        job.fail(f"It could not be queued for the background worker ({error}).")
        return job
    if result.id and not job.task_id:
        type(job).objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
        job.task_id = str(result.id)[:64]
    job.refresh_from_db()  # an immediate backend has run it already
    return job
