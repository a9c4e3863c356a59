"""A fixed budget for what one request of a signed-out visitor may cost the server.

Anyone on the internet can ask for a public partnership's pages, as often and as oddly as they
like. ``AnonymousBudgetMiddleware`` gives each request from a visitor who is not signed in
``ANONYMOUS_REQUEST_SECONDS`` of work: the request thread's own CPU time (the templates, the
CSV being written, and SQLite, which runs in the thread) plus the time PostgreSQL spends on its
statements. Past it, the database is stopped mid-statement (PostgreSQL: ``statement_timeout``,
set for the request and reset after; SQLite: a progress handler that interrupts the statement)
and no further statement starts; the visitor gets a page saying the request was too large to
answer (503), never a 500. Time spent waiting for a slow client to read a download is not work
and is not counted.

The caps in front of it (search length, filter values, page numbers, export sizes for
signed-out visitors, the background path and rate limit for agency reports) keep honest
requests well inside the budget; the budget is what holds if one of them is missed.

``RequestBudget`` can also be used on its own (``with budget.applied(): ...``); ``charge()``
raises ``BudgetExceeded`` once the budget is spent, for work that runs long without a query.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout
SQLITE_CHECK_EVERY = 10_000  # SQLite virtual machine instructions between two looks at the clock


class BudgetExceeded(Exception):
    """The request has used up its budget; nothing more is done for it."""


class RequestBudget:
    """``seconds`` of work for one request, counted from when it is made."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._cpu_start = time.thread_time()
        self._database = 0.0  # seconds PostgreSQL spent on this request's statements
        self._timeout_set: set[int] = set()  # PostgreSQL connections given the timeout
        self._handled: dict[int, Any] = {}  # SQLite connections given the progress handler

    @property
    def spent(self) -> float:
        return time.thread_time() - self._cpu_start + self._database

    def remaining(self) -> float:
        return self.seconds - self.spent

    def charge(self) -> None:
        """Raise ``BudgetExceeded`` if the budget is spent."""
        if self.remaining() <= 0:
            raise BudgetExceeded(f"over {self.seconds:g} s of work")

    # -- the database ------------------------------------------------------------------------

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        """Django's ``execute_wrapper``: every statement of the request passes through here."""
        self.charge()
        wrapper = context["connection"]
        raw = wrapper.connection
        if wrapper.vendor == "postgresql":
            if id(raw) not in self._timeout_set:
                # The whole budget per statement; ``charge`` stops the next if it is spent.
                raw.execute(
                    "SELECT set_config('statement_timeout', %s, false)",
                    [str(max(1, round(self.seconds * 1000)))],
                )
                self._timeout_set.add(id(raw))
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            except OperationalError as error:
                if getattr(error.__cause__, "sqlstate", None) == QUERY_CANCELED:
                    raise BudgetExceeded("a statement ran past the budget") from error
                raise
            finally:
                self._database += time.perf_counter() - start
        if wrapper.vendor == "sqlite":
            if id(raw) not in self._handled:
                # Until ``release``: SQLite steps a statement while its rows are fetched too.
                deadline = self._cpu_start + self.seconds
                raw.set_progress_handler(lambda: time.thread_time() > deadline, SQLITE_CHECK_EVERY)
                self._handled[id(raw)] = raw
            try:
                return execute(sql, params, many, context)
            except OperationalError as error:
                if "interrupted" in str(error):
                    raise BudgetExceeded("a statement ran past the budget") from error
                raise
        return execute(sql, params, many, context)

    def release(self) -> None:
        """Give the connections back as they were (they outlive the request): PostgreSQL's its
        own timeout, SQLite's no progress handler."""
        for raw in self._handled.values():
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed: nothing to undo
                raw.set_progress_handler(None, 0)
        self._handled.clear()
        if connection.vendor != "postgresql" or not self._timeout_set:
            return
        raw = connection.connection
        if raw is None or raw.closed or id(raw) not in self._timeout_set:
            return
        try:
            raw.execute("RESET statement_timeout")
        except DatabaseError:  # a broken connection: Django closes it at the end of the request
            logger.warning("Could not reset statement_timeout", exc_info=True)
        except Exception as error:  # psycopg's own, for a connection Django has not wrapped
            logger.warning("Could not reset statement_timeout: %s", error)
        self._timeout_set.clear()

    @contextmanager
    def applied(self) -> Iterator[RequestBudget]:
        """The block's statements within the budget; the connections given back after it."""
        wrappers = connection.execute_wrappers
        wrappers.append(self)
        try:
            yield self
        finally:
            # This wrapper itself, not the last (Django's ``execute_wrapper`` pops the last): one
            # added meanwhile, by a connection made inside the block, must stay.
            with contextlib.suppress(ValueError):
                wrappers.remove(self)
            self.release()

    def streamed(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """``chunks`` (a streaming response's body), made within the budget.

        The headers have gone by then: an export that runs out of budget ends early, and the
        log says why.
        """
        with self.applied():
            try:
                yield from chunks
            except BudgetExceeded as error:
                logger.warning("A signed-out visitor's download stopped: %s", error)


def budget_of(request: HttpRequest) -> RequestBudget | None:
    """The budget this request runs within, if any (a signed-out visitor's)."""
    return getattr(request, "budget", None)


def progress_charging(request: HttpRequest) -> Callable[[int, str], None] | None:
    """A progress callback for long work in the request (WeasyPrint's pages) that stops it
    once the request's budget is spent; ``None`` for a request without one."""
    budget = budget_of(request)
    if budget is None:
        return None
    return lambda step, text: budget.charge()


def too_large(request: HttpRequest) -> HttpResponse:
    """The page for a request that would cost more than a signed-out visitor's budget."""
    response = render(
        request,
        "too_large.html",
        {"seconds": settings.ANONYMOUS_REQUEST_SECONDS},
        status=503,
    )
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


class AnonymousBudgetMiddleware:
    """Runs each signed-out visitor's request within ``ANONYMOUS_REQUEST_SECONDS`` of work."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = settings.ANONYMOUS_REQUEST_SECONDS
        if not seconds or request.user.is_authenticated:
            return self.get_response(request)
        budget = RequestBudget(seconds)
        request.budget = budget  # type: ignore[attr-defined]
        with budget.applied():
            response = self.get_response(request)
        # A file's bytes cost nothing more; a generated download (CSV) still reads the database.
        if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse):
            response.streaming_content = budget.streamed(iter(response.streaming_content))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, BudgetExceeded):
            logger.warning("A signed-out visitor's request to %s: %s", request.path, exception)
            return too_large(request)
        return None
