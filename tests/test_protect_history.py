"""Deleting something that has quarterly updates is refused, never cascaded away."""

import pytest
from django.db.models import ProtectedError

from csp.models import Action, QuarterlyUpdate, UpdateStatus
from tests import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported_action():
    organisation = make.organisation()
    action = make.action(lead=organisation)
    period = make.period(action.plan)
    district = make.district(action.plan.partnership)
    make.update(action, period, UpdateStatus.ON_TRACK, district, organisation=organisation)
    return action


def test_it_refuses_to_delete_an_action_with_updates(reported_action):
    with pytest.raises(ProtectedError):
        reported_action.delete()
    assert QuarterlyUpdate.objects.count() == 1


def test_it_refuses_to_delete_a_period_with_updates(reported_action):
    with pytest.raises(ProtectedError):
        reported_action.plan.periods.get().delete()


def test_it_refuses_to_delete_an_organisation_that_reported(reported_action):
    organisation = reported_action.leads.get().organisation
    with pytest.raises(ProtectedError):
        organisation.delete()


def test_it_refuses_to_delete_a_district_with_updates(reported_action):
    with pytest.raises(ProtectedError):
        reported_action.plan.partnership.districts.get().delete()


def test_it_refuses_to_delete_the_plan_above_an_update(reported_action):
    with pytest.raises(ProtectedError):
        reported_action.plan.delete()
    assert Action.objects.filter(pk=reported_action.pk).exists()


def test_an_action_without_updates_can_be_deleted():
    action = make.action(lead=make.organisation())
    action.delete()
    assert not Action.objects.exists()
