"""What every view shares: finding a visible object, or saying why not."""

from __future__ import annotations

from typing import NoReturn, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

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
