"""A plan's dashboard: status counts per priority, chart, missing and recent updates, strands."""

import re

import pytest

from csp.models import PeriodStatus, UpdateState, UpdateStatus
from tests import factories as make
from tests.html import tables

pytestmark = pytest.mark.django_db

URL = "/plans/castle-2016-17/"
# Q2 has accepted updates, so the dashboard opens on it: the tests about Q1 ask for Q1.
Q1 = f"{URL}?period=2016-17-q1"


def status_table(response) -> list[list[str]]:
    found = tables(response)
    assert len(found) == 1
    return found[0]


def chart(response) -> str:
    found = re.search(r'<svg class="csp-chart".*?</svg>', response.content.decode(), re.DOTALL)
    assert found, "no chart"
    return found.group(0)


def missing_refs(response) -> list[str]:
    return [action.reference for action in response.context["missing"]]


def recent_texts(response) -> list[str]:
    return [update.progress for update in response.context["recent"]]


def test_the_table_counts_each_prioritys_actions_by_status_in_q1(alice, cast):
    response = alice.get(Q1)
    assert response.status_code == 200
    assert status_table(response) == [
        ["Priority", "Off track", "On track", "Complete", "No update", "Total"],
        ["1. Safer communities", "1", "1", "1", "0", "3"],
        ["2. Acquisitive crime", "1", "0", "0", "1", "2"],
        ["All priorities", "2", "1", "1", "1", "5"],
    ]
    assert "Actions by status, 2016/17 Q1" in response.content.decode()


def test_the_table_counts_the_chosen_period(alice, cast):
    response = alice.get(f"{URL}?period=2016-17-q2")
    assert response.context["period"] == cast.q2
    assert status_table(response) == [
        ["Priority", "At risk", "On track", "No update", "Total"],
        ["1. Safer communities", "0", "1", "2", "3"],
        ["2. Acquisitive crime", "1", "0", "1", "2"],
        ["All priorities", "1", "1", "3", "5"],
    ]


def test_each_priority_links_to_its_filtered_action_list(alice, cast):
    html = alice.get(f"{URL}?period=2016-17-q2").content.decode()
    assert 'href="/actions/?plan=castle-2016-17&amp;priority=2&amp;period=2016-17-q2"' in html


def test_the_chart_is_an_image_with_a_title_and_a_description_of_the_counts(alice, cast):
    svg = chart(alice.get(Q1))
    assert 'role="img"' in svg
    assert 'aria-labelledby="status-chart-title status-chart-desc"' in svg
    assert '<title id="status-chart-title">Actions by status for each priority</title>' in svg
    assert (
        '<desc id="status-chart-desc">1. Safer communities: 1 off track, 1 on track, 1 complete; '
        "2. Acquisitive crime: 1 off track, 1 no update</desc>"
    ) in svg


def test_the_charts_description_follows_the_chosen_period(alice, cast):
    svg = chart(alice.get(f"{URL}?period=2016-17-q2"))
    assert (
        '<desc id="status-chart-desc">1. Safer communities: 1 on track, 2 no update; '
        "2. Acquisitive crime: 1 at risk, 1 no update</desc>"
    ) in svg


def test_a_plan_without_actions_says_so_instead_of_a_chart(alice, cast):
    empty = make.plan(cast.castle, title="Empty plan", slug="empty")
    response = alice.get(f"/plans/{empty.slug}/")
    html = response.content.decode()
    assert "This plan has no actions yet." in html
    assert "csp-chart" not in html


def test_actions_without_an_update_for_a_closed_period(alice, cast):
    response = alice.get(Q1)
    assert missing_refs(response) == ["2.1.2"]
    html = response.content.decode()
    assert "Actions without an update for 2016/17 Q1 (1)" in html
    assert f'<a class="govuk-link" href="/actions/{cast.burglary.pk}/">2.1.2</a>' in html


def test_actions_without_an_update_for_the_chosen_period(alice, cast):
    response = alice.get(f"{URL}?period=2016-17-q2")
    assert missing_refs(response) == ["1.1.1", "1.1.2", "2.1.1"]
    assert "Actions without an update for 2016/17 Q2 (3)" in response.content.decode()


