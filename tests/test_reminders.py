"""Reminder e-mails (issue 5, part 6): ``csp.reminders.send_reminders`` and
``manage.py send_reminders``.

In the cast's open period (2016/17 Q2) olive's council owes the hub's North and South updates
and dave's police the patrols (North) and the covert operation (North, South); the deadline is
set per test, and "today" is passed in.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command

from csp.models import (
    Officer,
    PeriodStatus,
    Reminder,
    ReminderKind,
    UpdateState,
    UpdateStatus,
)
from csp.reminders import Outcome, send_reminders
from tests import factories as make

pytestmark = pytest.mark.django_db

DEADLINE = date(2016, 10, 14)  # a Friday


@pytest.fixture
def cast(cast):
    cast.q2.deadline = DEADLINE
    cast.q2.save()
    return cast


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def on(day: date, *args: str) -> tuple[str, str]:
    return run("--today", day.isoformat(), *args)


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def message_to(address: str) -> mail.EmailMessage:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def lines(message: mail.EmailMessage) -> list[str]:
    return message.body.splitlines()


class FailingForOlive(EmailBackend):
    """The test mail box, except that olive's mail server refuses her messages."""

    def send_messages(self, messages):
        if any("olive@example.invalid" in m.to for m in messages):
            raise ConnectionRefusedError("mail server refused olive@example.invalid")
        return super().send_messages(messages)


# -- when ------------------------------------------------------------------------------------------


def test_it_sends_due_soon_reminders_three_days_before(cast):
    out, err = on(DEADLINE - timedelta(days=3))

    assert sent_to() == ["dave@example.invalid", "olive@example.invalid"]
    olive = message_to("olive@example.invalid")
    assert olive.subject == "Castle CSP: 2 updates for 2016/17 Q2 due by 14 October 2016"
    assert olive.from_email == "CSP Tracker <csp-tracker@localhost>"
    body = lines(olive)
    assert body[0] == "Dear Olive Oakes,"
    assert "Castle CSP's 2016/17 Q2 updates are due by Friday 14 October 2016, in 3 days." in body
    assert "Your organisation still owes 2 updates:" in body
    assert "- 1.1.2 Open a community safety hub (North): Missing" in body
    assert "- 1.1.2 Open a community safety hub (South): Missing" in body
    dave = message_to("dave@example.invalid")
    assert lines(dave)[0] == "Dear Ida Inspector,"
    assert "- 1.1.1 Evening patrols in the town centre (North): Missing" in lines(dave)
    assert "- 2.1.1 Covert operation against handlers (South): Missing" in lines(dave)
    assert "Sent due-soon reminder for Castle CSP 2016/17 Q2, 2 updates outstanding to " in out
    assert out.splitlines()[-1] == "Sent 2 reminders."
    assert err == ""


def test_it_sends_nothing_four_days_before(cast):
    out, _ = on(DEADLINE - timedelta(days=4))

    assert mail.outbox == []
    assert not Reminder.objects.exists()
    assert out.splitlines()[-1] == "Sent 0 reminders."


def test_the_window_follows_days_before(cast):
    on(DEADLINE - timedelta(days=5), "--days-before", "5")

    assert sent_to() == ["dave@example.invalid", "olive@example.invalid"]


def test_it_sends_on_the_deadline_day(cast):
    on(DEADLINE)

    olive = message_to("olive@example.invalid")
    assert olive.subject == "Castle CSP: 2 updates for 2016/17 Q2 due today"
    assert "Castle CSP's 2016/17 Q2 updates are due today, Friday 14 October 2016." in lines(olive)
    assert Reminder.objects.get(user=cast.olive).kind == ReminderKind.DUE_SOON


def test_it_sends_overdue_reminders(cast):
    on(DEADLINE + timedelta(days=2))

    olive = message_to("olive@example.invalid")
    assert olive.subject == "Castle CSP: 2 updates overdue for 2016/17 Q2"
    assert (
        "The deadline for Castle CSP's 2016/17 Q2 updates was Friday 14 October 2016: "
        "they are overdue by 2 days." in lines(olive)
    )
    assert "- 1.1.2 Open a community safety hub (North): Missing" in lines(olive)


def test_an_overdue_reminder_follows_a_due_soon_one_once(cast):
    on(DEADLINE - timedelta(days=1))
    on(DEADLINE)
    on(DEADLINE + timedelta(days=1))
    on(DEADLINE + timedelta(days=5))

    assert len(mail.outbox) == 4
    assert sorted(Reminder.objects.filter(user=cast.olive).values_list("kind", flat=True)) == [
        ReminderKind.DUE_SOON,
        ReminderKind.OVERDUE,
    ]


@pytest.mark.parametrize("status", [PeriodStatus.CLOSED, PeriodStatus.REPORTED])
def test_it_ignores_periods_no_longer_open(cast, status):
    cast.q2.status = status
    cast.q2.save()
    cast.q1.deadline = DEADLINE
    cast.q1.save()  # closed from the start

    on(DEADLINE + timedelta(days=1))

    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_it_ignores_periods_without_a_deadline(cast):
    cast.q2.deadline = None
    cast.q2.save()

    on(DEADLINE + timedelta(days=1))

    assert mail.outbox == []


# -- who and what ----------------------------------------------------------------------------------


def test_it_leaves_out_officers_with_nothing_outstanding(cast):
    for district in (cast.north, cast.south):
        make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, district, state=UpdateState.SUBMITTED)

    on(DEADLINE)

    assert sent_to() == ["dave@example.invalid"]
    assert not Reminder.objects.filter(user=cast.olive).exists()


