"""Work done by the background worker, with the Django tasks API (the ``django-tasks`` backport).

Which backend queues and runs a task is configuration (``TASKS`` in settings, from the
``TASKS_BACKEND`` environment variable): by default the database, with ``manage.py db_worker``
running the tasks, so no other server is needed.
"""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

from csp.models import ReportRender, ScrutinyReport
from csp.models.jobs import UNFINISHED
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
    try:
        result = render_report.enqueue(render.pk)
    except Exception as error:
        logger.exception("Report render %s could not be queued", render.pk)
        render.fail(f"It could not be queued for the background worker ({error}).")
        return render
    if result.id and not render.task_id:
        ReportRender.objects.filter(pk=render.pk).update(task_id=str(result.id)[:64])
        render.task_id = str(result.id)[:64]
    render.refresh_from_db()  # an immediate backend has run it already
    return render
