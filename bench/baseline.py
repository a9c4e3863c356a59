"""The baseline the action list is measured against: a plain django-tables2 + django-filter list
of the same rows, written the way their documentation shows.

A ``FilterSet`` over ``Action`` with the list's filters, a ``Table`` with the list's columns
(leads and status rendered per row from a prefetch and an annotation), paginated by
django-tables2's ``RequestConfig`` and rendered by its own template inside the site's layout.
No caching, no stored sort key. ``bench/action_list.py`` serves it at ``/baseline/actions/``
beside the real list and times both in the same run.
"""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from csp.filters import FilterOptions
from csp.models import STATUS_SEVERITY, Action, ActionLead, QuarterlyUpdate, UpdateStatus
from csp.urls import urlpatterns as site_urlpatterns


class BaselineFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search")
    plan = django_filters.MultipleChoiceFilter(field_name="objective__priority__plan__slug")
    priority = django_filters.MultipleChoiceFilter(field_name="objective__priority__number")
    objective = django_filters.CharFilter(method="filter_objective")
    lead = django_filters.MultipleChoiceFilter(
        field_name="leads__organisation__slug", distinct=True
    )
    district = django_filters.MultipleChoiceFilter(method="filter_district")
    status = django_filters.MultipleChoiceFilter(method="filter_status")
    statutory = django_filters.MultipleChoiceFilter(
        field_name="objective__strands__strand", distinct=True
    )
    period = django_filters.CharFilter(method="keep")

    class Meta:
        model = Action
        fields: list[str] = []

    def __init__(self, *args, options: FilterOptions, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.filters["plan"].extra["choices"] = options.plans
        self.filters["priority"].extra["choices"] = options.priorities
        self.filters["lead"].extra["choices"] = options.leads
        self.filters["district"].extra["choices"] = options.districts
        self.filters["status"].extra["choices"] = [*UpdateStatus.choices, ("none", "No update")]
        self.filters["statutory"].extra["choices"] = [
            (s, s) for s in ("crime_and_disorder", "reoffending", "substance_misuse")
        ]

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        updates = QuarterlyUpdate.objects.reported().filter(progress__icontains=value)
        return queryset.filter(
            Q(description__icontains=value)
            | Q(outcomes__icontains=value)
            | Q(pk__in=updates.values("action_id"))
        )

    def filter_objective(self, queryset, name, value):  # type: ignore[no-untyped-def]
        priority, _, objective = value.partition(".")
        return queryset.filter(objective__priority__number=priority, objective__number=objective)

    def filter_district(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(districts__slug__in=value) | Q(districts__isnull=True)).distinct()

    def filter_status(self, queryset, name, value):  # type: ignore[no-untyped-def]
        wanted = Q(status_rank__in=[STATUS_SEVERITY[v] for v in value if v != "none"])
        if "none" in value:
            wanted |= Q(status_rank__isnull=True)
        return queryset.filter(wanted)

    def keep(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset


class BaselineTable(tables.Table):
    reference = tables.Column(
        accessor="reference",
        order_by=(
            "objective__priority__plan__title",
            "objective__priority__number",
            "objective__number",
            "number",
        ),
    )
    description = tables.Column(linkify=True)
    priority = tables.Column(accessor="objective__priority__title")
    leads = tables.Column(empty_values=(), orderable=False)
    timescale = tables.Column()
    status = tables.Column(accessor="current_status", order_by="status_rank")

    class Meta:
        model = Action
        fields: tuple[str, ...] = ()
        sequence = ("reference", "description", "priority", "leads", "timescale", "status")
        order_by = ("reference",)

    def render_leads(self, record: Action) -> str:
        return ", ".join(str(lead) for lead in record.leads.all())


def baseline_list(request: HttpRequest) -> HttpResponse:
    options = FilterOptions.load(request.user, request.GET.getlist("plan"))
    queryset = (
        Action.objects.visible_to(request.user)
        .with_status(options.latest_reported, request.user)
        .select_related("objective__priority__plan")
        .prefetch_related(
            Prefetch("leads", ActionLead.objects.select_related("organisation", "officer"))
        )
    )
    filterset = BaselineFilterSet(request.GET or None, queryset=queryset, options=options)
    table = BaselineTable(filterset.qs)
    tables.RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "baseline_list.html", {"filter": filterset, "table": table})


urlpatterns = [*site_urlpatterns, path("baseline/actions/", baseline_list)]


def floor(request: HttpRequest) -> HttpResponse:
    """A signed-in page of the site's layout that reads nothing: what any page costs at least
    (session, user, middleware, the layout)."""
    return render(request, "baseline_floor.html")


urlpatterns.append(path("baseline/floor/", floor))
