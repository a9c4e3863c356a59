"""Small factory functions that build just enough of a partnership for one test."""

from __future__ import annotations

from itertools import count
from typing import Any

from csp.models import (
    Action,
    ActionLead,
    District,
    Officer,
    Organisation,
    Partnership,
    Plan,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    StrategicObjective,
    UpdateState,
)

_seq = count(1)


def partnership(**kwargs: Any) -> Partnership:
    n = next(_seq)
    values = {"name": f"Partnership {n}", "slug": f"partnership-{n}"} | kwargs
    return Partnership.objects.create(**values)


def district(partnership_: Partnership, name: str = "", **kwargs: Any) -> District:
    n = next(_seq)
    name = name or f"District {n}"
    return District.objects.create(
        partnership=partnership_, name=name, slug=f"district-{n}", **kwargs
    )


def organisation(**kwargs: Any) -> Organisation:
    n = next(_seq)
    values = {"name": f"Organisation {n}", "slug": f"organisation-{n}"} | kwargs
    return Organisation.objects.create(**values)


def officer(organisation_: Organisation | None = None, **kwargs: Any) -> Officer:
    n = next(_seq)
    values = {"name": f"Officer {n}"} | kwargs
    return Officer.objects.create(organisation=organisation_ or organisation(), **values)


def plan(partnership_: Partnership | None = None, **kwargs: Any) -> Plan:
    n = next(_seq)
    values = {
        "title": f"Plan {n}",
        "slug": f"plan-{n}",
        "first_year": 2016,
        "last_year": 2016,
    } | kwargs
    return Plan.objects.create(partnership=partnership_ or partnership(), **values)


def priority(plan_: Plan | None = None, **kwargs: Any) -> Priority:
    plan_ = plan_ or plan()
    number = kwargs.pop("number", plan_.priorities.count() + 1)
    return Priority.objects.create(
        plan=plan_, number=number, title=kwargs.pop("title", "A priority"), **kwargs
    )


def objective(priority_: Priority | None = None, **kwargs: Any) -> StrategicObjective:
    priority_ = priority_ or priority()
    number = kwargs.pop("number", priority_.objectives.count() + 1)
    return StrategicObjective.objects.create(
        priority=priority_, number=number, title=kwargs.pop("title", "An objective"), **kwargs
    )


def action(objective_: StrategicObjective | None = None, **kwargs: Any) -> Action:
    objective_ = objective_ or objective()
    number = kwargs.pop("number", objective_.actions.count() + 1)
    lead = kwargs.pop("lead", None)
    result = Action.objects.create(
        objective=objective_,
        number=number,
        description=kwargs.pop("description", "An action"),
        **kwargs,
    )
    if lead is not None:
        ActionLead.objects.create(action=result, organisation=lead)
    return result


def period(plan_: Plan, year: int = 2016, quarter: int = 1, **kwargs: Any) -> ReportingPeriod:
    return ReportingPeriod.objects.create(plan=plan_, year=year, quarter=quarter, **kwargs)


def update(
    action_: Action,
    period_: ReportingPeriod,
    status: str,
    district_: District | None = None,
    state: str = UpdateState.ACCEPTED,
    **kwargs: Any,
) -> QuarterlyUpdate:
    return QuarterlyUpdate.objects.create(
        action=action_, period=period_, district=district_, status=status, state=state, **kwargs
    )
