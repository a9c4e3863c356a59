"""Reminder e-mails to officers who owe updates: a few days before a deadline, and once overdue.

For each open period with a deadline, everyone ``PeriodSlots.recipients`` names (officers whose
organisation owes missing, draft or returned updates) gets at most one "deadline coming up" and
one "overdue" e-mail, listing what they owe. So does the holder of each working personal link
whose organisation owes updates, with the link in the e-mail instead of My updates. Each e-mail
sent is recorded as a ``Reminder``; the record is what makes ``manage.py send_reminders`` safe
to run every day from cron. Inactive accounts are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from csp.cycle import PeriodSlots, Slot
from csp.models import (
    Officer,
    Organisation,
    PeriodStatus,
    PersonalLink,
    Reminder,
    ReminderKind,
    ReportingPeriod,
)

MY_UPDATES_PATH = "/updates/"
KIND_WORDS = {ReminderKind.DUE_SOON: "due-soon", ReminderKind.OVERDUE: "overdue"}


class Outcome(StrEnum):
    SENT = "sent"
    WOULD_SEND = "would send"  # a dry run
    ALREADY_SENT = "already sent"
    NO_EMAIL = "no e-mail address"
    FAILED = "failed"


@dataclass
class ReminderResult:
    """What happened about one reminder owed to one person for one period."""

    user: User
    name: str
    period: ReportingPeriod
    kind: ReminderKind
    slots: list[Slot]
    outcome: Outcome
    error: str = ""
    link: PersonalLink | None = None  # the holder of a personal link, rather than an officer

    @property
    def email(self) -> str:
        return self.user.email

    def __str__(self) -> str:
        what = (
            f"{KIND_WORDS[self.kind]} reminder for {self.period.plan.partnership.name} "
            f"{self.period.label}, {_updates(len(self.slots))} outstanding"
        )
        who = f"{self.user.get_username()} <{self.email}>"
        if self.outcome == Outcome.SENT:
            return f"Sent {what} to {who}"
        if self.outcome == Outcome.WOULD_SEND:
            return f"Would send {what} to {who}"
        if self.outcome == Outcome.ALREADY_SENT:
            return f"Already sent: {what} to {who}"
        if self.outcome == Outcome.NO_EMAIL:
            return f"No e-mail address for {self.user.get_username()}: {what} not sent"
        return f"Could not send {what} to {who}: {self.error}"


def kind_due(period: ReportingPeriod, today: date, days_before: int) -> ReminderKind | None:
    """Which reminder ``period`` calls for on ``today``, if any."""
    if period.status != PeriodStatus.OPEN or period.deadline is None:
        return None
    days_left = (period.deadline - today).days
    if days_left < 0:
        return ReminderKind.OVERDUE
    if days_left <= days_before:
        return ReminderKind.DUE_SOON
    return None


def send_reminders(
    today: date, *, days_before: int = 3, dry_run: bool = False, base_url: str = ""
) -> list[ReminderResult]:
    """Send the reminders due on ``today``; return what happened about each, sent or not.

    ``base_url`` (``https://csp.example.org``) makes the link to My updates absolute; without it
    the e-mail gives the path alone. A failure to send one e-mail records nothing for that
    person and does not stop the others: look for ``Outcome.FAILED`` in the result.
    """
    results: list[ReminderResult] = []
    periods = (
        ReportingPeriod.objects.filter(status=PeriodStatus.OPEN, deadline__isnull=False)
        .select_related("plan__partnership")
        .order_by("plan__partnership__name", "plan__slug", "year", "quarter")
    )
    for period in periods:
        kind = kind_due(period, today, days_before)
        if kind is None:
            continue
        expected = PeriodSlots(period)
        results += _remind(
            period,
            kind,
            expected.recipients(),
            expected.link_recipients(),
            today=today,
            dry_run=dry_run,
            base_url=base_url,
        )
    return results


def remind_organisation(
    period: ReportingPeriod, organisation_id: int, today: date, *, base_url: str = ""
) -> list[ReminderResult]:
    """A coordinator's "send a reminder now": the reminder ``send_reminders`` would send, now,
    to the people of one organisation that owes updates in ``period``.

    It is the same reminder with the same record, so it is sent once: someone already reminded
    (by the command or a coordinator) is not reminded again of the same kind, and the command
    does not repeat it. Before the deadline it is the "deadline coming up" one, after it the
    "overdue" one. Each lists only what that organisation owes.
    """
    if period.status != PeriodStatus.OPEN:
        return []
    deadline = period.deadline
    kind = (
        ReminderKind.OVERDUE if deadline is not None and deadline < today else ReminderKind.DUE_SOON
    )
    slots = PeriodSlots(period)
    # Its own people: not those of a co-lead, who owe the same updates but are not being chased.
    staff = set(
        Officer.objects.filter(organisation_id=organisation_id).values_list("user_id", flat=True)
    )
    owed = {
        user_id: mine
        for user_id, owed_slots in slots.recipients().items()
        if user_id in staff
        and (mine := [s for s in owed_slots if organisation_id in s.responsible_ids])
    }
    links = {
        user_id: (link, owed_slots)
        for user_id, (link, owed_slots) in slots.link_recipients().items()
        if link.organisation_id == organisation_id
    }
    return _remind(period, kind, owed, links, today=today, dry_run=False, base_url=base_url)


def _remind(
    period: ReportingPeriod,
    kind: ReminderKind,
    owed: dict[int, list[Slot]],
    links: dict[int, tuple[PersonalLink, list[Slot]]],
    *,
    today: date,
    dry_run: bool,
    base_url: str,
) -> list[ReminderResult]:
    """Send (or, dry, say) a ``kind`` reminder to each active user ``owed`` names, and to each
    personal link's holder, once."""
    owed = owed | {user_id: slots for user_id, (_, slots) in links.items()}
    users = User.objects.filter(pk__in=owed, is_active=True).order_by("username")
    already = set(
        Reminder.objects.filter(period=period, kind=kind).values_list("user_id", flat=True)
    )
    names = _officer_names(owed)
    results = []
    for user in users:
        result = ReminderResult(
            user=user,
            name=user.get_full_name() or names.get(user.pk) or user.get_username(),
            period=period,
            kind=kind,
            slots=owed[user.pk],
            outcome=Outcome.WOULD_SEND if dry_run else Outcome.SENT,
            link=links[user.pk][0] if user.pk in links else None,
        )
        if result.link is not None:
            result.name = result.link.holder_name
        if user.pk in already:
            result.outcome = Outcome.ALREADY_SENT
        elif not result.email:
            result.outcome = Outcome.NO_EMAIL
        elif not dry_run:
            _send(result, today=today, base_url=base_url)
        results.append(result)
    return results


def _send(result: ReminderResult, *, today: date, base_url: str) -> None:
    message = _message(result, today=today, base_url=base_url)
    try:
        # The record is written first and the e-mail sent inside the same transaction: a
        # failed send rolls the record back, and of two runs at once only one can insert it.
        with transaction.atomic():
            Reminder.objects.create(
                user=result.user,
                period=result.period,
                kind=result.kind,
                email=result.email,
                outstanding=len(result.slots),
            )
            message.send()
    except IntegrityError:
        result.outcome = Outcome.ALREADY_SENT
    except Exception as error:
        # Whatever the mail backend raises (SMTP refusals, a server down): report it, go on.
        result.outcome = Outcome.FAILED
        result.error = str(error) or type(error).__name__


def _message(result: ReminderResult, *, today: date, base_url: str) -> EmailMessage:
    period = result.period
    context = {
        "name": result.name,
        "partnership": period.plan.partnership,
        "period": period,
        "deadline": period.deadline,
        "overdue": result.kind == ReminderKind.OVERDUE,
        "days_overdue": (today - period.deadline).days if period.deadline else 0,
        "days_left": (period.deadline - today).days if period.deadline else None,
        "slots": result.slots,
        "count": _updates(len(result.slots)),
        "my_updates_url": base_url.rstrip("/")
        + (result.link.path() if result.link else MY_UPDATES_PATH),
        "link": result.link,
    }
    subject = render_to_string("email/reminder_subject.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[result.email],
    )


def _officer_names(user_ids: Iterable[int]) -> dict[int, str]:
    """The name on each user's officer record, for a sign-in with no name of its own."""
    return dict(Officer.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "name"))


