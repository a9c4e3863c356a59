"""The action table: columns, how each one sorts, and how it renders."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join

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
        template_name = "django_tables2/govuk.html"
        attrs = {"class": "govuk-table csp-action-table"}
        orderable = True

    def ordered_queryset(self) -> QuerySet[Action]:
        """The data in the order asked for, ties broken by reference, the same on every database."""
        data = self.data.data
        return data.order_by(*data.query.order_by, *REFERENCE_ORDER, "pk")

    def render_description(self, value: str) -> str:
        # Plain slicing: Truncator's unicode-aware counting costs a millisecond a row.
        return value if len(value) <= 160 else value[:159].rstrip() + "…"

    def render_leads(self, record: Action) -> Any:
        return format_html_join(", ", "{}", ((str(lead),) for lead in record.leads.all())) or "–"

    def render_last_update(self, value: int) -> str:
        return FinancialQuarter.from_key(value).label

    def render_status(self, value: str | None) -> Any:
        context = status_tag(value)
        return format_html(
            '<strong class="govuk-tag {}">{}</strong>', context["classes"], context["label"]
        )
