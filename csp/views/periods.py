"""A coordinator's reporting periods: opening one, reviewing its updates, and its life cycle.

A period is opened for a quarter with a deadline; its leads write their updates; the
coordinator accepts each submitted update or returns it with a comment, chases what is missing,
closes the period, and marks it reported once it has gone to committee. A reported period is
locked (``refuse_if_locked``): changing one of its updates needs an ``Amendment`` with a reason,
which accepting the amended update closes again.

Only the partnership's coordinators see these pages; other members get a 403 and other
partnerships' periods answer 404.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from csp import access, notifications, reminders
from csp.cycle import (
    MOVES,
    SHARED_LABEL,
    ClosingCheck,
    PeriodSlots,
    Refused,
    Slot,
    accept,
    move_period,
    open_amendment,
    return_to_lead,
    tell_lead_of_return,
    update_name,
)
from csp.models import (
    Organisation,
    PeriodStatus,
    PersonalLink,
    Plan,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateComment,
    UpdateState,
)
from csp.models.cycle import COMMENT_MAX_LENGTH
from csp.notifications import TellingWatchers
from csp.quarters import FinancialQuarter
from csp.views.common import refuse, visible_or_404

T = TypeVar("T")


def _require_coordinator(request: HttpRequest, partnership_id: int) -> None:
    if not access.is_coordinator(request.user, partnership_id):
        refuse(request, "Only the partnership's coordinators can manage reporting periods.")


def _coordinated_plan(request: HttpRequest, slug: str) -> Plan:
    everything = Plan.objects.select_related("partnership")
    plan = visible_or_404(request, everything.visible_to(request.user), everything, slug=slug)
    _require_coordinator(request, plan.partnership_id)
    return plan


def coordinated_period(request: HttpRequest, pk: int) -> ReportingPeriod:
    everything = ReportingPeriod.objects.select_related("plan__partnership")
    visible = everything.filter(plan__in=Plan.objects.visible_to(request.user))
    period = visible_or_404(request, visible, everything, pk=pk)
    _require_coordinator(request, period.plan.partnership_id)
    return period


def _update_in(period: ReportingPeriod, update_pk: int) -> QuarterlyUpdate:
    update = (
        QuarterlyUpdate.objects.filter(pk=update_pk, period=period)
        .select_related("action__objective__priority", "district", "organisation", "period")
        .first()
    )
    if update is None:
        raise Http404
    return update


# -- opening a period -------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """A quarter of the plan not yet opened, and the deadline for its updates."""

    quarter = forms.CharField(
        label="Quarter", error_messages={"required": "Choose the quarter to open."}
    )
    deadline_day = forms.CharField(required=False)
    deadline_month = forms.CharField(required=False)
    deadline_year = forms.CharField(required=False)

    def __init__(self, *args, plan: Plan, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.opened = {
            FinancialQuarter(p.year, p.quarter): p for p in plan.periods.order_by("year", "quarter")
        }
        self.available = [
            q
            for year in range(plan.first_year, plan.last_year + 1)
            for q in (FinancialQuarter(year, n) for n in range(1, 5))
            if q not in self.opened
        ]
        if self.available and not self.is_bound:
            # Suggest the quarter after the latest one opened.
            latest = max(self.opened, default=None)
            later = [q for q in self.available if latest is None or q > latest]
            self.fields["quarter"].initial = (later or self.available)[0].slug

    def clean_quarter(self) -> FinancialQuarter:
        text = self.cleaned_data["quarter"]
        try:
            quarter = FinancialQuarter.parse(text)
        except ValueError:
            raise ValidationError("Choose a quarter from the list.") from None
        if not self.plan.first_year <= quarter.year <= self.plan.last_year:
            raise ValidationError(
                f"{self.plan.title} runs {self.plan.years_label} only: "
                f"choose one of its quarters, not {quarter.label}."
            )
        if quarter in self.opened:
            raise ValidationError(self.already_opened(quarter))
        return quarter

    def already_opened(self, quarter: FinancialQuarter) -> str:
        period = self.opened.get(quarter)
        status = f" (it is {period.get_status_display().lower()})" if period else ""
        return f"{quarter.label} has already been opened{status}. Each quarter is opened once."

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        raw = [data.get(f"deadline_{part}", "").strip() for part in ("day", "month", "year")]
        data["deadline"] = None
        if not all(raw):
            self.add_error(
                "deadline_day",
                "Enter the deadline as a day, month and year."
                if any(raw)
                else "Enter the deadline for updates.",
            )
            return data
        try:
            day, month, year = (int(part) for part in raw)
            deadline = datetime.date(year, month, day)
        except ValueError:
            self.add_error("deadline_day", "The deadline must be a real date, like 14 10 2016.")
            return data
        quarter = data.get("quarter")
        if isinstance(quarter, FinancialQuarter) and deadline < quarter.start:
            self.add_error(
                "deadline_day",
                f"The deadline must be after {quarter.label} starts ({quarter.start:%-d %B %Y}).",
            )
            return data
        data["deadline"] = deadline
        return data

    def quarter_choices(self) -> list[tuple[str, str, bool]]:
        chosen = self["quarter"].value()
        return [(q.slug, q.label, q.slug == chosen) for q in self.available]


@require_http_methods(["GET", "HEAD", "POST"])
def period_new(request: HttpRequest, slug: str) -> HttpResponse:
    plan = _coordinated_plan(request, slug)
    form = PeriodForm(request.POST if request.method == "POST" else None, plan=plan)
    if request.method == "POST" and form.is_valid():
        quarter: FinancialQuarter = form.cleaned_data["quarter"]
        deadline: datetime.date = form.cleaned_data["deadline"]
        try:
            with transaction.atomic():
                period = ReportingPeriod.objects.create(
                    plan=plan, year=quarter.year, quarter=quarter.quarter, deadline=deadline
                )
        except IntegrityError:
            # Opened by someone else since the form was drawn.
            form.add_error("quarter", form.already_opened(quarter))
        else:
            messages.success(
                request,
                f"{period.label} is open. Updates are due by {deadline:%-d %B %Y}.",
            )
            return redirect("period-review", period.pk)
    return render(
        request,
        "periods/new.html",
        {"plan": plan, "partnership": plan.partnership, "form": form},
    )


# -- reviewing a period -----------------------------------------------------------------------


class AcceptForm(forms.Form):
    # The version the coordinator read: accepting text they have not seen is refused.
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReturnForm(AcceptForm):
    comment = forms.CharField(
        label="Comment for the lead",
        widget=forms.Textarea,
        error_messages={"required": "Enter a comment saying what needs to change."},
    )


class AmendmentForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the amendment",
        widget=forms.Textarea,
        error_messages={"required": "Enter the reason for re-opening this update."},
    )


@dataclass
class FormError:
    """A failed form on the review page: which update, which form, and the message."""

    update_pk: int
    form: str  # "return", "amend" or "comment"
    message: str

    @property
    def field_id(self) -> str:
        return f"{self.form}-{self.update_pk}"


def deadline_note(period: ReportingPeriod, today: datetime.date) -> str:
    """ "3 days left", "due today", "overdue by 2 days"; nothing once the period is not open."""
    if period.deadline is None or period.status != PeriodStatus.OPEN:
        return ""
    days = (period.deadline - today).days
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''} left"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


@require_http_methods(["GET", "HEAD"])
def period_review(request: HttpRequest, pk: int) -> HttpResponse:
    period = coordinated_period(request, pk)
    return _review_page(request, period)


def _review_page(
    request: HttpRequest, period: ReportingPeriod, error: FormError | None = None
) -> HttpResponse:
    slots = PeriodSlots(period)
    updates = [slot.update for slot in slots.slots if slot.update is not None]
    for update in updates:
        if error is not None and update.pk == error.update_pk:
            # The template shows the message by the failed form: ``return_error``, ``amend_error``.
            setattr(update, f"{error.form}_error", error.message)
    locked = period.is_locked
    awaiting = [s for s in slots.slots if s.state == UpdateState.SUBMITTED]
    place = ReviewPlace.of(request.GET)
    shown = [s for s in awaiting if place.shows(s)]
    reviewable = [s for s in shown if not locked or s.in_amendment]
    choices = sorted({(o.slug, o.name) for s in awaiting for o in reporting_organisations(s)})
    return render(
        request,
        "periods/review.html",
        {
            "period": period,
            "plan": period.plan,
            "partnership": period.plan.partnership,
            "deadline_note": deadline_note(period, timezone.localdate()),
            "totals": slots.totals,
            "awaiting_total": len(awaiting),
            "by_organisation": slots.by_organisation(),
            "by_priority": slots.by_priority(),
            "owed_by_nobody": slots.owed_by_nobody(),
            "shared_label": SHARED_LABEL,
            "awaiting": [
                (slot, slot in reviewable, following.update.pk if following else "")
                for slot, following in zip(shown, [*shown[1:], None], strict=False)
            ],
            "reviewable": reviewable,
            "place": place,
            "organisation_choices": choices,
            "in_place": place.at is not None or request.GET.get("done") == "1",
            "chased": request.GET.get("chased") == "1",
            "can_remind": period.status == PeriodStatus.OPEN,
            "link_count": len(PersonalLink.objects.filter(period=period).usable()),
            # The card the result goes before; if it is no longer shown, above the list.
            "result_at": place.at if place.at in {s.update.pk for s in shown} else None,
            "outstanding": [s for s in slots.slots if s.is_outstanding],
            "accepted": [s for s in slots.slots if s.state == UpdateState.ACCEPTED],
            "locked": locked,
            "error": error,
            "summaries": _summaries(period),
            "wide_layout": True,
        },
    )


def _summaries(period: ReportingPeriod) -> list[tuple[Any, list[PrioritySummary]]]:
    """The 4 Ps summaries given for each priority, where the partnership reports that way."""
    if not period.plan.partnership.reports_by_priority_summary:
        return []
    given = PrioritySummary.objects.filter(period=period).select_related("organisation", "author")
    by_priority: dict[int, list[PrioritySummary]] = {}
    for summary in given.order_by("organisation__name"):
        by_priority.setdefault(summary.priority_id, []).append(summary)
    return [(p, by_priority.get(p.pk, [])) for p in period.plan.priorities.order_by("number")]


@dataclass(frozen=True)
class ReviewPlace:
    """Where on the review page the coordinator is: the organisation whose updates are shown,
    and the update after the one just accepted or returned (the page shows the result there).
    """

    organisation: str = ""  # a slug
    at: int | None = None

    @classmethod
    def of(cls, data: Any) -> ReviewPlace:
        slug = str(data.get("organisation", ""))
        at = str(data.get("at", ""))
        return cls(
            organisation=slug if re.fullmatch(r"[-\w]{1,100}", slug) else "",
            at=int(at) if at.isdigit() and len(at) < 12 else None,
        )

    def shows(self, slot: Slot) -> bool:
        return not self.organisation or any(
            o.slug == self.organisation for o in reporting_organisations(slot)
        )

    def url(self, period: ReportingPeriod, at: int | None = None, *, done: bool = False) -> str:
        """The review page again, at this place: the result shown where the editor was."""
        query = {"organisation": self.organisation, "at": at or "", "done": "1" if done else ""}
        kept = urlencode({k: v for k, v in query.items() if v})
        return f"{reverse('period-review', args=[period.pk])}?{kept}#review-result"


def reporting_organisations(slot: Slot) -> list[Any]:
    """Whose update it is: the organisation that reported it, else the leads that owe it."""
    if slot.update is not None and slot.update.organisation is not None:
        return [slot.update.organisation]
    return slot.owing_leads


def _telling(request: HttpRequest, updates: list[QuarterlyUpdate]) -> TellingWatchers:
    """Tell the followers of these updates' actions what the coordinator's change did."""
    return TellingWatchers(
        {(u.action_id, u.period_id) for u in updates},
        by=request.user,
        base_url=request.build_absolute_uri("/"),
    )


def _back(request: HttpRequest, period: ReportingPeriod) -> HttpResponse:
    """Back to the review page where the coordinator was, the result shown in place."""
    place = ReviewPlace.of(request.POST)
    return redirect(place.url(period, place.at, done=True))


# -- what a coordinator does to an update ------------------------------------------------------


def _attempt(request: HttpRequest, action: Callable[..., T], *args: Any) -> tuple[bool, T | None]:
    """Run ``action``; a refusal or a locked period becomes an error message, never a 500."""
    try:
        return True, action(*args)
    except Refused as refusal:
        messages.error(request, str(refusal))
    except ValidationError as error:  # PeriodLocked among them
        messages.error(request, " ".join(error.messages))
    return False, None


@require_POST
def update_accept(request: HttpRequest, pk: int, update_pk: int) -> HttpResponse:
    period = coordinated_period(request, pk)
    update = _update_in(period, update_pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Something went wrong with that form. Please try again.")
        return redirect("period-review", period.pk)
    with _telling(request, [update]) as told:
        done, closed = _attempt(request, accept, update, form.cleaned_data["version"])
        if done:
            told.accepted(update)
    if done:
        closing = " Its amendment is closed." if closed else ""
        messages.success(request, f"Accepted {update_name(update)}.{closing}")
    return _back(request, period)


@require_POST
def update_return(request: HttpRequest, pk: int, update_pk: int) -> HttpResponse:
    period = coordinated_period(request, pk)
    update = _update_in(period, update_pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        if "comment" in form.errors:
            return _review_page(
                request, period, FormError(update.pk, "return", str(form.errors["comment"][0]))
            )
        messages.error(request, "Something went wrong with that form. Please try again.")
        return redirect("period-review", period.pk)
    comment = form.cleaned_data["comment"].replace("\r\n", "\n")
    with _telling(request, [update]):
        done = _attempt(
            request, return_to_lead, update, form.cleaned_data["version"], comment, request.user
        )[0]
    if done:
        who = update.organisation.name if update.organisation else "its lead"
        later = (
            " The period is closed, but a returned update stays open to its lead until the "
            "period is reported."
            if period.status == PeriodStatus.CLOSED
            else ""
        )
        link = request.build_absolute_uri(reverse("period-updates", args=[period.pk]))
        told = " They have been e-mailed." if tell_lead_of_return(update, link) else ""
        messages.success(
            request, f"Returned {update_name(update)} to {who} with your comment.{told}{later}"
        )
    return _back(request, period)


@require_POST
def update_amend(request: HttpRequest, pk: int, update_pk: int) -> HttpResponse:
    period = coordinated_period(request, pk)
    update = _update_in(period, update_pk)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        return _review_page(
            request, period, FormError(update.pk, "amend", str(form.errors["reason"][0]))
        )
    reason = form.cleaned_data["reason"].replace("\r\n", "\n")
    user = request.user if isinstance(request.user, User) else None
    with _telling(request, [update]):
        done = _attempt(request, open_amendment, update, reason, user)[0]
    if done:
        messages.success(
            request,
            f"{update_name(update)} is open for amendment. Its lead can change it; "
            "accepting it again closes the amendment.",
        )
    return redirect("period-review", period.pk)


# -- a period's life cycle: open, closed, reported --------------------------------------------


def _move(request: HttpRequest, pk: int, to: PeriodStatus) -> HttpResponse:
    period = coordinated_period(request, pk)
    if _attempt(request, move_period, period, to)[0]:
        messages.success(request, MOVES[to][1].format(label=period.label))
    return redirect("period-review", period.pk)


@require_POST
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Closing is a decision: first what it leaves behind is listed, and the coordinator asked."""
    period = coordinated_period(request, pk)
    if request.POST.get("confirm") == "yes":
        return _move(request, pk, PeriodStatus.CLOSED)
    if period.status != PeriodStatus.OPEN:
        return _move(request, pk, PeriodStatus.CLOSED)  # refused, saying why
    check = ClosingCheck(PeriodSlots(period))
    return render(
        request,
        "periods/close.html",
        {
            "period": period,
            "plan": period.plan,
            "partnership": period.plan.partnership,
            "check": check,
            "deadline_note": deadline_note(period, timezone.localdate()),
        },
    )


