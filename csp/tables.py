"""The action table: columns, how each one sorts, and how it renders."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html

from csp.models import Action
from csp.quarters import FinancialQuarter
from csp.templatetags.csp_tags import status_tag

REFERENCE_ORDER = (
    "objective__priority__plan__title",
    "objective__priority__number",
    "objective__number",
    "number",
)


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
        """The data in the order asked for, ties broken by reference, the same on every database."""
        data = self.data.data
        return data.order_by(*data.query.order_by, *REFERENCE_ORDER, "pk")

    # Cells are rendered by ``templates/actions/table.html`` from what ``cells`` computes:
    # django-tables2's own cell rendering inspects each render method's signature for every
    # cell, which was a third of the list page's time.
    def cells(self, action: Action) -> dict[str, Any]:
        """The display value of every column for one action, in ``Meta.sequence`` order."""
        description = action.description
        if len(description) > 160:
            description = description[:159].rstrip() + "…"
        tag = status_tag(getattr(action, "current_status", None))
        last = getattr(action, "last_quarter", None)
        return {
            "reference": action.reference,
            "description": format_html(
                '<a class="govuk-link" href="{}">{}</a>', action.get_absolute_url(), description
            ),
            "priority": action.objective.priority.title,
            "leads": ", ".join(str(lead) for lead in action.leads.all()) or "–",
            "timescale": action.timescale or "–",
            "status": format_html(
                '<strong class="govuk-tag {}">{}</strong>', tag["classes"], tag["label"]
            ),
            "last_update": FinancialQuarter.from_key(last).label if last else "–",
        }

    def page_cells(self) -> list[list[tuple[str, Any]]]:
        """The current page, as (column name, display value) pairs per row."""
        return [list(self.cells(action).items()) for action in self.page.object_list]
