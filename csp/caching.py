"""What the pages keep in Django's cache, and how it is kept true.

The cache is Django's own: local memory by default, Redis (``RedisCache``) when ``CACHE_URL``
names one (``csp.settings``). It holds only what is cheap to get wrong and dear to compute:
the action list's filter choices and counts, and the like. Two rules keep it honest.

**Nothing in it that another visitor may not see.** Every entry is keyed by what its visitor
may see (``visibility_key``): the partnerships they are a member of, or "superuser", or
"public". Two visitors share an entry only if ``csp.access`` shows them exactly the same rows.

**Nothing in it older than the data.** Every key also holds the current ``ChangeStamp`` token,
read from the database once per request (so every app server and worker agrees, whatever
cache each has). Any committed write to a table the cached pages read replaces the token, so
the old entries are never asked for again and expire. Writes are seen where every write passes,
in the database connection (``watch_writes``), so the ORM, bulk writes, the importer, the admin
and management commands are all covered without each having to remember. The token changes
just after the commit: a request in between caches the new data under the old token, which is
harmless. Inside a transaction that has written (a test, a view saving), the cache is bypassed
altogether, so nobody reads their own writes stale and no uncommitted data is shared.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from csp import access
from csp.models import ChangeStamp

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The tables whose rows any cached page reads. A write to any other table (sessions, history,
# reminders, background jobs, import settings) leaves the cache alone.
WATCHED_TABLES = frozenset(
    {
        "csp_partnership",
        "csp_partnershiprole",
        "csp_district",
        "csp_organisation",
        "csp_membership",
        "csp_officer",
        "csp_plan",
        "csp_priority",
        "csp_theme",
        "csp_strategicobjective",
        "csp_objectivestrand",
        "csp_action",
        "csp_action_districts",
        "csp_actionlead",
        "csp_measure",
        "csp_reportingperiod",
        "csp_quarterlyupdate",
        "csp_measurefigure",
        "csp_amendment",
        "csp_evidence",  # listed with its update on the action page
        "csp_actionstatus",
        "csp_updatecomment",
        "auth_user",  # is_superuser, and who a role belongs to
    }
)
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
STAMP_ID = 1
# Entries expire anyway, which bounds the harm if a process dies between a commit and the new
# token.
TIMEOUT = 600


def watch_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):  # type: ignore[no-untyped-def]
    """A database execute wrapper: after a write to a watched table, the token will change."""
    result = execute(sql, params, many, context)
    found = _WRITE.match(sql)
    if found and found[1].lower() in WATCHED_TABLES:
        _changed(context["connection"])
    return result


def install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: watch every write made through ``connection``."""
    if watch_writes not in connection.execute_wrappers:
        # First, so it wraps every other: a connection may be made inside a wrapper's block
        # (csp.budget's, for a signed-out visitor), whose end pops the last wrapper. Appended,
        # this one was popped instead, and the budget stayed on the connection for every later
        # request, signed in or not (each a 500 once it was spent), with no write watched.
        connection.execute_wrappers.insert(0, watch_writes)


def _changed(connection: BaseDatabaseWrapper) -> None:
    if not connection.in_atomic_block:
        new_token(connection)  # autocommit: the write is committed already
        return
    outermost = connection.atomic_blocks[0]
    if getattr(connection, "_csp_written_in", None) is outermost:
        return  # once per transaction
    connection._csp_written_in = outermost  # type: ignore[attr-defined]
    transaction.on_commit(lambda: new_token(connection), using=connection.alias)


def _wrote_in_this_transaction(connection: BaseDatabaseWrapper) -> bool:
    return bool(
        connection.in_atomic_block
        and connection.atomic_blocks
        and getattr(connection, "_csp_written_in", None) is connection.atomic_blocks[0]
    )


def _stamp_table_ready(connection: BaseDatabaseWrapper) -> bool:
    """False while migrations have not made the table yet (the writes of earlier migrations)."""
    if getattr(connection, "_csp_stamp_ready", False):
        return True
    with connection.cursor() as cursor:
        ready = ChangeStamp._meta.db_table in connection.introspection.table_names(cursor)
    connection._csp_stamp_ready = ready  # type: ignore[attr-defined]
    return ready


def new_token(connection: BaseDatabaseWrapper | None = None) -> None:
    """Replace the token: every cache entry made before is out of date."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if not _stamp_table_ready(connection):
        return
    # One plain upsert (the row may be missing: a new or flushed database), not the ORM's
    # bulk_create, which would open a transaction: in autocommit this runs straight after the
    # write, whose RETURNING rows SQLite has not handed back yet, and could not commit.
    table = connection.ops.quote_name(ChangeStamp._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, token) VALUES (%s, %s) "
            "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token",
            [STAMP_ID, secrets.token_hex(8)],
        )


def current_token() -> str | None:
    """The token for this request's cache keys; ``None`` means don't use the cache now."""
    connection = connections[DEFAULT_DB_ALIAS]
    if _wrote_in_this_transaction(connection):
        return None
    token = ChangeStamp.objects.filter(pk=STAMP_ID).values_list("token", flat=True).first()
    return token or "none"


class PageCache:
    """The cache as one request sees it: the token read once, keys that say who may see."""

    def __init__(self, user: access.AnyUser) -> None:
        self.user = user
        self.token = current_token()
        self._full_view: frozenset[int] | bool | None = False  # False: not asked yet

    @property
    def full_view(self) -> frozenset[int] | None:
        """``access.full_view_partnerships`` for this visitor, asked once per change."""
        if self._full_view is False:
            self._full_view = self.get_or_set(
                "full-view",
                (self.user.pk, self.user.is_superuser),
                lambda: access.full_view_partnerships(self.user),
                shared=False,
            )
        return self._full_view  # type: ignore[return-value]

    @property
    def usable(self) -> bool:
        """False inside a transaction that wrote: entries are neither read nor kept."""
        return self.token is not None

    @property
    def visibility(self) -> str:
        return visibility_key(self.full_view)

    def get_or_set(
        self, kind: str, parts: tuple[Any, ...], compute: Callable[[], T], *, shared: bool = True
    ) -> T:
        """The entry for ``parts`` among those this visitor may see, computed if need be.

        ``shared`` entries are keyed by what the visitor may see, so visitors who see the same
        share them; others (``shared=False``) must name whose they are in ``parts``.
        """
        if self.token is None:
            return compute()
        scope = self.visibility if shared else "own"
        digest = hashlib.sha256(repr((scope, parts)).encode()).hexdigest()[:32]
        key = f"csp:{kind}:{self.token}:{digest}"
        try:
            found = cache.get(key, _MISSING)
        except Exception:  # a cache server down must not take the pages with it
            logger.warning("Cache unavailable; computing %s", kind, exc_info=True)
            return compute()
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        value = compute()
        try:
            cache.set(key, value, TIMEOUT)
        except Exception:
            logger.warning("Cache unavailable; %s not kept", kind, exc_info=True)
        return value


_MISSING = object()


def visibility_key(full_view: frozenset[int] | None) -> str:
    """What a visitor may see, as a key (from ``access.full_view_partnerships``): visitors
    with the same key see the same rows."""
    if full_view is None:
        return "superuser"
    if not full_view:
        return "public"
    return "member:" + ",".join(map(str, sorted(full_view)))
