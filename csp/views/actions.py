"""The action list (filtered, sorted, paginated), its exports, and the page of one action."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Window
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from csp.access import SignInRequired, sees_restricted
from csp.exports import action_rows, csv_response, xlsx_response
from csp.filters import ActionListing
from csp.history import action_history
from csp.models import Action, ActionWatch, Measure, MeasureFigure, Plan, QuarterlyUpdate
from csp.ratelimit import rate_limited
from csp.tables import ActionTable
from csp.views.common import export_too_large, visible_or_404

PAGE_SIZES = (25, 50, 100, 200)
# Far past the end of any list, so it shows the last page; a larger number would make an OFFSET
# the database cannot hold (SQLite's is 64-bit: ?page=99999999999999999999999 was a 500).
MAX_PAGE = 1_000_000
HISTORY_SHOWN = 50


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


def paginate(table: ActionTable, listing: ActionListing, page: str | None, per_page: int) -> None:
    """Show one page of ``table``, read in full by ``listing.rows``.

    One query reads the page's ids in order together with the total (a window COUNT over the
    same filtered, sorted rows, instead of a second pass for the paginator); a second reads the
    rows. A page number out of range shows the nearest real page, at the cost of a COUNT.
    """
    ordered = table.ordered_queryset()
    try:
        number = min(max(int(page or 1), 1), MAX_PAGE)
    except ValueError:  # "abc", "1e9", "²": the first page
        number = 1

    def page_ids(n: int) -> tuple[list[int], int | None]:
        start = (n - 1) * per_page
        found = list(
            ordered.annotate(total_rows=Window(Count("pk"))).values_list("pk", "total_rows")[
                start : start + per_page
            ]
        )
        return [pk for pk, _ in found], (found[0][1] if found else None)

    ids, total = page_ids(number)
    paginator = Paginator(ordered, per_page)
    if total is None:
        asked, number = number, min(number, paginator.num_pages)  # counts: the last real page
        ids, total = page_ids(number) if number != asked else ([], 0)  # else: none at all
    paginator.count = total or 0  # what the window counted: no second COUNT query
    table.paginator = paginator
    table.page = paginator.page(number)
    table.page.object_list = listing.rows(ids)
    table.page_numbers = list(paginator.get_elided_page_range(number, on_each_side=2, on_ends=1))


def action_list(request: HttpRequest) -> HttpResponse:
    listing = _listing_or_sign_in(request)
    table = ActionTable(listing.queryset)
    RequestConfig(request, paginate=False).configure(table)
    paginate(table, listing, request.GET.get("page"), _page_size(request))
    return render(
        request,
        "actions/list.html",
        {
            "listing": listing,
            "filter": listing.filterset,
            "panel": listing.panel(),
            "table": table,
            "page_sizes": PAGE_SIZES,
            "per_page": _page_size(request),
            "wide_layout": True,
        },
    )


def _ordered_for_export(request: HttpRequest, listing: ActionListing):  # type: ignore[no-untyped-def]
    table = ActionTable(listing.queryset)
    RequestConfig(request, paginate=False).configure(table)
    return listing.for_export(table.ordered_queryset())


@rate_limited("export", "asked for exports")
def action_export_csv(request: HttpRequest) -> HttpResponseBase:
    listing = _listing_or_sign_in(request)
    refused = export_too_large(request, listing.queryset.count())
    if refused:
        return refused
    rows = action_rows(_ordered_for_export(request, listing), listing.period, request.user)
    return csv_response(rows, "actions.csv")


@rate_limited("export", "asked for exports")
def action_export_xlsx(request: HttpRequest) -> HttpResponseBase:
    listing = _listing_or_sign_in(request)
    refused = export_too_large(request, listing.queryset.count())
    if refused:
        return refused
    rows = action_rows(_ordered_for_export(request, listing), listing.period, request.user)
    return xlsx_response(rows, "actions.xlsx")


def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = visible_or_404(
        request,
        Action.objects.visible_to(request.user).select_related(
            "objective__priority__plan__partnership", "objective__theme"
        ),
        Action.objects.all(),
        pk=pk,
    )
    plan: Plan = action.objective.priority.plan
    updates = (
        QuarterlyUpdate.objects.reported()
        .visible_to(request.user)
        .filter(action=action)
        .select_related("period", "district", "organisation")
        # Evidence goes with its update: only the updates this visitor may see bring theirs.
        .prefetch_related("figures__measure", "evidence")
        # The whole-area update first in each period, on every database.
        .order_by("-period__year", "-period__quarter", F("district__name").asc(nulls_first=True))
    )
    timeline = [(period, list(group)) for period, group in groupby(updates, key=lambda u: u.period)]
    is_member = sees_restricted(request.user, plan.partnership_id)
    # Who changed what is for the partnership's members only, never the public view.
    history = (
        action_history(action, request.user, limit=HISTORY_SHOWN + 1, member=True)
        if is_member
        else []
    )
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
                Prefetch(
                    "figures",
                    MeasureFigure.objects.filter(update__in=updates.values("pk"))
                    .select_related("update__period", "update__district")
                    .order_by("update__period__year", "update__period__quarter"),
                    to_attr="all_figures",
                )
            ),
            "status": action.status_for(user=request.user),
            "timeline": timeline,
            "is_member": is_member,
            "history": history[:HISTORY_SHOWN],
            "history_cut": len(history) > HISTORY_SHOWN,
            "history_shown": HISTORY_SHOWN,
            "watching": request.user.is_authenticated
            and ActionWatch.objects.filter(user_id=request.user.pk, action=action).exists(),
        },
    )


@require_POST
def action_follow(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow an action one may see (e-mails when its status changes or an update is accepted),
    or stop following it."""
    if not request.user.is_authenticated:
        raise SignInRequired
    action = visible_or_404(
        request, Action.objects.visible_to(request.user), Action.objects.all(), pk=pk
    )
    if request.POST.get("follow") == "yes":
        ActionWatch.objects.get_or_create(user=request.user, action=action)
        messages.success(
            request,
            f"You follow {action.reference}: you will be e-mailed when its status changes or "
            "an update of it is accepted.",
        )
    else:
        ActionWatch.objects.filter(user=request.user, action=action).delete()
        messages.success(request, f"You no longer follow {action.reference}.")
    return redirect(action)
