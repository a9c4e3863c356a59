"""The demo partnerships, transcribed from the seed papers, load completely and exactly once."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings

from csp.demo.loader import DemoDataError, DemoLoader
from csp.models import (
    Action,
    ActionLead,
    Funding,
    Membership,
    Partnership,
    PartnershipRole,
    Plan,
    QuarterlyUpdate,
    Role,
    StrategicObjective,
)
from csp.quarters import FinancialQuarter


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for this module; each test runs in its own rolled-back transaction."""
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


@pytest.fixture
def plan():
    return Plan.objects.get(slug="castle-point-rochford-2016-17")


def test_castle_point_and_rochford_plan_counts(plan):
    assert plan.priorities.count() == 3
    assert StrategicObjective.objects.filter(priority__plan=plan).count() == 15
    assert Action.objects.in_plan(plan).count() == 50
    assert ActionLead.objects.filter(action__objective__priority__plan=plan).count() == 75
    assert QuarterlyUpdate.objects.filter(period__plan=plan).count() == 32


def test_the_plan_is_as_the_paper_describes_it(plan):
    assert plan.partnership.name == "Castle Point and Rochford Community Safety Partnership"
    assert plan.title == "Partnership Plan 2016/17"
    assert plan.version_label == "Version 2 – July 2016"
    assert str(plan.priorities_agreed_on) == "2016-03-14"
    assert list(plan.priorities.values_list("title", flat=True)) == [
        "Safeguarding Vulnerable People from Harm",
        "Anti-Social Behaviour",
        "Acquisitive Crime",
    ]
    themes = plan.priorities.get(number=1).themes.values_list("title", flat=True)
    assert list(themes) == ["Domestic Abuse", "Hidden Harm", "Vulnerable groups"]


def test_both_districts_with_their_area_facts(plan):
    districts = {d.name: d for d in plan.partnership.districts.all()}
    assert set(districts) == {"Castle Point", "Rochford"}
    assert "population of 88,011 (2011 census)" in districts["Castle Point"].description
    assert "London Southend Airport" in districts["Rochford"].description
    assert "Foulness Island" in plan.partnership.area_description


def test_the_first_action_its_lead_and_its_rochford_update(plan):
    action = Action.objects.in_plan(plan).get(
        description__startswith="Crime Prevention Tactical Advisor (CPTA) will visit all suitable"
    )
    assert action.reference == "1.1.1"
    assert (
        action.outcomes == "An increased number of victims to be safeguarded from incidents of DA."
    )
    assert action.lead_as_written == "Essex Police – Emma Clark- EC)"
    lead = action.leads.get()
    assert (lead.organisation.name, lead.officer.name, lead.officer.initials) == (
        "Essex Police",
        "Emma Clark",
        "EC",
    )
    assert action.timescale == "Q1-4"
    assert action.due == FinancialQuarter(2016, 4)
    update = action.updates.get()
    assert update.district.name == "Rochford"
    assert update.period.label == "2016/17 Q1"
    assert update.progress == "3 home inspections and referrals for sanctuary intervention."


def test_the_statutory_domestic_homicide_review(plan):
    objective = StrategicObjective.objects.get(
        priority__plan=plan, title__startswith="Domestic Homicide Review"
    )
    assert objective.is_statutory
    action = objective.actions.get()
    assert action.timescale == "Q2 -Sept 16"
    assert action.due == FinancialQuarter(2016, 2)
    assert action.lead_as_written == "Melanie Harris – CPBC + CSP executive"


def test_the_lead_in_to_four_projects_is_not_an_action(plan):
    """ "To enhance and continue delivery of the following Projects…" introduces the four
    projects under it (issue 11): it is the second line of their objective, not an action."""
    objective = StrategicObjective.objects.get(
        priority__plan=plan, title__startswith="To protect the most vulnerable and elderly"
    )
    assert objective.title.endswith(
        "\nTo enhance and continue delivery of the following Projects that provide community "
        "safety reassurances to local residents:"
    )
    assert [
        (a.number, a.description.split(" –")[0].split(" in ")[0]) for a in objective.actions.all()
    ] == [
        (1, "Senior Safety Road Shows"),
        (2, "Re-launch the Keep Safe Scheme"),
        (3, "Electric Blanket and Fire Safety event"),
        (4, "To pilot a Well Homes Scheme"),
    ]
    assert not Action.objects.in_plan(plan).filter(description__startswith="To enhance").exists()