def test_a_draft_or_returned_update_does_not_count_as_an_update(alice, cast):
    make.update(cast.burglary, cast.q1, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT)
    make.update(
        cast.burglary, cast.q1, UpdateStatus.ON_TRACK, cast.south, state=UpdateState.RETURNED
    )
    assert missing_refs(alice.get(Q1)) == ["2.1.2"]


def test_a_submitted_update_counts(alice, cast):
    make.update(cast.burglary, cast.q1, UpdateStatus.NOT_STARTED, state=UpdateState.SUBMITTED)
    response = alice.get(Q1)
    assert missing_refs(response) == []
    assert "Every action has an update for this period." in response.content.decode()


def test_recent_updates_newest_first_without_drafts(alice, cast):
    make.update(
        cast.burglary,
        cast.q1,
        UpdateStatus.ON_TRACK,
        state=UpdateState.DRAFT,
        progress="Draft words",
    )
    response = alice.get(URL)
    assert recent_texts(response) == [
        "Secret informant briefing",
        "Operation Nightjar details",
        "Second print run ordered",
        "5,000 leaflets delivered",
        "No venue yet",
        "Venue found",
        "Patrols every Friday",
    ]
    html = response.content.decode()
    assert "Draft words" not in html
    assert "2016/17 Q1, South" in html


def test_recent_updates_show_the_latest_eight(alice, cast):
    for n in range(3, 13):
        action = make.action(cast.burglary.objective, number=n, description=f"Extra {n}")
        make.update(action, cast.q2, UpdateStatus.ON_TRACK, progress=f"Extra update {n}")
    assert recent_texts(alice.get(URL)) == [f"Extra update {n}" for n in range(12, 4, -1)]


def test_the_statutory_strands_list_their_objectives(alice, cast):
    response = alice.get(URL)
    coverage = {
        strand.value: [o.reference for o in objectives]
        for strand, objectives in response.context["coverage"]
    }
    assert coverage == {
        "crime_and_disorder": ["1.1"],
        "substance_misuse": [],
        "reoffending": ["2.1"],
        "serious_violence_involvement": [],
        "serious_violence_reduction": [],
    }
    html = response.content.decode()
    assert (
        '<a class="govuk-link" href="/actions/?plan=castle-2016-17&amp;objective=1.1">1.1</a> '
        "Reassure residents with visible patrols"
    ) in html
    assert (
        '<a class="govuk-link" href="/actions/?plan=castle-2016-17&amp;objective=2.1">2.1</a> '
        "Reduce dwelling burglaries"
    ) in html
    assert html.count("Not covered") == 3


def test_the_uncovered_strands_are_called_out(alice, cast):
    html = alice.get(URL).content.decode()
    assert (
        "No objective addresses: combatting the misuse of drugs, alcohol and other substances; "
        "preventing people from becoming involved in serious violence; "
        "reducing instances of serious violence."
    ) in " ".join(html.split())


def test_the_dashboard_opens_on_the_latest_period_with_submitted_or_accepted_updates(alice, cast):
    """Issue 12: it opened on closed Q1 while Q2 was open with updates coming in."""
    response = alice.get(URL)
    assert response.context["period"] == cast.q2
    assert (
        '<option value="2016-17-q2" selected>2016/17 Q2 (open)</option>'
        in response.content.decode()
    )


def test_a_later_period_with_only_drafts_does_not_move_the_default(alice, cast):
    q3 = make.period(cast.plan, 2016, 3, status=PeriodStatus.OPEN)
    make.update(cast.hub, q3, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT)
    make.update(cast.hub, q3, UpdateStatus.ON_TRACK, cast.south, state=UpdateState.RETURNED)
    assert alice.get(URL).context["period"] == cast.q2
    make.update(cast.patrols, q3, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.SUBMITTED)
    assert alice.get(URL).context["period"] == q3


def test_a_period_whose_only_updates_are_restricted_is_not_the_default_for_a_visitor(
    client, public
):
    q3 = make.period(public.plan, 2016, 3, status=PeriodStatus.OPEN)
    make.update(public.hub, q3, UpdateStatus.ON_TRACK, public.north, is_restricted=True)
    assert client.get(URL).context["period"] == public.q2
    client.force_login(public.alice)
    assert client.get(URL).context["period"] == q3


