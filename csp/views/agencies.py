"""Lead agencies: every organisation with the actions it leads, and one organisation's page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from csp.access import SignInRequired
from csp.caching import PageCache
from csp.charts import StatusCounts, status_label
from csp.models import Action, Membership, Officer, Organisation, Partnership, Plan
from csp.reports.agency import agency_quarters, build_agency_report, quarter_from_query
from csp.views.common import visible_or_404

# An organisation's page lists this many of its actions; the action list has them all.


def visible_organisations(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Organisations that lead an action, or belong to a partnership, this visitor can see."""
    actions = Action.objects.visible_to(request.user)
    partnerships = Partnership.objects.visible_to(request.user)
    return Organisation.objects.filter(
        Exists(actions.filter(leads__organisation=OuterRef("pk")))
        | Exists(
            Membership.objects.filter(organisation=OuterRef("pk"), partnership__in=partnerships)
        )
    )


def agency_list(request: HttpRequest) -> HttpResponse:
    cache = PageCache(request.user)

    def organisations() -> list[Organisation]:
        return list(visible_organisations(request).order_by(Lower("name"), "name"))

    def counts() -> StatusCounts:
        # The same for everyone who sees the same partnerships, until the data changes.
        return cache.get_or_set(
            "agency-counts",
            (),
            lambda: StatusCounts.of(
                Action.objects.visible_to(request.user)
                .with_status(user=request.user)
                .filter(leads__organisation__isnull=False),
                "leads__organisation",
            ),
        )

    # Read only if the page's cached part is not in the cache (``{% pagecache %}``).
    listed = SimpleLazyObject(organisations)
    counted = SimpleLazyObject(counts)
    if not request.user.is_authenticated and not listed:
        raise SignInRequired
    return render(
        request,
        "agencies/list.html",
        {
            "table": SimpleLazyObject(
                lambda: [(o, counted.row(o.pk), counted.total(o.pk)) for o in listed]
            ),
            "status_headers": SimpleLazyObject(
                lambda: [(s or "none", status_label(s)) for s in counted.statuses]
            ),
            "page_cache": cache,
        },
    )


@dataclass
class PriorityGroup:
    """A priority of one of the plans, as the page heads its table."""

    plan: Plan
    number: int
    shown_title: str


def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One organisation: the actions it leads with their statuses in a quarter, its partnerships
    and officers. What it leads and how they stand is the agency report's rule
    (``build_agency_report``), so this page and the PDF never disagree."""
    organisation = visible_or_404(
        request, visible_organisations(request), Organisation.objects.all(), slug=slug
    )
    partnerships = Partnership.objects.visible_to(request.user)
    quarters = agency_quarters(organisation, request.user)
    error = ""
    try:
        quarter = quarter_from_query(request.GET.get("quarter"))
    except ValueError as problem:
        quarter, error = None, str(problem)
    if quarter is not None and quarter not in quarters:
        quarter, error = None, f"No plan of {organisation.name}'s has a period {quarter.label}."
    report = build_agency_report(organisation, request.user, quarter, with_updates=False)
    groups = [
        (
            PriorityGroup(section.plan, p.number, p.title),
            [a for o in p.objectives for a in o.actions],
        )
        for section in report.plans
        for p in section.priorities
    ]
    memberships = (
        Membership.objects.filter(organisation=organisation, partnership__in=partnerships)
        .select_related("partnership")
        .order_by("partnership__name")
    )
    officers = Officer.objects.visible_to(request.user).filter(organisation=organisation)
    pdf = reverse("agency-report", args=[organisation.slug])
    response = render(
        request,
        "agencies/detail.html",
        {
            "organisation": organisation,
            "report": report,
            "groups": groups,
            "memberships": memberships,
            "officers": officers,
            "action_count": report.action_count,
            "quarters": quarters,
            "quarter": quarter,
            "quarter_error": error,
            "pdf_url": f"{pdf}?quarter={quarter.slug}" if quarter else pdf,
            "page_cache": PageCache(request.user),
        },
    )
    if error:
        response.status_code = 400
    return response
