"""Sessions kept in the database with a short-lived copy in the cache (``SESSION_STORE=cached_db``).

Django's own ``cached_db`` store answers a 500 on every signed-in page while its cache server is
away (it stores the copy read from the database unguarded, and so do ``exists`` and ``delete``,
so signing out fails too). Here every use of the cache is guarded: with Redis down the database
answers alone, as with ``SESSION_STORE=db``. A sign-out while Redis is unreachable cannot remove
the cached copy, so each copy is kept at most ``SESSION_CACHE_SECONDS``: a signed-out session can
outlive its sign-out by that long at most, and only if Redis was away at the time. The database
stays the record: ``exists`` asks it alone.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache.backends.base import BaseCache

logger = logging.getLogger(__name__)
T = TypeVar("T")


class SessionStore(cached_db.SessionStore):
    # Set by Django's own stores; their type stubs do not say so.
    _cache: BaseCache
    _session: dict[str, Any]

    def _cached(self, what: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except Exception:  # the cache server away: the database alone answers
            logger.warning("Session cache unavailable (%s)", what, exc_info=True)
            return None

    def _cache_seconds(self, expiry: datetime.datetime | None = None) -> int:
        # The expiry passed when known: asking the session for its own would load it again.
        age = self.get_expiry_age(expiry=expiry) if expiry else self.get_expiry_age()
        return min(age, settings.SESSION_CACHE_SECONDS)

    def load(self) -> dict[str, Any]:
        data = self._cached("read", lambda: self._cache.get(self.cache_key))
        if data is not None:
            return data  # type: ignore[no-any-return]
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        seconds = self._cache_seconds(stored.expire_date)
        self._cached("write", lambda: self._cache.set(self.cache_key, data, seconds))
        return data  # type: ignore[no-any-return]

    def exists(self, session_key: str) -> bool:
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        DBStore.save(self, must_create)
        seconds = self._cache_seconds()
        self._cached("write", lambda: self._cache.set(self.cache_key, self._session, seconds))

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        key = session_key or self.session_key
        if key is not None:
            self._cached("delete", lambda: self._cache.delete(self.cache_key_prefix + key))
