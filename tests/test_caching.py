"""The cache (csp.caching): its entries change with the data and are never shared with a
visitor who may see other things."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from csp import access, caching
from csp.caching import PageCache, current_token, visibility_key
from csp.models import ChangeStamp, Partnership, PartnershipRole, Role
from tests import factories as make

committed = pytest.mark.django_db(transaction=True)


def stamp_writes(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if "csp_changestamp" in q["sql"] and q["sql"].lstrip().upper().startswith("INSERT")
    )


@committed
def test_a_committed_write_changes_the_token():
    before = current_token()
    make.organisation()
    assert current_token() != before


@committed
def test_a_write_to_a_table_no_page_caches_leaves_the_token():
    make.organisation()
    before = current_token()
    SessionStore().create()
    assert current_token() == before


@committed
def test_one_new_token_per_transaction_after_its_commit():
    before = current_token()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for _ in range(3):
            make.organisation()
        assert stamp_writes(queries) == 0  # not before the commit
    assert stamp_writes(queries) == 1
    assert current_token() != before


@committed
def test_a_rolled_back_transaction_leaves_the_token_and_the_next_one_changes_it():
    make.organisation()
    before = current_token()
    with pytest.raises(RuntimeError), transaction.atomic():
        make.organisation()
        raise RuntimeError
    assert current_token() == before
    with transaction.atomic():
        make.organisation()
    assert current_token() != before


@committed
def test_writes_by_the_database_s_bulk_paths_change_it_too():
    make.organisation()
    before = current_token()
    Partnership.objects.filter(name="nobody").update(is_public=True)  # even one changing nothing
    after_update = current_token()
    Partnership.objects.bulk_create([Partnership(name="Bulk", slug="bulk")])
    assert len({before, after_update, current_token()}) == 3


@pytest.mark.django_db
def test_a_transaction_that_wrote_reads_nothing_from_the_cache():
    make.organisation()
    assert current_token() is None
    calls = []
    page = PageCache(make_user("someone"))
    assert page.get_or_set("x", (1,), lambda: calls.append(1) or "fresh") == "fresh"
    assert page.get_or_set("x", (1,), lambda: calls.append(1) or "fresh") == "fresh"
    assert len(calls) == 2


def make_user(name, superuser=False):
    from django.contrib.auth.models import User

    return User.objects.create_user(name, is_superuser=superuser)


@committed
def test_visitors_share_an_entry_only_when_they_see_the_same():
    castle, elsewhere = make.partnership(), make.partnership()
    alice, bob, charlie = make_user("alice"), make_user("bob"), make_user("charlie")
    root = make_user("root", superuser=True)
    for user, partnership in ((alice, castle), (bob, castle), (charlie, elsewhere)):
        PartnershipRole.objects.create(user=user, partnership=partnership, role=Role.VIEWER)

    def seen(user):
        return PageCache(user).get_or_set("who", (), lambda: str(user))

    assert seen(alice) == "alice"
    assert seen(bob) == "alice"  # same partnerships: the same entry
    assert seen(charlie) == "charlie"
    assert seen(root) == "root"
    from django.contrib.auth.models import AnonymousUser

    assert seen(AnonymousUser()) == "AnonymousUser"
    keys = {visibility_key(access.full_view_partnerships(u)) for u in (alice, charlie, root)}
    assert keys | {visibility_key(frozenset())} == {
        f"member:{castle.pk}",
        f"member:{elsewhere.pk}",
        "superuser",
        "public",
    }
    # A new role is a change: bob now sees more, so no longer shares alice's entry.
    PartnershipRole.objects.create(user=bob, partnership=elsewhere, role=Role.VIEWER)
    assert seen(bob) == "bob"


@committed
def test_a_cache_server_that_is_down_costs_the_cache_not_the_page(caplog):
    make.organisation()
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=down):
        from django.core.cache import caches

        caches["default"].close()
        assert PageCache(make_user("dave")).get_or_set("x", (), lambda: 42) == 42
    assert "Cache unavailable" in caplog.text


@committed
def test_the_token_row_comes_back_after_a_flush():
    ChangeStamp.objects.all().delete()
    assert current_token() == "none"
    caching.new_token()
    assert current_token() not in {None, "none"}