def _updates(count: int) -> str:
    return f"{count} update" if count == 1 else f"{count} updates"


@dataclass
class CoordinatorLine:
    text: str
    sent: bool


def describe_for_coordinator(
    results: list[ReminderResult], organisation: Organisation
) -> list[CoordinatorLine]:
    """What a coordinator who pressed "send a reminder now" is told, one line per outcome."""
    if not results:
        return [
            CoordinatorLine(
                f"Nobody at {organisation.name} can be reminded: no one there signs in to write "
                "the updates it owes, and it has no personal link that still works. Send its "
                "contact a personal link.",
                sent=False,
            )
        ]
    by_outcome: dict[Outcome, list[ReminderResult]] = {}
    for result in results:
        by_outcome.setdefault(result.outcome, []).append(result)
    lines = []
    if sent := by_outcome.get(Outcome.SENT):
        who = ", ".join(f"{r.name} ({r.email})" for r in sent)
        lines.append(CoordinatorLine(f"Reminder sent to {who}.", sent=True))
    if already := by_outcome.get(Outcome.ALREADY_SENT):
        when = dict(
            Reminder.objects.filter(
                period=already[0].period, kind=already[0].kind, user__in=[r.user for r in already]
            ).values_list("user_id", "sent_at")
        )
        who = ", ".join(
            f"{r.name} on {timezone.localtime(when[r.user.pk]):%-d %B}"
            if r.user.pk in when
            else r.name
            for r in already
        )
        lines.append(
            CoordinatorLine(
                f"Already sent this reminder ({already[0].kind.label.lower()}), so not sent "
                f"again: {who}.",
                sent=False,
            )
        )
    if missing := by_outcome.get(Outcome.NO_EMAIL):
        who = ", ".join(r.name for r in missing)
        lines.append(CoordinatorLine(f"No e-mail address, so not reminded: {who}.", sent=False))
    for failed in by_outcome.get(Outcome.FAILED, []):
        lines.append(
            CoordinatorLine(f"Could not send to {failed.name}: {failed.error}", sent=False)
        )
    return lines
