"""The action list (filtered, sorted, paginated), its exports, and the page of one action."""

from __future__ import annotations

from itertools import groupby

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig

from csp.access import SignInRequired, sees_restricted
from csp.exports import action_rows, csv_response, xlsx_response
from csp.filters import ActionListing
from csp.models import Action, Measure, Plan, QuarterlyUpdate
from csp.tables import ActionTable
from csp.views.common import visible_or_404

PAGE_SIZES = (25, 50, 100, 200)


def _listing_or_sign_in(request: HttpRequest) -> ActionListing:
    listing = ActionListing.from_request(request)
    if not listing.options.plans and not request.user.is_authenticated:
        raise SignInRequired
    return listing


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", 50))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


def paginate(table: ActionTable, page: str | None, per_page: int) -> None:
    """Show one page of ``table``; a page number out of range shows the nearest real page."""
    try:
        number = int(page or 1)
    except ValueError:
        number = 1
    table.paginate(page=1, per_page=per_page)
    last = table.paginator.num_pages
    if not 1 <= number <= last:
        number = min(max(number, 1), last)
    if number != 1:
        table.page = table.paginator.page(number)  # the same paginator: no second COUNT


def action_list(request: HttpRequest) -> HttpResponse:
    listing = _listing_or_sign_in(request)
    table = ActionTable(listing.queryset)
    RequestConfig(request, paginate=False).configure(table)
    paginate(table, request.GET.get("page"), _page_size(request))
    return render(
        request,
        "actions/list.html",
        {
            "listing": listing,
            "filter": listing.filterset,
            "table": table,
            "page_sizes": PAGE_SIZES,
            "per_page": _page_size(request),
            "wide_layout": True,
        },
    )


def _ordered_for_export(request: HttpRequest, listing: ActionListing):  # type: ignore[no-untyped-def]
    table = ActionTable(listing.queryset)
    RequestConfig(request, paginate=False).configure(table)
    return table.data.data


def action_export_csv(request: HttpRequest) -> HttpResponse:
    listing = _listing_or_sign_in(request)
    rows = action_rows(_ordered_for_export(request, listing), listing.period, request.user)
    return csv_response(rows, "actions.csv")


def action_export_xlsx(request: HttpRequest) -> HttpResponse:
    listing = _listing_or_sign_in(request)
    rows = action_rows(_ordered_for_export(request, listing), listing.period, request.user)
    return xlsx_response(rows, "actions.xlsx")


def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = visible_or_404(
        request,
        Action.objects.visible_to(request.user).select_related("objective__priority__plan__partnership", "objective__theme"),
        Action.objects.all(),
        pk=pk,
    )
    plan: Plan = action.objective.priority.plan
    updates = (
        QuarterlyUpdate.objects.reported()
        .visible_to(request.user)
        .filter(action=action)
        .select_related("period", "district", "organisation")
        .prefetch_related("figures__measure")
        .order_by("-period__year", "-period__quarter", "district__name")
    )
    timeline = [(period, list(group)) for period, group in groupby(updates, key=lambda u: u.period)]
    return render(
        request,
        "actions/detail.html",
        {
            "action": action,
            "plan": plan,
            "partnership": plan.partnership,
            "objective": action.objective,
            "priority": action.objective.priority,
            "strands": action.objective.strands.all(),
            "leads": action.leads.select_related("organisation", "officer"),
            "districts": action.districts.all(),
            "measures": Measure.objects.filter(action=action).prefetch_related(
                Prefetch("figures", to_attr="all_figures")
            ),
            "status": action.status_for(),
            "timeline": timeline,
            "is_member": sees_restricted(request.user, plan.partnership_id),
        },
    )
