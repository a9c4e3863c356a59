"""The admin opens every model's pages and lets a coordinator walk down the plan."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from csp.models import (
    Funding,
    Measure,
    MeasureFigure,
    Membership,
    ObjectiveStrand,
    PartnershipRole,
    PrioritySummary,
    Risk,
    Role,
    ScrutinyReport,
    StatutoryStrand,
    Theme,
    UpdateStatus,
)
from tests import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("admin", "admin@example.invalid", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def plan_with_update():
    """One of every kind of record, so every admin change page has something to open."""
    organisation = make.organisation(short_name="RDC")
    action = make.action(
        lead=organisation, description="Re - introduce the J9 scheme in both districts"
    )
    period = make.period(action.plan)
    partnership = action.plan.partnership
    district = make.district(partnership, "Rochford")
    update = make.update(
        action, period, UpdateStatus.ON_TRACK, district, progress="J9 Training sessions booked"
    )
    measure = Measure.objects.create(action=action, description="campaigns", target_value=2)
    MeasureFigure.objects.create(measure=measure, update=update, value=1)
    make.officer(organisation, name="Graham Browne", initials="GB")
    Membership.objects.create(
        partnership=partnership, organisation=organisation, is_responsible_authority=True
    )
    Theme.objects.create(priority=action.objective.priority, number=1, title="Domestic Abuse")
    ObjectiveStrand.objects.create(
        objective=action.objective, strand=StatutoryStrand.CRIME_AND_DISORDER
    )
    Risk.objects.create(
        partnership=partnership, number=1, title="Legislation", likelihood="D", impact=3
    )
    Funding.objects.create(partnership=partnership, source="PCC", financial_year=2016, amount=14019)
    PrioritySummary.objects.create(
        priority=action.objective.priority,
        period=period,
        organisation=organisation,
        pursue="Op Raptor",
    )
    PartnershipRole.objects.create(
        user=User.objects.create_user("viewer"), partnership=partnership, role=Role.VIEWER
    )
    report = ScrutinyReport.objects.create(
        partnership=partnership, plan=action.plan, title="Annual scrutiny 2016/17"
    )
    report.periods.set([period])
    return action


csp_models = [m for m in admin.site._registry if m._meta.app_label == "csp"]


@pytest.mark.parametrize("model", csp_models, ids=lambda m: m.__name__)
def test_every_changelist_and_add_page_opens(admin_client, plan_with_update, model):
    meta = model._meta
    assert admin_client.get(reverse(f"admin:csp_{meta.model_name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:csp_{meta.model_name}_add")).status_code == 200


@pytest.mark.parametrize("model", csp_models, ids=lambda m: m.__name__)
def test_every_change_page_opens(admin_client, plan_with_update, model):
    obj = model._default_manager.first()
    url = reverse(f"admin:csp_{model._meta.model_name}_change", args=[obj.pk])
    assert admin_client.get(url).status_code == 200


def test_every_model_of_the_domain_is_in_the_admin():
    names = {m.__name__ for m in csp_models}
    assert {
        "Partnership",
        "District",
        "Organisation",
        "Officer",
        "Plan",
        "Priority",
        "StrategicObjective",
        "Action",
        "QuarterlyUpdate",
        "ReportingPeriod",
        "PrioritySummary",
        "Risk",
        "Funding",
    } <= names


def test_action_search_finds_update_text(admin_client, plan_with_update):
    response = admin_client.get(reverse("admin:csp_action_changelist"), {"q": "J9 Training"})
    assert response.status_code == 200
    assert "Re - introduce the J9 scheme" in response.content.decode()
    response = admin_client.get(reverse("admin:csp_action_changelist"), {"q": "nothing like this"})
    assert "Re - introduce the J9 scheme" not in response.content.decode()


def test_action_page_shows_leads_and_updates_inline(admin_client, plan_with_update):
    response = admin_client.get(reverse("admin:csp_action_change", args=[plan_with_update.pk]))
    html = response.content.decode()
    assert "J9 Training sessions booked" in html
    assert "Lead" in html


def test_objective_strands_are_edited_as_checkboxes(admin_client):
    objective = make.objective(title="Targeting prolific Offenders")
    url = reverse("admin:csp_strategicobjective_change", args=[objective.pk])
    data = {
        "priority": objective.priority_id,
        "number": objective.number,
        "title": objective.title,
        "theme": "",
        "statutory_strands": [StatutoryStrand.REOFFENDING, StatutoryStrand.CRIME_AND_DISORDER],
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(objective.strands.values_list("strand", flat=True)) == {
        "reoffending",
        "crime_and_disorder",
    }

    data["statutory_strands"] = [StatutoryStrand.REOFFENDING]
    admin_client.post(url, data)
    assert list(
        ObjectiveStrand.objects.filter(objective=objective).values_list("strand", flat=True)
    ) == ["reoffending"]


def test_str_of_the_hierarchy_reads_well(plan_with_update):
    action = plan_with_update
    assert str(action.objective.priority) == "1. A priority"
    assert str(action.objective) == "1.1 An objective"
    assert str(action) == "1.1.1 Re - introduce the J9 scheme in both districts"
    assert str(action.leads.get()) == "RDC"
    assert str(action.updates.get()) == "1.1.1 2016/17 Q1 Rochford"
