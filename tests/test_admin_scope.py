"""A coordinator keeps their own partnership's plan in the admin and sees nothing of others'."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from csp.models import Action, Partnership, Plan


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
