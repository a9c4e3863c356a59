"""E-mails the update cycle sends besides reminders: a coordinator's digest of the updates
submitted for review (at most one per ``COORDINATOR_DIGEST_MINUTES``), and asking a
coordinator to close a period.

Every message is sent after the change it tells of has been recorded, and a mail server that
refuses or is down is logged, never an error for the person who made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from csp import access
from csp.models import (
    CoordinatorDigest,
    PersonalLink,
    QuarterlyUpdate,
    ReportingPeriod,
    Role,
    UpdateState,
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
