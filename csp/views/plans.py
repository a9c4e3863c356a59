"""The list of plans and a plan's dashboard."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from csp import access
from csp.charts import StatusCounts, status_chart, status_label
from csp.models import (
    Action,
    ObjectiveStrand,
    Partnership,
    PeriodStatus,
    Plan,
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


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    plan = visible_or_404(
        request,
        Plan.objects.visible_to(request.user).select_related("partnership"),
        Plan.objects.all(),
        slug=slug,
    )
    periods = list(plan.periods.order_by("year", "quarter"))
    reported = set(
        QuarterlyUpdate.objects.reported()
        .visible_to(request.user)
        .filter(period__plan=plan)
        .order_by()
        .values_list("period_id", flat=True)
        .distinct()
    )
    period = chosen_period(periods, request.GET.get("period"), reported)
    priorities = list(plan.priorities.all())
    actions = (
        Action.objects.visible_to(request.user).in_plan(plan).with_status(period, request.user)
    )

    counts = StatusCounts.of(actions, "objective__priority_id")
    statuses_shown = counts.statuses
    table_rows = [
        (priority, counts.row(priority.pk), counts.total(priority.pk)) for priority in priorities
    ]
    chart = status_chart([(f"{p.number}. {p.title}", counts.of_key(p.pk)) for p in priorities])

    missing = (
        actions.filter(current_status__isnull=True)
        .select_related("objective__priority")
        .order_by("objective__priority__number", "objective__number", "number")
        if period
        else Action.objects.none()
    )
    recent = (
        QuarterlyUpdate.objects.reported()
        .visible_to(request.user)
        .filter(period__plan=plan)
        .select_related("action__objective__priority", "period", "district")
        .order_by("-updated_at", "-pk")[:8]
    )
    strands = ObjectiveStrand.objects.filter(objective__priority__plan=plan).select_related(
        "objective__priority"
    )
    by_strand: dict[str, list] = defaultdict(list)
    for tag in strands:
        by_strand[tag.strand].append(tag.objective)
    coverage = [
        (strand, sorted(by_strand[strand.value], key=lambda o: (o.priority.number, o.number)))
        for strand in StatutoryStrand
    ]
    return render(
        request,
        "plans/dashboard.html",
        {
            "plan": plan,
            "partnership": plan.partnership,
            "periods": periods,
            "period": period,
            "chart": chart,
            "status_headers": [status_label(s) for s in statuses_shown],
            "table_rows": table_rows,
            "totals": [sum(row[1][i] for row in table_rows) for i in range(len(statuses_shown))],
            "grand_total": sum(row[2] for row in table_rows),
            "missing": missing,
            "recent": recent,
            "coverage": coverage,
            "uncovered": [strand for strand, objectives in coverage if not objectives],
            "is_coordinator": access.is_coordinator(request.user, plan.partnership_id),
        },
    )
