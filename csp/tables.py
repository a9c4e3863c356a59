"""The action table: columns, how each one sorts, and how it renders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

from csp.models import Action
from csp.quarters import FinancialQuarter
from csp.templatetags.csp_tags import status_tag

# Plan title, priority, objective and action number: the copies each action keeps under one
# index (csp.models.plans.SORT_KEY_FIELDS), so the default order is read, not sorted.
REFERENCE_ORDER = ("sort_plan_title", "sort_priority", "sort_objective", "number")
# The reference order with its tie-break: the index, and what a page's cursor holds.
KEYSET_FIELDS = (*REFERENCE_ORDER, "id")


class ActionTable(tables.Table):
    reference = tables.Column(verbose_name="Ref", accessor="reference", order_by=REFERENCE_ORDER)
    description = tables.Column(
        verbose_name="Action", linkify=True, attrs={"a": {"class": "govuk-link"}}
    )
    priority = tables.Column(
        verbose_name="Priority",
        accessor="objective__priority__title",
        order_by=("objective__priority__number", "objective__priority__title"),
    )
    leads = tables.Column(
        verbose_name="Lead(s)", accessor="first_lead_name", order_by="lead_sort", empty_values=()
    )
    timescale = tables.Column(verbose_name="Timescale", order_by=("due_sort", "timescale"))
    status = tables.Column(
        verbose_name="Status", accessor="current_status", order_by="status_sort", empty_values=()
    )
    last_update = tables.Column(
        verbose_name="Last update", accessor="last_quarter", order_by="last_update_sort"
    )

    class Meta:
        model = Action
        fields: tuple[str, ...] = ()
        sequence = (
            "reference",
            "description",
            "priority",
            "leads",
            "timescale",
            "status",
            "last_update",
        )
        order_by = ("reference",)
        template_name = "actions/table.html"
        attrs = {"class": "govuk-table csp-action-table"}
        orderable = True

    def ordered_queryset(self) -> QuerySet[Action]:
        """The data in the order asked for, ties broken by reference, the same on every database.

        In reference order, either way, it is exactly the index's order (``KEYSET_FIELDS``).
        """
        data = self.data.data
        direction = self.keyset_direction()
        if direction is not None:
            sign = "-" if direction == "desc" else ""
            return data.order_by(*(f"{sign}{name}" for name in KEYSET_FIELDS))
        asked = [str(name) for name in data.query.order_by]
        present = {name.lstrip("-") for name in asked}
        return data.order_by(*asked, *(f for f in REFERENCE_ORDER if f not in present), "pk")

    def keyset_direction(self) -> str | None:
        """ "asc" or "desc" when the list is in reference order (an index answers it), else None."""
        asked = [str(name) for name in (self.order_by or ("reference",))]
        if asked == ["reference"]:
            return "asc"
        if asked == ["-reference"]:
            return "desc"
        return None

    # The body is built here, one string per row, not by template loops over rows and cells:
    # django-tables2's own cell rendering inspects each render method's signature for every
    # cell, which was a third of the list page's time, and a loop of template nodes per cell
    # was still a third of what was left.
    @staticmethod
    def cells(row: ActionRow) -> dict[str, str]:
        """The HTML of every column for one row, in ``Meta.sequence`` order, escaped."""
        description = row.description
        if len(description) > 160:
            description = description[:159].rstrip() + "…"
        last = FinancialQuarter.from_key(row.last_quarter).label if row.last_quarter else "–"
        return {
            "reference": escape(row.reference),
            "description": f'<a class="govuk-link" href="{escape(row.url)}">'
            f"{escape(description)}</a>",
            "priority": escape(row.priority_title),
            "leads": escape(row.leads or "–"),
            "timescale": escape(row.timescale or "–"),
            "status": status_tag_html(row.status),
            "last_update": escape(last),
        }

    def body_html(self) -> str:
        """The current page's rows, as the table's body."""
        return mark_safe(  # every value is escaped by ``cells``
            "\n".join(
                row_html((f"csp-col-{name}", html) for name, html in self.cells(row).items())
                for row in self.page.object_list
            )
        )


def row_html(cells: Iterable[tuple[str, str]]) -> str:
    """A GOV.UK table row of (class, escaped HTML) cells, built as one string."""
    return (
        '<tr class="govuk-table__row">'
        + "".join(f'<td class="govuk-table__cell {cls}">{html}</td>' for cls, html in cells)
        + "</tr>"
    )


def status_tag_html(status: str | None) -> str:
    """``{% status_tag %}``'s tag as a string, for rows built in Python."""
    tag = status_tag(status)
    return f'<strong class="govuk-tag {tag["classes"]}">{escape(tag["label"])}</strong>'


@dataclass
class ActionRow:
    """One row of the list, read as plain values (``ActionListing.rows``), not a model."""

    pk: int
    reference: str
    description: str
    url: str
    priority_title: str
    leads: str
    timescale: str
    status: str | None
    last_quarter: int | None
