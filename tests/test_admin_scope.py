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
