"""Personal links: partners without an account write their organisation's updates through one.

A coordinator makes a link for one organisation and one period, naming its holder; it is
e-mailed to them. The link's page is the period page, for that organisation only, written as
the link's holder (``csp.views.updates``). It works until the period's deadline plus the grace
the coordinator chose, or until revoked. It signs no one in: every other page treats its holder
as any visitor who is not signed in. The token is django-sesame's (``PersonalLink.opened_by``).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from csp import access, notifications
from csp.models import Organisation, PeriodStatus, PersonalLink, ReportingPeriod
from csp.models.cycle import MAX_GRACE_DAYS
from csp.views.periods import coordinated_period
from csp.views.updates import Writer, updates_page, with_limited_uploads

# -- the partner's side ---------------------------------------------------------------------------


@never_cache
@with_limited_uploads
@require_http_methods(["GET", "HEAD", "POST"])
def personal_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """``/links/<pk>/<token>/``: the holder's updates for the link's organisation and period."""
    link = PersonalLink.opened_by(pk, token)
    if link is None:
        return _link_refused(request, status=404)
    if not link.is_usable():
        return _link_refused(request, link=link, status=410)
    PersonalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    writer = Writer(link.user, {link.organisation_id}, link)
    response = updates_page(request, link.period, writer)
    # The address is the key: never kept by a cache (never_cache) nor listed by a search
    # engine. The site's Referrer-Policy (same-origin) already keeps it from other sites; not
    # "no-referrer", which makes browsers send "Origin: null" and the CSRF check refuse the form.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_refused(
    request: HttpRequest, *, link: PersonalLink | None = None, status: int
) -> HttpResponse:
    """A link that does not work: say why, and whom to ask."""
    coordinators = (
        [access.display_name(u) for u in access.coordinators(link.period.plan.partnership_id)]
        if link is not None
        else []
    )
    return render(
        request,
        "links/refused.html",
        {
            "link": link,
            "expired_at": link.expires_at if link is not None else None,
            "coordinators": notifications.labels_of(coordinators) if coordinators else "",
            "partnership": link.period.plan.partnership if link is not None else None,
        },
        status=status,
    )


# -- the coordinator's side -----------------------------------------------------------------------


class LinkForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisation",
        empty_label="Choose the organisation",
        error_messages={
            "required": "Choose the organisation whose updates the link is for.",
            "invalid_choice": "Choose one of the partnership's organisations.",
        },
    )
    holder_name = forms.CharField(
        label="Their name",
        max_length=150,
        error_messages={
            "required": "Enter the name of the person the link is for.",
            "max_length": "Enter a name of at most 150 characters.",
        },
    )
    holder_email = forms.EmailField(
        label="Their e-mail address",
        max_length=254,
        error_messages={
            "required": "Enter their e-mail address: the link is sent there.",
            "invalid": "Enter an e-mail address like name@example.org.",
        },
    )
    grace_days = forms.IntegerField(
        label="Days after the deadline it still works",
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        initial=7,
        error_messages={
            "required": "Enter how many days after the deadline the link still works (0 is fine).",
            "invalid": "Enter the days as a whole number, like 7.",
            "min_value": "Enter 0 or more days.",
            "max_value": f"Enter at most {MAX_GRACE_DAYS} days.",
        },
    )

    def __init__(self, *args, period: ReportingPeriod, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.period = period
        self.fields["organisation"].queryset = Organisation.objects.filter(
            memberships__partnership=period.plan.partnership
        ).order_by("name")

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if self.period.deadline is None:
            raise forms.ValidationError(
                f"{self.period.label} has no deadline: a link expires at the deadline plus the "
                "days you give, so set one first."
            )
        grace = data.get("grace_days")
        if grace is not None:
            probe = PersonalLink(period=self.period, grace_days=grace)
            if not probe.is_usable():
                self.add_error(
                    "grace_days",
                    f"The deadline was {self.period.deadline:%-d %B %Y}: with {grace} days "
                    "more, the link would not work even today. Give more days (up to "
                    f"{MAX_GRACE_DAYS}), or set the period a later deadline first.",
                )
        return data


@require_http_methods(["GET", "HEAD", "POST"])
def period_links(request: HttpRequest, pk: int) -> HttpResponse:
    """``/periods/<pk>/links/``: the period's personal links, and a form to make one."""
    period = coordinated_period(request, pk)
    form = LinkForm(request.POST if request.method == "POST" else None, period=period)
    made: PersonalLink | None = None
    address = ""
    if request.method == "POST" and period.is_locked:
        messages.error(request, f"{period.label} has been reported: no link can be made for it.")
        return redirect(reverse("period-links", args=[period.pk]))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        made = PersonalLink.create(
            period=period,
            organisation=data["organisation"],
            holder_name=data["holder_name"].strip(),
            holder_email=data["holder_email"],
            grace_days=data["grace_days"],
            created_by=cast(User, request.user),
        )
        address = request.build_absolute_uri(made.path())
        sent = notifications.send_personal_link(made, address, cast(User, request.user))
        form = LinkForm(period=period)  # a blank form for the next one
        if not sent:
            messages.error(
                request,
                f"The link could not be e-mailed to {made.holder_email}. Copy it from below and "
                "send it yourself.",
            )
    links = list(
        PersonalLink.objects.filter(period=period).select_related("organisation", "period")
    )
    response = render(
        request,
        "links/period_links.html",
        {
            "period": period,
            "plan": period.plan,
            "partnership": period.plan.partnership,
            "form": form,
            "links": links,
            "made": made,
            # Shown once, on this page only: tokens are not kept anywhere.
            "address": address,
            "is_open": period.status != PeriodStatus.REPORTED,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
    if address:
        response["Cache-Control"] = "private, no-store"
    return response


def _period_link(request: HttpRequest, pk: int, link_pk: int) -> PersonalLink:
    period = coordinated_period(request, pk)
    link = (
        PersonalLink.objects.filter(pk=link_pk, period=period)
        .select_related("user", "organisation", "period__plan__partnership")
        .first()
    )
    if link is None:
        raise Http404
    return link


@require_POST
def revoke_link(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = _period_link(request, pk, link_pk)
    if link.revoked_at is None:
        with transaction.atomic():
            link.revoke(cast(User, request.user))
        messages.success(
            request,
            f"The link for {link.holder_name} ({link.organisation.name}) is revoked: it no "
            "longer opens anything. What they saved through it stays.",
        )
    else:
        messages.info(request, f"The link for {link.holder_name} was revoked already.")
    return redirect(reverse("period-links", args=[pk]))


@require_POST
def resend_link(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = _period_link(request, pk, link_pk)
    if not link.is_usable():
        messages.error(
            request,
            f"The link for {link.holder_name} no longer works ({link.state_label.lower()}): "
            "make a new one.",
        )
    elif notifications.send_personal_link(
        link, request.build_absolute_uri(link.path()), cast(User, request.user)
    ):
        messages.success(request, f"The link was e-mailed again to {link.holder_email}.")
    else:
        messages.error(request, f"The link could not be e-mailed to {link.holder_email}.")
    return redirect(reverse("period-links", args=[pk]))
