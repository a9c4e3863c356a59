"""With the Redis server away, pages still answer: the cache, the sessions' cached copies and the
rate limits' counters are skipped, never a 500 (issue 14, item 5: "Redis down").

Django's own ``cached_db`` session store answered a 500 on every signed-in page while its cache
was away, and on signing out; ``csp.sessions`` is the store ``SESSION_STORE=cached_db`` uses.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse

from csp import sessions

# Nothing listens on port 1: every connection is refused at once, as with Redis stopped.
AWAY = "redis://127.0.0.1:1/0"
PASSWORD = "a-long-enough-password"


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": AWAY,
            "KEY_PREFIX": "csp",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.SESSION_ENGINE = "csp.sessions"
    yield
    # The autouse fixtures clear the cache after the test: the usual one again by then.


@pytest.fixture
def alice_password(cast):
    cast.alice.set_password(PASSWORD)
    cast.alice.save()
    return cast


def sign_in(client) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def test_a_member_signs_in_reads_the_pages_and_signs_out_while_redis_is_away(
    client, alice_password, redis_away
):
    cast = alice_password
    sign_in(client)
    for url in (
        reverse("home"),
        reverse("plan-dashboard", args=[cast.plan.slug]),
        reverse("action-list"),
        reverse("action-detail", args=[cast.patrols.pk]),
        reverse("agency-list"),
        reverse("agency-detail", args=[cast.police.slug]),
        reverse("my-updates"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Sign out" in response.content.decode(), url
    # Rate limited, so counted in the cache: not counted now, and not refused.
    assert client.get(reverse("action-export-csv")).status_code == 200
    assert Session.objects.count() == 1
    assert client.post(reverse("logout")).status_code == 302
    assert Session.objects.count() == 0
    assert "Sign out" not in client.get(reverse("home")).content.decode()


def test_a_page_waits_for_an_unreachable_redis_at_most_its_timeout(client, public, redis_away):
    started = time.monotonic()
    assert client.get(reverse("action-list")).status_code == 200
    # A handful of cache calls, each refused at once or given up after half a second.
    assert time.monotonic() - started < 10


def test_a_cached_session_copy_is_kept_at_most_session_cache_seconds(
    client, alice_password, settings, monkeypatch
):
    """A sign-out while Redis is away cannot remove the copy: it must not live long."""
    settings.SESSION_ENGINE = "csp.sessions"
    settings.SESSION_CACHE_SECONDS = 60
    kept = []
    original = cache.set

    def recording(key, value, timeout=None, **kwargs):  # type: ignore[no-untyped-def]
        if key.startswith(sessions.SessionStore.cache_key_prefix):
            kept.append(timeout)
        return original(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", recording)
    sign_in(client)
    assert client.get(reverse("home")).status_code == 200
    assert kept and all(0 < seconds <= 60 for seconds in kept)


def test_the_database_is_the_record_of_a_session(client, alice_password, settings):
    """A copy left in the cache after its row went (a sign-out while Redis was away, then
    back) is not a session: ``exists`` asks the database, so a new key never reuses it."""
    settings.SESSION_ENGINE = "csp.sessions"
    sign_in(client)
    key = client.cookies["sessionid"].value
    store = sessions.SessionStore()
    assert store.exists(key)
    Session.objects.all().delete()
    assert not store.exists(key)
