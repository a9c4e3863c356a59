"""The action list at scale: pages reached by their Previous and Next links start from a row
(keyset), pages near the end are read from it, and the count and the filter choices are kept
in the cache without ever going stale or crossing between visitors."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csp.filters import PageCursor
from csp.models import Action, PartnershipRole, Role
from tests import factories as make

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    return [row.reference for row in response.context["table"].page.object_list]


def link(response, rel: str) -> str | None:
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return html.unescape(found[1]) if found else None


@pytest.fixture
def many(cast):
    """Castle with 70 more actions: 75 in all, three pages of 25."""
    for n in range(3, 73):
        make.action(cast.burglary.objective, number=n, description=f"Extra {n:02d}")
    return cast


@pytest.mark.parametrize("sort", ["", "sort=-reference"])
def test_next_and_previous_links_walk_the_same_pages_as_page_numbers(alice, many, sort):
    by_number = [refs(alice.get(f"/actions/?{sort}&per_page=25&page={n}")) for n in (1, 2, 3)]
    assert sum(len(page) for page in by_number) == 75
    response = alice.get(f"/actions/?{sort}&per_page=25")
    walked = [refs(response)]
    while (query := link(response, "next")) is not None:
        assert "after=" in query
        response = alice.get(f"/actions/?{query}")
        walked.append(refs(response))
    assert walked == by_number
    back = []
    while (query := link(response, "prev")) is not None:
        assert "before=" in query
        response = alice.get(f"/actions/?{query}")
        back.append(refs(response))
    assert back == by_number[:-1][::-1]


def test_the_last_page_read_from_the_end_is_the_last_page(alice, many):
    everything = refs(alice.get("/actions/?per_page=100"))
    assert refs(alice.get("/actions/?per_page=25&page=3")) == everything[50:]
    assert refs(alice.get("/actions/?per_page=50&page=2")) == everything[50:]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "e30",  # {}
        PageCursor(2, "asc", ("x", 1, 1, 1, 1)).encode()[:-3],
        PageCursor(2, "asc", ("x", "1", 1, 1, 1)).encode(),
        PageCursor(2, "asc", ("x", -1, 1, 1, 1)).encode(),
        PageCursor(2, "sideways", ("x", 1, 1, 1, 1)).encode(),
        "A" * 2000,
    ],
)
def test_a_cursor_that_does_not_decode_is_ignored(alice, many, cursor):
    response = alice.get(f"/actions/?per_page=25&page=2&after={cursor}")
    assert response.status_code == 200
    assert refs(response) == refs(alice.get("/actions/?per_page=25&page=2"))


def test_a_cursor_for_another_page_or_order_is_ignored(alice, many):
    first = alice.get("/actions/?per_page=25")
    query = link(first, "next")
    cursor = re.search(r"after=([^&]+)", query)[1]
    page_two = refs(alice.get("/actions/?per_page=25&page=2"))
    assert refs(alice.get(f"/actions/?per_page=25&page=3&after={cursor}")) == refs(
        alice.get("/actions/?per_page=25&page=3")
    )
    backwards = refs(alice.get(f"/actions/?sort=-reference&per_page=25&page=2&after={cursor}"))
    assert backwards == refs(alice.get("/actions/?sort=-reference&per_page=25&page=2"))
    assert backwards != page_two


def test_a_forged_cursor_shows_only_what_the_visitor_may_see(client, many):
    """A cursor only moves the window; the visibility rule still holds."""
    client.force_login(many.charlie)
    cursor = PageCursor(2, "asc", ("", 0, 0, 0, 0)).encode()
    response = client.get(f"/actions/?page=2&after={cursor}")
    assert response.status_code == 200
    assert "Extra" not in response.content.decode()


def test_sort_links_and_the_page_size_form_drop_the_cursor(alice, many):
    response = alice.get(
        f"/actions/?per_page=25&{link(alice.get('/actions/?per_page=25'), 'next')}"
    )
    content = html.unescape(response.content.decode())
    sort_links = re.findall(r'href="\?([^"]*sort=[^"]*)"', content)
    assert sort_links and not [q for q in sort_links if "after=" in q or "before=" in q]
    assert 'name="after"' not in content and 'name="before"' not in content


committed = pytest.mark.django_db(transaction=True)


@committed
def test_the_count_and_choices_come_from_the_cache_until_the_data_changes(client):
    from tests.cast import build_cast

    cast = build_cast()
    client.force_login(cast.alice)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/actions/").context["table"].paginator.count == 5
    with CaptureQueriesContext(connection) as second:
        response = client.get("/actions/")
    assert response.context["table"].paginator.count == 5
    # Warm: the token, the session and user, then the page's ids, rows, statuses and leads.
    assert len(second) == 7, [q["sql"][:80] for q in second.captured_queries]
    assert not [q for q in second.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(second) < len(first)
    lead = make.organisation(name="New Lead", slug="new-lead")
    make.action(cast.burglary.objective, number=9, description="Added later", lead=lead)
    response = client.get("/actions/")
    assert response.context["table"].paginator.count == 6
    assert "New Lead" in response.content.decode()


@committed
def test_cached_choices_and_counts_never_cross_to_a_visitor_who_sees_otherwise(client):
    from tests.cast import build_cast

    cast = build_cast()
    client.force_login(cast.alice)
    assert "Castle Plan 2016/17" in client.get("/actions/").content.decode()
    client.force_login(cast.charlie)
    response = client.get("/actions/")
    assert response.context["table"].paginator.count == 1
    assert "Castle Plan 2016/17" not in response.content.decode()
    assert "Shire Police" in response.content.decode()  # leads Elsewhere's action
    assert "Castle Council" not in response.content.decode()
    client.logout()
    cast.castle.is_public = True
    cast.castle.save()
    response = client.get("/actions/")
    assert response.context["table"].paginator.count == 4  # the restricted one hidden
    # Bob sees what alice sees: a member of Castle, and no more.
    PartnershipRole.objects.filter(user=cast.bob).update(role=Role.VIEWER)
    client.force_login(cast.bob)
    assert client.get("/actions/").context["table"].paginator.count == 5
    assert Action.objects.count() == 6
