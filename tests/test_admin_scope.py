"""A coordinator keeps their own partnership's plan in the admin and sees nothing of others'."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from csp.models import (
    Action,
    ActionLead,
    District,
    Funding,
    Membership,
    Officer,
    Partnership,
    PartnershipRole,
    Plan,
    Role,
)
from tests import factories as make


@pytest.fixture
def coordinator(client, cast):
    """alice, Castle's coordinator, as staff with the app's permissions (as the demo makes her)."""
    cast.alice.is_staff = True
    cast.alice.save()
    cast.alice.user_permissions.set(Permission.objects.filter(content_type__app_label="csp"))
    client.force_login(cast.alice)
    return client


def test_change_lists_show_only_the_coordinators_partnership(coordinator, cast):
    plans = coordinator.get(reverse("admin:csp_plan_changelist")).content.decode()
    assert "Castle Plan 2016/17" in plans
    assert "Elsewhere Plan" not in plans
    actions = coordinator.get(reverse("admin:csp_action_changelist")).content.decode()
    assert "Evening patrols" in actions
    assert "Far away action" not in actions
    partnerships = coordinator.get(reverse("admin:csp_partnership_changelist"))
    assert "Castle CSP" in partnerships.content.decode()
    assert "Elsewhere CSP</a>" not in partnerships.content.decode()


@pytest.mark.parametrize(
    ("name", "attribute"),
    [("action", "faraway"), ("plan", "other_plan"), ("partnership", "elsewhere")],
)
def test_another_partnerships_records_cannot_be_opened(coordinator, cast, name, attribute):
    target = getattr(cast, attribute)
    response = coordinator.get(reverse(f"admin:csp_{name}_change", args=[target.pk]))
    # The admin redirects to its index with "doesn't exist" for a row outside the queryset.
    assert response.status_code == 302
    response = coordinator.post(
        reverse(f"admin:csp_{name}_delete", args=[target.pk]), {"post": "yes"}
    )
    assert type(target).objects.filter(pk=target.pk).exists()


def test_choices_offer_only_the_coordinators_partnership(coordinator, cast):
    page = coordinator.get(reverse("admin:csp_plan_add")).content.decode()
    assert "Castle CSP" in page
    assert "Elsewhere CSP" not in page
    action_page = coordinator.get(
        reverse("admin:csp_action_change", args=[cast.hub.pk])
    ).content.decode()
    assert "North" in action_page  # Castle's districts are offered
    elsewhere_plan = coordinator.get(reverse("admin:csp_reportingperiod_add")).content.decode()
    assert "Elsewhere Plan" not in elsewhere_plan


def test_a_plan_cannot_be_moved_into_another_partnership(coordinator, cast):
    url = reverse("admin:csp_plan_add")
    response = coordinator.post(
        url,
        {
            "partnership": cast.elsewhere.pk,
            "title": "Sneaky plan",
            "slug": "sneaky",
            "first_year": 2016,
            "last_year": 2016,
            "status": "draft",
            "priorities-TOTAL_FORMS": 0,
            "priorities-INITIAL_FORMS": 0,
            "periods-TOTAL_FORMS": 0,
            "periods-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Plan.objects.filter(slug="sneaky").exists()


def test_only_superusers_add_or_delete_partnerships(coordinator, cast):
    assert coordinator.get(reverse("admin:csp_partnership_add")).status_code == 403
    coordinator.post(
        reverse("admin:csp_partnership_delete", args=[cast.castle.pk]), {"post": "yes"}
    )
    assert Partnership.objects.filter(pk=cast.castle.pk).exists()


def test_a_superuser_sees_everything(client, cast, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", "r@example.invalid", "pw")
    )
    actions = client.get(reverse("admin:csp_action_changelist")).content.decode()
    assert "Far away action" in actions and "Evening patrols" in actions
    assert Action.objects.count() == 6


def test_another_partnerships_history_cannot_be_read(client, cast):
    """charlie coordinates Elsewhere; Castle's restricted update and its history stay hidden."""
    from csp.models import PartnershipRole, QuarterlyUpdate, Role

    PartnershipRole.objects.filter(user=cast.charlie).update(role=Role.COORDINATOR)
    cast.charlie.is_staff = True
    cast.charlie.save()
    cast.charlie.user_permissions.set(Permission.objects.filter(content_type__app_label="csp"))
    client.force_login(cast.charlie)
    secret = QuarterlyUpdate.objects.get(action=cast.burglary, period=cast.q2)
    record = secret.history.first()
    for url in (
        reverse("admin:csp_quarterlyupdate_history", args=[secret.pk]),
        reverse("admin:csp_quarterlyupdate_simple_history", args=[secret.pk, record.history_id]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert "Secret informant briefing" not in response.content.decode()
    own = reverse("admin:csp_action_history", args=[cast.faraway.pk])
    assert client.get(own).status_code == 200


def test_a_periods_status_moves_only_on_its_review_page(coordinator, cast):
    from csp.models import PeriodStatus, ReportingPeriod

    cast.q1.status = PeriodStatus.REPORTED
    cast.q1.save()
    url = reverse("admin:csp_reportingperiod_change", args=[cast.q1.pk])
    page = coordinator.get(url).content.decode()
    assert 'name="status"' not in page and 'name="year"' not in page
    coordinator.post(url, {"plan": cast.plan.pk, "year": 2016, "quarter": 1, "status": "open"})
    assert ReportingPeriod.objects.get(pk=cast.q1.pk).status == PeriodStatus.REPORTED


def test_only_a_superuser_links_an_officer_to_a_sign_in(coordinator, cast):
    page = coordinator.get(reverse("admin:csp_officer_change", args=[cast.inspector.pk]))
    assert 'name="user"' not in page.content.decode()
    assert 'name="organisation"' not in page.content.decode()


def test_editing_a_reported_update_in_the_admin_is_a_form_error(client, cast, django_user_model):
    from csp.models import PeriodStatus, QuarterlyUpdate

    client.force_login(django_user_model.objects.create_superuser("root", "r@x.invalid", "pw"))
    update = QuarterlyUpdate.objects.get(action=cast.covert, period=cast.q1)
    cast.q1.status = PeriodStatus.REPORTED
    cast.q1.save()
    url = reverse("admin:csp_quarterlyupdate_change", args=[update.pk])
    response = client.post(
        url,
        {
            "action": update.action_id,
            "period": update.period_id,
            "status": update.status,
            "state": update.state,
            "progress": "Changed after the committee saw it",
            "figures-TOTAL_FORMS": 0,
            "figures-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "has been reported and is locked" in response.content.decode()
    assert QuarterlyUpdate.objects.get(pk=update.pk).progress == "Operation Nightjar details"


def test_an_admin_edit_moves_the_version_on(client, cast, django_user_model):
    from csp.models import QuarterlyUpdate

    client.force_login(django_user_model.objects.create_superuser("root", "r@x.invalid", "pw"))
    update = QuarterlyUpdate.objects.get(action=cast.leaflets, period=cast.q2)
    client.post(
        reverse("admin:csp_quarterlyupdate_change", args=[update.pk]),
        {
            "action": update.action_id,
            "period": update.period_id,
            "status": update.status,
            "state": update.state,
            "progress": "Corrected by the coordinator",
            "drawn_version": update.version,  # as the change page carries it
            "figures-TOTAL_FORMS": 0,
            "figures-INITIAL_FORMS": 0,
        },
    )
    stored = QuarterlyUpdate.objects.get(pk=update.pk)
    assert (stored.progress, stored.version) == ("Corrected by the coordinator", update.version + 1)


def test_a_change_page_asks_whether_its_object_is_in_scope_once(coordinator, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        coordinator.get(reverse("admin:csp_action_change", args=[cast.hub.pk]))
    scope_checks = [q for q in queries.captured_queries if q["sql"].startswith("SELECT 1 AS")]
    assert len(scope_checks) <= 3, len(scope_checks)


# -- organisations and officers another partnership shares ------------------------------------


@pytest.fixture
def private_officer(cast):
    """Pat, at Shire Police (a member of Castle), leading only in Elsewhere, which is private."""
    pat = Officer.objects.create(
        organisation=cast.police, name="Pat Private", email="pat@police.invalid"
    )
    ActionLead.objects.create(action=cast.faraway, number=2, organisation=cast.police, officer=pat)
    return pat


def officer_form(officer, **changes):
    values = {
        "name": officer.name,
        "initials": officer.initials,
        "job_title": officer.job_title,
        "email": officer.email,
        "phone": officer.phone,
    }
    return values | changes


def test_an_officer_leading_only_in_another_partnership_cannot_be_reached(
    coordinator, cast, private_officer
):
    url = reverse("admin:csp_officer_change", args=[private_officer.pk])
    assert coordinator.get(url).status_code == 302  # "doesn't exist", as for any other's row
    coordinator.post(url, officer_form(private_officer, name="Renamed", email="x@evil.invalid"))
    stored = Officer.objects.get(pk=private_officer.pk)
    assert (stored.name, stored.email) == ("Pat Private", "pat@police.invalid")
    listed = coordinator.get(reverse("admin:csp_officer_changelist")).content.decode()
    assert "Pat Private" not in listed and "Ida Inspector" in listed
    found = coordinator.get(
        reverse("admin:autocomplete"),
        {"app_label": "csp", "model_name": "actionlead", "field_name": "officer", "term": "Pat"},
    )
    assert found.status_code == 200 and "Pat Private" not in found.content.decode()


def test_a_shared_officer_and_organisation_are_read_only_to_a_coordinator(coordinator, cast):
    # Shire Police leads Elsewhere's action too, so it and its officers are shared.
    for name, target, form in (
        ("officer", cast.inspector, officer_form(cast.inspector, name="Renamed")),
        (
            "organisation",
            cast.police,
            {"name": "Renamed Police", "slug": "shire-police", "kind": "police"},
        ),
    ):
        url = reverse(f"admin:csp_{name}_change", args=[target.pk])
        page = coordinator.get(url)
        assert page.status_code == 200
        assert 'name="name"' not in page.content.decode()  # shown, not editable
        assert coordinator.post(url, form).status_code == 403
        assert type(target).objects.get(pk=target.pk).name == target.name
        delete = reverse(f"admin:csp_{name}_delete", args=[target.pk])
        coordinator.post(delete, {"post": "yes"})
        assert type(target).objects.filter(pk=target.pk).exists()


def test_an_unshared_organisation_and_officer_are_the_coordinators_to_change(coordinator, cast):
    olive = Officer.objects.get(user=cast.olive)
    url = reverse("admin:csp_officer_change", args=[olive.pk])
    response = coordinator.post(url, officer_form(olive, job_title="Community safety lead"))
    assert response.status_code == 302
    assert Officer.objects.get(pk=olive.pk).job_title == "Community safety lead"


def test_an_officer_who_signs_in_elsewhere_is_read_only_on_their_organisations_page(
    coordinator, cast
):
    olive = Officer.objects.get(user=cast.olive)
    PartnershipRole.objects.create(user=cast.olive, partnership=cast.elsewhere, role=Role.VIEWER)
    url = reverse("admin:csp_organisation_change", args=[cast.council.pk])
    page = coordinator.get(url).content.decode()
    assert re.search(r'<input[^>]*name="officers-0-name"[^>]*disabled', page)
    response = coordinator.post(
        url,
        {
            "name": cast.council.name,
            "slug": cast.council.slug,
            "short_name": "CC",
            "kind": cast.council.kind,
            "website": "",
            "officers-TOTAL_FORMS": 1,
            "officers-INITIAL_FORMS": 1,
            "officers-0-id": olive.pk,
            "officers-0-organisation": cast.council.pk,
            "officers-0-name": "Renamed",
            "officers-0-email": "x@evil.invalid",
        },
    )
    assert response.status_code == 302
    stored = Officer.objects.get(pk=olive.pk)
    assert (stored.name, stored.email) == ("Olive Oakes", "")


def test_a_superuser_changes_shared_records(client, cast, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@x.invalid", "pw"))
    url = reverse("admin:csp_officer_change", args=[cast.inspector.pk])
    response = client.post(
        url, officer_form(cast.inspector, name="Ida Inspector-Jones", organisation=cast.police.pk)
    )
    assert response.status_code == 302
    assert Officer.objects.get(pk=cast.inspector.pk).name == "Ida Inspector-Jones"


# -- list filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label == "csp"],
    ids=lambda m: m.__name__,
)
def test_no_list_filter_names_another_partnerships_records(coordinator, cast, model):
    """Elsewhere's names, in every change list's side panel: its partnership, plan, priority,
    district, and an organisation and officer of its own."""
    District.objects.create(partnership=cast.elsewhere, name="Distant Town", slug="distant")
    hidden = make.organisation(name="Hidden Trust", slug="hidden-trust")
    Membership.objects.create(partnership=cast.elsewhere, organisation=hidden)
    ActionLead.objects.create(action=cast.faraway, number=3, organisation=hidden)
    Funding.objects.create(
        partnership=cast.elsewhere, source="Far fund", financial_year=2016, amount=1
    )
    page = coordinator.get(reverse(f"admin:csp_{model._meta.model_name}_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("Elsewhere CSP", "Elsewhere Plan", "Far away", "Distant Town", "Hidden Trust"):
        assert name not in text, name


def test_a_list_filter_still_offers_the_coordinators_own_records(coordinator, cast):
    page = coordinator.get(reverse("admin:csp_action_changelist")).content.decode()
    panel = page[page.index('id="changelist-filter"') :]
    assert "Acquisitive crime" in panel and "Castle Council (CC)" in panel and "North" in panel


def test_a_coordinator_gives_roles_only_to_sign_ins_of_theirs_or_of_no_partnership(
    coordinator, cast, django_user_model
):
    """charlie belongs to Elsewhere alone: a role in Castle would show alice his officer record."""
    newcomer = django_user_model.objects.create_user("newcomer")
    url = reverse("admin:csp_partnershiprole_add")
    for user, made in ((cast.charlie, False), (newcomer, True)):
        response = coordinator.post(
            url, {"user": user.pk, "partnership": cast.castle.pk, "role": "viewer"}
        )
        assert response.status_code == (302 if made else 200)
        exists = PartnershipRole.objects.filter(user=user, partnership=cast.castle).exists()
        assert exists is made


def test_no_form_names_a_sign_in_of_another_partnership(coordinator, cast):
    """charlie belongs to Elsewhere alone; the report's "created by" once listed every user."""
    from csp.models import QuarterlyUpdate, ScrutinyReport

    report = ScrutinyReport.objects.create(partnership=cast.castle, plan=cast.plan)
    update = QuarterlyUpdate.objects.get(action=cast.leaflets, period=cast.q2)
    for url in (
        reverse("admin:csp_scrutinyreport_add"),
        reverse("admin:csp_scrutinyreport_change", args=[report.pk]),
        reverse("admin:csp_partnershiprole_add"),
        reverse("admin:csp_quarterlyupdate_change", args=[update.pk]),
    ):
        page = coordinator.get(url)
        assert page.status_code == 200
        assert "charlie" not in page.content.decode(), url


def test_who_wrote_an_update_is_not_rewritten_by_a_coordinator(coordinator, cast):
    from csp.models import QuarterlyUpdate

    update = QuarterlyUpdate.objects.get(action=cast.leaflets, period=cast.q2)
    coordinator.post(
        reverse("admin:csp_quarterlyupdate_change", args=[update.pk]),
        {
            "action": update.action_id,
            "period": update.period_id,
            "status": update.status,
            "state": update.state,
            "progress": update.progress,
            "author": cast.charlie.pk,
            "drawn_version": update.version,
            "figures-TOTAL_FORMS": 0,
            "figures-INITIAL_FORMS": 0,
        },
    )
    assert QuarterlyUpdate.objects.get(pk=update.pk).author_id is None
