"""Lead agencies: every organisation with the actions it leads, and one organisation's page."""

from __future__ import annotations

from itertools import groupby

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from csp.access import SignInRequired
from csp.charts import StatusCounts, status_label
from csp.models import Action, ActionLead, Membership, Officer, Organisation, Partnership
from csp.views.common import visible_or_404


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
    organisations = list(visible_organisations(request).order_by(Lower("name"), "name"))
    if not organisations and not request.user.is_authenticated:
        raise SignInRequired
    counts = StatusCounts.of(
        Action.objects.visible_to(request.user)
        .with_status(user=request.user)
        .filter(leads__organisation__isnull=False),
        "leads__organisation",
    )
    table = [
        (organisation, counts.row(organisation.pk), counts.total(organisation.pk))
        for organisation in organisations
    ]
    return render(
        request,
        "agencies/list.html",
        {
            "table": table,
            "status_headers": [(s or "none", status_label(s)) for s in counts.statuses],
        },
    )


def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = visible_or_404(
        request, visible_organisations(request), Organisation.objects.all(), slug=slug
    )
    partnerships = Partnership.objects.visible_to(request.user)
    actions = (
        Action.objects.visible_to(request.user)
        .with_status(user=request.user)
        # An uncorrelated subquery, evaluated once: as an EXISTS per action, SQLite walked the
        # organisation's every lead for each of 20,000 actions (30 s for one leading 2,617).
        .filter(pk__in=ActionLead.objects.filter(organisation=organisation).values("action_id"))
        .select_related("objective__priority__plan")
        .order_by(
            "objective__priority__plan__title",
            "objective__priority__number",
            "objective__number",
            "number",
        )
    )
    groups = [
        (priority, list(items))
        for priority, items in groupby(actions, key=lambda a: a.objective.priority)
    ]
    memberships = (
        Membership.objects.filter(organisation=organisation, partnership__in=partnerships)
        .select_related("partnership")
        .order_by("partnership__name")
    )
    officers = Officer.objects.visible_to(request.user).filter(organisation=organisation)
    return render(
        request,
        "agencies/detail.html",
        {
            "organisation": organisation,
            "groups": groups,
            "memberships": memberships,
            "officers": officers,
            "action_count": len(actions),
        },
    )
