"""E-mails the update cycle sends besides reminders: a coordinator's digest of the updates
submitted for review (at most one per ``COORDINATOR_DIGEST_MINUTES``), asking a coordinator to
close a period, a personal link to its holder, telling the followers of an action what changed,
and a comment to the other side of an update's thread.

Every message is sent after the change it tells of has been recorded, and a mail server that
refuses or is down is logged, never an error for the person who made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from csp import access
from csp.models import (
    Action,
    ActionStatus,
    ActionWatch,
    CoordinatorDigest,
    PersonalLink,
    QuarterlyUpdate,
    ReportingPeriod,
    Role,
    UpdateComment,
    UpdateState,
    UpdateStatus,
)

logger = logging.getLogger(__name__)


def send(to: User, template: str, context: dict[str, object]) -> bool:
    """E-mail ``to`` the message ``email/<template>.txt``, with its subject: whether it went."""
    if not to.email or not to.is_active:
        return False
    context = {"name": access.display_name(to), **context}
    subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
    message = EmailMessage(
        subject=subject,
        body=render_to_string(f"email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to.email],
    )
    try:
        message.send()
    except Exception:  # a mail server down must not undo or hide what was done
        logger.exception("Could not e-mail %s (%s)", to, template)
        return False
    return True


def labels(periods: Iterable[ReportingPeriod]) -> str:
    """ "2016/17 Q1 and 2016/17 Q2"."""
    return labels_of([p.label for p in periods])


def labels_of(names: Sequence[str]) -> str:
    """ "Alice", "Alice and Bob", "Alice, Bob and Carol"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def ask_to_close(
    periods: Sequence[ReportingPeriod], asker: User, links: Sequence[str], report_title: str
) -> list[User]:
    """Ask the partnership's coordinators to close ``periods`` for a report to be issued.

    ``links``: each period's review page, in the same order. Returns who was e-mailed.
    """
    partnership = periods[0].plan.partnership
    told = []
    for coordinator in access.coordinators(partnership.pk):
        context = {
            "asker": access.display_name(asker),
            "asker_email": asker.email,
            "partnership": partnership,
            "periods": list(zip(periods, links, strict=True)),
            "labels": labels(periods),
            "report_title": report_title,
        }
        if send(coordinator, "ask_to_close", context):
            told.append(coordinator)
    return told


# -- the coordinators' digest -------------------------------------------------------------------

DIGEST_LISTS_AT_MOST = 50


