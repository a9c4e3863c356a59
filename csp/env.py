"""Strict readers for settings that come from the environment.

Each helper refuses a malformed value with an ``ImproperlyConfigured`` error that names the
variable, so a typo in production stops start-up instead of silently meaning something else.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# Seconds to wait for the Redis cache before doing without it.
REDIS_TIMEOUT = 0.5
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}: expected true or false (or 1/0, yes/no, on/off), got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}: expected {minimum} or more, got {raw!r}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks between commas are refused, not skipped."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    items = [item.strip() for item in raw.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name}: empty item in comma-separated list {raw!r}")
    return items


def env_choice(name: str, choices: set[str], default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw not in choices:
        allowed = ", ".join(sorted(choices))
        raise ImproperlyConfigured(f"{name}: expected one of {allowed}, got {raw!r}")
    return raw


def env_dotted_path(name: str, default: str) -> str:
    """A Python dotted path to a class (a backend), such as ``django_tasks_db.DatabaseBackend``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", raw.strip()):
        raise ImproperlyConfigured(
            f"{name}: expected a class's dotted path such as {default}, got {raw[:80]!r}"
        )
    return raw.strip()


def env_json_object(name: str) -> dict[str, Any]:
    """A JSON object (``{"bucket_name": "csp"}``); unset is ``{}``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name}: expected a JSON object {{...}}, got {raw[:40]!r}")
    return value


def database_from_url(url: str, *, default_sqlite_path: Path) -> dict[str, Any]:
    """Turn ``DATABASE_URL`` into a ``DATABASES['default']`` entry.

    Unset means the embedded SQLite file. ``sqlite:///relative.db``, ``sqlite:////abs/path.db``
    and ``postgres://user:password@host:port/name?sslmode=require`` are understood; anything
    else is refused, because a guess here would put a partnership's data somewhere unexpected.
    """
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path}

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme:
        # Not a URL at all: say so, showing the start of what was given (no password in it).
        raise ImproperlyConfigured(
            f"DATABASE_URL: expected a URL such as sqlite:///file.db or postgres://…, "
            f"got {url[:40]!r}"
        )
    if scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("/"):
            path = path[1:]
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL: no file name in {url!r}")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}

    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL: no database name in {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(
                f"DATABASE_URL: the port in {url!r} is not a number"
            ) from None
        options = dict(parse_qsl(parts.query, keep_blank_values=False))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }

    raise ImproperlyConfigured(
        f"DATABASE_URL: unsupported scheme {parts.scheme!r}; use sqlite:///file.db or postgres://…"
    )


def env_rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A rate limit written ``count/seconds``: ``10/300`` is ten requests in five minutes."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    count, _, seconds = raw.strip().partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(count) > 0 and int(seconds) > 0):
        raise ImproperlyConfigured(f"{name}: expected requests/seconds such as 10/300, got {raw!r}")
    return int(count), int(seconds)


def cache_from_url(url: str) -> dict[str, Any]:
    """Turn ``CACHE_URL`` into a ``CACHES['default']`` entry.

    Unset means each process's own memory (``LocMemCache``): right for one app server.
    ``redis://host:6379/1``, ``rediss://…`` (TLS) or ``unix:///path/redis.sock`` mean Django's
    own ``RedisCache``, shared by every app server and worker, as the pages' cache may be and
    counters such as the rate limits must be once there are several. Anything else is refused.
    """
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "csp",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    scheme = urlsplit(url).scheme.lower()
    if scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"CACHE_URL: unsupported scheme {scheme!r}; expected redis://host:port/db, "
            f"rediss://… or unix:///path, or leave it unset"
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        # A Redis server that stops answering costs each request at most this long per try,
        # then the page goes on without the cache (csp.caching, csp.sessions, csp.ratelimit).
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }
