"""Work done by the background worker, with the Django tasks API (the ``django-tasks`` backport).

Which backend queues and runs a task is configuration (``TASKS`` in settings, from the
``TASKS_BACKEND`` environment variable): by default the database, with ``manage.py db_worker``
running the tasks, so no other server is needed.
"""

from __future__ import annotations

from django_tasks import task

from csp.models import ReportRender


@task()
def render_report(render_id: int) -> None:
    """Make the PDF a ``ReportRender`` asks for: a long draft to download, or the issued copy."""
    ReportRender.objects.get(pk=render_id).run()