def test_it_lists_drafts_and_returned_updates_with_the_comment(cast):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.AT_RISK,
        cast.north,
        state=UpdateState.RETURNED,
        return_comment="Please say when the venue opens.",
    )
    make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.south, state=UpdateState.DRAFT)

    on(DEADLINE + timedelta(days=1))

    body = lines(message_to("olive@example.invalid"))
    north = body.index("- 1.1.2 Open a community safety hub (North): Returned")
    assert body[north + 1] == "  The coordinator's comment: Please say when the venue opens."
    assert "- 1.1.2 Open a community safety hub (South): Draft" in body


def test_it_shortens_long_descriptions(cast):
    cast.hub.description = "Open a community safety hub " + "with many partners " * 10
    cast.hub.save()

    on(DEADLINE)

    shortened = "Open a community safety hub with many partners with many partners wit…"
    assert len(shortened) == 70
    assert f"- 1.1.2 {shortened} (North): Missing" in lines(message_to("olive@example.invalid"))


def test_it_links_to_my_updates(cast, monkeypatch):
    monkeypatch.setenv("CSP_BASE_URL", "https://csp.example.org/")

    on(DEADLINE)

    body = lines(message_to("olive@example.invalid"))
    assert "Please add or finish them on My updates: https://csp.example.org/updates/" in body


def test_without_a_base_url_it_gives_the_path(cast, monkeypatch):
    monkeypatch.delenv("CSP_BASE_URL", raising=False)

    out, _ = on(DEADLINE)

    assert "Please add or finish them on My updates: /updates/" in lines(mail.outbox[0])
    assert out.startswith("No --base-url or CSP_BASE_URL")


def test_viewers_clerks_and_coordinators_without_an_officer_record_never_receive(cast):
    for user in (cast.bob, cast.clara):
        make.officer(cast.council, name=user.username.title(), user=user)

    on(DEADLINE)

    assert sent_to() == ["dave@example.invalid", "olive@example.invalid"]
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"olive", "dave"}


def test_inactive_accounts_get_nothing(cast):
    cast.olive.is_active = False
    cast.olive.save()

    on(DEADLINE)

    assert sent_to() == ["dave@example.invalid"]


def test_it_records_what_it_sent(cast):
    on(DEADLINE + timedelta(days=1))

    reminder = Reminder.objects.get(user=cast.dave)
    assert reminder.period == cast.q2
    assert reminder.kind == ReminderKind.OVERDUE
    assert reminder.email == "dave@example.invalid"
    assert reminder.outstanding == 3


# -- running it again, dry runs and failures ------------------------------------------------------


def test_a_second_run_sends_nothing_and_records_nothing_new(cast):
    on(DEADLINE)
    out, _ = on(DEADLINE)

    assert len(mail.outbox) == 2
    assert Reminder.objects.count() == 2
    assert out.splitlines()[-1] == "Sent 0 reminders; 2 already sent."


def test_a_dry_run_sends_and_records_nothing(cast):
    out, _ = on(DEADLINE, "--dry-run")

    assert mail.outbox == []
    assert not Reminder.objects.exists()
    assert (
        "Would send due-soon reminder for Castle CSP 2016/17 Q2, 2 updates outstanding "
        "to olive <olive@example.invalid>" in out
    )
    assert out.splitlines()[-1] == "Dry run: would send 2 reminders."


def test_it_reports_a_recipient_without_an_email_address(cast):
    cast.olive.email = ""
    cast.olive.save()

    out, err = on(DEADLINE)

    assert sent_to() == ["dave@example.invalid"]
    assert "No e-mail address for olive" in err
    assert not Reminder.objects.filter(user=cast.olive).exists()
    assert out.splitlines()[-1] == "Sent 1 reminder; 1 without an e-mail address."


def test_a_failed_send_records_nothing_for_that_person(cast, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.FailingForOlive"
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 reminder could not be sent"):
        call_command("send_reminders", "--today", DEADLINE.isoformat(), stdout=out, stderr=err)

    assert sent_to() == ["dave@example.invalid"]
    assert "mail server refused olive@example.invalid" in err.getvalue()
    assert out.getvalue().splitlines()[-1] == "Sent 1 reminder; 1 failed."
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"dave"}

    # Once the mail server is back, the next run sends olive's alone.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    on(DEADLINE)
    assert sent_to() == ["olive@example.invalid"]


def test_the_function_reports_each_outcome(cast):
    cast.olive.email = ""
    cast.olive.save()

    results = send_reminders(DEADLINE, dry_run=True)

    assert {(r.user.get_username(), r.outcome) for r in results} == {
        ("olive", Outcome.NO_EMAIL),
        ("dave", Outcome.WOULD_SEND),
    }


# -- options ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["14/10/2016", "2016-13-01", "tomorrow"])
def test_it_refuses_a_malformed_today(cast, value):
    expected = f"--today: expected a date as YYYY-MM-DD, got '{value}'"
    with pytest.raises(CommandError, match=expected):
        run("--today", value)


def test_it_refuses_a_base_url_without_a_scheme(cast):
    with pytest.raises(CommandError, match="expected an address starting http"):
        on(DEADLINE, "--base-url", "csp.example.org")


def test_officer_names_come_from_the_sign_in_first(cast):
    cast.olive.first_name, cast.olive.last_name = "Olivia", "Oakes-Smith"
    cast.olive.save()

    on(DEADLINE)

    assert lines(message_to("olive@example.invalid"))[0] == "Dear Olivia Oakes-Smith,"
    assert Officer.objects.get(user=cast.olive).name == "Olive Oakes"
