"""Who changed what on an action, and when: ``csp.history`` and the action page's history."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csp.history import action_history
from csp.models import (
    ActionLead,
    Measure,
    MeasureFigure,
    QuarterlyUpdate,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make

pytestmark = pytest.mark.django_db


def url(action) -> str:
    return f"/actions/{action.pk}/"


def save_as(obj, user, **changes):
    for name, value in changes.items():
        setattr(obj, name, value)
    obj._history_user = user
    obj.save()
    return obj


def history_rows(response) -> list[list[str]]:
    """The change history table's rows (date, who, what, change), as text."""
    html = response.content.decode()
    if "Show change history" not in html:
        return []
    section = html[html.index('id="change-history"') :]
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', section, re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
        if "<td" in row
    ]


def test_an_action_edited_in_code_records_who_and_what(cast):
    cast.alice.first_name, cast.alice.last_name = "Alice", "Archer"
    cast.alice.save()
    save_as(cast.hub, cast.alice, timescale="Q3 - Dec 16", outcomes="Hub open daily")

    newest = action_history(cast.hub, cast.alice)[0]

    assert (newest.who, newest.what, newest.kind) == ("Alice Archer", "Action", "changed")
    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        ("Outcomes / measures", "Hub open weekly", "Hub open daily"),
        ("Timescale", "Q2 - Sept 16", "Q3 - Dec 16"),
    ]


def test_a_change_without_a_user_is_by_the_system(cast):
    cast.hub.timescale = "Q4"
    cast.hub.save()

    assert action_history(cast.hub, cast.alice)[0].who == "System"


def test_a_user_without_a_name_is_shown_by_username(cast):
    save_as(cast.hub, cast.bob, timescale="Q4")

    assert action_history(cast.hub, cast.alice)[0].who == "bob"


def test_the_action_being_created_is_the_oldest_change(cast):
    oldest = action_history(cast.hub, cast.alice)[-1]

    assert (oldest.what, oldest.kind, oldest.changes) == ("Action", "created", ())


def test_a_lead_created_changed_and_deleted(cast):
    lead = ActionLead(action=cast.hub, number=2, organisation=cast.police)
    save_as(lead, cast.alice)
    save_as(lead, cast.alice, officer=cast.inspector)
    lead._history_user = cast.alice
    lead.delete()

    changes = [c for c in action_history(cast.hub, cast.alice) if c.what == "Lead 2"]

    assert [c.kind for c in changes] == ["deleted", "changed", "created"]
    assert all(c.who == "alice" for c in changes)
    assert [(f.field, f.old, f.new) for f in changes[1].changes] == [
        ("Officer", "(none)", "Ida Inspector (SP)")
    ]


def test_an_update_progress_change_shows_old_and_new_text_and_who(cast):
    update = QuarterlyUpdate.objects.get(action=cast.hub, district=cast.north)
    save_as(update, cast.olive, progress="Venue signed")

    newest = action_history(cast.hub, cast.alice)[0]

    assert (newest.what, newest.who, newest.kind) == ("Update 2016/17 Q1 North", "olive", "changed")
    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        ("Progress", "Venue found", "Venue signed")
    ]


def test_choices_read_as_their_labels_and_bookkeeping_is_left_out(cast):
    update = make.update(cast.burglary, cast.q1, UpdateStatus.NOT_STARTED, state=UpdateState.DRAFT)
    save_as(update, cast.dave, state=UpdateState.SUBMITTED, status=UpdateStatus.AT_RISK, version=2)

    newest = action_history(cast.burglary, cast.alice)[0]

    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        ("Status", "Not started", "At risk"),
        ("State", "Draft", "Submitted"),
    ]


def test_a_save_that_changed_nothing_is_left_out(cast):
    before = len(action_history(cast.hub, cast.alice))
    save_as(cast.hub, cast.alice)

    assert len(action_history(cast.hub, cast.alice)) == before


def test_the_reason_for_a_change_is_shown(cast):
    cast.hub._change_reason = "Agreed at the March meeting"
    save_as(cast.hub, cast.alice, timescale="Q4")

    assert action_history(cast.hub, cast.alice)[0].reason == "Agreed at the March meeting"


def test_a_long_text_is_shortened_around_what_changed(cast):
    opening = "The partnership agreed to open a hub. " * 10
    save_as(cast.hub, cast.alice, outcomes=opening + "It opens weekly. " + "More words. " * 30)
    save_as(cast.hub, cast.alice, outcomes=opening + "It opens daily. " + "More words. " * 30)

    change = action_history(cast.hub, cast.alice)[0].changes[0]

    assert change.old.startswith("…") and change.new.startswith("…")
    assert "It opens weekly." in change.old and "It opens daily." in change.new
    assert len(change.old) <= 202 and change.old.endswith("…")


def test_figures_and_measures_are_named(cast):
    measure = save_as(Measure(action=cast.hub, description="Hub visitors"), cast.alice)
    update = QuarterlyUpdate.objects.get(action=cast.hub, district=cast.south)
    figure = save_as(MeasureFigure(measure=measure, update=update, value=Decimal("40")), cast.olive)
    save_as(figure, cast.olive, value=Decimal("42.50"))

    newest, created, measured = action_history(cast.hub, cast.alice)[:3]

    assert newest.what == "Figure for Hub visitors (2016/17 Q1 South)"
    assert [(c.field, c.old, c.new) for c in newest.changes] == [("Value", "40", "42.5")]
    assert (created.kind, measured.what, measured.kind) == ("created", "Measure 1", "created")


