"""The action list's text search: one subquery over the updates' text whoever is looking, and
the same answers whether it collects the matches at once or walks the list for a common word."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from csp.filters import ActionFilterSet, FilterOptions
from csp.models import Action
from tests import factories as make

pytestmark = pytest.mark.django_db

TEXTS = ["patrols", "HUB OPEN", "venue found", "library", "o", "Nightjar", "briefing", "5,0"]


def found(user, text: str, mode: str) -> set[str]:
    request = RequestFactory().get("/actions/", {"q": text})
    request.user = user
    filterset = ActionFilterSet(
        request.GET,
        queryset=Action.objects.visible_to(user),
        options=FilterOptions.load(user),
        request=request,
    )
    filterset.search_mode = mode
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("description", flat=True))


@pytest.mark.parametrize("who", ["alice", "charlie", "public", "root"])
@pytest.mark.parametrize("text", TEXTS)
def test_walking_finds_what_collecting_finds(cast, who, text):
    cast.castle.is_public = True
    cast.castle.save()
    user = {
        "alice": cast.alice,
        "charlie": cast.charlie,
        "public": AnonymousUser(),
        "root": User.objects.create_superuser("root"),
    }[who]
    assert found(user, text, "walk") == found(user, text, "set")


def test_a_restricted_update_is_found_by_members_only(cast):
    cast.castle.is_public = True
    cast.castle.save()
    target = "Target hardening for repeat victims"  # its Q2 update is restricted
    for mode in ("set", "walk"):
        assert target in found(cast.alice, "informant", mode)
        assert target not in found(AnonymousUser(), "informant", mode)
        assert target not in found(cast.charlie, "informant", mode)


def test_a_member_s_search_reads_the_updates_text_once(alice, cast):
    with CaptureQueriesContext(connection) as queries:
        alice.get("/actions/?q=venue")
    searching = [q["sql"] for q in queries.captured_queries if "venue" in q["sql"].lower()]
    assert searching
    for sql in searching:
        text_reads = sql.count("csp_quarterlyupdate_fts") + len(
            re.findall(r'"progress"(::text)?\) LIKE', sql, re.IGNORECASE)
        )
        assert text_reads == 1, sql


committed = pytest.mark.django_db(transaction=True)


@committed
def test_a_common_word_is_found_by_walking_the_list(client):
    from tests.cast import build_cast

    cast = build_cast()
    for n in range(3, 40):
        action = make.action(cast.burglary.objective, number=n, description=f"Extra {n}")
        make.update(action, cast.q1, "on_track", cast.north, progress="Met the victims again")
    client.force_login(cast.alice)
    client.get("/actions/?q=victims")  # counts the share once
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/actions/?q=victims&per_page=25")
    page = [q["sql"] for q in queries.captured_queries if "VICTIMS" in q["sql"].upper()]
    assert len(page) == 1 and "LIMIT 1" in page[0], page  # a probe per action, not the set
    expected = sorted(
        Action.objects.visible_to(cast.alice)
        .filter(Q(description__icontains="victims") | Q(updates__progress__icontains="victims"))
        .distinct()
        .values_list("pk", flat=True)
    )
    listed = [row.pk for row in response.context["table"].page.object_list]
    assert response.context["table"].paginator.count == len(expected)
    assert set(listed) <= set(expected) and len(listed) == 25
