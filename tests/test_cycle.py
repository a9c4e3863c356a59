"""Which updates a period expects and who owes them (``csp.cycle.PeriodSlots``)."""

from __future__ import annotations

import pytest

from csp.cycle import PeriodSlots
from csp.models import ActionLead, Membership, UpdateStatus
from tests import factories as make

pytestmark = pytest.mark.django_db


def expected(period, **filters):
    return sorted(
        (slot.action.reference, slot.district.name if slot.district else "whole area")
        for slot in PeriodSlots(period).slots
    )


def test_each_action_in_each_district_it_covers(cast):
    assert expected(cast.q2) == [
        ("1.1.1", "North"),  # patrols: its own district
        ("1.1.2", "North"),  # hub: both districts
        ("1.1.2", "South"),
        # 1.2.1 leaflets: finished in Q1, but given a Q2 update, so still shown (whole area)
        ("1.2.1", "whole area"),
        ("2.1.1", "North"),
        ("2.1.1", "South"),
        ("2.1.2", "whole area"),  # burglary: a whole-area update was given
    ]


def test_an_action_finished_earlier_is_no_longer_expected(cast):
    q3 = make.period(cast.plan, 2016, 3)
    assert ("1.2.1", "whole area") not in expected(q3)  # complete in Q1
    assert ("1.1.2", "North") in expected(q3)


def test_a_district_councils_action_is_its_own_districts(cast):
    Membership.objects.filter(organisation=cast.council).update(district=cast.north)
    slots = expected(cast.q2)
    assert ("1.1.2", "North") in slots and ("1.1.2", "South") not in slots
    # A police lead reports for the whole area, so the police's actions cover both.
    assert ("2.1.1", "South") in slots


def test_who_owes_each_slot(cast):
    Membership.objects.filter(organisation=cast.council).update(district=cast.north)
    ActionLead.objects.create(action=cast.hub, number=2, organisation=cast.police)
    slots = {
        (s.action.reference, s.district.name): s for s in PeriodSlots(cast.q2).slots if s.district
    }
    # The council reports for North only; the police for every district.
    assert slots[("1.1.2", "North")].responsible_ids == {cast.council.pk, cast.police.pk}
    assert slots[("1.1.2", "South")].responsible_ids == {cast.police.pk}


def test_all_partners_actions_are_owed_by_every_member(cast):
    action = make.action(cast.hub.objective, description="Joint campaign")
    ActionLead.objects.create(action=action, all_partners=True)
    [north, south] = [s for s in PeriodSlots(cast.q2).slots if s.action == action]
    assert north.all_partners and north.owed_by == "All partners"
    assert north.responsible_ids == south.responsible_ids == {cast.council.pk, cast.police.pk}


def test_slots_for_users_follow_their_organisation_and_role(cast):
    slots = PeriodSlots(cast.q2)
    assert {s.action.reference for s in slots.for_user(cast.olive)} == {"1.1.2", "1.2.1", "2.1.2"}
    assert {s.action.reference for s in slots.for_user(cast.dave)} == {"1.1.1", "1.2.1", "2.1.1"}
    for reader in (cast.bob, cast.clara, cast.charlie):
        assert slots.for_user(reader) == []


def test_completeness_counts_states_and_lateness(cast):
    make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state="submitted")
    totals = PeriodSlots(cast.q2).totals
    assert (totals.expected, totals.received, totals.outstanding) == (7, 3, 4)


def slot_keys(slots):
    return [(s.action.pk, s.district.pk if s.district else None, s.responsible_ids) for s in slots]


def test_slots_built_for_some_organisations_are_theirs_of_the_whole_period_and_no_more(cast):
    # A district council's own action, a shared one, an "All partners" one, and one of
    # nobody's: each organisation's slots come out as the whole period's, and only they are built.
    Membership.objects.filter(organisation=cast.council).update(district=cast.north)
    ActionLead.objects.create(action=cast.hub, number=2, organisation=cast.police)
    joint = make.action(cast.hub.objective, description="Joint campaign")
    ActionLead.objects.create(action=joint, all_partners=True)
    make.action(cast.hub.objective, description="Led by nobody yet")
    whole = PeriodSlots(cast.q2)
    for organisations in ({cast.council.pk}, {cast.police.pk}, {cast.council.pk, cast.police.pk}):
        mine = PeriodSlots(cast.q2, only_for=organisations)
        assert slot_keys(mine.for_organisations(organisations)) == slot_keys(
            whole.for_organisations(organisations)
        )
        assert mine.for_organisations(organisations)
        assert len(mine._slots) < len(whole.slots)
    # An organisation that is no member owes nothing, "All partners" included.
    outsider = make.organisation(name="Outsiders")
    assert PeriodSlots(cast.q2, only_for={outsider.pk})._slots == []


def test_slots_built_for_some_organisations_refuse_questions_about_the_whole_period(cast):
    mine = PeriodSlots(cast.q2, only_for={cast.council.pk})
    with pytest.raises(ValueError, match="some organisations only"):
        mine.totals  # noqa: B018
    with pytest.raises(ValueError, match="other organisations"):
        mine.for_organisations({cast.police.pk})
