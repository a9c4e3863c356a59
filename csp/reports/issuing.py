"""Making a scrutiny report's documents and issuing it: the workflow from a draft to the issued
copies.

The models keep what a report is and the rules about itself (``ScrutinyReport``: an issued one
never changes; ``IssuedCopy``: its other forms, frozen too; ``ReportRender``: how far a
background render has got). What is done with them lives here, beside what it produces
(``context`` says what the report contains, ``render`` lays it out, ``word`` writes it for Word):

- ``report_content`` / ``report_html`` / ``report_pdf`` / ``report_docx``: a report as it reads
  now, from the plan as it is now (a draft's preview), in either print, full or public;
- ``issue``: render a draft once, keep the exact bytes with their SHA-256, keep its other forms
  (the other print, Word, the public version) made from the same content, lock its periods;
- ``issued_form``: an issued report's document in one form, exactly as issued;
- ``run_render``: what the background worker does for a ``ReportRender`` (``csp.tasks``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from csp import jobs
from csp.models import (
    CopyForm,
    IssuedCopy,
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
from csp.reports.render import html_to_pdf, in_print, render_html
from csp.reports.word import render_docx


def report_content(
    report: ScrutinyReport,
    *,
    public: bool = False,
    issued_on: datetime.date | None = None,
    periods: list[ReportingPeriod] | None = None,
) -> ReportContent:
    """What the report says, from the plan as it is now: the full version (the committee's)
    or the public one; a draft unless ``issued_on`` is given. ``periods``: those it covers, for
    a report not saved (the command line's draft); by default the report's own."""
    return build_report(
        report.plan,
        list(report.periods.all()) if periods is None else periods,
        public=public,
        issued_on=issued_on,
        version=report.version,
        large_print=report.large_print,
        committee=report.committee or None,
        meeting_date=report.meeting_date,
        title=report.title or None,
        author=report.author,
        contact=report.contact or None,
        formats_contact=report.formats_contact or None,
        purpose=report.purpose or None,
        recommendation=report.recommendation or None,
        statutory_background=report.statutory_background or None,
        implications=report.implications or None,
        highlights=report.highlights,
        consultation=report.consultation,
        background_papers=report.background_papers,
        sections=report.sections,
    )


def report_html(
    report: ScrutinyReport,
    *,
    public: bool = False,
    large_print: bool | None = None,
    issued_on: datetime.date | None = None,
) -> str:
    """The report as HTML, the document the PDF is made from."""
    return render_html(
        report_content(report, public=public, issued_on=issued_on), large_print=large_print
    )


def report_pdf(
    report: ScrutinyReport,
    *,
    html: str | None = None,
    progress: Progress | None = None,
    public: bool = False,
    large_print: bool | None = None,
) -> bytes:
    """A fresh PDF of ``report`` from the plan as it is now (a draft's preview).

    ``html``: the document ``report_html`` made, if the caller has it already.
    ``progress(step, text)`` hears how far the render has got (see ``RENDER_STEPS``).
    """
    if html is None:
        if progress:
            progress(1, RENDER_STEPS[0])
        html = report_html(report, public=public, large_print=large_print)
    return html_to_pdf(html, progress)


def report_docx(report: ScrutinyReport, *, public: bool = False) -> bytes:
    """A fresh Word document of ``report`` from the plan as it is now (a draft's)."""
    return render_docx(report_content(report, public=public))


# -- issuing ----------------------------------------------------------------------------------


@dataclass
class IssuedDocuments:
    """Everything made for an issue before the transaction that keeps it."""

    issued_at: datetime.datetime
    html: str  # the issued PDF's document, compared again inside the transaction
    pdf: bytes
    left_out: int
    copies: dict[tuple[bool, str], bytes]  # (public, CopyForm) → bytes


def _html_form(large_print: bool) -> str:
    return CopyForm.LARGE_PRINT_HTML if large_print else CopyForm.HTML


def _pdf_form(large_print: bool) -> str:
    return CopyForm.LARGE_PRINT_PDF if large_print else CopyForm.PDF


def make_issue(report: ScrutinyReport, progress: Progress | None = None) -> IssuedDocuments:
    """Lay out the issued PDF and make the report's other forms from the same content.

    The HTML of each print and version and the Word documents are kept; for a long report
    (made by the background worker) the PDFs of the other print and the public version are
    made now too, for a short one the first time they are asked for (``issued_form``), from
    the HTML kept here.
    """
    issued_at = timezone.now()
    if progress:
        progress(1, RENDER_STEPS[0])
    copies, left_out = _documents(report, timezone.localdate(issued_at))
    versions = [False, True] if left_out else [False]
    html = copies[(False, _html_form(report.large_print))].decode()
    data = report_pdf(report, html=html, progress=progress)
    if not report.renders_inline:
        for is_public in versions:
            for large in (False, True):
                if (is_public, large) == (False, report.large_print):
                    continue
                if progress:
                    which = "public version" if is_public else "copy"
                    progress(4, f"Writing the {'large print' if large else 'standard'} {which}")
                copies[(is_public, _pdf_form(large))] = report_pdf(
                    report, html=copies[(is_public, _html_form(large))].decode()
                )
    return IssuedDocuments(issued_at, html, data, left_out, copies)


def _documents(
    report: ScrutinyReport, issued_on: datetime.date
) -> tuple[dict[tuple[bool, str], bytes], int]:
    """The HTML of each print and the Word document, of the full version and (where it leaves
    something out) the public one; and how much the public version leaves out. The contents
    they are made from are freed on return, before any PDF is laid out."""
    full = report_content(report, issued_on=issued_on)
    public = report_content(report, public=True, issued_on=issued_on)
    left_out = public.left_out.total
    copies: dict[tuple[bool, str], bytes] = {}
    for is_public, content in [(False, full)] + ([(True, public)] if left_out else []):
        for large in (False, True):
            copies[(is_public, _html_form(large))] = render_html(
                content, large_print=large
            ).encode()
        copies[(is_public, CopyForm.DOCX)] = render_docx(content)
    return copies, left_out


def issue(
    report: ScrutinyReport,
    user: Any,
    progress: Progress | None = None,
    before_commit: Callable[[], None] | None = None,
) -> None:
    """Render this draft once and keep the PDF for good, with its other forms; lock the periods
    it covers.

    Stores the bytes with their SHA-256 and size, who issued it and when, the copies
    ``make_issue`` made, and marks the periods covered as reported, all in one transaction. A
    report is issued only once: ``ValueError`` if it already is (or has no periods).

    The documents are made before the transaction (a long report takes a minute, and SQLite
    would hold every other writer back meanwhile). Inside it, the report's document is made
    again and must be exactly the one laid out: if an update was saved in between, the draft
    was edited, or a period was reported by another report, ``PlanChangedWhileRendering`` and
    nothing is issued. ``progress`` is passed on to the renders; ``before_commit`` is called
    last inside the transaction, and whatever it raises undoes the issue (a background render
    marks itself done there).
    """
    report.check_can_issue()
    periods = list(report.periods.all())
    made = make_issue(report, progress)
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
        # Made afresh from the database: ``report`` holds the plan and the draft as they were
        # loaded.
        issued_on = timezone.localdate(made.issued_at)
        if stored.revision != report.revision or list(stored.periods.all()) != periods:
            raise PlanChangedWhileRendering(
                "The draft was edited while the report was being made, so the PDF would not "
                "match it and was not issued. Check the draft, then issue it again."
            )
        if report_html(stored, issued_on=issued_on) != made.html:
            raise PlanChangedWhileRendering(
                "The plan changed while the report was being made (an update was saved), "
                "so the PDF would not match it and was not issued. Issue it again."
            )
        report.keep_issued_copy(
            made.pdf, user, issued_at=made.issued_at, restricted_left_out=made.left_out
        )
        for (is_public, form), data in made.copies.items():
            IssuedCopy.objects.create(report=report, public=is_public, form=form, data=data)
        for period in periods:  # saved one by one, so each period's history records it
            if period.status != PeriodStatus.REPORTED:
                period.status = PeriodStatus.REPORTED
                period.save(update_fields=["status"])
        if before_commit is not None:
            before_commit()


# -- an issued report's forms -----------------------------------------------------------------


class FormNotKept(LookupError):
    """The issued report has no such form: issued before it was kept, or nothing differs."""


def issued_form(report: ScrutinyReport, *, public: bool, form: str) -> bytes:
    """An issued report's document in ``form`` (a ``CopyForm``), the full or public version,
    exactly as issued.

    The issued PDF itself is the full version in the report's own print. Where the public
    version leaves nothing out (``restricted_left_out`` 0, or a report issued before public
    versions, which left out everything restricted itself), the full version serves for it.
    A PDF not made at issue is made now from the HTML kept at issue, once, and kept.
    ``FormNotKept`` where the report has no such form.
    """
    if not report.is_issued:
        raise ValueError("This report has not been issued.")
    public = public and report.public_differs
    large = form in (CopyForm.LARGE_PRINT_PDF, CopyForm.LARGE_PRINT_HTML)
    if not public and form == _pdf_form(report.large_print):
        return report.pdf_bytes()
    kept = IssuedCopy.objects.filter(report=report, public=public, form=form).first()
    if kept is not None:
        return kept.data_bytes()
    if form not in (CopyForm.PDF, CopyForm.LARGE_PRINT_PDF):
        raise FormNotKept(f"This report was issued without a {CopyForm(form).label} copy.")
    html = IssuedCopy.objects.filter(report=report, public=public, form=_html_form(large)).first()
    if html is None:
        raise FormNotKept(f"This report was issued without a {CopyForm(form).label} copy.")
    data = html_to_pdf(html.data_bytes().decode())
    try:
        with transaction.atomic():
            IssuedCopy.objects.create(report=report, public=public, form=form, data=data)
    except IntegrityError:  # made by another request meanwhile: theirs is the one kept
        return IssuedCopy.objects.get(report=report, public=public, form=form).data_bytes()
    return data


def kept_forms(report: ScrutinyReport) -> set[tuple[bool, str]]:
    """The (public, form) pairs ``issued_form`` can give for an issued report."""
    if not report.is_issued:
        return set()
    kept = set(IssuedCopy.objects.filter(report=report).values_list("public", "form"))
    forms = {(False, _pdf_form(report.large_print))} | kept
    for is_public, form in kept:
        if form in (CopyForm.HTML, CopyForm.LARGE_PRINT_HTML):
            forms.add((is_public, _pdf_form(form == CopyForm.LARGE_PRINT_HTML)))
    if not report.public_differs:
        forms |= {(True, f) for p, f in forms if not p}
    return forms


# -- the background worker --------------------------------------------------------------------


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


__all__ = [
    "FormNotKept",
    "in_print",
    "issue",
    "issued_form",
    "kept_forms",
    "make_issue",
    "report_content",
    "report_docx",
    "report_html",
    "report_pdf",
    "run_render",
]
