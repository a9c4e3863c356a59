"""``python manage.py export_plan --plan <slug> --out plan.xlsx``: a plan as a spreadsheet.

The file is in the plan spreadsheet format (``csp.importers.columns``), XLSX or, for a name
ending ``.csv``, CSV. It holds everything, restricted actions and updates included: it is for
the partnership's own use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.importers.export import write_csv, write_xlsx
from csp.models import Plan

FORMATS = (".xlsx", ".csv")


class Command(BaseCommand):
    help = "Write a plan to an XLSX or CSV file in the plan spreadsheet format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="The plan's slug.")
        parser.add_argument(
            "--out", required=True, help="The file to write: a name ending .xlsx or .csv."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        suffix = out.suffix.lower()
        if suffix not in FORMATS:
            raise CommandError(
                f"Cannot tell the format of {out.name!r}: give a file name ending .xlsx or .csv."
            )
        plan = Plan.objects.select_related("partnership").filter(slug=options["plan"]).first()
        if plan is None:
            known = ", ".join(Plan.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"No plan {options['plan']!r}. Plans: {known or 'none yet'}.")
        if not out.parent.is_dir():
            raise CommandError(f"No folder {str(out.parent)!r} to write {out.name!r} in.")
        # Write beside the target and move into place, so a failure leaves no half a file.
        partial = out.with_name(f".{out.name}.partial")
        try:
            if suffix == ".csv":
                with partial.open("w", encoding="utf-8", newline="") as handle:
                    write_csv(plan, handle)
            else:
                with partial.open("wb") as handle:
                    write_xlsx(plan, handle)
            os.replace(partial, out)
        except OSError as error:
            raise CommandError(f"Could not write {str(out)!r}: {error.strerror}.") from error
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"{plan.title} written to {out}.")
