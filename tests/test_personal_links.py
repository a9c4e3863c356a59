"""Personal links (issue 12, item 5): a partner without an account writes one organisation's
updates for one period through a link the coordinator sends. The link expires at the deadline
plus a grace, can be revoked, records every save in the history with its holder, is carried by
the reminders, and opens nothing else."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_token

from csp.history import action_history
from csp.models import (
    Membership,
    PersonalLink,
    QuarterlyUpdate,
    Reminder,
    UpdateState,
    UpdateStatus,
)
from csp.reminders import Outcome, send_reminders
from csp.reports import issuing
from tests import factories as make
from tests import test_permission_matrix as matrix
from tests.html import form_fields, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(cast):
    cast.q2.deadline = timezone.localdate() + timedelta(days=10)
    cast.q2.save()
    return cast


@pytest.fixture
def watch(cast):
    """Neighbourhood Watch: a member with no one who signs in, leading one action."""
    watch = make.organisation(name="Neighbourhood Watch", slug="neighbourhood-watch")
    Membership.objects.create(partnership=cast.castle, organisation=watch)
    action = make.action(cast.hub.objective, description="Watch schemes", lead=watch)
    action.districts.set([cast.north])
    watch.action = action
    return watch


def make_link(cast, organisation, **kwargs):
    values = {
        "period": cast.q2,
        "organisation": organisation,
        "holder_name": "Jane Doe",
        "holder_email": "jane@watch.example",
        "grace_days": 3,
        "created_by": cast.alice,
    } | kwargs
    return PersonalLink.create(**values)


def slot(action, district=None):
    return f"s{action.pk}-{district.pk if district else 'all'}"


# -- making one -----------------------------------------------------------------------------------


def test_a_coordinator_makes_a_link_and_it_is_e_mailed_to_its_holder(alice, cast, watch):
    response = alice.post(
        f"/periods/{cast.q2.pk}/links/",
        {
            "organisation": watch.pk,
            "holder_name": "Jane Doe",
            "holder_email": "jane@watch.example",
            "grace_days": "3",
        },
    )
    assert response.status_code == 200
    link = PersonalLink.objects.get()
    assert (link.organisation, link.period, link.holder_name, link.grace_days) == (
        watch,
        cast.q2,
        "Jane Doe",
        3,
    )
    assert link.user.email == "jane@watch.example" and not link.user.has_usable_password()
    assert not link.user.partnership_roles.exists()
    [message] = mail.outbox
    assert message.to == ["jane@watch.example"]
    assert message.subject == "Castle CSP: Neighbourhood Watch's updates for 2016/17 Q2"
    address = re.search(r"http://testserver/links/\d+/\S+/", message.body)[0]
    # Shown once on the page, to copy, and not kept: the page says so.
    assert f'value="{address[:-1]}' in response.content.decode() or address in (
        response.content.decode()
    )
    assert response["Cache-Control"] == "private, no-store"
    assert Client().get(address).status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holder_name": ""}, "Enter the name of the person the link is for."),
        ({"holder_email": "jane"}, "Enter an e-mail address like name@example.org."),
        ({"grace_days": "61"}, "Enter at most 60 days."),
        ({"grace_days": "-1"}, "Enter 0 or more days."),
        ({"grace_days": "a week"}, "Enter the days as a whole number, like 7."),
        ({"organisation": "999999"}, "Choose one of the partnership's organisations."),
    ],
)
def test_making_a_link_explains_a_mistake(alice, cast, watch, changes, message):
    data = {
        "organisation": watch.pk,
        "holder_name": "Jane",
        "holder_email": "jane@watch.example",
        "grace_days": "3",
    } | changes
    response = alice.post(f"/periods/{cast.q2.pk}/links/", data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert not PersonalLink.objects.exists()


def test_another_partnerships_organisation_cannot_be_chosen(alice, cast):
    stranger = make.organisation(name="Far Trust", slug="far-trust")
    Membership.objects.create(partnership=cast.elsewhere, organisation=stranger)
    response = alice.post(
        f"/periods/{cast.q2.pk}/links/",
        {"organisation": stranger.pk, "holder_name": "X", "holder_email": "x@y.z", "grace_days": 1},
    )
    assert "Choose one of the partnership's organisations." in text_of(response)


def test_a_link_needs_a_deadline_and_a_future(alice, cast, watch):
    data = {"organisation": watch.pk, "holder_name": "J", "holder_email": "j@w.x", "grace_days": 2}
    cast.q2.deadline = None
    cast.q2.save()
    assert "has no deadline" in text_of(alice.post(f"/periods/{cast.q2.pk}/links/", data))
    cast.q2.deadline = timezone.localdate() - timedelta(days=5)
    cast.q2.save()
    text = text_of(alice.post(f"/periods/{cast.q2.pk}/links/", data))
    assert "the link would not work even today. Give more days (up to 60)" in text
    assert not PersonalLink.objects.exists()


@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_only_coordinators_make_and_revoke_links(client, cast, watch, who):
    link = make_link(cast, watch)
    client.force_login(getattr(cast, who))
    assert client.get(f"/periods/{cast.q2.pk}/links/").status_code == 403
    assert client.post(f"/periods/{cast.q2.pk}/links/{link.pk}/revoke/").status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None


# -- what it opens --------------------------------------------------------------------------------


def test_the_link_opens_its_organisations_updates_for_its_period_only(client, cast, watch):
    link = make_link(cast, watch)
    page = client.get(link.path())
    assert page.status_code == 200
    text = text_of(page)
    assert "Neighbourhood Watch's updates for 2016/17 Q2" in text
    assert "You are writing as Jane Doe (jane@watch.example)" in text
    fields = form_fields(page)
    assert f"{slot(watch.action, cast.north)}-progress" in fields
    # Not the council's nor the police's, though All partners' (leaflets) is its too.
    assert not any(name.startswith(slot(cast.hub, cast.north)) for name in fields)
    assert not any(name.startswith(slot(cast.patrols, cast.north)) for name in fields)
    assert page["Referrer-Policy"] == "same-origin"  # the address never reaches another site
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    assert 'href="/updates/"' not in page.content.decode()  # no "My updates" breadcrumb


def test_saving_through_the_link_records_its_holder_in_the_history(client, cast, watch):
    link = make_link(cast, watch)
    page = client.get(link.path())
    prefix = slot(watch.action, cast.north)
    response = client.post(
        link.path(),
        form_fields(page)
        | {
            f"{prefix}-status": UpdateStatus.ON_TRACK,
            f"{prefix}-progress": "Two new schemes in North",
            "intent": f"submit:{prefix}",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == link.path().split("?")[0] or response["Location"].startswith(
        f"/links/{link.pk}/"
    )
    update = QuarterlyUpdate.objects.get(action=watch.action, period=cast.q2)
    assert (update.state, update.author, update.organisation) == (
        UpdateState.SUBMITTED,
        link.user,
        watch,
    )
    record = update.history.latest()
    assert record.history_user == link.user
    assert record.history_change_reason == (
        "Through the personal link of Jane Doe <jane@watch.example>"
    )
    # The action page's history says who and how.
    [change] = [c for c in action_history(watch.action, cast.alice) if c.what.startswith("Update")]
    assert (change.who, change.reason) == (
        "Jane Doe",
        "Through the personal link of Jane Doe <jane@watch.example>",
    )
    # The coordinator hears of it.
    assert any("submitted for your review" in m.subject for m in mail.outbox)
    # And nobody was signed in.
    assert "_auth_user_id" not in client.session


def test_figures_saved_through_the_link_are_recorded_as_its_holders_too(client, cast, watch):
    from csp.models import Measure, MeasureFigure

    measure = Measure.objects.create(action=watch.action, description="Schemes")
    link = make_link(cast, watch)
    prefix = slot(watch.action, cast.north)
    client.post(
        link.path(),
        form_fields(client.get(link.path())) | {f"{prefix}-m{measure.pk}": "12", "intent": "draft"},
    )
    figure = MeasureFigure.objects.get()
    assert figure.history.latest().history_user == link.user
    assert figure.history.latest().history_change_reason.startswith("Through the personal link")


def test_forged_fields_for_another_organisation_are_ignored(client, cast, watch):
    link = make_link(cast, watch)
    forged = {
        f"{slot(cast.hub, cast.north)}-version": "0",
        f"{slot(cast.hub, cast.north)}-progress": "Forged",
        "intent": "submit",
    }
    client.post(link.path(), form_fields(client.get(link.path())) | forged)
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()


def test_a_long_name_and_address_still_fit_the_history(client, cast, watch):
    link = make_link(cast, watch, holder_name="N" * 150, holder_email=("e" * 60) + "@watch.example")
    assert link.history_reason() == f"Personal link <{'e' * 60}@watch.example>"
    link.holder_email = ("e" * 120) + "@watch.example"
    assert len(link.history_reason()) == 100
    assert link.history_reason().endswith("@watch.example>")


# -- its scope: nothing else ----------------------------------------------------------------------


def test_a_token_opens_only_its_own_link(client, cast, watch):
    mine, other = make_link(cast, watch), make_link(cast, watch, holder_name="Other")
    token = mine.token()
    assert client.get(reverse("personal-link", args=[mine.pk, token])).status_code == 200
    assert client.get(reverse("personal-link", args=[other.pk, token])).status_code == 404
    assert client.get(reverse("personal-link", args=[999999, token])).status_code == 404
    broken = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.get(reverse("personal-link", args=[mine.pk, broken])).status_code == 404
    # A token django-sesame would make for the same user without the link's scope: refused.
    unscoped = get_token(mine.user)
    assert client.get(reverse("personal-link", args=[mine.pk, unscoped])).status_code == 404
    assert "This link does not work" in text_of(
        client.get(reverse("personal-link", args=[mine.pk, "x"]))
    )


def test_the_token_signs_no_one_in_anywhere(cast, watch):
    link = make_link(cast, watch)
    token = link.token()
    client = Client()
    assert client.get(link.path()).status_code == 200
    assert "_auth_user_id" not in client.session
    # Neither the link's user nor its token authenticates by Django's own means.
    request = RequestFactory().post("/accounts/sign-in/")
    assert authenticate(request, username=link.user.username, password="") is None
    assert authenticate(request, sesame=token) is None
    assert client.get(f"/updates/?sesame={token}")["Location"].startswith("/accounts/sign-in/")
    assert client.get(f"/updates/{cast.q2.pk}/?sesame={token}").status_code == 302


def test_no_password_reset_for_a_links_address(client, cast, watch):
    make_link(cast, watch)
    client.post("/accounts/password-reset/", {"email": "jane@watch.example"})
    assert mail.outbox == []


# -- expiry and revocation ------------------------------------------------------------------------


def test_it_works_until_the_end_of_the_deadlines_day_plus_the_grace(client, cast, watch):
    link = make_link(cast, watch, grace_days=3)
    deadline = cast.q2.deadline
    assert timezone.localtime(link.expires_at).date() == deadline + timedelta(days=4)
    cast.q2.deadline = timezone.localdate() - timedelta(days=3)  # the grace's last day: today
    cast.q2.save()
    assert client.get(link.path()).status_code == 200
    cast.q2.deadline = timezone.localdate() - timedelta(days=4)
    cast.q2.save()
    refused = client.get(link.path())
    assert refused.status_code == 410
    text = text_of(refused)
    assert "This link has expired" in text
    assert "ask alice, the coordinator of Castle CSP, for a new link" in text
    # A save posted after expiry changes nothing.
    prefix = slot(watch.action, cast.north)
    client.post(
        link.path(), {f"{prefix}-version": "0", f"{prefix}-progress": "Late", "intent": "draft"}
    )
    assert not QuarterlyUpdate.objects.filter(action=watch.action).exists()


def test_a_later_deadline_moves_the_expiry_with_it(client, cast, watch):
    cast.q2.deadline = timezone.localdate() - timedelta(days=1)
    cast.q2.save()
    link = make_link(cast, watch, grace_days=0)
    assert client.get(link.path()).status_code == 410
    cast.q2.deadline = timezone.localdate() + timedelta(days=7)
    cast.q2.save()
    assert client.get(link.path()).status_code == 200


def test_a_token_older_than_its_links_life_is_refused(client, cast, watch, monkeypatch):
    """django-sesame's own max age: the token's age, not only the link's expiry."""
    link = make_link(cast, watch)
    path = link.path()
    life = (link.expires_at - link.created_at).total_seconds()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + life + 60)
    assert PersonalLink.opened_by(link.pk, path.rstrip("/").rsplit("/", 1)[1]) is None