def test_a_member_sees_the_history_of_a_restricted_update(cast):
    whats = [c.what for c in action_history(cast.burglary, cast.bob)]

    assert "Update 2016/17 Q2 whole area" in whats


def test_a_public_visitor_never_gets_a_restricted_update_s_history(public):
    changes = action_history(public.burglary, AnonymousUser())

    assert changes and not [c for c in changes if c.what.startswith("Update")]


def test_a_public_visitor_never_sees_the_text_of_an_update_before_it_was_made_public(public):
    update = QuarterlyUpdate.objects.get(action=public.burglary)
    save_as(update, public.alice, progress="Informant named in the briefing")
    save_as(update, public.alice, progress="Briefing held", is_restricted=False)
    save_as(update, public.alice, progress="Second briefing held")

    changes = action_history(public.burglary, AnonymousUser())
    text = repr(changes)

    assert "Informant" not in text and "Secret" not in text
    assert [(c.old, c.new) for c in changes[0].changes] == [
        ("Briefing held", "Second briefing held")
    ]


def test_a_public_visitor_never_sees_drafts(public):
    update = make.update(
        public.leaflets, public.q2, UpdateStatus.ON_TRACK, public.north, state=UpdateState.DRAFT
    )
    save_as(update, public.olive, progress="Half-written thoughts")

    assert "Half-written" not in repr(action_history(public.leaflets, AnonymousUser()))


def test_a_deleted_update_stays_in_a_member_s_history(cast):
    update = QuarterlyUpdate.objects.get(action=cast.leaflets, period=cast.q2)
    update._history_user = cast.alice
    update.delete()

    newest = action_history(cast.leaflets, cast.alice)[0]

    assert (newest.what, newest.kind, newest.who) == (
        "Update 2016/17 Q2 whole area",
        "deleted",
        "alice",
    )


def test_the_page_shows_the_history_to_alice(alice, cast):
    update = QuarterlyUpdate.objects.get(action=cast.hub, district=cast.north)
    save_as(update, cast.olive, progress="Venue signed")

    rows = history_rows(alice.get(url(cast.hub)))

    who, what, change = rows[0][1:]
    assert (who, what) == ("olive", "Update 2016/17 Q1 North")
    assert change == "Changed: Progress : Venue found → Venue signed"


def test_a_viewer_member_sees_the_history(client, cast):
    client.force_login(cast.bob)

    assert history_rows(client.get(url(cast.hub)))


def test_a_signed_out_visitor_sees_no_history_at_all(client, public):
    html = client.get(url(public.burglary)).content.decode()

    assert "Change history" not in html
    assert "Secret informant" not in html


def test_a_signed_in_non_member_of_a_public_partnership_sees_no_history(client, public):
    client.force_login(public.charlie)
    response = client.get(url(public.hub))

    assert response.status_code == 200
    assert "Change history" not in response.content.decode()


def test_the_newest_fifty_are_shown_with_a_note(alice, cast):
    for n in range(55):
        save_as(cast.hub, cast.alice, timescale=f"Week {n}")

    response = alice.get(url(cast.hub))

    assert len(history_rows(response)) == 50
    assert "Showing the newest 50 changes only." in response.content.decode()


def test_the_page_s_queries_do_not_grow_with_its_history(alice, cast):
    lead = cast.hub.leads.get()
    measure = save_as(Measure(action=cast.hub, description="Visitors"), cast.alice)
    update = QuarterlyUpdate.objects.get(action=cast.hub, district=cast.north)
    figure = save_as(MeasureFigure(measure=measure, update=update, value=1), cast.olive)
    save_as(lead, cast.alice, officer=cast.inspector)  # names an officer, as the later ones do
    with CaptureQueriesContext(connection) as before:
        alice.get(url(cast.hub))

    for n in range(4):
        save_as(cast.hub, cast.alice, timescale=f"Q{n}")
        save_as(lead, cast.alice, officer=cast.inspector if n % 2 else None)
        save_as(measure, cast.alice, description=f"Visitors {n}")
        save_as(update, cast.olive, progress=f"Progress {n}")
        save_as(figure, cast.olive, value=n + 2)
    with CaptureQueriesContext(connection) as after:
        response = alice.get(url(cast.hub))

    assert len(history_rows(response)) >= 20
    assert len(after) == len(before)


def test_the_admin_has_a_history_page(client, cast):
    client.force_login(User.objects.create_superuser("admin", "admin@example.invalid", "pw"))
    save_as(cast.hub, cast.alice, timescale="Q4")
    update = QuarterlyUpdate.objects.get(action=cast.hub, district=cast.north)

    action_page = client.get(f"/admin/csp/action/{cast.hub.pk}/history/")
    update_page = client.get(f"/admin/csp/quarterlyupdate/{update.pk}/history/")

    assert action_page.status_code == 200 and "alice" in action_page.content.decode()
    assert update_page.status_code == 200
