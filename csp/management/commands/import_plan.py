"""``manage.py import_plan FILE --partnership SLUG --plan SLUG``: a plan from a spreadsheet.

It always prints the preview first: what would be created or changed, new organisations, and
every problem with its row and column. With problems, or with ``--dry-run``, nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.importers.plan_import import PlanImport
from csp.importers.reader import SpreadsheetError, read_rows
from csp.models import Partnership


class Command(BaseCommand):
    help = "Import a plan spreadsheet (XLSX or CSV) into a partnership, after a preview."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--partnership", required=True, help="The partnership's slug.")
        parser.add_argument(
            "--plan",
            required=True,
            help="The plan's slug: an existing plan of "
            "the partnership to add to, or a new one to create.",
        )
        parser.add_argument("--title", default="", help="The new plan's title.")
        parser.add_argument(
            "--year", type=int, help="The financial year it starts: 2016 for 2016/17."
        )
        parser.add_argument("--dry-run", action="store_true", help="Preview only; write nothing.")
        parser.add_argument(
            "--create-organisations",
            action="store_true",
            help="Confirm that lead agencies the sheet names and we don't know may be created.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            raise CommandError(f"No partnership “{options['partnership']}”.")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Can't read {path}: {error.strerror}.") from error
        try:
            rows = read_rows(path.name, data)
        except SpreadsheetError as error:
            raise CommandError(f"{path.name}: {error} Nothing was written.") from error
        plan_import = PlanImport(
            partnership,
            rows,
            plan_slug=options["plan"],
            plan_title=options["title"],
            first_year=options["year"],
        )
        for name, count in sorted(plan_import.counts.items()):
            self.stdout.write(f"  {name}: {count}")
        for name in plan_import.new_organisations:
            self.stdout.write(f"  new organisation: {name}")
        for problem in plan_import.problems:
            self.stdout.write(("  error: " if problem.is_error else "  warning: ") + str(problem))
        if not plan_import.ok:
            raise CommandError(
                f"{len(plan_import.problems_that_stop)} problem(s) to fix; nothing was written."
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        try:
            plan = plan_import.commit(confirm_new_organisations=options["create_organisations"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Imported into {plan.title} ({plan.slug})."))
