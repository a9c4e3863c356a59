"""A plan written out in the plan spreadsheet format (``columns.COLUMNS``), and the blank template.

One row per reported update of each action (drafts are not part of the plan's record), in plan
order; an action without updates still gets one row, with blank district, period, status,
update and risks. Every cell is plain text as a person would type it, so the file reads back
through the importer: statuses as their labels ("On track"), periods as "2016/17 Q1", leads as
the plan wrote them. A text that a spreadsheet would take for a formula is written with a
leading apostrophe (``csp.spreadsheet_cells``), which the importer takes off again.

The rows cost a constant number of queries however long the plan: actions (with priority,
theme and objective joined), then their leads and their updates, prefetched per chunk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import F, Prefetch
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from csp import access
from csp.importers.columns import BY_KEY, COLUMNS, figure_line, measure_line
from csp.models import (
    Action,
    ActionLead,
    District,
    Measure,
    MeasureFigure,
    Plan,
    QuarterlyUpdate,
    UpdateStatus,
)
from csp.spreadsheet_cells import CsvWriter, xlsx_cell, xml_safe

CHUNK = 1000
SHEET = "Plan"
INSTRUCTIONS = "Instructions"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KEYS = tuple(column.key for column in COLUMNS)
HEADINGS = tuple(column.heading for column in COLUMNS)

# Column widths in characters; the long texts wrap within them.
WIDTHS = {
    "reference": 7,
    "priority": 18,
    "theme": 14,
    "objective": 30,
    "action": 42,
    "outcomes": 32,
    "lead": 22,
    "lead_as_written": 18,
    "timescale": 11,
    "areas": 14,
    "measure": 26,
    "district": 11,
    "period": 10,
    "status": 15,
    "update": 52,
    "risks": 26,
    "figure": 18,
}

STATUS_LABELS = dict(UpdateStatus.choices)

RULES = (
    "One row per action and quarterly update. An action with updates for several quarters "
    "or districts has one row for each; repeat the action's words on each of them.",
    "An action without any update has one row, with District, Period, Status, Update and "
    "Risks / dependencies left blank.",
    "A blank Priority, Theme or Strategic objective cell means the same as the row above "
    "(as merged cells come out of Word and Excel).",
    "Headings may use the other names listed below, in any case and spacing. A sheet laid "
    "out another way can be imported too: the import asks what each of its columns means.",
    "Statuses accepted: "
    + ", ".join(f'"{label}"' for label in STATUS_LABELS.values())
    + '; also Green / Amber / Red, "Completed", "In progress (amber)", and R / A / G.',
    'Periods are financial-year quarters written as "2016/17 Q1" (April to June 2016).',
)


def _lead_text(action: Action) -> str:
    """The structured leads, in the form the importer reads back exactly."""
    parts = []
    for lead in action.leads.all():
        if lead.all_partners or lead.organisation is None:
            parts.append("All partners")
        elif lead.officer is not None:
            parts.append(f"{lead.organisation.name} – {lead.officer.name}")
        else:
            parts.append(lead.organisation.name)
    return "; ".join(parts)


def _actions(plan: Plan, user: access.AnyUser | None) -> Iterator[Action]:
    actions = Action.objects.in_plan(plan)
    updates = QuarterlyUpdate.objects.reported()
    if user is not None:
        actions = actions.visible_to(user)
        updates = updates.visible_to(user)
    figures = MeasureFigure.objects.select_related("measure").order_by("measure__number")
    updates = (
        updates.select_related("period", "district")
        .prefetch_related(Prefetch("figures", figures))
        .order_by(
            "period__year", "period__quarter", F("district__name").asc(nulls_first=True), "pk"
        )
    )
    leads = ActionLead.objects.select_related("organisation", "officer").order_by("number")
    return (
        actions.select_related("objective__priority", "objective__theme")
        .prefetch_related(
            Prefetch("leads", leads),
            Prefetch("updates", updates),
            Prefetch("measures", Measure.objects.order_by("number")),
            Prefetch("districts", District.objects.order_by("name")),
        )
        .order_by("objective__priority__number", "objective__number", "number")
        .iterator(chunk_size=CHUNK)
    )


def plan_rows(plan: Plan, user: access.AnyUser | None = None) -> Iterator[dict[str, str]]:
    """The plan's rows, keyed by ``columns.COLUMNS`` keys, in plan order.

    ``user`` is whoever asked: actions and updates they may not see are left out (for the
    public view, everything marked restricted). ``None`` means no one in particular (the
    management command), which sees everything.
    """
    for action in _actions(plan, user):
        objective = action.objective
        priority = objective.priority
        base = {
            "reference": f"{priority.number}.{objective.number}.{action.number}",
            "priority": priority.title,
            "theme": objective.theme.title if objective.theme else "",
            "objective": objective.title,
            "action": action.description,
            "outcomes": action.outcomes,
            "lead": _lead_text(action),
            "lead_as_written": action.lead_as_written,
            "timescale": action.timescale,
            "areas": ", ".join(district.name for district in action.districts.all()),
            "measure": "\n".join(
                measure_line(m.description, m.target_text) for m in action.measures.all()
            ),
        }
        updates = list(action.updates.all())
        if not updates:
            yield base | {
                "district": "",
                "period": "",
                "status": "",
                "update": "",
                "risks": "",
                "figure": "",
            }
        for update in updates:
            yield base | {
                "district": update.district.name if update.district else "",
                "period": update.period.label,
                "status": STATUS_LABELS.get(update.status, update.status),
                "update": update.progress,
                "risks": update.risks,
                "figure": "\n".join(
                    figure_line(f.measure.description, f.value) for f in update.figures.all()
                ),
            }


def table_rows(plan: Plan, user: access.AnyUser | None = None) -> Iterator[list[str]]:
    """The heading row, then each of ``plan_rows`` as a list in column order."""
    yield list(HEADINGS)
    for row in plan_rows(plan, user):
        yield [row[key] for key in KEYS]


# XLSX


LINE_HEIGHT = 15  # points, for 11-point Calibri
MAX_ROW_HEIGHT = 409  # Excel's limit


def _lines(text: str, width: float) -> int:
    """Roughly how many lines ``text`` wraps to in a column ``width`` characters wide."""
    per_line = max(int(width * 1.1), 1)  # prose is narrower than the digits widths count
    return sum(max(math.ceil(len(line) / per_line), 1) for line in text.splitlines() or [""])


class _Sheet:
    """A write-only sheet with set column widths, printed landscape across one page's width.

    Neither Excel nor LibreOffice grows a row to fit wrapped text when it opens a file, so each
    row is given the height its longest cell needs.
    """

    def __init__(self, workbook: Workbook, title: str, widths: Iterable[float]) -> None:
        self.sheet = sheet = workbook.create_sheet(title)
        self.widths = list(widths)
        self.rows = 0
        for index, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        self.wrap = Alignment(wrap_text=True, vertical="top")
        # Named, so that LibreOffice does not fall back to a serif face for the headings.
        self.bold = Font(name="Calibri", size=11, bold=True)
        self.shaded = PatternFill("solid", fgColor="DDDDDD")

    def append(self, values: Iterable[Any], *, heading: bool = False, wrap: bool = True) -> None:
        values = list(values)
        self.rows += 1
        lines = max(
            (_lines(str(v), w) for v, w in zip(values, self.widths, strict=False) if v),
            default=1,
        )
        if wrap and lines > 1:
            self.sheet.row_dimensions[self.rows].height = min(
                lines * LINE_HEIGHT + 2, MAX_ROW_HEIGHT
            )
        cells = []
        for value in values:
            cell = xlsx_cell(self.sheet, value)
            if wrap:
                cell.alignment = self.wrap
            if heading:
                cell.font = self.bold
                cell.fill = self.shaded
            cells.append(cell)
        self.sheet.append(cells)

    def blank(self) -> None:
        self.rows += 1
        self.sheet.append([])


def _plan_sheet(workbook: Workbook, rows: Iterator[list[str]]) -> None:
    """The "Plan" sheet: a bold, frozen heading row (repeated on printed pages), then ``rows``."""
    plan = _Sheet(workbook, SHEET, (WIDTHS[key] for key in KEYS))
    plan.sheet.freeze_panes = "A2"
    plan.sheet.print_title_rows = "1:1"
    rows = iter(rows)
    plan.append(next(rows), heading=True)
    for row in rows:
        plan.append(row)
    plan.sheet.auto_filter.ref = f"A1:{get_column_letter(len(KEYS))}{plan.rows}"


def write_xlsx(plan: Plan, file: IO[bytes], user: access.AnyUser | None = None) -> None:
    """The plan as an Excel workbook: one sheet, "Plan", with a bold, frozen heading row."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = xml_safe(plan.title)
    workbook.properties.subject = xml_safe(plan.partnership.name)
    workbook.properties.version = xml_safe(plan.version_label) or None
    workbook.properties.description = xml_safe(
        " – ".join(part for part in (plan.title, plan.version_label, plan.years_label) if part)
    )
    workbook.properties.creator = "CSP Tracker"
    _plan_sheet(workbook, table_rows(plan, user))
    workbook.save(file)


