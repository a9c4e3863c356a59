"""Making a scrutiny report's PDF and issuing it: the workflow from a draft to the issued copy.

The models keep what a report is and the rules about itself (``ScrutinyReport``: an issued one
never changes; ``ReportRender``: how far a background render has got). What is done with them
lives here, beside what it produces (``context`` says what the report contains, ``render``
lays it out):

- ``report_content`` / ``report_html`` / ``report_pdf``: a report as it reads now, from the plan
  as it is now (a draft's preview);
- ``issue``: render a draft once, keep the exact bytes with their SHA-256, lock its periods;
- ``run_render``: what the background worker does for a ``ReportRender`` (``csp.tasks``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from csp import jobs
from csp.models import (
    PeriodStatus,
    PlanChangedWhileRendering,
    RenderKind,
    ReportingPeriod,
    ReportRender,
    ScrutinyReport,
)
from csp.models.jobs import JobGivenUp
from csp.models.reports import RENDER_STEPS, Progress
from csp.reports.context import ReportContent, build_report
from csp.reports.render import html_to_pdf, render_html


def report_content(report: ScrutinyReport) -> ReportContent:
    """What the report says, from the plan as it is now."""
    return build_report(
        report.plan,
        list(report.periods.all()),
        large_print=report.large_print,
        committee=report.committee,
        meeting_date=report.meeting_date,
        title=report.title or None,
        author=report.author,
        contact=report.contact,
        purpose=report.purpose or None,
        recommendation=report.recommendation or None,
        implications=report.implications or None,
        sections=report.sections,
    )


def report_html(report: ScrutinyReport) -> str:
    """The report as HTML, the document the PDF is made from, to read on screen."""
    return render_html(report_content(report))


def report_pdf(
    report: ScrutinyReport, *, html: str | None = None, progress: Progress | None = None
) -> bytes:
    """A fresh PDF of ``report`` from the plan as it is now (a draft's preview).

    ``html``: the document ``report_html`` made, if the caller has it already.
    ``progress(step, text)`` hears how far the render has got (see ``RENDER_STEPS``).
    """
    if html is None:
        if progress:
            progress(1, RENDER_STEPS[0])
        html = report_html(report)
    return html_to_pdf(html, progress)


def issue(
    report: ScrutinyReport,
    user: Any,
    progress: Progress | None = None,
    before_commit: Callable[[], None] | None = None,
) -> None:
    """Render this draft once and keep the PDF for good; lock the periods it covers.

    Stores the bytes with their SHA-256 and size, who issued it and when, and marks the
    periods covered as reported, all in one transaction. A report is issued only once:
    ``ValueError`` if it already is (or has no periods).

    The PDF is laid out before the transaction (a long report takes a minute, and SQLite
    would hold every other writer back meanwhile). Inside it, the report's document is made
    again and must be exactly the one laid out: if an update was saved in between, or a
    period was reported by another report, ``PlanChangedWhileRendering`` and nothing is
    issued. ``progress`` is passed on to ``report_pdf``; ``before_commit`` is called last inside
    the transaction, and whatever it raises undoes the issue (a background render marks itself
    done there).
    """
    report.check_can_issue()
    periods = list(report.periods.all())
    if progress:
        progress(1, RENDER_STEPS[0])
    html = report_html(report)
    data = report_pdf(report, html=html, progress=progress)
    if progress:
        progress(5, RENDER_STEPS[4])
    with transaction.atomic():
        stored = type(report).objects.select_for_update().get(pk=report.pk)
        # Taken by every update saved through the cycle too (``csp.cycle.save_update``):
        # from here until the periods are locked, no update of theirs can be saved.
        list(
            ReportingPeriod.objects.select_for_update()
            .filter(pk__in=[p.pk for p in periods])
            .values("pk")
        )
        if stored.is_issued:
            raise ValueError("This report has already been issued.")
        now_reported = ReportingPeriod.objects.filter(
            pk__in=[p.pk for p in periods if not p.is_locked],
            status=PeriodStatus.REPORTED,
        )
        if now_reported:
            labels = ", ".join(p.label for p in now_reported)
            raise PlanChangedWhileRendering(
                f"{labels} was reported by another report while this one was being made, "
                "so this one was not issued."
            )
        # Made afresh from the database: ``report`` holds the plan as it was loaded.
        if list(stored.periods.all()) != periods or report_html(stored) != html:
            raise PlanChangedWhileRendering(
                "The plan changed while the report was being made (an update was saved), "
                "so the PDF would not match it and was not issued. Issue it again."
            )
        report.keep_issued_copy(data, user)
        for period in periods:  # saved one by one, so each period's history records it
            if period.status != PeriodStatus.REPORTED:
                period.status = PeriodStatus.REPORTED
                period.save(update_fields=["status"])
        if before_commit is not None:
            before_commit()


def run_render(render: ReportRender) -> None:
    """Make the PDF a render asks for (the worker calls this). Failures are recorded, not raised.

    A render is a background job (``csp.jobs.run``): it beats a heartbeat while it works, and
    an issue is committed together with the render's own "done", so a render given up for dead
    meanwhile issues nothing.
    """

    def work(render: ReportRender) -> dict[str, Any] | None:
        report = ScrutinyReport.objects.select_related("plan").get(pk=render.report_id)
        if render.kind == RenderKind.ISSUE:

            def still_wanted() -> None:
                if not render.finish():
                    raise JobGivenUp(f"Report render {render.pk} was given up")

            issue(report, render.requested_by, progress=render._note, before_commit=still_wanted)
            return None
        data = report_pdf(report, progress=render._note)
        return {"pdf": data, "size": len(data)}

    def failure_message(error: Exception) -> str:
        return f"The report could not be made: {f'{type(error).__name__}: {error}'[:300]}"

    jobs.run(
        render,
        work,
        failure_message=failure_message,
        claim={"step": 1, "progress": RENDER_STEPS[0]},
    )
