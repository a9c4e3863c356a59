"""The agency progress report: the actions one organisation leads, as a tagged PDF."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from csp.models import Membership, UpdateStatus
from csp.reports.agency import build_agency_report


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", text)
    return " ".join(text.replace("\u00ad", "").split())


def descriptions(report) -> list[str]:
    return [
        a.description
        for p in report.plans
        for pr in p.priorities
        for o in pr.objectives
        for a in o.actions
    ]


def test_the_report_groups_the_leads_actions_with_their_latest_finished_period(cast):
    report = build_agency_report(cast.council, cast.alice)

    assert report.title == "Progress report: Castle Council"
    [section] = report.plans  # Elsewhere's plan: alice cannot see it, and council leads none
    assert section.period == cast.q1  # Q2 is still open
    assert [pr.number for pr in section.priorities] == [1, 2]
    # Its own leads, and the "All partners" action of a partnership it belongs to.
    assert descriptions(report) == [
        "Open a community safety hub",
        "Deliver crime prevention leaflets",
        "Target hardening for repeat victims",
    ]
    hub = section.priorities[0].objectives[0].actions[0]
    assert hub.status == UpdateStatus.OFF_TRACK  # the worst of its districts in Q1
    assert [u.heading for u in hub.updates] == ["2016/17 Q1 – North", "2016/17 Q1 – South"]
    leaflets = section.priorities[0].objectives[1].actions[0]
    assert [u.progress for u in leaflets.updates] == ["5,000 leaflets delivered"]  # not Q2's
    assert {s.label: s.count for s in report.summary} == {
        "Off track": 1,
        "Complete": 1,
        "No update": 1,
    }


def test_all_partners_actions_only_count_where_the_organisation_is_a_member(cast):
    Membership.objects.filter(organisation=cast.council).delete()
    assert "Deliver crime prevention leaflets" not in descriptions(
        build_agency_report(cast.council, cast.alice)
    )


def test_a_chosen_period_applies_to_each_plan(cast):
    report = build_agency_report(cast.council, cast.alice, period=cast.q2)
    [section] = report.plans
    assert section.period == cast.q2
    burglary = section.priorities[1].objectives[0].actions[0]
    assert burglary.status == UpdateStatus.AT_RISK  # alice sees the restricted update
    public = build_agency_report(cast.council, cast.charlie, period=cast.q2)
    assert public.plans == []  # charlie sees nothing of Castle


@pytest.mark.django_db
def test_a_public_visitor_gets_a_tagged_pdf_without_restricted_actions(client, public):
    response = client.get(reverse("agency-report", args=[public.police.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    data = response.content
    text = pdf_text(data)
    assert "Progress report: Shire Police" in text
    assert "Evening patrols in the town centre" in text
    assert "Patrols every Friday" in text
    assert "2016/17 Q1 – North" in text
    assert "Covert operation against handlers" not in text  # restricted
    assert "Open a community safety hub" not in text  # the council's
    assert "Far away action" not in text  # Elsewhere is not public

    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en-GB"
    assert reader.metadata.title == "Progress report: Shire Police"
    assert re.search(r"Page 1 of \d", text)


def test_a_member_sees_restricted_actions_and_not_other_organisations(alice, cast):
    response = alice.get(reverse("agency-report", args=[cast.police.slug]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Evening patrols in the town centre" in text
    assert "Covert operation against handlers" in text
    assert "Operation Nightjar details" in text
    assert "Target hardening for repeat victims" not in text  # the council's
    assert "Far away action" not in text  # Elsewhere's, which alice cannot see


def test_another_partnerships_member_gets_404(client, cast):
    client.force_login(cast.charlie)
    assert client.get(reverse("agency-report", args=[cast.council.slug])).status_code == 404


def test_a_signed_out_visitor_is_asked_to_sign_in(client, cast):
    url = reverse("agency-report", args=[cast.council.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert url in response["Location"]


def test_the_organisation_page_links_to_the_report(alice, cast):
    response = alice.get(reverse("agency-detail", args=[cast.council.slug]))
    assert reverse("agency-report", args=[cast.council.slug]) in response.content.decode()
    assert "Download a progress report (PDF)" in response.content.decode()
