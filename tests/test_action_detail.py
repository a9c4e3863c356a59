"""The page of one action: where it sits, who leads it, its measures and its update timeline."""

import re
from decimal import Decimal

import pytest

from csp.models import (
    Measure,
    MeasureFigure,
    ObjectiveStrand,
    StatutoryStrand,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make

pytestmark = pytest.mark.django_db


def url(action) -> str:
    return f"/actions/{action.pk}/"


def text(response) -> str:
    """The page's main content as text: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def timeline(response) -> list[tuple[str, list[str]]]:
    return [
        (
            period.label,
            [update.district.name if update.district else "whole area" for update in updates],
        )
        for period, updates in response.context["timeline"]
    ]


def test_breadcrumbs_show_plan_priority_and_objective(alice, cast):
    html = alice.get(url(cast.hub)).content.decode()
    crumbs = re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]+)">([^<]+)</a>', html)
    assert crumbs == [
        ("/plans/castle-2016-17/", "Castle Plan 2016/17"),
        ("/actions/?plan=castle-2016-17&amp;priority=1", "1. Safer communities"),
        ("/actions/?plan=castle-2016-17&amp;objective=1.1", "Objective 1.1"),
    ]


def test_the_heading_gives_the_reference_description_and_objective(alice, cast):
    page = text(alice.get(url(cast.hub)))
    assert "Action 1.1.2 Open a community safety hub" in page
    assert (
        "Strategic objective 1.1 Reassure residents with visible patrols "
        "Reduction of crime and disorder" in page
    )


def test_the_objectives_theme_and_statutory_flag(alice, cast):
    objective = cast.hub.objective
    theme = objective.priority.themes.create(number=1, title="Town centres")
    objective.theme = theme
    objective.is_statutory = True
    objective.save()
    ObjectiveStrand.objects.create(objective=objective, strand=StatutoryStrand.SUBSTANCE_MISUSE)
    page = text(alice.get(url(cast.hub)))
    assert "Theme: Town centres" in page
    assert "Statutory obligation" in page
    assert "Reduction of crime and disorder Combatting the misuse of drugs" in page


def test_outcomes(alice, cast):
    assert "Outcomes / measures Hub open weekly" in text(alice.get(url(cast.hub)))
    assert "Outcomes / measures None given" in text(alice.get(url(cast.patrols)))


def test_a_lead_with_its_officer(alice, cast):
    html = alice.get(url(cast.patrols)).content.decode()
    assert (
        '<a class="govuk-link" href="/agencies/shire-police/">Shire Police</a>'
        " \N{EN DASH} Ida Inspector (II)" in html
    )


def test_several_leads_all_partners_and_the_lead_as_written(alice, cast):
    cast.leaflets.lead_as_written = "All partners (CC to coordinate)"
    cast.leaflets.save()
    cast.leaflets.leads.create(number=2, organisation=cast.council)
    page = text(alice.get(url(cast.leaflets)))
    assert "Lead agency / officer All partners Castle Council" in page
    assert "As the plan writes it: “All partners (CC to coordinate)”" in page


def test_an_action_without_leads_says_none_given(alice, cast):
    action = make.action(cast.burglary.objective, number=3, description="Unled")
    assert "Lead agency / officer None given" in text(alice.get(url(action)))


def test_timescale_and_its_due_quarter(alice, cast):
    assert "Timescale Q2 - Sept 16 (due by the end of 2016/17 Q2)" in text(alice.get(url(cast.hub)))
    assert "Timescale Q1-4 (due by the end of 2016/17 Q4)" in text(alice.get(url(cast.patrols)))


def test_a_timescale_without_a_due_quarter(alice, cast):
    page = text(alice.get(url(cast.leaflets)))
    assert "Timescale Ongoing Districts" in page
    assert "due by" not in page


def test_districts_or_all_of_the_partnership(alice, cast):
    assert "Districts North" in text(alice.get(url(cast.patrols)))
    assert "Districts All of Castle CSP" in text(alice.get(url(cast.hub)))
    cast.hub.districts.set([cast.north, cast.south])
    assert "Districts North, South" in text(alice.get(url(cast.hub)))


def test_measures_with_targets_and_reported_figures(alice, cast):
    residents = Measure.objects.create(
        action=cast.hub,
        number=1,
        description="Residents visiting the hub",
        target_text="200 a month",
    )
    attendees = Measure.objects.create(
        action=cast.hub, number=2, description="Attendees satisfied", unit="%", target_text="80%"
    )
    Measure.objects.create(
        action=cast.hub, number=3, description="Volunteers recruited", target_text="10"
    )
    north = cast.hub.updates.get(district=cast.north)
    MeasureFigure.objects.create(measure=residents, update=north, value=Decimal("150"))
    MeasureFigure.objects.create(measure=attendees, update=north, value=Decimal("82"))
    response = alice.get(url(cast.hub))
    page = text(response)
    assert "Measures Measure Target Figures reported" in page
    assert "Residents visiting the hub 200 a month 150" in page
    assert "Attendees satisfied 80% 82%" in page
    assert "Volunteers recruited 10 None yet" in page
    # and the figures under the update that reported them
    assert "Venue found Residents visiting the hub: 150; Attendees satisfied: 82" in page


def test_no_measures_table_without_measures(alice, cast):
    assert "Figures reported" not in text(alice.get(url(cast.hub)))


def test_figures_from_draft_updates_are_not_reported(alice, cast):
    measure = Measure.objects.create(
        action=cast.burglary, description="Homes target-hardened", target_text="100 homes"
    )
    draft = make.update(cast.burglary, cast.q1, UpdateStatus.ON_TRACK, state=UpdateState.DRAFT)
    MeasureFigure.objects.create(measure=measure, update=draft, value=Decimal("17"))
    assert "Homes target-hardened 100 homes None yet" in text(alice.get(url(cast.burglary)))


def test_figures_from_restricted_updates_are_hidden_from_visitors(client, public):
    measure = Measure.objects.create(
        action=public.burglary, description="Homes target-hardened", target_text="100 homes"
    )
    MeasureFigure.objects.create(
        measure=measure, update=public.burglary.updates.get(), value=Decimal("42")
    )
    assert "Homes target-hardened 100 homes None yet" in text(client.get(url(public.burglary)))


def test_figures_from_restricted_updates_are_shown_to_members(alice, cast):
    measure = Measure.objects.create(
        action=cast.burglary, description="Homes target-hardened", target_text="100 homes"
    )
    MeasureFigure.objects.create(
        measure=measure, update=cast.burglary.updates.get(), value=Decimal("42")
    )
    assert "Homes target-hardened 100 homes 42" in text(alice.get(url(cast.burglary)))


def test_the_timeline_runs_newest_period_first_then_by_district(alice, cast):
    make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.south, progress="Lease signed")
    make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, progress="Hub opened")
    q3 = make.period(cast.plan, 2016, 3)
    make.update(cast.hub, q3, UpdateStatus.COMPLETE, cast.north, progress="Open weekly")
    response = alice.get(url(cast.hub))
    assert timeline(response) == [
        ("2016/17 Q3", ["North"]),
        ("2016/17 Q2", ["North", "South"]),
        ("2016/17 Q1", ["North", "South"]),
    ]
    html = response.content.decode()
    positions = [
        html.index(s)
        for s in ("Open weekly", "Hub opened", "Lease signed", "Venue found", "No venue yet")
    ]
    assert positions == sorted(positions)
    assert html.index('<h3 class="govuk-heading-m">2016/17 Q3</h3>') < html.index("Open weekly")


def test_the_whole_area_update_comes_before_the_districts_on_every_database(alice, cast):
    make.update(cast.hub, cast.q1, UpdateStatus.AT_RISK, progress="Across the area")
    assert timeline(alice.get(url(cast.hub))) == [("2016/17 Q1", ["whole area", "North", "South"])]


def test_the_timeline_shows_status_progress_risks_and_who_reported(alice, cast):
    update = cast.hub.updates.get(district=cast.south)
    update.organisation = cast.council
    update.save()
    page = text(alice.get(url(cast.hub)))
    assert (
        "2016/17 Q1 North At risk Venue found "
        "South Off track No venue yet Risks and dependencies Depends on the library lease "
        "Reported by Castle Council"
    ) in page


def test_a_whole_area_update_is_labelled_as_such(alice, cast):
    page = text(alice.get(url(cast.leaflets)))
    assert "2016/17 Q2 Whole partnership area On track Second print run ordered" in page
    assert "2016/17 Q1 Whole partnership area Complete 5,000 leaflets delivered" in page


def test_the_latest_reported_status_is_shown(alice, cast):
    assert "Off track latest reported status" in text(alice.get(url(cast.hub)))
    assert "On track latest reported status" in text(
        alice.get(url(cast.leaflets))
    )  # Q2, not Q1's complete


def test_an_action_without_updates_says_so(alice, cast):
    action = make.action(cast.burglary.objective, number=3, description="Quiet")
    page = text(alice.get(url(action)))
    assert "No update" in page
    assert "No updates have been reported for this action yet." in page


def test_drafts_and_returned_updates_are_never_shown(alice, cast):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.COMPLETE,
        cast.north,
        state=UpdateState.DRAFT,
        progress="Draft words",
    )
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.COMPLETE,
        cast.south,
        state=UpdateState.RETURNED,
        progress="Returned words",
    )
    response = alice.get(url(cast.hub))
    assert timeline(response) == [("2016/17 Q1", ["North", "South"])]
    page = text(response)
    assert "Draft words" not in page
    assert "Returned words" not in page
    assert "Off track latest reported status" in page  # the drafts' "complete" does not count


def test_a_submitted_update_is_shown(alice, cast):
    make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state=UpdateState.SUBMITTED,
        progress="Just sent",
    )
    assert "Just sent" in text(alice.get(url(cast.hub)))


def test_a_restricted_action_is_shown_to_a_member_marked_restricted(alice, cast):
    response = alice.get(url(cast.covert))
    assert response.status_code == 200
    page = text(response)
    assert "Action 2.1.1 Restricted Covert operation against handlers" in page
    assert "Operation Nightjar details" in page


def test_a_restricted_update_is_shown_to_a_member(alice, cast):
    assert "Secret informant briefing" in text(alice.get(url(cast.burglary)))


def test_a_restricted_update_is_hidden_from_a_visitor(client, public):
    response = client.get(url(public.burglary))
    assert response.status_code == 200
    assert "Secret informant briefing" not in response.content.decode()
    assert timeline(response) == []


def test_a_restricted_action_is_not_shown_to_a_visitor(client, public):
    response = client.get(url(public.covert))
    # Not shown; the visitor is asked to sign in, as a member could see it (see visible_or_404).
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next=/actions/{public.covert.pk}/"


def test_a_restricted_action_is_404_for_a_signed_in_non_member_of_a_public_partnership(
    client, public
):
    client.force_login(public.charlie)
    assert client.get(url(public.covert)).status_code == 404
    response = client.get(url(public.hub))
    assert response.status_code == 200
    assert "Open a community safety hub" in response.content.decode()


def test_an_action_of_another_partnership_is_404_for_a_signed_in_non_member(client, cast):
    client.force_login(cast.charlie)
    assert client.get(url(cast.hub)).status_code == 404
    assert client.get(url(cast.covert)).status_code == 404
    assert client.get(url(cast.faraway)).status_code == 200


def test_an_unknown_action_is_404(alice, cast):
    assert alice.get("/actions/999999/").status_code == 404


def test_a_signed_out_visitor_is_asked_to_sign_in_for_a_private_partnerships_action(client, cast):
    response = client.get(url(cast.hub))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next=/actions/{cast.hub.pk}/"


def test_a_viewer_sees_restricted_items_like_the_coordinator(client, cast):
    client.force_login(cast.bob)
    assert client.get(url(cast.covert)).status_code == 200
    assert "Secret informant briefing" in client.get(url(cast.burglary)).content.decode()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("100.00"), "100"),
        (Decimal("82.50"), "82.5"),
        (Decimal("14019"), "14,019"),
        (None, ""),
    ],
)
def test_figures_are_written_as_people_write_them(value, shown):
    from csp.templatetags.csp_tags import number

    assert number(value) == shown


def test_a_target_given_only_as_a_number_reads_plainly(alice, cast):
    Measure.objects.create(
        action=cast.hub, description="Hub sessions", target_value=Decimal("100.00"), unit="sessions"
    )
    assert "Hub sessions 100 sessions" in text(alice.get(url(cast.hub)))
