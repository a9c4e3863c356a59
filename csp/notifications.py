"""E-mails the update cycle sends besides reminders: asking a coordinator to close a period.

Every message is sent after the change it tells of has been recorded, and a mail server that
refuses or is down is logged, never an error for the person who made the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from csp import access
from csp.models import ReportingPeriod

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