def send_digests(
    *, base_url: str = "", partnership_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[User]:
    """E-mail each coordinator the updates submitted for their review since their last digest.

    At most one e-mail per coordinator per ``COORDINATOR_DIGEST_MINUTES``: what comes in
    meanwhile waits for the next submission after that, or for ``manage.py send_digests``
    (cron). ``partnership_ids``: only those partnerships' coordinators (the ones a submission
    concerns). Returns who was e-mailed.
    """
    now = now or timezone.now()
    coordinators = User.objects.filter(
        is_active=True, partnership_roles__role=Role.COORDINATOR
    ).exclude(email="")
    if partnership_ids is not None:
        coordinators = coordinators.filter(
            partnership_roles__partnership_id__in=list(partnership_ids)
        )
    return [
        user
        for user in coordinators.distinct().order_by("pk")
        if _send_digest(user, now=now, base_url=base_url)
    ]


def _pending(user: User, since: datetime | None) -> QuerySet[QuarterlyUpdate]:
    """Updates awaiting ``user``'s review, submitted after ``since``, by others than them."""
    coordinated = access.coordinated_partnership_ids(user) or set()
    pending = QuarterlyUpdate.objects.filter(
        state=UpdateState.SUBMITTED,
        period__plan__partnership_id__in=coordinated,
        submitted_at__isnull=False,
    ).exclude(author=user)
    return pending.filter(submitted_at__gt=since) if since is not None else pending


def _send_digest(user: User, *, now: datetime, base_url: str) -> bool:
    mark, _ = CoordinatorDigest.objects.get_or_create(user=user)
    pending = _pending(user, mark.covered_until)
    if not pending.exists():
        return False
    # Claim the right to send: one conditional UPDATE, so of two submissions at once (or a
    # submission and the cron command) exactly one sends.
    due = Q(last_sent_at__isnull=True) | Q(
        last_sent_at__lte=now - timedelta(minutes=settings.COORDINATOR_DIGEST_MINUTES)
    )
    if not CoordinatorDigest.objects.filter(due, pk=mark.pk).update(last_sent_at=now):
        return False
    updates = list(
        pending.select_related(
            "action__objective__priority", "district", "organisation", "author", "period__plan"
        ).order_by("period__plan__title", "period_id", "submitted_at")[:DIGEST_LISTS_AT_MOST]
    )
    count = pending.count()
    periods = [
        (
            period,
            list(group),
            base_url.rstrip("/") + reverse("period-review", args=[period.pk]),
        )
        for period, group in groupby(updates, key=lambda u: u.period)
    ]
    context = {
        "count": count,
        "more": count - len(updates),
        "periods": periods,
        "since": mark.covered_until,
    }
    if send(user, "digest", context):
        latest = max(u.submitted_at for u in updates if u.submitted_at is not None)
        CoordinatorDigest.objects.filter(pk=mark.pk).update(covered_until=latest)
        return True
    # Not sent: give the claim back, so that the next submission tries again.
    CoordinatorDigest.objects.filter(pk=mark.pk, last_sent_at=now).update(
        last_sent_at=mark.last_sent_at
    )
    return False


# -- personal links ---------------------------------------------------------------------------


def send_personal_link(link: PersonalLink, address: str, sender: User) -> bool:
    """E-mail a personal link's holder its address, from the coordinator who made or resent it."""
    period = link.period
    return send(
        link.user,
        "personal_link",
        {
            "link": link,
            "address": address,
            "period": period,
            "partnership": period.plan.partnership,
            "sender": access.display_name(sender),
            "sender_email": sender.email,
            "expires_at": link.expires_at,
        },
    )


# -- followers of an action -----------------------------------------------------------------------


@dataclass
class _Event:
    action_id: int
    period: ReportingPeriod
    text: str  # for members
    public_text: str  # for followers who see only the public view ("" : nothing to tell)


class TellingWatchers:
    """Around a change to updates: afterwards, e-mail each follower of the actions touched
    what changed, once, whoever else was told.

    ``with TellingWatchers(pairs, by=user, base_url=...) as told: ...; told.accepted(update)``.
    ``pairs``: (action id, period id) of the updates the change may touch. A status that moved
    (``ActionStatus``, the one rule) and each update accepted are told; the person who made the
    change is not told of it. A follower who is not a member of the partnership is told only
    what the public view shows, and nothing of a restricted action or update.
    """

    def __init__(self, pairs: Iterable[tuple[int, int]], *, by: Any, base_url: str = "") -> None:
        self.pairs = set(pairs)
        self.by = by
        self.base_url = base_url.rstrip("/")
        self.events: list[_Event] = []

    def _statuses(self) -> dict[tuple[int, int], tuple[str, str]]:
        where = Q(pk__in=[])
        for action_id, period_id in self.pairs:
            where |= Q(action_id=action_id, period_id=period_id)
        return {
            (s.action_id, s.period_id): (s.status, s.public_status)
            for s in ActionStatus.objects.filter(where)
        }

    def __enter__(self) -> TellingWatchers:
        watched = set(
            ActionWatch.objects.filter(action_id__in={a for a, _ in self.pairs}).values_list(
                "action_id", flat=True
            )
        )
        self.pairs = {(a, p) for a, p in self.pairs if a in watched}
        self.before = self._statuses() if self.pairs else {}
        return self

    def accepted(self, update: QuarterlyUpdate) -> None:
        if update.action_id not in {a for a, _ in self.pairs}:
            return
        where = update.district.name if update.district else "whole area"
        status = update.get_status_display().lower()
        text = f"The coordinator accepted the {where} update ({status})."
        public = "" if update.is_restricted or update.action.is_restricted else text
        self.events.append(_Event(update.action_id, update.period, text, public))

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is not None or not self.pairs:
            return
        after = self._statuses()
        labels = dict(UpdateStatus.choices)
        periods = {
            p.pk: p for p in ReportingPeriod.objects.filter(pk__in={p for _, p in self.pairs})
        }
        for pair in sorted(self.pairs):
            (old, old_public), (new, new_public) = (
                self.before.get(pair, ("", "")),
                after.get(pair, ("", "")),
            )
            if (old, old_public) == (new, new_public):
                continue

            def moved(a: str, b: str) -> str:
                if a == b:
                    return ""
                was = f" (it was {labels[a].lower()})" if a else ""
                now = labels[b].lower() if b else "no longer given: no update counts"
                return f"Its status is now {now}{was}."

            self.events.append(
                _Event(pair[0], periods[pair[1]], moved(old, new), moved(old_public, new_public))
            )
        self._send()

    def _send(self) -> None:
        if not self.events:
            return
        actions = {
            a.pk: a
            for a in Action.objects.filter(
                pk__in={e.action_id for e in self.events}
            ).select_related("objective__priority__plan__partnership")
        }
        by_user: dict[int, list[_Event]] = {}
        watches = ActionWatch.objects.filter(action_id__in=actions).select_related("user")
        users = {}
        for watch in watches:
            if watch.user_id == getattr(self.by, "pk", None) or not watch.user.is_active:
                continue
            users[watch.user_id] = watch.user
            by_user.setdefault(watch.user_id, []).extend(
                e for e in self.events if e.action_id == watch.action_id
            )
        for user_id, events in by_user.items():
            user = users[user_id]
            visible = set(
                Action.objects.visible_to(user)
                .filter(pk__in={e.action_id for e in events})
                .values_list("pk", flat=True)
            )
            lines = []
            for event in events:
                action = actions[event.action_id]
                if action.pk not in visible:
                    continue
                member = access.sees_restricted(user, action.plan.partnership_id)
                text = event.text if member else event.public_text
                if text:
                    lines.append((action, event.period, text))
            if lines:
                send(
                    user,
                    "watch",
                    {
                        "lines": [
                            (a, p, t, self.base_url + a.get_absolute_url()) for a, p, t in lines
                        ],
                        "count": len({a.pk for a, _, _ in lines}),
                    },
                )


# -- comments -------------------------------------------------------------------------------------


def tell_of_comment(comment: UpdateComment, base_url: str) -> list[User]:
    """E-mail the other side of an update's thread: a lead's comment goes to the coordinators,
    a coordinator's to the update's author (an officer, or a personal link's holder)."""
    update = comment.update
    partnership = update.period.plan.partnership
    author = comment.author
    from_coordinator = author is not None and access.is_coordinator(author, partnership.pk)
    if from_coordinator:
        to = [update.author] if update.author is not None else []
        link = getattr(update.author, "personal_link", None) if update.author else None
        address = (
            base_url.rstrip("/") + link.path()
            if link is not None and link.is_usable()
            else base_url.rstrip("/") + reverse("period-updates", args=[update.period_id])
        )
    else:
        to = list(access.coordinators(partnership.pk))
        address = base_url.rstrip("/") + reverse("period-review", args=[update.period_id])
    told = []
    for user in to:
        if user == author:
            continue
        context = {
            "comment": comment,
            "update": update,
            "update_name": update_label(update),
            "partnership": partnership,
            "who": access.display_name(author) if author else "Someone",
            "address": address,
        }
        if send(user, "comment", context):
            told.append(user)
    return told


def update_label(update: QuarterlyUpdate) -> str:
    where = update.district.name if update.district else "whole area"
    return f"{update.action.reference} {where}"
