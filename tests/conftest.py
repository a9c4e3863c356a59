import pytest
from django.conf import settings
from django.core.cache import cache

from tests.cast import build_cast


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: entries of an earlier test's data can't leak in."""
    cache.clear()


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def alice(client, cast):
    """A client signed in as the cast's Castle coordinator."""
    client.force_login(cast.alice)
    return client


@pytest.fixture
def public(cast):
    """The cast, with Castle's public view switched on."""
    cast.castle.is_public = True
    cast.castle.save()
    return cast


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with empty rate-limit counters (the cache outlives a test)."""
    cache.clear()
    yield
    cache.clear()
