"""``python manage.py scrutiny_report --plan <slug> --period 2016-17-q1 [--period …] --out FILE``:
a plan's scrutiny report without the web UI.

The format follows the file's extension: ``.pdf`` (tagged PDF/UA), ``.docx`` (Word) or
``.html`` (the document the PDF is made from). What it writes is a draft, marked as one, unless
``--issue``, which issues the report as the web does (keeps the PDF and its other forms, locks
the periods) and writes the issued copy. ``--public`` writes the public version, without
anything marked restricted; ``--large-print`` the large print. ``--report ID`` writes a report
saved on the web instead: a draft as it reads now, an issued one exactly as issued.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.models import CopyForm, Plan, ReportingPeriod, ScrutinyReport
from csp.quarters import FinancialQuarter
from csp.reports import issuing
from csp.reports.render import html_to_pdf, render_html
from csp.reports.word import render_docx

FORMATS = {".pdf": "PDF", ".docx": "Word", ".html": "HTML"}


class Command(BaseCommand):
    help = (
        "Write a plan's scrutiny report as PDF, Word or HTML (by the file's extension): a "
        "draft, or with --issue the issued report."
    )
    # The report needs the models only; the project's system checks cost a second of the
    # command's time and are run by the web server, `check` and the test suite.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", help="The plan's slug.")
        parser.add_argument(
            "--period",
            action="append",
            help="A period covered, such as 2016-17-q1 or '2016/17 Q1'; repeat for several.",
        )
        parser.add_argument(
            "--report", type=int, help="A report saved on the web, by its number, instead."
        )
        parser.add_argument("--large-print", action="store_true", help="16 pt, one column.")
        parser.add_argument(
            "--public", action="store_true", help="The public version: nothing restricted."
        )
        parser.add_argument(
            "--issue",
            action="store_true",
            help="Issue the report (as the web does: it locks its periods) and write the issued "
            "copy. Without it, a draft.",
        )
        parser.add_argument("--committee", help="Default: the partnership's committee.")
        parser.add_argument("--meeting-date", help="YYYY-MM-DD")
        parser.add_argument("--title")
        parser.add_argument("--author", default="")
        parser.add_argument("--contact", help="Default: the partnership's report contact.")
        parser.add_argument("--formats-contact", help="Default: the partnership's formats line.")
        parser.add_argument("--html", action="store_true", help="Write HTML whatever the name.")
        parser.add_argument("--out", required=True, help="The file to write: .pdf, .docx, .html.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        extension = ".html" if options["html"] else out.suffix.lower()
        if extension not in FORMATS:
            raise CommandError(
                f"--out {out.name!r}: the file's extension says the format, one of "
                f"{', '.join(FORMATS)}."
            )
        if not out.parent.is_dir():
            raise CommandError(f"No folder {str(out.parent)!r} to write {out.name!r} in.")
        report, periods = self._report(options)
        large = options["large_print"] or None
        public = options["public"]

        if options["issue"]:
            try:
                issuing.issue(report, None)
            except ValueError as error:
                if options["report"] is None:
                    report.delete()  # made by this command for issuing: nothing is left behind
                raise CommandError(f"Not issued: {error}") from error
            report.refresh_from_db()
            data = self._issued(report, extension, large, public)
            what = f"Issued report {report.pk}"
        elif report.is_issued:
            data = self._issued(report, extension, large, public)
            what = f"Issued report {report.pk}"
        elif extension == ".pdf":
            # Laid out from the HTML alone: the report's content is freed by then, so a long
            # report needs no more memory than WeasyPrint does for its document.
            data = html_to_pdf(self._draft(report, periods, public, large, ".html").decode())
            what = "Draft scrutiny report"
        else:
            data = self._draft(report, periods, public, large, extension)
            what = "Draft scrutiny report"
        self._write(out, data)
        version = ", public version" if public else ""
        covered = ", ".join(p.label for p in sorted(periods, key=lambda p: (p.year, p.quarter)))
        self.stdout.write(
            f"{what} for {report.plan.title}, {covered}{version} ({FORMATS[extension]}): {out}."
        )

    def _report(self, options: dict[str, Any]) -> tuple[ScrutinyReport, list[ReportingPeriod]]:
        """The saved report asked for, or an unsaved draft made from the options (saved only
        when it is to be issued), with the periods it covers."""
        if options["report"] is not None:
            report = (
                ScrutinyReport.objects.select_related("plan__partnership")
                .filter(pk=options["report"])
                .first()
            )
            if report is None:
                raise CommandError(f"No report {options['report']}.")
            return report, list(report.periods.all())
        if not options["plan"] or not options["period"]:
            raise CommandError("Give --plan and at least one --period, or --report.")
        plan = Plan.objects.select_related("partnership").filter(slug=options["plan"]).first()
        if plan is None:
            known = ", ".join(Plan.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"No plan {options['plan']!r}. Plans: {known or 'none yet'}.")
        periods = []
        available = {p.financial_quarter: p for p in plan.periods.all()}
        for text in options["period"]:
            try:
                quarter = FinancialQuarter.parse(text)
            except ValueError as error:
                raise CommandError(str(error)) from error
            if quarter not in available:
                known = ", ".join(q.slug for q in sorted(available)) or "none yet"
                raise CommandError(f"{plan.slug} has no period {quarter.label}. Periods: {known}.")
            if available[quarter] not in periods:
                periods.append(available[quarter])
        meeting_date = None
        if options["meeting_date"]:
            try:
                meeting_date = date.fromisoformat(options["meeting_date"])
            except ValueError as error:
                raise CommandError(f"--meeting-date: {error}") from error
        report = ScrutinyReport(
            partnership=plan.partnership,
            plan=plan,
            committee=options["committee"] or "",
            meeting_date=meeting_date,
            title=options["title"] or "",
            author=options["author"],
            contact=options["contact"] or "",
            formats_contact=options["formats_contact"] or "",
            large_print=options["large_print"],
        )
        if options["issue"]:
            report.save()
            report.periods.set(periods)
        return report, periods

    def _draft(
        self,
        report: ScrutinyReport,
        periods: list[ReportingPeriod],
        public: bool,
        large: bool | None,
        extension: str,
    ) -> bytes:
        content = issuing.report_content(report, public=public, periods=periods)
        if extension == ".docx":
            return render_docx(content)
        return render_html(content, large_print=large).encode()

    def _issued(
        self, report: ScrutinyReport, extension: str, large: bool | None, public: bool
    ) -> bytes:
        if extension == ".docx":
            form = CopyForm.DOCX
        elif extension == ".html":
            form = CopyForm.LARGE_PRINT_HTML if large else CopyForm.HTML
        else:
            large = report.large_print if large is None else large
            form = CopyForm.LARGE_PRINT_PDF if large else CopyForm.PDF
        try:
            return issuing.issued_form(report, public=public, form=form)
        except issuing.FormNotKept as error:
            raise CommandError(str(error)) from error

    def _write(self, out: Path, data: bytes) -> None:
        # Write beside the target and move into place, so a failure leaves no half a file.
        partial = out.with_name(f".{out.name}.partial")
        try:
            partial.write_bytes(data)
            os.replace(partial, out)
        except OSError as error:
            raise CommandError(f"Could not write {str(out)!r}: {error.strerror}.") from error
        finally:
            partial.unlink(missing_ok=True)