@require_POST
def period_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, PeriodStatus.OPEN)


@require_POST
def period_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, PeriodStatus.REPORTED)


# -- chasing an organisation now ----------------------------------------------------------------


@require_POST
def remind_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one organisation's people the reminder the daily command would, now (and once)."""
    period = coordinated_period(request, pk)
    organisation = Organisation.objects.filter(
        pk=request.POST.get("organisation")
        if str(request.POST.get("organisation")).isdigit()
        else None,
        memberships__partnership=period.plan.partnership,
    ).first()
    if organisation is None:
        messages.error(request, "Choose an organisation of this partnership to remind.")
        return redirect("period-review", period.pk)
    if period.status != PeriodStatus.OPEN:
        messages.error(request, f"{period.label} is not open: there is nothing to remind about.")
        return redirect("period-review", period.pk)
    results = reminders.remind_organisation(
        period, organisation.pk, timezone.localdate(), base_url=request.build_absolute_uri("/")
    )
    for line in reminders.describe_for_coordinator(results, organisation):
        (messages.success if line.sent else messages.error)(request, line.text)
    # Back where the coordinator was: the result drawn above the table of organisations.
    return redirect(f"{reverse('period-review', args=[period.pk])}?chased=1#review-result")


# -- accepting every update shown at once -------------------------------------------------------