def test_the_partnership_reports_to_the_papers_committee_with_its_formats_line(plan):
    partnership = plan.partnership
    assert partnership.report_committee == "Review Committee"
    assert partnership.report_formats_contact == "01702 318111"
    assert "01702 318095" in partnership.report_contact
    assert plan.priorities_agreed_sentence == (
        "The priorities of the Partnership Plan 2016/17 were agreed on 14 March 2016 at a "
        "partnership meeting, following a strategic assessment."
    )


def test_all_partners_is_a_lead(plan):
    action = Action.objects.in_plan(plan).get(
        description="Actively promote Essex wide campaigns in Rochford & Castle Point"
    )
    assert [str(lead) for lead in action.leads.all()] == ["All partners"]


def test_a_dependency_is_recorded_as_a_risk(plan):
    assert QuarterlyUpdate.objects.filter(
        period__plan=plan,
        risks__contains="Dependencies on T Standards whose preventative work has reduced",
    ).exists()


def test_an_update_says_which_district_it_is_for(plan):
    crucial_crew = QuarterlyUpdate.objects.get(
        period__plan=plan, progress__contains="Crucial Crew events held"
    )
    assert crucial_crew.district.name == "Rochford"
    assert "85% of teachers reported it was beneficial for pupils" in crucial_crew.progress


def test_no_status_is_invented(plan):
    assert set(
        QuarterlyUpdate.objects.filter(period__plan=plan).values_list("status", flat=True)
    ) == {"not_given"}


def test_funding_lines():
    rochford = Funding.objects.get(partnership__slug="castle-point-rochford", financial_year=2016)
    assert rochford.amount == Decimal("14019.00")
    assert rochford.recipient.short_name == "RDC"
    pfcc_2024 = Funding.objects.get(partnership__slug="castle-point-rochford", financial_year=2024)
    assert pfcc_2024.amount == Decimal("15000.00")
    medway = Funding.objects.get(partnership__slug="medway")
    assert (medway.financial_year_label, medway.amount) == ("2019/20", Decimal("106460.00"))
    maldon_2017 = Funding.objects.filter(partnership__slug="maldon", financial_year=2017)
    assert sorted(f.amount for f in maldon_2017) == [Decimal("1708.00"), Decimal("12527.00")]
    assert sum(f.amount for f in maldon_2017) == Decimal("14235.00")
    assert maldon_2017.get(is_top_slice=True).amount == Decimal("1708.00")
    tru_cam = Funding.objects.get(partnership__slug="maldon", financial_year=2016)
    assert tru_cam.amount == Decimal("7000.00")
    assert "Tru-Cam" in tru_cam.purpose


def test_medway_plan_priorities_authorities_and_risks():
    medway = Partnership.objects.get(slug="medway")
    assert medway.reports_by_priority_summary
    plan = medway.plans.get()
    assert (plan.first_year, plan.last_year) == (2020, 2023)
    assert list(plan.priorities.values_list("title", flat=True)) == [
        "Strengthening communities",
        "Supporting victims and tackling offenders of sexual and domestic abuse",
        "Tackling the harm caused by substance misuse",
        "Reducing re-offending",
        "Commitment to safeguarding and improving services",
    ]
    authorities = Membership.objects.filter(partnership=medway, is_responsible_authority=True)
    assert authorities.count() == 5
    assert [r.rating for r in medway.risks.all()] == ["E2", "E2", "D3", "D3"]
    assert medway.risks.get(number=1).title == 'Decreased Agency "buy in"'


def test_maldon_priorities_agreed_by_the_responsible_authorities_group():
    plan = Plan.objects.get(partnership__slug="maldon")
    assert str(plan.priorities_agreed_on) == "2017-03-17"
    assert "Responsible Authorities Group" in plan.priorities_agreed_by
    assert plan.priorities.count() == 5
    assert (
        plan.priorities.get(number=5).title == "Tackling rural crime and strengthening communities"
    )


def test_organisations_are_shared_between_partnerships():
    police = Membership.objects.filter(organisation__slug="essex-police")
    assert set(police.values_list("partnership__slug", flat=True)) == {
        "castle-point-rochford",
        "maldon",
    }


def test_loading_again_changes_nothing():
    before = list(QuarterlyUpdate.objects.order_by("pk").values())
    report = DemoLoader().load_all()
    assert not report.changed_anything
    assert sum(report.unchanged.values()) > 200
    assert list(QuarterlyUpdate.objects.order_by("pk").values()) == before


def test_the_command_says_when_nothing_changed():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded; nothing changed" in out.getvalue()


