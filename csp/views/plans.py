"""The list of plans and a plan's dashboard."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from csp import access
from csp.caching import PageCache
from csp.charts import StatusCounts, status_chart, status_label
from csp.models import (
    Action,
    ActionQuerySet,
    ObjectiveStrand,
    Partnership,
    PeriodStatus,
    Plan,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    StatutoryStrand,
)
from csp.views.common import visible_or_404


def home(request: HttpRequest) -> HttpResponse:
    partnerships = Partnership.objects.visible_to(request.user).prefetch_related(
        Prefetch("plans", Plan.objects.order_by("-first_year", "title"))
    )
    ids = access.coordinated_partnership_ids(request.user)
    coordinated = {p.pk for p in partnerships if ids is None or p.pk in ids}
    return render(request, "home.html", {"partnerships": partnerships, "coordinated": coordinated})


def chosen_period(
    periods: list[ReportingPeriod],
    slug: str | None,
    reported: set[int] | frozenset[int] = frozenset(),
) -> ReportingPeriod | None:
    """The period the visitor chose; else the latest with submitted or accepted updates
    (``reported``: their periods' ids), else the latest that is not still open, else the latest.
    """
    for period in periods:
        if slug and period.slug == slug:
            return period
    with_updates = [p for p in periods if p.pk in reported]
    finished = [p for p in periods if p.status != PeriodStatus.OPEN]
    return (with_updates or finished or periods or [None])[-1]


@dataclass
class MissingAction:
    """An action without an update for the period, as the dashboard lists it."""

    pk: int
    reference: str
    html: str


def missing_actions(actions: ActionQuerySet) -> list[MissingAction]:
    """``actions`` (annotated for the period) that have no update, as plain values, each list
    item built as one string: a plan can have hundreds."""
    url = reverse("action-detail", args=[0]).replace("/0/", "/{}/")
    found = []
    for pk, p, o, n, description in (
        actions.filter(current_status__isnull=True)
        .order_by("sort_priority", "sort_objective", "number")
        .values_list("pk", "sort_priority", "sort_objective", "number", "description")
    ):
        reference = f"{p}.{o}.{n}"
        if len(description) > 120:
            description = description[:119] + "…"
        found.append(
            MissingAction(
                pk,
                reference,
                mark_safe(  # escaped here
                    f'<li><a class="govuk-link" href="{url.format(pk)}">{reference}</a> '
                    f"{escape(description)}</li>"
                ),
            )
        )
    return found


class DashboardData:
    """What a plan's dashboard shows for a period, each part read when first asked for."""

    def __init__(self, plan: Plan, period: ReportingPeriod | None, user: access.AnyUser) -> None:
        self.plan, self.period, self.user = plan, period, user
        self.cache = PageCache(user)
        self.actions = Action.objects.visible_to(user).in_plan(plan).with_status(period, user)

    @cached_property
    def priorities(self) -> list[Priority]:
        return list(self.plan.priorities.all())

    @cached_property
    def counts(self) -> StatusCounts:
        return self.cache.get_or_set(
            "plan-counts",
            (self.plan.pk, self.period.pk if self.period else None),
            lambda: StatusCounts.of(self.actions, "objective__priority_id"),
        )

    @cached_property
    def table_rows(self) -> list[tuple[Priority, list[int], int]]:
        counts = self.counts
        return [(p, counts.row(p.pk), counts.total(p.pk)) for p in self.priorities]

    @cached_property
    def chart(self) -> Any:
        return status_chart(
            [(f"{p.number}. {p.title}", self.counts.of_key(p.pk)) for p in self.priorities]
        )

    @cached_property
    def status_headers(self) -> list[str]:
        return [status_label(s) for s in self.counts.statuses]

    @cached_property
    def totals(self) -> list[int]:
        width = len(self.counts.statuses)
        return [sum(row[1][i] for row in self.table_rows) for i in range(width)]

    @cached_property
    def grand_total(self) -> int:
        return sum(row[2] for row in self.table_rows)

    @cached_property
    def missing(self) -> list[MissingAction]:
        return missing_actions(self.actions) if self.period else []

    @cached_property
    def recent(self) -> list[QuarterlyUpdate]:
        return list(
            QuarterlyUpdate.objects.reported()
            .visible_to(self.user)
            .filter(period__plan=self.plan)
            .select_related("action__objective__priority", "period", "district")
            .order_by("-updated_at", "-pk")[:8]
        )

    @cached_property
    def coverage(self) -> list[tuple[StatutoryStrand, list[Any]]]:
        strands = ObjectiveStrand.objects.filter(
            objective__priority__plan=self.plan
        ).select_related("objective__priority")
        by_strand: dict[str, list] = defaultdict(list)
        for tag in strands:
            by_strand[tag.strand].append(tag.objective)
        return [
            (strand, sorted(by_strand[strand.value], key=lambda o: (o.priority.number, o.number)))
            for strand in StatutoryStrand
        ]

    @cached_property
    def uncovered(self) -> list[StatutoryStrand]:
        return [strand for strand, objectives in self.coverage if not objectives]


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    plan = visible_or_404(
        request,
        Plan.objects.visible_to(request.user).select_related("partnership"),
        Plan.objects.all(),
        slug=slug,
    )
    periods = list(plan.periods.order_by("year", "quarter"))
    asked = request.GET.get("period")
    # Without a period asked for: the latest with submitted or accepted updates (one query).
    reported = (
        set()
        if any(p.slug == asked for p in periods)
        else set(
            QuarterlyUpdate.objects.reported()
            .visible_to(request.user)
            .filter(period__plan=plan)
            .order_by()
            .values_list("period_id", flat=True)
            .distinct()
        )
    )
    period = chosen_period(periods, asked, reported)
    data = DashboardData(plan, period, request.user)
    # Everything below the plan and its periods is read only if the page's cached part is not
    # in the cache (``{% pagecache %}`` in the template): lazily, each at most once.
    lazy = {
        name: SimpleLazyObject(lambda name=name: getattr(data, name))
        for name in (
            "chart",
            "status_headers",
            "table_rows",
            "totals",
            "grand_total",
            "missing",
            "recent",
            "coverage",
            "uncovered",
        )
    }
    return render(
        request,
        "plans/dashboard.html",
        {
            "plan": plan,
            "partnership": plan.partnership,
            "periods": periods,
            "period": period,
            **lazy,
            "is_coordinator": access.is_coordinator(request.user, plan.partnership_id),
            "page_cache": data.cache,
        },
    )