@require_POST
def accept_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept every update the review page showed, once the coordinator confirms how many.

    The page sends each update with the version it showed: one changed since is not accepted
    (its lead withdrew it, or it was returned), and the coordinator is told which.
    """
    period = coordinated_period(request, pk)
    place = ReviewPlace.of(request.POST)
    # One field, "12:3,14:1,…", however many are shown: a field each would pass Django's
    # DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) on a large period and be refused outright.
    shown: dict[int, int] = {}
    for pair in request.POST.get("updates", "").split(",")[:20_000]:
        update_pk, _, version = pair.strip().partition(":")
        if update_pk.isdigit() and version.isdigit() and len(update_pk) < 12 and len(version) < 12:
            shown[int(update_pk)] = int(version)
    updates = list(
        QuarterlyUpdate.objects.filter(
            period=period, pk__in=list(shown), state=UpdateState.SUBMITTED
        )
        .select_related("action__objective__priority", "district", "organisation", "period")
        .order_by(
            "action__objective__priority__number",
            "action__objective__number",
            "action__number",
            "district__name",
        )
    )
    if not updates:
        messages.error(request, "There were no updates to accept.")
        return redirect(place.url(period, done=True))
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "periods/accept_all.html",
            {
                "period": period,
                "plan": period.plan,
                "partnership": period.plan.partnership,
                "updates": updates,
                # Each at the version the review page showed, not as it is now.
                "shown": ",".join(f"{u.pk}:{shown[u.pk]}" for u in updates),
                "place": place,
            },
        )
    accepted, refused = [], []
    with _telling(request, updates) as told:
        for update in updates:
            try:
                accept(update, shown[update.pk])
            except (Refused, ValidationError) as why:
                refused.append(str(why) if isinstance(why, Refused) else " ".join(why.messages))
            else:
                accepted.append(update)
                told.accepted(update)
    if accepted:
        count = len(accepted)
        messages.success(request, f"Accepted {count} update{'s' if count != 1 else ''}.")
    for why in refused:
        messages.error(request, why)
    return redirect(place.url(period, done=True))


# -- the coordinator's side of an update's conversation ---------------------------------------


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Comment for the lead",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter a comment.",
            "max_length": f"A comment can be at most {COMMENT_MAX_LENGTH:,} characters.",
        },
    )


@require_POST
def update_comment(request: HttpRequest, pk: int, update_pk: int) -> HttpResponse:
    """Add the coordinator's comment to an update's conversation; its author is e-mailed."""
    period = coordinated_period(request, pk)
    update = _update_in(period, update_pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _review_page(
            request, period, FormError(update.pk, "comment", str(form.errors["text"][0]))
        )
    comment = UpdateComment.objects.create(
        update=update,
        author=request.user if isinstance(request.user, User) else None,
        text=form.cleaned_data["text"].replace("\r\n", "\n").strip(),
    )
    told = notifications.tell_of_comment(comment, request.build_absolute_uri("/"))
    emailed = f" {access.display_name(told[0])} has been e-mailed." if told else ""
    messages.success(request, f"Your comment on {update_name(update)} is added.{emailed}")
    return _back(request, period)
