"""Lead agencies: each organisation with its actions by latest status, and its own page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from csp.models import ActionLead, Membership
from tests import factories as make
from tests.html import tables

pytestmark = pytest.mark.django_db


def agency_table(response) -> list[list[str]]:
    found = tables(response)
    assert len(found) == 1
    return found[0]


def grouped_refs(response) -> list[tuple[str, list[str]]]:
    return [
        (f"{priority.plan.title}: {priority.number}", [action.reference for action in actions])
        for priority, actions in response.context["groups"]
    ]


@pytest.fixture
def charlie(client, cast):
    client.force_login(cast.charlie)
    return client


@pytest.fixture
def memberships(cast):
    # The cast makes police and council members of Castle; here they are responsible authorities.
    Membership.objects.filter(partnership=cast.castle).update(is_responsible_authority=True)
    Membership.objects.create(partnership=cast.elsewhere, organisation=cast.police)
    fire = make.organisation(name="Castle Fire", slug="castle-fire")
    Membership.objects.create(partnership=cast.castle, organisation=fire)
    return fire


# The list


def test_each_organisation_with_the_actions_it_leads_by_latest_status(alice, cast):
    response = alice.get("/agencies/")
    assert response.status_code == 200
    # Latest status: police 1.1.1 on track (Q1), 2.1.1 off track (Q1);
    # council 1.1.2 off track (Q1), 2.1.2 at risk (Q2).
    assert agency_table(response) == [
        ["Organisation", "Actions led", "Off track", "At risk", "On track"],
        ["Castle Council (CC)", "2", "1", "1", "0"],
        ["Shire Police (SP)", "2", "1", "0", "1"],
    ]


def test_actions_led_by_all_partners_count_for_no_organisation(alice, cast):
    table = agency_table(alice.get("/agencies/"))
    assert sum(int(row[1]) for row in table[1:]) == 4  # of 5: 1.2.1 is led by all partners


def test_each_organisation_links_to_its_page_and_its_action_list_filter(alice, cast):
    html = alice.get("/agencies/").content.decode()
    assert '<a class="govuk-link" href="/agencies/shire-police/">Shire Police</a>' in html
    assert '<a class="govuk-link" href="/actions/?lead=shire-police">2</a>' in html
    assert '<a class="govuk-link" href="/actions/?lead=castle-council">2</a>' in html
    listed = alice.get("/actions/?lead=shire-police").context["table"].page.object_list
    assert len(listed) == 2


def test_a_member_organisation_leading_nothing_is_listed_with_no_link(alice, cast, memberships):
    table = agency_table(alice.get("/agencies/"))
    assert ["Castle Fire", "0", "0", "0", "0"] in table
    assert "/actions/?lead=castle-fire" not in alice.get("/agencies/").content.decode()


def test_an_organisation_leading_two_lines_of_one_action_counts_it_once(alice, cast):
    constable = make.officer(cast.police, name="Carl Constable")
    ActionLead.objects.create(
        action=cast.patrols, number=2, organisation=cast.police, officer=constable
    )
    assert ["Shire Police (SP)", "2", "1", "0", "1"] in agency_table(alice.get("/agencies/"))


def test_a_member_of_another_partnership_sees_only_what_their_partnership_leads(charlie, cast):
    assert agency_table(charlie.get("/agencies/")) == [
        ["Organisation", "Actions led", "No update"],
        ["Shire Police (SP)", "1", "1"],
    ]


def test_a_signed_out_visitor_is_asked_to_sign_in_when_nothing_is_public(client, cast):
    response = client.get("/agencies/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/agencies/"


def test_a_visitor_to_a_public_partnership_does_not_count_restricted_actions(client, public):
    table = agency_table(client.get("/agencies/"))
    assert [row[:2] for row in table[1:]] == [
        ["Castle Council (CC)", "2"],
        ["Shire Police (SP)", "1"],
    ]
    police = dict(zip(table[0], table[2], strict=True))
    assert police["On track"] == "1"
    assert police.get("Off track", "0") == "0"  # 2.1.1, restricted, is off track


# One organisation


def test_an_organisations_actions_grouped_by_priority(alice, cast):
    response = alice.get("/agencies/shire-police/")
    assert response.status_code == 200
    assert grouped_refs(response) == [
        ("Castle Plan 2016/17: 1", ["1.1.1"]),
        ("Castle Plan 2016/17: 2", ["2.1.1"]),
    ]
    html = response.content.decode()
    assert "Actions it leads (2)" in html
    assert "Castle Plan 2016/17: 1. Safer communities" in html
    assert "Castle Plan 2016/17: 2. Acquisitive crime" in html
    assert tables(response) == [
        [
            ["Ref", "Action", "Timescale", "Status"],
            ["1.1.1", "Evening patrols in the town centre", "Q1-4", "On track"],
        ],
        [
            ["Ref", "Action", "Timescale", "Status"],
            ["2.1.1", "Covert operation against handlers", "Q3 - Oct 16", "Off track"],
        ],
    ]
    assert f'href="/actions/{cast.patrols.pk}/"' in html


def test_actions_of_several_objectives_and_plans_are_grouped_in_order(alice, cast):
    later = make.plan(
        cast.castle,
        title="Castle Plan 2017/18",
        slug="castle-2017-18",
        first_year=2017,
        last_year=2017,
    )
    make.action(
        make.objective(make.priority(later, number=1, title="Later")),
        description="Later action",
        lead=cast.council,
    )
    make.action(
        cast.patrols.objective, number=3, description="Another patrol action", lead=cast.council
    )
    assert grouped_refs(alice.get("/agencies/castle-council/")) == [
        ("Castle Plan 2016/17: 1", ["1.1.2", "1.1.3"]),
        ("Castle Plan 2016/17: 2", ["2.1.2"]),
        ("Castle Plan 2017/18: 1", ["1.1.1"]),
    ]


def test_an_organisations_officers(alice, cast):
    html = alice.get("/agencies/shire-police/").content.decode()
    assert "<li>Ida Inspector (II)</li>" in html


def test_an_organisations_partnerships_with_the_responsible_authority_flag(
    alice, cast, memberships
):
    response = alice.get("/agencies/shire-police/")
    assert [
        (m.partnership.name, m.is_responsible_authority) for m in response.context["memberships"]
    ] == [("Castle CSP", True)]
    html = response.content.decode()
    assert (
        '<li>Castle CSP <strong class="govuk-tag govuk-tag--blue">'
        "Responsible authority</strong></li>" in html
    )
    assert "Elsewhere CSP" not in html


def test_a_partnership_that_is_not_a_responsible_authority_has_no_flag(charlie, cast, memberships):
    html = charlie.get("/agencies/shire-police/").content.decode()
    assert "<li>Elsewhere CSP</li>" in html
    assert "Responsible authority" not in html
    assert "Castle CSP" not in html


def test_an_organisation_in_no_partnership_says_none(alice, cast):
    Membership.objects.filter(organisation=cast.council).delete()
    html = alice.get("/agencies/castle-council/").content.decode()
    assert "<li>None</li>" in html


def test_a_member_of_another_partnership_sees_only_their_partnerships_actions_and_officers(
    charlie, cast
):
    response = charlie.get("/agencies/shire-police/")
    assert response.status_code == 200
    assert grouped_refs(response) == [("Elsewhere Plan: 1", ["1.1.1"])]
    html = response.content.decode()
    assert "Far away action" in html
    assert "Evening patrols" not in html
    assert "Covert operation" not in html
    assert "Ida Inspector" not in html  # she leads only Castle's actions
    assert "Actions it leads (1)" in html


def test_an_organisation_leading_only_another_partnerships_actions_is_404(charlie, cast):
    assert charlie.get("/agencies/castle-council/").status_code == 404


def test_an_unknown_organisation_is_404(alice, cast):
    assert alice.get("/agencies/no-such-agency/").status_code == 404


def test_a_signed_out_visitor_is_asked_to_sign_in_for_an_organisations_page(client, cast):
    response = client.get("/agencies/castle-council/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/agencies/castle-council/"


def test_a_signed_out_visitor_gets_404_for_an_organisation_that_does_not_exist(client, cast):
    assert client.get("/agencies/no-such-agency/").status_code == 404


def test_a_visitor_to_a_public_partnership_does_not_see_restricted_actions(client, public):
    response = client.get("/agencies/shire-police/")
    assert response.status_code == 200
    assert grouped_refs(response) == [("Castle Plan 2016/17: 1", ["1.1.1"])]
    html = response.content.decode()
    assert "Covert operation against handlers" not in html
    assert "Actions it leads (1)" in html
    assert "Far away action" not in html  # Elsewhere is not public


def test_an_organisation_leading_only_a_restricted_action_is_hidden_from_visitors(client, public):
    unit = make.organisation(name="Covert Unit", slug="covert-unit")
    ActionLead.objects.create(action=public.covert, number=2, organisation=unit)
    assert "Covert Unit" not in client.get("/agencies/").content.decode()
    response = client.get("/agencies/covert-unit/")
    assert response.status_code == 302  # a member may be able to see it
    assert response["Location"] == "/accounts/sign-in/?next=/agencies/covert-unit/"


def test_a_member_organisation_of_a_public_partnership_is_visible_to_visitors(
    client, public, memberships
):
    response = client.get("/agencies/castle-fire/")
    assert response.status_code == 200
    assert "This organisation leads no actions you can see." in response.content.decode()


def test_an_organisation_leading_more_than_a_page_shows_the_first_and_links_to_the_list(
    alice, cast, monkeypatch
):
    from csp.views import agencies

    monkeypatch.setattr(agencies, "ACTIONS_SHOWN", 1)
    response = alice.get("/agencies/shire-police/")
    assert grouped_refs(response) == [("Castle Plan 2016/17: 1", ["1.1.1"])]
    html = response.content.decode()
    assert "Actions it leads (2)" in html
    assert "These are the first 1." in html
    assert 'href="/actions/?lead=shire-police">See all 2 in the action list</a>' in html


def test_an_agencys_actions_are_found_by_one_uncorrelated_subquery(client, public):
    """Not an EXISTS per action: SQLite walked a county agency's 2,617 leads for each of 20,000
    actions (30 s, past the signed-out visitor's budget); the IN list is read once (0.06 s)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("agency-detail", args=[public.police.slug]))
    assert response.status_code == 200
    [actions] = [q["sql"] for q in queries if q["sql"].startswith('SELECT "csp_action"."id"')]
    assert re.search(
        r'IN \(SELECT (U\d+)\."action_id"( AS "action_id")? FROM "csp_actionlead" \1', actions
    )
    assert not re.search(r'EXISTS\(SELECT 1 AS "a" FROM "csp_actionlead"', actions)
