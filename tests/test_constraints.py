"""The database itself refuses impossible records, whatever form or import tried to write them."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from csp.models import (
    ActionLead,
    Funding,
    Measure,
    ObjectiveStrand,
    Plan,
    Priority,
    ReportingPeriod,
    Risk,
    StrategicObjective,
    Theme,
    UpdateStatus,
)
from tests import factories as make

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_one_update_per_action_period_and_district():
    action = make.action()
    period = make.period(action.plan)
    district = make.district(action.plan.partnership)
    make.update(action, period, UpdateStatus.ON_TRACK, district)
    assert refused(lambda: make.update(action, period, UpdateStatus.AT_RISK, district))


def test_one_whole_area_update_per_action_and_period():
    action = make.action()
    period = make.period(action.plan)
    make.update(action, period, UpdateStatus.ON_TRACK)
    assert refused(lambda: make.update(action, period, UpdateStatus.AT_RISK))


def test_updates_for_different_districts_are_allowed():
    action = make.action()
    period = make.period(action.plan)
    partnership = action.plan.partnership
    make.update(action, period, UpdateStatus.ON_TRACK, make.district(partnership))
    make.update(action, period, UpdateStatus.ON_TRACK, make.district(partnership))
    make.update(action, period, UpdateStatus.ON_TRACK)
    assert action.updates.count() == 3


def test_one_period_per_plan_year_and_quarter():
    plan = make.plan()
    make.period(plan, 2016, 1)
    assert refused(lambda: make.period(plan, 2016, 1))
    make.period(plan, 2016, 2)
    make.period(make.plan(), 2016, 1)


def test_quarter_must_be_one_to_four():
    plan = make.plan()
    assert refused(lambda: ReportingPeriod.objects.create(plan=plan, year=2016, quarter=5))
    assert refused(lambda: ReportingPeriod.objects.create(plan=plan, year=2016, quarter=0))


def test_priority_numbers_are_unique_within_a_plan():
    plan = make.plan()
    Priority.objects.create(plan=plan, number=1, title="One")
    assert refused(lambda: Priority.objects.create(plan=plan, number=1, title="Also one"))
    Priority.objects.create(plan=make.plan(), number=1, title="One elsewhere")


def test_theme_objective_action_lead_and_measure_numbers_are_unique_within_their_parent():
    priority = make.priority()
    Theme.objects.create(priority=priority, number=1, title="Domestic Abuse")
    assert refused(lambda: Theme.objects.create(priority=priority, number=1, title="Hidden Harm"))
    objective = make.objective(priority, number=1)
    assert refused(
        lambda: StrategicObjective.objects.create(priority=priority, number=1, title="x")
    )
    action = make.action(objective, number=1)
    assert refused(lambda: make.action(objective, number=1))
    organisation = make.organisation()
    ActionLead.objects.create(action=action, number=1, organisation=organisation)
    assert refused(lambda: ActionLead.objects.create(action=action, number=1, all_partners=True))
    Measure.objects.create(action=action, number=1, description="m")
    assert refused(lambda: Measure.objects.create(action=action, number=1, description="n"))


def test_an_objective_is_tagged_with_a_strand_once_and_only_with_known_strands():
    objective = make.objective()
    ObjectiveStrand.objects.create(objective=objective, strand="reoffending")
    assert refused(
        lambda: ObjectiveStrand.objects.create(objective=objective, strand="reoffending")
    )
    assert refused(lambda: ObjectiveStrand.objects.create(objective=objective, strand="littering"))


def test_a_lead_is_an_organisation_or_all_partners_not_both_nor_neither():
    action = make.action()
    organisation = make.organisation()
    assert refused(lambda: ActionLead.objects.create(action=action, number=1))
    assert refused(
        lambda: ActionLead.objects.create(
            action=action, number=1, organisation=organisation, all_partners=True
        )
    )
    officer = make.officer(organisation)
    assert refused(
        lambda: ActionLead.objects.create(
            action=action, number=1, officer=officer, all_partners=True
        )
    )
    ActionLead.objects.create(action=action, number=1, organisation=organisation, officer=officer)
    ActionLead.objects.create(action=action, number=2, all_partners=True)


@pytest.mark.parametrize("likelihood", ["G", "a", "", "Z"])
def test_risk_likelihood_is_a_to_f(likelihood):
    partnership = make.partnership()
    assert refused(
        lambda: Risk.objects.create(
            partnership=partnership, number=1, title="t", likelihood=likelihood, impact=2
        )
    )


@pytest.mark.parametrize("impact", [0, 5])
def test_risk_impact_is_one_to_four(impact):
    partnership = make.partnership()
    assert refused(
        lambda: Risk.objects.create(
            partnership=partnership, number=1, title="t", likelihood="E", impact=impact
        )
    )


def test_risk_rating_reads_like_the_register():
    risk = Risk.objects.create(
        partnership=make.partnership(), number=1, title="t", likelihood="E", impact=2
    )
    assert risk.rating == "E2"
    assert str(risk) == "t (E2)"


def test_funding_amounts_are_not_negative_and_keep_pence():
    partnership = make.partnership()
    assert refused(
        lambda: Funding.objects.create(
            partnership=partnership, source="PCC", financial_year=2016, amount=Decimal("-0.01")
        )
    )
    funding = Funding.objects.create(
        partnership=partnership, source="PCC", financial_year=2016, amount=Decimal("14019.00")
    )
    funding.refresh_from_db()
    assert funding.amount == Decimal("14019.00")
    assert str(funding) == "PCC 2016/17: £14,019.00"


def test_measure_target_is_not_negative():
    action = make.action()
    assert refused(
        lambda: Measure.objects.create(action=action, description="m", target_value=Decimal("-1"))
    )


def test_a_plan_ends_no_earlier_than_it_starts():
    partnership = make.partnership()
    assert refused(
        lambda: Plan.objects.create(
            partnership=partnership, title="t", slug="t", first_year=2020, last_year=2019
        )
    )


def test_an_update_status_must_be_a_known_one():
    action = make.action()
    period = make.period(action.plan)
    assert refused(lambda: make.update(action, period, "purple"))