def test_without_updates_the_default_period_is_the_latest_that_is_not_open(alice, cast):
    plan = make.plan(cast.castle, title="Quiet", slug="quiet")
    make.action(make.objective(make.priority(plan, number=1, title="Only")), description="One")
    make.period(plan, 2016, 1, status=PeriodStatus.CLOSED)
    make.period(plan, 2016, 2, status=PeriodStatus.REPORTED)
    make.period(plan, 2016, 3, status=PeriodStatus.OPEN)
    response = alice.get("/plans/quiet/")
    assert response.context["period"].slug == "2016-17-q2"
    assert (
        '<option value="2016-17-q2" selected>2016/17 Q2 (reported)</option>'
        in response.content.decode()
    )


def test_without_updates_the_default_period_is_the_latest_when_all_are_open(alice, cast):
    plan = make.plan(cast.castle, title="Quiet", slug="quiet")
    make.period(plan, 2016, 1, status=PeriodStatus.OPEN)
    latest = make.period(plan, 2016, 2, status=PeriodStatus.OPEN)
    assert alice.get("/plans/quiet/").context["period"] == latest


def test_an_unknown_period_falls_back_to_the_default(alice, cast):
    assert alice.get(f"{URL}?period=2099-00-q1").context["period"] == cast.q2


def test_a_plan_without_periods_counts_latest_statuses_and_lists_no_missing_actions(alice, cast):
    plan = make.plan(cast.castle, title="Periodless", slug="periodless")
    make.action(
        make.objective(make.priority(plan, number=1, title="Only")), description="Lonely action"
    )
    response = alice.get(f"/plans/{plan.slug}/")
    assert response.status_code == 200
    assert response.context["period"] is None
    assert "Actions without an update" not in response.content.decode()
    assert status_table(response)[1] == ["1. Only", "1", "1"]


def test_a_member_of_another_partnership_gets_404(client, cast):
    client.force_login(cast.charlie)
    assert client.get(URL).status_code == 404


def test_an_unknown_plan_is_404(alice, cast):
    assert alice.get("/plans/no-such-plan/").status_code == 404


def test_a_signed_out_visitor_is_asked_to_sign_in(client, cast):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/plans/castle-2016-17/"
    response = client.get(f"{URL}?period=2016-17-q2")
    assert (
        response["Location"]
        == "/accounts/sign-in/?next=/plans/castle-2016-17/%3Fperiod%3D2016-17-q2"
    )


def test_a_visitor_sees_a_public_plan_without_restricted_actions_in_the_counts(client, public):
    response = client.get(Q1)
    assert response.status_code == 200
    assert status_table(response) == [
        ["Priority", "Off track", "On track", "Complete", "No update", "Total"],
        ["1. Safer communities", "1", "1", "1", "0", "3"],
        ["2. Acquisitive crime", "0", "0", "0", "1", "1"],
        ["All priorities", "1", "1", "1", "1", "4"],
    ]
    assert "2. Acquisitive crime: 1 no update</desc>" in chart(response)
    html = response.content.decode()
    assert "Covert operation against handlers" not in html


def test_a_visitor_does_not_see_restricted_updates_among_recent_ones(client, public):
    response = client.get(URL)
    assert recent_texts(response) == [
        "Second print run ordered",
        "5,000 leaflets delivered",
        "No venue yet",
        "Venue found",
        "Patrols every Friday",
    ]
    html = response.content.decode()
    assert "Secret informant briefing" not in html
    assert "Operation Nightjar" not in html


def test_a_visitor_does_not_see_a_restricted_action_among_those_without_an_update(client, public):
    refs = missing_refs(client.get(f"{URL}?period=2016-17-q2"))
    assert refs[:2] == ["1.1.1", "1.1.2"]
    assert "2.1.1" not in refs  # 2.1.2 too is missing once restricted statuses stop counting


def test_a_member_of_another_partnership_sees_a_public_plan_as_a_visitor(client, public):
    client.force_login(public.charlie)
    response = client.get(Q1)
    assert response.status_code == 200
    assert status_table(response)[-1] == ["All priorities", "1", "1", "1", "1", "4"]
    assert "Secret informant briefing" not in response.content.decode()