def test_revoking_stops_it_at_once_and_keeps_what_was_saved(alice, client, cast, watch):
    link = make_link(cast, watch)
    address = link.path()
    prefix = slot(watch.action, cast.north)
    client.post(
        address,
        form_fields(client.get(address)) | {f"{prefix}-progress": "Kept", "intent": "draft"},
    )
    response = alice.post(f"/periods/{cast.q2.pk}/links/{link.pk}/revoke/", follow=True)
    assert "is revoked: it no longer opens anything" in text_of(response)
    assert client.get(address).status_code == 404
    assert QuarterlyUpdate.objects.get(action=watch.action).progress == "Kept"
    assert "Revoked" in text_of(alice.get(f"/periods/{cast.q2.pk}/links/"))
    # The revocation is in the token's signature too: undoing the record does not revive it.
    PersonalLink.objects.filter(pk=link.pk).update(revoked_at=None)
    type(link.user).objects.filter(pk=link.user_id).update(is_active=True)
    assert client.get(address).status_code == 404


def test_sending_again_e_mails_a_fresh_address_that_works(alice, cast, watch):
    link = make_link(cast, watch)
    alice.post(f"/periods/{cast.q2.pk}/links/{link.pk}/send/")
    [message] = mail.outbox
    address = re.search(r"http://testserver(/links/\d+/\S+/)", message.body)[1]
    assert Client().get(address).status_code == 200


