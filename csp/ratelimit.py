"""How often one visitor may ask for something costly: per signed-in user, or per client address.

``@rate_limited("agency-report")`` on a view allows each visitor ``RATE_LIMITS["agency-report"]``
= ``(count, seconds)`` requests in a window of that many seconds; past that the visitor gets a
429 page saying when to try again, with ``Retry-After``. Signed-in visitors are counted by
account, so colleagues behind one council address do not share a limit; signed-out ones by the
client address as django-axes reads it (``axes.helpers.get_client_ip_address``: django-ipware,
with ``AXES_PROXY_COUNT`` proxies in front), so the lock-out and the limit agree on who a
visitor is.

Counters live in Django's cache (``CACHES``, ``CACHE_URL``): Redis for a site with several
app servers, so they count together; the default in-process cache counts per process. While
the cache server is away, requests are not counted (and not refused).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

logger = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def visitor(request: HttpRequest) -> str:
    """Who is asking, for counting: the account if signed in, else the client address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    # django-ipware finds no address when the proxies are not as configured: then the one the
    # connection came from, never one bucket shared by every such visitor.
    address = get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "unknown"
    return f"address:{address}"


def retry_after(request: HttpRequest, scope: str) -> int | None:
    """Count this request against ``scope``'s limit; seconds to wait if it is over, else None.

    A fixed window: the first request of a window starts its counter, which expires with it.
    ``incr`` is atomic in Redis and in the local cache, so visitors asking at once are counted
    exactly.
    """
    count, seconds = settings.RATE_LIMITS[scope]
    now = time.time()
    window = int(now // seconds)
    key = f"rate:{scope}:{visitor(request)}:{window}"
    try:
        cache.add(key, 0, timeout=seconds + 1)
        try:
            asked = cache.incr(key)
        except ValueError:  # expired between the two: this request starts it again
            cache.add(key, 1, timeout=seconds + 1)
            asked = 1
    except Exception:
        # The cache server (Redis) is away: the request is not counted rather than refused or
        # answered with an error; django-axes, in the database, still stops password guessing.
        logger.warning("Rate limit %s not counted: cache unavailable", scope, exc_info=True)
        return None
    if asked <= count:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def waiting(request: HttpRequest, scope: str) -> int | None:
    """Seconds to wait if this visitor is already over ``scope``'s limit, without counting this
    request: for limits that count only failures (``retry_after`` counts one)."""
    count, seconds = settings.RATE_LIMITS[scope]
    now = time.time()
    window = int(now // seconds)
    asked = cache.get(f"rate:{scope}:{visitor(request)}:{window}", 0)
    if asked < count:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def too_many_requests(request: HttpRequest, wait: int, what: str) -> HttpResponse:
    """The 429 page: what was asked for too often, and when to try again."""
    minutes = math.ceil(wait / 60)
    response = render(
        request,
        "429.html",
        {
            "what": what,
            "wait": f"{minutes} minute{'s' if minutes != 1 else ''}"
            if wait > 90
            else f"{wait} second{'s' if wait != 1 else ''}",
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


def rate_limited(
    scope: str, what: str, methods: tuple[str, ...] | None = None
) -> Callable[[View], View]:
    """Limit a view to ``RATE_LIMITS[scope]`` requests per visitor.

    ``what`` says it on the 429 page, after "You have" ("asked for agency progress reports").
    ``methods``: count only these (a sign-in page's POST, not its form).
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if methods is None or request.method in methods:
                wait = retry_after(request, scope)
                if wait is not None:
                    return too_many_requests(request, wait, what)
            return view(request, *args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorate
