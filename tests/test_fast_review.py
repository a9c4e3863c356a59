"""Fast review (issue 12, item 4): accepting every update shown after a confirmation naming how
many, staying in place after an accept or a return, and showing one organisation's updates."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from csp.models import (
    Membership,
    PeriodStatus,
    QuarterlyUpdate,
    Reminder,
    ReminderKind,
    ReportingPeriod,
    UpdateState,
    UpdateStatus,
)
from csp.reminders import Outcome, send_reminders
from tests import factories as make
from tests.html import text_of

pytestmark = pytest.mark.django_db


def submitted(cast, action, district, organisation):
    return make.update(
        action,
        cast.q2,
        UpdateStatus.ON_TRACK,
        district,
        state=UpdateState.SUBMITTED,
        organisation=organisation,
        submitted_at=timezone.now(),
        progress=f"{action.reference} {district.name if district else 'all'}",
    )


@pytest.fixture
def three(cast):
    return [
        submitted(cast, cast.hub, cast.north, cast.council),
        submitted(cast, cast.hub, cast.south, cast.council),
        submitted(cast, cast.patrols, cast.north, cast.police),
    ]


def review(cast, query=""):
    return f"/periods/{cast.q2.pk}/{query}"


def shown_pairs(html):
    found = re.search(r'name="updates" value="([\d:,]*)"', html)
    return found[1].split(",") if found and found[1] else []


def state(update):
    return QuarterlyUpdate.objects.get(pk=update.pk).state


def test_the_review_page_offers_to_accept_all_shown(alice, cast, three):
    html = alice.get(review(cast)).content.decode()
    assert "Accept all 3 shown" in html
    assert sorted(shown_pairs(html)) == sorted(f"{u.pk}:{u.version}" for u in three)


def test_accepting_all_first_asks_naming_how_many(alice, cast, three):
    pairs = shown_pairs(alice.get(review(cast)).content.decode())
    response = alice.post(f"/periods/{cast.q2.pk}/accept-all/", {"updates": ",".join(pairs)})
    assert response.status_code == 200
    text = text_of(response)
    assert "Accept 3 updates?" in text
    assert "1.1.2 North (CC)" in text and "1.1.1 North (SP)" in text
    assert {state(u) for u in three} == {UpdateState.SUBMITTED}


def test_accepting_all_once_confirmed(alice, cast, three):
    pairs = shown_pairs(alice.get(review(cast)).content.decode())
    response = alice.post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {"updates": ",".join(pairs), "confirm": "yes"},
        follow=True,
    )
    assert {state(u) for u in three} == {UpdateState.ACCEPTED}
    text = text_of(response)
    assert "Accepted 3 updates." in text
    assert "Awaiting review (0)" in text


def test_one_changed_since_the_page_was_drawn_is_left_and_named(alice, cast, three):
    pairs = shown_pairs(alice.get(review(cast)).content.decode())
    changed = three[1]
    assert QuarterlyUpdate.objects.claim_version(changed.pk, changed.version)  # edited meanwhile
    response = alice.post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {"updates": ",".join(pairs), "confirm": "yes"},
        follow=True,
    )
    assert [state(u) for u in three] == [
        UpdateState.ACCEPTED,
        UpdateState.SUBMITTED,
        UpdateState.ACCEPTED,
    ]
    text = text_of(response)
    assert "Accepted 2 updates." in text
    assert "1.1.2 South has changed since you opened the page. Check it again below." in text


def test_a_withdrawn_update_is_not_accepted_by_accept_all(alice, cast, three):
    pairs = shown_pairs(alice.get(review(cast)).content.decode())
    QuarterlyUpdate.objects.filter(pk=three[0].pk).update(state=UpdateState.DRAFT)
    alice.post(f"/periods/{cast.q2.pk}/accept-all/", {"updates": ",".join(pairs), "confirm": "yes"})
    assert state(three[0]) == UpdateState.DRAFT


def test_accept_all_takes_only_this_periods_updates(alice, cast, three):
    other = make.update(
        cast.patrols, cast.q1, UpdateStatus.ON_TRACK, cast.south, state=UpdateState.SUBMITTED
    )
    alice.post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {"updates": f"{other.pk}:{other.version},junk,1:x,:,99999999999999:1", "confirm": "yes"},
    )
    assert state(other) == UpdateState.SUBMITTED


def test_showing_one_organisations_updates_and_accepting_those(alice, cast, three):
    html = alice.get(review(cast, "?organisation=shire-police")).content.decode()
    assert shown_pairs(html) == []  # one shown: no "accept all"
    assert html.count('class="govuk-summary-card" id="update-') == 1
    html = alice.get(review(cast, "?organisation=castle-council")).content.decode()
    assert "Accept all 2 shown" in html
    alice.post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {
            "updates": ",".join(shown_pairs(html)),
            "confirm": "yes",
            "organisation": "castle-council",
        },
    )
    assert [state(u) for u in three] == [
        UpdateState.ACCEPTED,
        UpdateState.ACCEPTED,
        UpdateState.SUBMITTED,
    ]


def test_accepting_one_stays_in_place_with_the_result_before_the_next_card(alice, cast, three):
    first, second, _ = sorted(three, key=lambda u: (u.action.reference, u.district.name))
    html = alice.get(review(cast)).content.decode()
    accept_form = html[html.index(f'action="/periods/{cast.q2.pk}/updates/{first.pk}/accept/"') :]
    assert re.search(r'name="at" value="(\d+)"', accept_form)[1] == str(second.pk)
    response = alice.post(
        f"/periods/{cast.q2.pk}/updates/{first.pk}/accept/",
        {"version": first.version, "at": second.pk, "organisation": ""},
    )
    assert response["Location"] == f"/periods/{cast.q2.pk}/?at={second.pk}&done=1#review-result"
    page = alice.get(response["Location"]).content.decode()
    # The message is drawn just above the next card, not at the top of the page.
    result = page.index('id="review-result"')
    assert page.index("Accepted 1.1.1 North.") > result
    assert page.index(f'id="update-{second.pk}"') > result > page.index('id="awaiting"')


def test_returning_one_stays_in_place_too(alice, cast, three):
    response = alice.post(
        f"/periods/{cast.q2.pk}/updates/{three[0].pk}/return/",
        {
            "version": three[0].version,
            "comment": "More",
            "at": three[1].pk,
            "organisation": "castle-council",
        },
    )
    assert response["Location"] == (
        f"/periods/{cast.q2.pk}/?organisation=castle-council&at={three[1].pk}&done=1#review-result"
    )


def test_a_forged_place_is_ignored(alice, cast, three):
    response = alice.post(
        f"/periods/{cast.q2.pk}/updates/{three[0].pk}/accept/",
        {"version": three[0].version, "at": "javascript:x", "organisation": "<script>"},
    )
    assert response["Location"] == f"/periods/{cast.q2.pk}/?done=1#review-result"
    assert alice.get(review(cast, "?at=999999999&organisation=%3Cb%3E")).status_code == 200


def test_nothing_to_accept_is_said(alice, cast):
    response = alice.post(f"/periods/{cast.q2.pk}/accept-all/", {"confirm": "yes"}, follow=True)
    assert "There were no updates to accept." in text_of(response)


def test_accept_all_in_a_reported_period_is_refused_by_the_lock(alice, cast, three):
    pairs = shown_pairs(alice.get(review(cast)).content.decode())
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.REPORTED)
    response = alice.post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {"updates": ",".join(pairs), "confirm": "yes"},
        follow=True,
    )
    assert {state(u) for u in three} == {UpdateState.SUBMITTED}
    assert "2016/17 Q2 has been reported and is locked." in text_of(response)
    assert "Accept all" not in alice.get(review(cast)).content.decode()


@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_only_coordinators_accept_all(client, cast, three, who):
    client.force_login(getattr(cast, who))
    pairs = [f"{u.pk}:{u.version}" for u in three]
    response = client.post(
        f"/periods/{cast.q2.pk}/accept-all/", {"updates": ",".join(pairs), "confirm": "yes"}
    )
    assert response.status_code == 403
    assert {state(u) for u in three} == {UpdateState.SUBMITTED}


# -- "send a reminder now" per organisation, through send_reminders' own record ----------------


def remind(client, cast, organisation):
    return client.post(
        f"/periods/{cast.q2.pk}/remind/", {"organisation": organisation.pk}, follow=True
    )


@pytest.fixture
def deadline_in_ten_days(cast):
    cast.q2.deadline = timezone.localdate() + timezone.timedelta(days=10)
    cast.q2.save()
    return cast


def test_reminding_an_organisation_now_sends_its_people_what_they_owe(
    alice, deadline_in_ten_days, mailoutbox
):
    cast = deadline_in_ten_days
    response = remind(alice, cast, cast.council)
    assert "Reminder sent to Olive Oakes (olive@example.invalid)." in text_of(response)
    # Shown where the coordinator pressed it, above the table of organisations.
    html = response.content.decode()
    assert html.index("Reminder sent to") > html.index('id="review-result"')
    assert html.index('id="by-organisation"') > html.index("Reminder sent to")
    [message] = mailoutbox
    assert message.to == ["olive@example.invalid"]
    assert "due by" in message.subject
    assert "- 1.1.2 Open a community safety hub (North): Missing" in message.body
    assert "http://testserver/updates/" in message.body
    reminder = Reminder.objects.get()
    assert (reminder.user, reminder.kind, reminder.outstanding) == (
        cast.olive,
        ReminderKind.DUE_SOON,
        2,
    )


def test_only_that_organisations_people_are_reminded_of_only_its_updates(
    alice, deadline_in_ten_days, mailoutbox
):
    cast = deadline_in_ten_days
    remind(alice, cast, cast.police)
    [message] = mailoutbox
    assert message.to == ["dave@example.invalid"]
    assert "1.1.2" not in message.body
    assert "- 1.1.1 Evening patrols in the town centre (North): Missing" in message.body


def test_reminding_twice_sends_once_and_says_when(alice, deadline_in_ten_days, mailoutbox):
    cast = deadline_in_ten_days
    remind(alice, cast, cast.council)
    again = text_of(remind(alice, cast, cast.council))
    assert len(mailoutbox) == 1
    assert "Already sent this reminder (deadline coming up), so not sent again: Olive Oakes on" in (
        again
    )


def test_the_daily_command_does_not_repeat_a_reminder_sent_from_the_page(
    alice, deadline_in_ten_days, mailoutbox
):
    cast = deadline_in_ten_days
    remind(alice, cast, cast.council)
    results = send_reminders(cast.q2.deadline - timezone.timedelta(days=2))
    by_user = {r.user.username: r.outcome for r in results}
    assert by_user == {"olive": Outcome.ALREADY_SENT, "dave": Outcome.SENT}
    assert sorted(m.to[0] for m in mailoutbox) == ["dave@example.invalid", "olive@example.invalid"]


def test_after_the_deadline_it_is_the_overdue_reminder(alice, cast, mailoutbox):
    cast.q2.deadline = timezone.localdate() - timezone.timedelta(days=2)
    cast.q2.save()
    remind(alice, cast, cast.council)
    assert Reminder.objects.get().kind == ReminderKind.OVERDUE
    assert "overdue" in mailoutbox[0].subject


def test_without_a_deadline_the_reminder_still_reads_well(alice, cast, mailoutbox):
    remind(alice, cast, cast.council)
    [message] = mailoutbox
    assert "2 updates for 2016/17 Q2 to write" in message.subject
    assert "None" not in message.body


def test_an_organisation_with_no_one_to_remind_is_told_plainly(alice, cast, mailoutbox):
    nobody = make.organisation(name="Street Pastors", slug="street-pastors")
    Membership.objects.create(partnership=cast.castle, organisation=nobody)
    make.action(cast.hub.objective, description="Night patrols", lead=nobody)
    text = text_of(remind(alice, cast, nobody))
    assert "Nobody at Street Pastors can be reminded" in text
    assert "personal link" in text
    assert mailoutbox == []


def test_the_review_page_offers_a_reminder_per_organisation_that_owes(alice, cast):
    html = alice.get(review(cast)).content.decode()
    assert html.count(f'action="/periods/{cast.q2.pk}/remind/"') == 2
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.CLOSED)
    assert "/remind/" not in alice.get(review(cast)).content.decode()


def test_a_closed_period_sends_no_reminder(alice, cast, mailoutbox):
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.CLOSED)
    assert "is not open" in text_of(remind(alice, cast, cast.council))
    assert mailoutbox == []


def test_an_organisation_of_another_partnership_is_refused(alice, cast, mailoutbox):
    stranger = make.organisation(name="Far Trust", slug="far-trust")
    Membership.objects.create(partnership=cast.elsewhere, organisation=stranger)
    assert "Choose an organisation of this partnership" in text_of(remind(alice, cast, stranger))
    response = alice.post(f"/periods/{cast.q2.pk}/remind/", {"organisation": "x"}, follow=True)
    assert response.status_code == 200
    assert mailoutbox == []


@pytest.mark.parametrize("who", ["olive", "dave", "bob", "clara"])
def test_only_coordinators_remind(client, cast, who, mailoutbox):
    client.force_login(getattr(cast, who))
    response = client.post(f"/periods/{cast.q2.pk}/remind/", {"organisation": cast.council.pk})
    assert response.status_code == 403
    assert mailoutbox == []


def test_reminding_an_organisation_reaches_its_own_people_not_a_co_leads(alice, cast, mailoutbox):
    from csp.models import ActionLead

    ActionLead.objects.create(action=cast.hub, number=2, organisation=cast.police)
    remind(alice, cast, cast.police)
    assert [m.to for m in mailoutbox] == [["dave@example.invalid"]]
    assert "1.1.2 Open a community safety hub (North): Missing" in mailoutbox[0].body


def test_accepting_all_of_a_period_with_more_than_a_thousand_shown(alice, cast):
    """Django refuses a POST of over 1,000 fields: the page sends the list in one."""
    objective = cast.hub.objective
    many = []
    for n in range(520):
        action = make.action(objective, description=f"Extra {n}", lead=cast.police)
        for district in (cast.north, cast.south):
            many.append(submitted(cast, action, district, cast.police))
    html = alice.get(review(cast)).content.decode()
    assert len(shown_pairs(html)) == 1040
    confirm = alice.post(
        f"/periods/{cast.q2.pk}/accept-all/", {"updates": ",".join(shown_pairs(html))}
    )
    assert "Accept 1040 updates?" in text_of(confirm)
    done = alice.post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {"updates": ",".join(shown_pairs(html)), "confirm": "yes"},
        follow=True,
    )
    assert "Accepted 1040 updates." in text_of(done)


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="two concurrent write transactions need PostgreSQL; run with DATABASE_URL",
)
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_accepting_all_at_once_accept_each_once_and_tell_once():
    import threading

    from django.contrib.auth.models import User
    from django.core import mail
    from django.db import connection
    from django.test import Client

    from csp.models import ActionWatch, PartnershipRole
    from tests.cast import build_cast

    cast = build_cast()
    updates = [
        submitted(cast, cast.hub, cast.north, cast.council),
        submitted(cast, cast.hub, cast.south, cast.council),
    ]
    second = User.objects.create_user("amir", "amir@example.invalid", "pw")
    PartnershipRole.objects.create(user=second, partnership=cast.castle, role="coordinator")
    ActionWatch.objects.create(user=cast.bob, action=cast.hub)
    shown = ",".join(f"{u.pk}:{u.version}" for u in updates)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def accept_all(user) -> None:
        try:
            client = Client()
            client.force_login(user)
            start.wait(timeout=10)
            client.post(f"/periods/{cast.q2.pk}/accept-all/", {"updates": shown, "confirm": "yes"})
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    mail.outbox = []
    threads = [threading.Thread(target=accept_all, args=(u,)) for u in (cast.alice, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert {state(u) for u in updates} == {UpdateState.ACCEPTED}
    for update in updates:
        accepted = [
            h for h in QuarterlyUpdate.history.filter(id=update.pk) if h.state == "accepted"
        ]
        assert len(accepted) == 1
    # Each acceptance is told once: in one e-mail if one coordinator accepted both, in one
    # from each if the two accepted one each (two changes, by two people).
    told = "\n".join(m.body for m in mail.outbox if m.to == ["bob@example.invalid"])
    assert 1 <= len([m for m in mail.outbox if m.to == ["bob@example.invalid"]]) <= 2
    for where in ("North", "South"):
        assert told.count(f"accepted the {where} update") == 1, told