def test_a_revoked_link_is_not_sent_again(alice, cast, watch):
    link = make_link(cast, watch)
    link.revoke(cast.alice)
    text = text_of(alice.post(f"/periods/{cast.q2.pk}/links/{link.pk}/send/", follow=True))
    assert "no longer works (revoked)" in text
    assert mail.outbox == []


def test_a_link_of_another_period_is_not_found_here(alice, cast, watch):
    link = make_link(cast, watch)
    assert alice.post(f"/periods/{cast.q1.pk}/links/{link.pk}/revoke/").status_code == 404


# -- reminders carry the link ---------------------------------------------------------------------


def test_reminders_go_to_a_links_holder_with_the_link(cast, watch):
    link = make_link(cast, watch)
    results = send_reminders(cast.q2.deadline - timedelta(days=1), base_url="https://csp.test")
    [mine] = [r for r in results if r.link is not None]
    assert (mine.outcome, mine.name, mine.email) == (Outcome.SENT, "Jane Doe", "jane@watch.example")
    [message] = [m for m in mail.outbox if m.to == ["jane@watch.example"]]
    assert message.body.startswith("Dear Jane Doe,")
    assert "- 1.1.3 Watch schemes (North): Missing" in message.body
    address = re.search(r"https://csp\.test(/links/\d+/\S+/)", message.body)[1]
    assert Client().get(address).status_code == 200
    assert "My updates" not in message.body
    assert Reminder.objects.filter(user=link.user).count() == 1
    # Run again: nothing twice.
    again = send_reminders(cast.q2.deadline - timedelta(days=1))
    assert [r.outcome for r in again if r.link is not None] == [Outcome.ALREADY_SENT]


