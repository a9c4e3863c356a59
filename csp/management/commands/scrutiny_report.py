"""``python manage.py scrutiny_report --plan <slug> --period 2016-17-q1 [--period …]
[--large-print] --out report.pdf``: a plan's scrutiny report as PDF, without the web UI."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.models import Plan
from csp.quarters import FinancialQuarter
from csp.reports.context import DEFAULT_COMMITTEE, build_report
from csp.reports.render import render_html, render_pdf


class Command(BaseCommand):
    help = "Write a plan's scrutiny report for one or more reporting periods as a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="The plan's slug.")
        parser.add_argument(
            "--period",
            action="append",
            required=True,
            help="A period covered, such as 2016-17-q1 or '2016/17 Q1'; repeat for several.",
        )
        parser.add_argument("--large-print", action="store_true", help="16 pt, one column.")
        parser.add_argument("--committee", default=DEFAULT_COMMITTEE)
        parser.add_argument("--meeting-date", help="YYYY-MM-DD")
        parser.add_argument("--title")
        parser.add_argument("--author", default="")
        parser.add_argument("--contact", default="")
        parser.add_argument("--html", action="store_true", help="Write the HTML, not the PDF.")
        parser.add_argument("--out", required=True, help="The file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
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
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"No folder {str(out.parent)!r} to write {out.name!r} in.")

        content = build_report(
            plan,
            periods,
            large_print=options["large_print"],
            committee=options["committee"],
            meeting_date=meeting_date,
            title=options["title"],
            author=options["author"],
            contact=options["contact"],
        )
        data = render_html(content).encode() if options["html"] else render_pdf(content)
        # Write beside the target and move into place, so a failure leaves no half a file.
        partial = out.with_name(f".{out.name}.partial")
        try:
            partial.write_bytes(data)
            os.replace(partial, out)
        except OSError as error:
            raise CommandError(f"Could not write {str(out)!r}: {error.strerror}.") from error
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"Scrutiny report for {plan.title}, {content.periods_label}: {out}.")
