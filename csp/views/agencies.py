"""Lead agencies: every organisation with the actions it leads, and one organisation's page."""

from __future__ import annotations

from functools import cached_property
from html import escape
from itertools import groupby
from typing import Any

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from csp.access import SignInRequired
from csp.caching import PageCache
from csp.charts import StatusCounts, status_label
from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    Membership,
    Officer,
    Organisation,
    Partnership,
)
from csp.tables import KEYSET_FIELDS, row_html, status_tag_html
from csp.views.common import visible_or_404

# An organisation's page lists this many of its actions; the action list has them all.
ACTIONS_SHOWN = 200


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


class AgencyPage:
    """What one organisation's page shows, each part read when first asked for."""

    def __init__(self, request: HttpRequest, organisation: Organisation) -> None:
        self.user = request.user
        self.organisation = organisation
        self.partnerships = Partnership.objects.visible_to(request.user)
        # Which actions it leads: one uncorrelated subquery (SQLite ran a correlated EXISTS as
        # a scan of the organisation's every lead for every action: 22 s for a county police
        # force).
        self.led = Action.objects.visible_to(request.user).filter(
            pk__in=ActionLead.objects.filter(organisation=organisation).values("action_id")
        )

    @cached_property
    def action_count(self) -> int:
        return self.led.count()

    @cached_property
    def actions(self) -> list[Action]:
        actions = list(
            self.led.select_related("objective__priority__plan")
            .only(
                "number",
                "description",
                "timescale",
                "objective__number",
                "objective__priority__number",
                "objective__priority__title",
                "objective__priority__plan__title",
            )
            .order_by(*KEYSET_FIELDS)[:ACTIONS_SHOWN]
        )
        # Statuses for the rows shown, in one query, and each row built as one string (as the
        # action list's are): a template loop with a status tag per row was most of the page.
        statuses = ActionStatus.shown([a.pk for a in actions], None, self.user)
        url = reverse("action-detail", args=[0]).replace("/0/", "/{}/")
        for action in actions:
            status = statuses[action.pk][0]
            action.current_status = status  # type: ignore[attr-defined]
            description = action.description
            if len(description) > 140:
                description = description[:139] + "…"
            action.row_html = mark_safe(  # type: ignore[attr-defined]  # escaped here
                row_html(
                    [
                        ("csp-col-reference", escape(action.reference)),
                        (
                            "",
                            f'<a class="govuk-link" href="{url.format(action.pk)}">'
                            f"{escape(description)}</a>",
                        ),
                        ("", escape(action.timescale)),
                        ("csp-col-status", status_tag_html(status)),
                    ]
                )
            )
        return actions

    @cached_property
    def groups(self) -> list[tuple[Any, list[Action]]]:
        return [
            (priority, list(items))
            for priority, items in groupby(self.actions, key=lambda a: a.objective.priority)
        ]

    @cached_property
    def memberships(self) -> list[Membership]:
        return list(
            Membership.objects.filter(
                organisation=self.organisation, partnership__in=self.partnerships
            )
            .select_related("partnership")
            .order_by("partnership__name")
        )

    @cached_property
    def officers(self) -> list[Officer]:
        # Only those leading an action this visitor sees in full, or signing in to one of
        # their own partnerships (Officer.objects.visible_to).
        return list(Officer.objects.visible_to(self.user).filter(organisation=self.organisation))


def agency_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = visible_or_404(
        request, visible_organisations(request), Organisation.objects.all(), slug=slug
    )
    page = AgencyPage(request, organisation)
    # Read only if the page's cached part is not in the cache (``{% pagecache %}``).
    lazy = {
        name: SimpleLazyObject(lambda name=name: getattr(page, name))
        for name in ("groups", "memberships", "officers")
    }
    return render(
        request,
        "agencies/detail.html",
        {
            "organisation": organisation,
            **lazy,
            "action_count": SimpleLazyObject(lambda: page.action_count),
            "actions_cut": SimpleLazyObject(lambda: page.action_count > len(page.actions)),
            "actions_shown": SimpleLazyObject(lambda: len(page.actions)),
            "page_cache": PageCache(request.user),
        },
    )