def test_a_revoked_or_expired_link_gets_no_reminder(cast, watch):
    make_link(cast, watch).revoke(cast.alice)
    results = send_reminders(cast.q2.deadline - timedelta(days=1))
    assert [r for r in results if r.link is not None] == []


def test_reminding_an_organisation_now_reaches_its_links_holder(alice, cast, watch):
    make_link(cast, watch)
    response = alice.post(f"/periods/{cast.q2.pk}/remind/", {"organisation": watch.pk}, follow=True)
    assert "Reminder sent to Jane Doe (jane@watch.example)." in text_of(response)


# -- every other page refuses it ---------------------------------------------------------------
# Every page and action of the permission matrix (tests/test_permission_matrix.py covers every
# address of csp/urls.py that takes an object, and the pages that take none), requested by a
# visitor who has just used a personal link, with its token in the address as django-sesame
# would put it: each answers exactly as it answers a visitor who is not signed in, and a POST
# changes nothing.


@pytest.fixture(scope="module")
def link_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield matrix.build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def holder(link_world, db, monkeypatch):
    monkeypatch.setattr(issuing, "report_pdf", lambda self, **kwargs: matrix.FAKE_PDF)
    monkeypatch.setattr("csp.views.agency_report.render_agency_pdf", lambda report: matrix.FAKE_PDF)
    client = Client()
    assert client.get(link_world.link.path()).status_code == 200  # the link itself works
    return client


LINKS_OWN = {"personal-link", "personal-link-evidence"}  # the link's page and its files
OTHER_CASES = [case for case in matrix.CASES if case.url not in LINKS_OWN]


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda case: case.id)
def test_no_other_page_is_reachable_through_a_link(link_world, holder, case):
    token = link_world.link.token()
    url = reverse(case.url, args=case.args(link_world)) + f"?sesame={token}"
    before = matrix.snapshot()
    response = holder.post(url, case.data(link_world)) if case.method == "POST" else holder.get(url)
    assert response.status_code == case.codes[0], f"{case.method} {url}"
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login")), response["Location"]
    if case.method == "POST":
        assert matrix.snapshot() == before, f"POST {url} changed the database"
    assert "_auth_user_id" not in holder.session


def test_the_cases_cover_every_address_but_the_links_own():
    from csp.urls import urlpatterns

    covered = {case.url for case in OTHER_CASES}
    with_object = {
        p.name
        for p in urlpatterns
        if getattr(p, "name", None)
        and "<" in str(p.pattern)
        and not str(p.pattern).startswith("accounts/")
    }
    assert with_object - covered == LINKS_OWN


def test_the_admin_refuses_it(link_world, holder):
    token = link_world.link.token()
    response = holder.get(f"/admin/?sesame={token}")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
