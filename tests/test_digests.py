"""The coordinators' digest (issue 12, item 4): when updates are submitted the coordinator is
e-mailed what came in, at most once per COORDINATOR_DIGEST_MINUTES, and the cron command sends
what waited."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from csp.models import CoordinatorDigest, PartnershipRole, Role, UpdateState, UpdateStatus
from csp.notifications import send_digests
from tests import factories as make
from tests.html import form_fields

pytestmark = pytest.mark.django_db


def submit(client, cast, action, district, text="Done"):
    url = reverse("period-updates", args=[cast.q2.pk])
    prefix = f"s{action.pk}-{district.pk if district else 'all'}"
    fields = form_fields(client.get(url))
    return client.post(
        url,
        fields
        | {
            f"{prefix}-status": UpdateStatus.ON_TRACK,
            f"{prefix}-progress": text,
            "intent": f"submit:{prefix}",
        },
    )


def digests(mailoutbox):
    return [m for m in mailoutbox if "submitted for your review" in m.subject]


def test_a_submission_e_mails_the_coordinator_a_digest(client, cast, mailoutbox):
    client.force_login(cast.olive)
    submit(client, cast, cast.hub, cast.north, "Lease signed")
    [message] = digests(mailoutbox)
    assert message.to == ["alice@example.invalid"]
    assert message.subject == "1 update submitted for your review"
    assert "Castle CSP, Castle Plan 2016/17, 2016/17 Q2:" in message.body
    assert "- 1.1.2 North Open a community safety hub (CC), on track, by olive" in message.body
    assert f"Review them: http://testserver/periods/{cast.q2.pk}/" in message.body


def test_at_most_one_digest_an_hour_and_the_next_tells_only_what_is_new(client, cast, mailoutbox):
    client.force_login(cast.olive)
    submit(client, cast, cast.hub, cast.north)
    submit(client, cast, cast.hub, cast.south)
    assert len(digests(mailoutbox)) == 1  # the second waited
    # An hour later the command (cron) sends what waited, and only that.
    later = timezone.now() + timedelta(minutes=61)
    assert send_digests(now=later) == [cast.alice]
    second = digests(mailoutbox)[1]
    assert "1.1.2 South" in second.body and "1.1.2 North" not in second.body
    assert send_digests(now=later + timedelta(minutes=61)) == []  # nothing new: nothing sent


@override_settings(COORDINATOR_DIGEST_MINUTES=5)
def test_the_interval_is_a_setting(client, cast, mailoutbox):
    client.force_login(cast.olive)
    submit(client, cast, cast.hub, cast.north)
    submit(client, cast, cast.hub, cast.south)
    assert send_digests(now=timezone.now() + timedelta(minutes=4)) == []
    assert send_digests(now=timezone.now() + timedelta(minutes=6)) == [cast.alice]


def test_two_claims_at_once_send_one_digest(cast, mailoutbox):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state="submitted",
        submitted_at=timezone.now(),
    )
    now = timezone.now()
    first = send_digests(now=now)
    second = send_digests(now=now)
    assert (first, second) == ([cast.alice], [])
    assert len(digests(mailoutbox)) == 1


def test_a_failed_send_gives_the_claim_back(cast, monkeypatch, mailoutbox):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state="submitted",
        submitted_at=timezone.now(),
    )

    def down(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    assert send_digests() == []
    monkeypatch.undo()
    assert send_digests() == [cast.alice]  # tried again, not held back an hour
    assert "1.1.2 North" in digests(mailoutbox)[0].body


def test_a_digest_covers_only_the_coordinators_own_partnerships_and_not_their_own_updates(
    cast, mailoutbox
):
    faraway_q = make.period(cast.other_plan, 2016, 2)
    make.update(
        cast.faraway,
        faraway_q,
        UpdateStatus.ON_TRACK,
        state="submitted",
        submitted_at=timezone.now(),
    )
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.south,
        state="submitted",
        submitted_at=timezone.now(),
        author=cast.alice,
    )
    assert send_digests() == []  # Elsewhere's is not hers; her own needs no telling
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state="submitted",
        submitted_at=timezone.now(),
    )
    assert send_digests() == [cast.alice]
    body = digests(mailoutbox)[0].body
    assert "Far away" not in body and "1.1.2 South" not in body and "1.1.2 North" in body


def test_an_update_accepted_before_the_digest_is_left_out(cast, mailoutbox):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state=UpdateState.ACCEPTED,
        submitted_at=timezone.now(),
    )
    assert send_digests() == []


def test_every_coordinator_gets_their_own(cast, django_user_model, mailoutbox):
    carol = django_user_model.objects.create_user("carol", "carol@example.invalid", "pw")
    PartnershipRole.objects.create(user=carol, partnership=cast.castle, role=Role.COORDINATOR)
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state="submitted",
        submitted_at=timezone.now(),
    )
    assert set(send_digests()) == {cast.alice, carol}
    assert CoordinatorDigest.objects.count() == 2


def test_a_long_digest_is_cut_with_the_count(cast, mailoutbox):
    for n in range(55):
        action = make.action(cast.hub.objective, description=f"Extra {n}", lead=cast.council)
        make.update(
            action,
            cast.q2,
            UpdateStatus.ON_TRACK,
            cast.north,
            state="submitted",
            submitted_at=timezone.now(),
        )
    send_digests()
    [message] = digests(mailoutbox)
    assert message.subject == "55 updates submitted for your review"
    assert "and 5 more." in message.body


def test_the_command(cast, mailoutbox):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state="submitted",
        submitted_at=timezone.now(),
    )
    out = StringIO()
    call_command("send_digests", "--base-url", "https://csp.example.org", stdout=out)
    assert "Sent 1 digest." in out.getvalue()
    assert f"https://csp.example.org/periods/{cast.q2.pk}/" in digests(mailoutbox)[0].body
