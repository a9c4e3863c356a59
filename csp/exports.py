"""CSV and Excel exports of the action list, built from plain values, never model instances.

An export holds every row the list's filters select (all pages) in the list's order, with one
column per district for the period's update text. Where any of the actions has measures, each
action's measures and targets are written as the plan spreadsheet writes them ("Visits (target:
100)"), and the period's figures in a column per district beside its updates ("Visits: 85"), so
the file reads back through the importer. Rows are read in chunks, each chunk costing a few small
queries (leads, districts, measures, updates, figures), so memory stays flat however long the list.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from csp import access
from csp.access import member_partnership_ids
from csp.importers.columns import figure_line, measure_line
from csp.models import (
    ActionLead,
    ActionQuerySet,
    District,
    Measure,
    MeasureFigure,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateStatus,
)
from csp.quarters import FinancialQuarter
from csp.spreadsheet_cells import CsvWriter, xlsx_cell

CHUNK = 2000
WHOLE_AREA = "whole area"

FIELDS = (
    "pk",
    "objective__priority__plan__title",
    "objective__priority__number",
    "objective__priority__title",
    "objective__number",
    "objective__title",
    "number",
    "description",
    "outcomes",
    "lead_as_written",
    "timescale",
    "current_status",
    "last_quarter",
)


def action_rows(
    queryset: ActionQuerySet, period: FinancialQuarter | None, user: access.AnyUser
) -> Iterator[list[Any]]:
    """The header, then one row per action of ``queryset``, in its order."""
    districts = _district_columns(queryset)
    measured = Measure.objects.filter(action__in=queryset.values("pk")).exists()
    period_label = period.label if period else "latest"
    yield [
        "Ref",
        "Plan",
        "Priority",
        "Strategic objective",
        "Action",
        "Outcomes / measures",
        "Lead agency / officer",
        "Lead as written",
        "Timescale",
        *(["Measures / targets"] if measured else []),
        "Districts",
        f"Status ({period_label})",
        "Last update",
        *(f"Update {period_label} – {name}" for name in districts),
        *(f"Figures {period_label} – {name}" for name in districts if measured),
        f"Risks and dependencies {period_label}",
    ]
    statuses = dict(UpdateStatus.choices)
    reader = UpdateTexts(period, user)
    for chunk in _chunks(queryset.values_list(*FIELDS).iterator(chunk_size=CHUNK), CHUNK):
        ids = [row[0] for row in chunk]
        leads = _leads(ids)
        covered = _districts(ids)
        measures = _measures(ids) if measured else {}
        updates, risks = reader.read(ids)
        figures = reader.figures(ids) if measured else {}
        for (
            pk,
            plan,
            p_no,
            p_title,
            o_no,
            o_title,
            a_no,
            description,
            outcomes,
            lead_text,
            timescale,
            status,
            last_quarter,
        ) in chunk:
            yield [
                f"{p_no}.{o_no}.{a_no}",
                plan,
                p_title,
                o_title,
                description,
                outcomes,
                "; ".join(leads.get(pk, [])),
                lead_text,
                timescale,
                *(["\n".join(measures.get(pk, []))] if measured else []),
                ", ".join(covered.get(pk, [])) or "All",
                statuses.get(status, "No update"),
                FinancialQuarter.from_key(last_quarter).label if last_quarter else "",
                *(updates.get((pk, name), "") for name in districts),
                *("\n".join(figures.get((pk, name), [])) for name in districts if measured),
                "\n".join(risks.get(pk, [])),
            ]


def _district_columns(queryset: ActionQuerySet) -> list[str]:
    names = (
        District.objects.filter(
            partnership__plans__priorities__objectives__actions__in=queryset.values("pk")
        )
        .values_list("name", flat=True)
        .distinct()
    )
    return [*sorted(set(names)), WHOLE_AREA]


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _leads(ids: list[int]) -> dict[int, list[str]]:
    leads: dict[int, list[str]] = defaultdict(list)
    rows = (
        ActionLead.objects.filter(action_id__in=ids)
        .order_by("action_id", "number")
        .values_list("action_id", "all_partners", "organisation__name", "officer__name")
    )
    for action_id, all_partners, organisation, officer in rows:
        if all_partners:
            leads[action_id].append("All partners")
        else:
            leads[action_id].append(f"{organisation} – {officer}" if officer else organisation)
    return leads


def _measures(ids: list[int]) -> dict[int, list[str]]:
    measures: dict[int, list[str]] = defaultdict(list)
    rows = (
        Measure.objects.filter(action_id__in=ids)
        .order_by("action_id", "number")
        .values_list("action_id", "description", "target_text")
    )
    for action_id, description, target in rows:
        measures[action_id].append(measure_line(description, target))
    return measures


def _districts(ids: list[int]) -> dict[int, list[str]]:
    covered: dict[int, list[str]] = defaultdict(list)
    through = District.actions.through.objects.filter(action_id__in=ids).order_by("district__name")
    for action_id, name in through.values_list("action_id", "district__name"):
        covered[action_id].append(name)
    return covered


class UpdateTexts:
    """Each action's update texts for one quarter, by district, as far as ``user`` may see them.

    The actions are visible already; of their updates, a restricted one shows only to members of
    its partnership. That, and which periods are the quarter, is settled once per export, so
    each chunk's query is a plain index lookup on (action, period).
    """

    def __init__(self, period: FinancialQuarter | None, user: access.AnyUser) -> None:
        self.period_ids = (
            list(
                ReportingPeriod.objects.filter(
                    year=period.year, quarter=period.quarter
                ).values_list("pk", flat=True)
            )
            if period
            else []
        )
        self.sees_all = user.is_superuser
        self.members = (
            set(member_partnership_ids(user).values_list("partnership_id", flat=True))
            if user.is_authenticated and not self.sees_all
            else set()
        )

    def _hidden(self, restricted: bool, partnership_id: int) -> bool:
        return restricted and not self.sees_all and partnership_id not in self.members

    def _updates(self, ids: list[int]) -> QuerySet[QuarterlyUpdate]:
        return QuarterlyUpdate.objects.reported().filter(
            action_id__in=ids, period_id__in=self.period_ids
        )

    def read(self, ids: list[int]) -> tuple[dict[tuple[int, str], str], dict[int, list[str]]]:
        updates: dict[tuple[int, str], str] = {}
        risks: dict[int, list[str]] = defaultdict(list)
        if not self.period_ids:
            return updates, risks
        rows = (
            self._updates(ids)
            .order_by("action_id", "district__name")
            .values_list(
                "action_id",
                "district__name",
                "progress",
                "risks",
                "is_restricted",
                "period__plan__partnership_id",
            )
        )
        for action_id, district, progress, risk, restricted, partnership_id in rows:
            if self._hidden(restricted, partnership_id):
                continue
            updates[(action_id, district or WHOLE_AREA)] = progress
            if risk:
                risks[action_id].append(f"{district}: {risk}" if district else risk)
        return updates, risks

    def figures(self, ids: list[int]) -> dict[tuple[int, str], list[str]]:
        """Each action's figures for the quarter, by district, as "Visits: 85" lines."""
        figures: dict[tuple[int, str], list[str]] = defaultdict(list)
        if not self.period_ids:
            return figures
        rows = (
            MeasureFigure.objects.filter(update__in=self._updates(ids))
            .order_by("update__action_id", "update__district__name", "measure__number")
            .values_list(
                "update__action_id",
                "update__district__name",
                "measure__description",
                "value",
                "update__is_restricted",
                "update__period__plan__partnership_id",
            )
        )
        for action_id, district, description, value, restricted, partnership_id in rows:
            if not self._hidden(restricted, partnership_id):
                figures[(action_id, district or WHOLE_AREA)].append(figure_line(description, value))
        return figures


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV writer output."""

    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterator[list[Any]], filename: str) -> StreamingHttpResponse:
    writer = CsvWriter(_Echo())
    # A byte-order mark, so Excel opens the file as UTF-8 (pound signs, en dashes).
    stream = (line for line in _with_bom(writer.writerow(row) for row in rows))
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"
    yield from lines


def xlsx_response(rows: Iterator[list[Any]], filename: str) -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Actions")
    header = next(rows)
    widths = {
        "Ref": 8,
        "Action": 60,
        "Outcomes / measures": 50,
        "Strategic objective": 40,
        "Measures / targets": 40,
    }
    for index, title in enumerate(header):
        letter = get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = widths.get(
            title, 45 if title.startswith("Update") else 22
        )
    sheet.freeze_panes = "B2"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cells(values: list[Any], font: Font | None = None) -> list[WriteOnlyCell]:
        out = []
        for value in values:
            cell = xlsx_cell(sheet, value)
            cell.alignment = wrap
            if font:
                cell.font = font
            out.append(cell)
        return out

    sheet.append(cells(header, bold))
    for row in rows:
        sheet.append(cells(row))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
