"""Pages whose main part is kept in the cache (``{% pagecache %}``): a second visit reads it
from there, a visitor who sees otherwise never gets it, and a change shows at once.

These tests commit, as a real site does: inside a test's usual transaction the cache is
bypassed (a transaction that wrote reads nothing from it)."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.cast import build_cast

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "dashboard": "/plans/castle-2016-17/",
    "action": "/actions/{hub}/",
    "agencies": "/agencies/",
    "agency": "/agencies/castle-council/",
    "list": "/actions/",
}


@pytest.fixture
def cast():
    return build_cast()


def url(cast, page: str) -> str:
    return PAGES[page].format(hub=cast.hub.pk)


@pytest.mark.parametrize("page", PAGES)
def test_a_second_visit_reads_the_page_from_the_cache(client, cast, page):
    client.force_login(cast.alice)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url(cast, page)).status_code == 200
    with CaptureQueriesContext(connection) as second:
        again = client.get(url(cast, page))
    assert again.status_code == 200
    assert len(second) < len(first), (len(first), len(second))


@pytest.mark.parametrize("page", ["dashboard", "action", "agencies", "agency", "list"])
def test_a_member_s_cached_page_is_not_what_the_public_gets(client, cast, page):
    cast.castle.is_public = True
    cast.castle.save()
    client.force_login(cast.alice)
    client.get(url(cast, page))  # the member's page, now in the cache
    client.logout()
    public = client.get(url(cast, page)).content.decode()
    # The restricted action and the restricted update stay hidden however warm the cache.
    for secret in ("Covert operation against handlers", "Secret informant briefing"):
        assert secret not in public
    assert "Who changed what" not in public


def test_a_member_of_another_partnership_never_gets_castle_s_page(client, cast):
    client.force_login(cast.alice)
    assert "Open a community safety hub" in client.get("/agencies/castle-council/").content.decode()
    client.force_login(cast.charlie)
    assert client.get("/agencies/castle-council/").status_code == 404
    assert "Castle Council" not in client.get("/agencies/").content.decode()


def test_a_change_shows_at_once(client, cast):
    client.force_login(cast.alice)
    for page in PAGES:
        client.get(url(cast, page))
    cast.hub.description = "Open a community safety hub in the library"
    cast.hub.save()
    for page in ("dashboard", "action", "agency", "list"):
        content = client.get(url(cast, page)).content.decode()
        assert "in the library" in content or page == "dashboard", page
    cast.plan.title = "Castle Plan, renamed"
    cast.plan.save()
    assert "Castle Plan, renamed" in client.get(url(cast, "dashboard")).content.decode()
    assert "Castle Plan, renamed" in client.get(url(cast, "agency")).content.decode()


def test_a_coordinator_and_a_viewer_of_the_same_partnership_get_their_own_dashboard(client, cast):
    client.force_login(cast.alice)
    assert "Open a new period" in client.get(url(cast, "dashboard")).content.decode()
    client.force_login(cast.bob)  # a viewer of Castle: sees the same rows, not the same tools
    assert "Open a new period" not in client.get(url(cast, "dashboard")).content.decode()


def test_who_follows_an_action_and_their_form_s_token_are_never_from_the_cache(cast):
    """The follow button says whether this visitor follows the action, and its form carries
    their own CSRF token: neither may come from a page cached for a colleague who sees the
    same rows (alice and bob are both of Castle)."""
    from django.test import Client

    from csp.models import ActionWatch

    ActionWatch.objects.create(user=cast.alice, action=cast.hub)
    alice, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    alice.force_login(cast.alice)
    bob.force_login(cast.bob)
    assert "You follow this action" in alice.get(url(cast, "action")).content.decode()
    page = bob.get(url(cast, "action")).content.decode()
    assert "You follow this action" not in page
    assert "Follow this action" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    followed = bob.post(
        f"/actions/{cast.hub.pk}/follow/", {"csrfmiddlewaretoken": token, "follow": "yes"}
    )
    assert followed.status_code == 302
    assert ActionWatch.objects.filter(user=cast.bob, action=cast.hub).exists()
    # and the page's cached parts did come from the cache
    with CaptureQueriesContext(connection) as queries:
        assert "You follow this action" in bob.get(url(cast, "action")).content.decode()
    assert not any("csp_quarterlyupdate" in q["sql"] for q in queries)


def test_evidence_added_to_an_update_shows_on_the_action_page_at_once(client, cast):
    from django.core.files.base import ContentFile

    from csp.models import Evidence, QuarterlyUpdate

    client.force_login(cast.alice)
    client.get(url(cast, "action"))  # cached
    update = QuarterlyUpdate.objects.filter(action=cast.hub, is_restricted=False).first()
    evidence = Evidence(update=update, name="minutes.pdf", kind="pdf", size=5)
    evidence.file.save("minutes.pdf", ContentFile(b"%PDF-"), save=True)
    assert "minutes.pdf" in client.get(url(cast, "action")).content.decode()


def test_whether_a_visitor_follows_an_action_is_theirs_alone(client, cast, caplog):
    """The follow form (issue 12) is outside the action page's cached parts: bob, who sees what
    alice sees, is never told he follows what she follows, nor sent her form's CSRF token."""
    from csp.models import ActionWatch

    ActionWatch.objects.create(user=cast.alice, action=cast.hub)
    client.force_login(cast.alice)
    assert "You follow this action" in client.get(url(cast, "action")).content.decode()
    bob = Client()
    bob.force_login(cast.bob)
    page = bob.get(url(cast, "action")).content.decode()
    assert "You follow this action" not in page
    assert "Follow this action" in page
    # Kept out of the cached parts, not merely refused by them (which would cache nothing).
    assert "CSRF token: not cached" not in caplog.text


def test_a_cached_part_holding_a_csrf_token_is_shown_but_never_kept(rf, cast, caplog):
    from django.middleware.csrf import get_token
    from django.template import Context, Template

    from csp.caching import PageCache

    fragment = Template(
        '{% load csp_tags %}{% pagecache "form" 1 %}<form>{% csrf_token %}</form>{% endpagecache %}'
    )
    tokens = []
    for _ in range(2):
        request = rf.get("/")
        request.user = cast.alice
        get_token(request)
        html = fragment.render(
            Context({"page_cache": PageCache(cast.alice), "csrf_token": get_token(request)})
        )
        tokens.append(html)
    assert tokens[0] != tokens[1]  # each visitor's own
    assert "holds a form's CSRF token: not cached" in caplog.text


def test_new_evidence_shows_on_the_action_page_at_once(client, cast):
    """Evidence (issue 12) is listed with its update on the action page, a cached part."""
    from django.core.files.base import ContentFile

    from csp.models import Evidence

    update = cast.hub.updates.filter(period__quarter=1).first()
    client.force_login(cast.alice)
    assert "hub-minutes.pdf" not in client.get(url(cast, "action")).content.decode()
    Evidence.objects.create(
        update=update,
        file=ContentFile(b"%PDF-1.4 minutes", name="hub-minutes.pdf"),
        name="hub-minutes.pdf",
        kind="pdf",
        size=16,
    )
    assert "hub-minutes.pdf" in client.get(url(cast, "action")).content.decode()