def test_a_broken_file_changes_nothing(tmp_path: Path):
    good = Path(__file__).resolve().parent.parent / "fixtures" / "demo" / "medway.yaml"
    (tmp_path / "a.yaml").write_text(
        good.read_text()
        .replace("slug: medway\n", "slug: medway-copy\n")
        .replace("name: Medway Community Safety Partnership", "name: Medway copy")
    )
    (tmp_path / "b.yaml").write_text(
        "partnership: {name: Broken, slug: broken}\n"
        "officers: [{organisation: nobody, name: Someone}]\n"
    )
    with pytest.raises(DemoDataError, match=r"b\.yaml: unknown organisation 'nobody'"):
        DemoLoader().load_all(tmp_path)
    assert not Partnership.objects.filter(slug__in=["medway-copy", "broken"]).exists()


@override_settings(DEBUG=True)
def test_demo_sign_ins_one_per_role_with_debug():
    out = StringIO()
    call_command("load_demo", stdout=out)
    roles = {
        (user, partnership): role
        for user, partnership, role in PartnershipRole.objects.values_list(
            "user__username", "partnership__slug", "role"
        )
    }
    assert roles == {
        ("coordinator", "castle-point-rochford"): Role.COORDINATOR,
        ("rochford-officer", "castle-point-rochford"): Role.OFFICER,
        ("police-officer", "castle-point-rochford"): Role.OFFICER,
        ("clerk", "castle-point-rochford"): Role.CLERK,
        ("viewer", "castle-point-rochford"): Role.VIEWER,
        ("medway-officer", "medway"): Role.OFFICER,
    }
    assert (
        User.objects.get(username="rochford-officer").officers.get().organisation.short_name
        == "RDC"
    )
    assert (
        User.objects.get(username="police-officer").officers.get().organisation.name
        == "Essex Police"
    )
    assert "rochford-officer" in out.getvalue()


def test_no_demo_sign_ins_without_debug():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert not User.objects.exists()
    assert "no demo sign-ins were created" in out.getvalue()


def test_the_quarterly_cycle_can_be_tried_at_once(plan):
    """Q1 is closed with the paper's updates; Q2 is open, and each council reports for its own
    district, so the Rochford officer owes Rochford's updates and Castle Point's are not theirs."""
    from csp.cycle import PeriodSlots

    q1, q2 = plan.periods.order_by("quarter")
    assert (q1.label, q1.status, q2.label, q2.status) == (
        "2016/17 Q1",
        "closed",
        "2016/17 Q2",
        "open",
    )
    assert q2.deadline.isoformat() == "2016-10-14"
    districts = dict(
        Membership.objects.filter(partnership=plan.partnership, district__isnull=False).values_list(
            "organisation__slug", "district__slug"
        )
    )
    assert districts == {
        "rochford-district-council": "rochford",
        "castle-point-borough-council": "castle-point",
    }
    rdc = Membership.objects.get(organisation__slug="rochford-district-council").organisation
    owed = PeriodSlots(q2).for_organisations([rdc.pk])
    assert owed and {slot.district.slug for slot in owed} == {"rochford"}
    assert all(slot.state == "missing" for slot in owed)


def test_medway_officers_can_try_the_4ps_at_once(client):
    """Medway reports by the 4 Ps and has an open period: its officer gets a form per priority."""
    from csp.models import Officer, PrioritySummary, ReportingPeriod

    period = ReportingPeriod.objects.get(plan__slug="medway-2020-24", status="open")
    assert period.label == "2021/22 Q2"
    officer = Officer.objects.get(name="James Brown")
    user = User.objects.create_user("james")
    officer.user = user
    officer.save()
    PartnershipRole.objects.create(
        user=user, partnership=period.plan.partnership, role=Role.OFFICER
    )
    client.force_login(user)
    mine = client.get("/updates/").content.decode()
    assert "A summary for each priority (the 4 Ps)" in mine
    page = client.get(f"/updates/{period.pk}/")
    html = page.content.decode()
    assert "Summary by priority (the 4 Ps)" in html
    first = period.plan.priorities.get(number=1)
    fields = {f"p{p.pk}-version": "0" for p in period.plan.priorities.all()} | {
        f"p{first.pk}-pursue": "Joint operation against county lines",
        "intent": "draft",
    }
    assert client.post(f"/updates/{period.pk}/", fields).status_code == 302
    summary = PrioritySummary.objects.get(priority=first, period=period)
    assert (summary.organisation.slug, summary.state) == ("medway-council", "draft")
