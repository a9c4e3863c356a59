"""The action list (filtered, sorted, paginated), its exports, and the page of one action."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from csp.access import SignInRequired, sees_restricted
from csp.caching import PageCache
from csp.exports import action_rows, csv_response, xlsx_response
from csp.filters import ActionListing, PageCursor
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


def paginate(
    table: ActionTable, listing: ActionListing, request: HttpRequest, per_page: int
) -> None:
    """Show one page of ``table``: the count (kept in the cache), the page's ids from the index
    where the order allows (``ActionListing.page``), then its rows as values.

    A page number out of range shows the nearest real page.
    """
    try:
        number = min(max(int(request.GET.get("page") or 1), 1), MAX_PAGE)
    except ValueError:  # "abc", "1e9", "²": the first page
        number = 1
    paginator = Paginator([], per_page)
    paginator.count = listing.count()
    number = min(number, paginator.num_pages)
    direction = table.keyset_direction()
    cursor = PageCursor.decode(request.GET.get("after"), after=True) or PageCursor.decode(
        request.GET.get("before"), after=False
    )
    ordered = listing.for_page(table.ordered_queryset())
    found = listing.page(ordered, number, per_page, paginator.count, direction, cursor)
    table.paginator = paginator
    table.page = paginator.page(number)
    table.page.object_list = listing.rows([pk for pk, _ in found])
    table.page_numbers = list(paginator.get_elided_page_range(number, on_each_side=2, on_ends=1))
    # The Previous and Next links start from this page's first and last rows.
    table.cursors = {"before": None, "after": None}
    if direction is not None and found:
        if number > 1:
            table.cursors["before"] = PageCursor(number - 1, direction, found[0][1], False).encode()
        if number < paginator.num_pages:
            table.cursors["after"] = PageCursor(number + 1, direction, found[-1][1]).encode()


def action_list(request: HttpRequest) -> HttpResponse:
    listing = _listing_or_sign_in(request)
    table = ActionTable(listing.queryset)
    RequestConfig(request, paginate=False).configure(table)
    paginate(table, listing, request, _page_size(request))
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
    is_member = sees_restricted(request.user, plan.partnership_id)

    def timeline() -> list[tuple[Any, list[QuarterlyUpdate]]]:
        return [(period, list(group)) for period, group in groupby(updates, key=lambda u: u.period)]

    def history() -> list[Any]:
        # Who changed what is for the partnership's members only, never the public view.
        if not is_member:
            return []
        return action_history(action, request.user, limit=HISTORY_SHOWN + 1, member=True)

    # What follows is read only if the page's cached part is not in the cache
    # (``{% pagecache %}`` in the template): lazily, each at most once.
    changes = SimpleLazyObject(history)
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
            "timeline": SimpleLazyObject(timeline),
            "is_member": is_member,
            "history": SimpleLazyObject(lambda: changes[:HISTORY_SHOWN]),
            "history_cut": SimpleLazyObject(lambda: len(changes) > HISTORY_SHOWN),
            "history_shown": HISTORY_SHOWN,
            "page_cache": PageCache(request.user),
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
