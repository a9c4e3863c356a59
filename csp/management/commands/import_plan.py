"""``manage.py import_plan FILE --partnership SLUG --plan SLUG``: a plan from a spreadsheet.

It always prints the preview first: how the sheet's columns were read, what each lead name
becomes, what would be created or changed, and every problem with its row, column letter and
heading. With problems, or with ``--dry-run``, nothing is written.

A sheet laid out its own way is read through a mapping: ``--show-mapping`` prints our guess as
JSON (with the lead names to decide on), which can be edited and given back with ``--mapping
FILE``. Without ``--mapping``, the partnership's mapping from its last import is the start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from csp.importers.leads import KEEP, MEMBER, SITE, LeadChoice, name_key
from csp.importers.mapping import Mapping
from csp.importers.plan_import import ImportConflict, PlanImport
from csp.importers.reader import SpreadsheetError, read_sheet
from csp.models import ImportSettings, Partnership


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
        parser.add_argument(
            "--sheet", help="The workbook's sheet to read (default: “Plan”, else the first)."
        )
        parser.add_argument(
            "--mapping",
            type=Path,
            help="A JSON file saying what each column means (as --show-mapping prints it), "
            "and optionally what each lead name becomes.",
        )
        parser.add_argument(
            "--show-mapping",
            action="store_true",
            help="Print the mapping that would be used, as JSON, and stop.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Preview only; write nothing.")
        parser.add_argument(
            "--create-organisations",
            action="store_true",
            help="Confirm that lead agencies the sheet names and we don't know may be created.",
        )
        parser.add_argument(
            "--link-site-organisations",
            action="store_true",
            help="Take, for each lead name that is exactly an organisation already on the site "
            "(for another partnership), that organisation.",
        )
        parser.add_argument(
            "--extend-span",
            action="store_true",
            help="Let the plan run to the last year its actions are due in.",
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
            sheet = read_sheet(path.name, data, sheet=options["sheet"])
        except SpreadsheetError as error:
            raise CommandError(f"{path.name}: {error} Nothing was written.") from error
        mapping, leads = self._mapping(options, partnership)
        saved = ImportSettings.objects.filter(partnership=partnership).first()
        plan_import = PlanImport(
            partnership,
            sheet.rows,
            plan_slug=options["plan"],
            plan_title=options["title"],
            first_year=options["year"],
            mapping=mapping,
            leads={**_saved_leads(saved), **leads},
            use_site_organisations=options["link_site_organisations"],
            extend_span=options["extend_span"],
            saved_mapping=saved.columns if saved else None,
        )
        if options["show_mapping"]:
            self.stdout.write(
                json.dumps(_as_json(plan_import, sheet.name), indent=2, ensure_ascii=False)
            )
            return
        self._preview(plan_import)
        if not plan_import.ok:
            raise CommandError(
                f"{len(plan_import.problems_that_stop)} problem(s) to fix; nothing was written."
            )
        if plan_import.no_changes:
            self.stdout.write("No changes: the plan already says everything this sheet says.")
            return
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        try:
            plan = plan_import.commit(confirm_new_organisations=options["create_organisations"])
        except (ImportConflict, ValueError) as error:
            raise CommandError(str(error)) from error
        plan_import.remember_choices()
        self.stdout.write(self.style.SUCCESS(f"Imported into {plan.title} ({plan.slug})."))

    def _mapping(
        self, options: dict[str, Any], partnership: Partnership
    ) -> tuple[Mapping | None, dict[str, LeadChoice]]:
        if not options["mapping"]:
            return None, {}
        file = Path(options["mapping"])
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Can't read {file}: {error.strerror}.") from error
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{file} is not JSON: {error}.") from error
        try:
            mapping = Mapping.from_json(
                data,
                districts=[d.name for d in partnership.districts.all()],
                default_year=options["year"],
            )
            given = data.get("leads") or {}
            if not isinstance(given, dict):
                raise ValueError("“leads” must be an object: each name to what it becomes.")
            leads = {
                entry.get("key") or name_key(key): LeadChoice.from_json(entry, f"Lead “{key}”")
                for key, entry in given.items()
                if isinstance(entry, dict) and entry.get("use")
            }
        except ValueError as error:
            raise CommandError(f"{file}: {error}") from error
        return mapping, leads

    def _preview(self, plan_import: PlanImport) -> None:
        self.stdout.write(plan_import.header_reason)
        for info in plan_import.columns:
            choice = plan_import.mapping.choice(info.index)
            self.stdout.write(f"  column {info.letter} “{info.heading}”: {choice.label}")
        for group in plan_import.groups:
            becomes = _becomes(group)
            self.stdout.write(f"  lead “{group.shown}”: {becomes}")
        for name, count in plan_import.summary:
            self.stdout.write(f"  {name}: {count}")
        for name in plan_import.new_organisations:
            self.stdout.write(f"  new organisation: {name}")
        for problem in plan_import.problems:
            self.stdout.write(("  error: " if problem.is_error else "  warning: ") + str(problem))


def _becomes(group: Any) -> str:
    choice = group.choice
    if choice is None:
        return "to decide – " + group.problem
    if choice.use in (MEMBER, SITE):
        return f"{choice.use} organisation {choice.organisation}"
    if choice.use == KEEP:
        return "kept as written only"
    return f"new organisation “{choice.name}”" + (
        f" ({choice.short_name})" if choice.short_name else ""
    )


def _as_json(plan_import: PlanImport, sheet_name: str) -> dict[str, Any]:
    headings = plan_import.rows[plan_import.mapping.header_row] if plan_import.rows else []
    data = plan_import.mapping.to_json(headings)
    data["sheet"] = sheet_name or None
    data["leads"] = {
        group.shown: {
            "key": group.key,
            **(group.choice.as_json() if group.choice else {"use": None}),
            "could_be": [o.slug for o in [*group.members, *group.elsewhere]],
        }
        for group in plan_import.groups
    }
    return data


def _saved_leads(saved: ImportSettings | None) -> dict[str, LeadChoice]:
    if saved is None:
        return {}
    found = {}
    for key, value in saved.leads.items():
        try:
            found[key] = LeadChoice.from_json(value, key)
        except ValueError:
            continue
    return found