def write_template(file: IO[bytes]) -> None:
    """A blank plan spreadsheet: an empty "Plan" sheet and an "Instructions" sheet."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = "Partnership plan template"
    workbook.properties.creator = "CSP Tracker"
    _plan_sheet(workbook, iter([list(HEADINGS)]))

    sheet = _Sheet(workbook, INSTRUCTIONS, (24, 72, 11, 48))
    title = xlsx_cell(sheet.sheet, "How to fill in the plan spreadsheet")
    title.font = Font(name="Calibri", size=14, bold=True)
    sheet.sheet.row_dimensions[1].height = 22
    sheet.sheet.append([title])
    sheet.rows += 1
    sheet.append(["Rules"], heading=True, wrap=False)
    for number, rule in enumerate(RULES, start=1):
        sheet.append([str(number), rule])
    sheet.blank()
    sheet.append(["Column", "What to write", "Required", "Other names"], heading=True)
    for column in COLUMNS:
        sheet.append(
            [
                column.heading,
                column.help,
                "Required" if column.key == "action" else "Optional",
                "; ".join(
                    alias
                    for alias in BY_KEY[column.key].aliases
                    if alias.casefold() != column.heading.casefold()
                ),
            ]
        )
    workbook.save(file)


# CSV


def write_csv(plan: Plan, file: IO[str], user: access.AnyUser | None = None) -> None:
    """The plan as CSV, UTF-8 with a byte-order mark so Excel reads pound signs and dashes.

    ``file`` is a text file opened with ``newline=""`` (and an encoding of UTF-8).
    """
    file.write("\ufeff")
    CsvWriter(file).writerows(table_rows(plan, user))
