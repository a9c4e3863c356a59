"""What every view shares: finding a visible object, or saying why not."""

from __future__ import annotations

from typing import NoReturn, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from csp.access import SignInRequired

M = TypeVar("M", bound=Model)


def visible_or_404(
    request: HttpRequest, visible: QuerySet[M], everything: QuerySet[M], **lookup: object
) -> M:
    """The object ``lookup`` finds in ``visible``.

    If it exists but this visitor may not see it: a signed-out visitor is asked to sign in (a
    member may be able to see it); a signed-in one gets a 404, which does not even confirm that
    another partnership's page exists.
    """
    found = visible.filter(**lookup).first()
    if found is not None:
        return found
    if not request.user.is_authenticated and everything.filter(**lookup).exists():
        raise SignInRequired
    raise Http404


def refuse(request: HttpRequest, why: str) -> NoReturn:
    """A member whose role does not allow this gets a 403 saying ``why``; a signed-out visitor
    is asked to sign in first (their sign-in may well allow it)."""
    if not request.user.is_authenticated:
        raise SignInRequired
    raise PermissionDenied(why)


def export_too_large(request: HttpRequest, actions: int) -> HttpResponse | None:
    """The refusal for a signed-out visitor's export of more than ``ANONYMOUS_EXPORT_MAX_ACTIONS``
    actions, saying how to get it; ``None`` when it may go ahead.

    An export is made while the visitor waits, and anyone can ask for one; members (signed in)
    are not capped.
    """
    cap = settings.ANONYMOUS_EXPORT_MAX_ACTIONS
    if request.user.is_authenticated or actions <= cap:
        return None
    response = render(
        request,
        "export_too_large.html",
        {"actions": actions, "cap": cap},
        status=422,
    )
    response["Cache-Control"] = "no-store"
    return response
