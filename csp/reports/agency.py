"""An agency progress report: the actions one organisation leads, for its partners, as a PDF.

``build_agency_report`` gathers the actions ``organisation`` leads that ``user`` may see (its own
leads, and "All partners" leads in partnerships it belongs to), grouped by plan and priority,
each with its status for the period and that period's updates by district. ``render_agency_pdf``
lays them out with the scrutiny report's print stylesheet and the same WeasyPrint settings
(``csp.reports.render.html_to_pdf``: tagged PDF/UA).

Visibility is the visitor's own, as on the organisation's page: restricted actions and updates
show to members of their partnership only, and statuses are worked out the same way.

A report of more than ``REPORT_INLINE_MAX_ACTIONS`` actions is made by the background worker
(``run_agency_render``, queued by ``csp.tasks.request_agency_render``), like a long scrutiny
report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, Value
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from csp import jobs
from csp.access import AnyUser, audience
from csp.charts import StatusCounts, status_label
from csp.models import (
    Action,
    ActionLead,
    AgencyReportRender,
    Membership,
    Organisation,
    Plan,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateStatus,
)
from csp.models.reports import AGENCY_RENDER_STEPS, audience_key
from csp.models.updates import PeriodStatus
from csp.quarters import FinancialQuarter
from csp.reports.context import (
    ActionRow,
    ObjectiveGroup,
    PrioritySection,
    UpdateLine,
    _leads_text,
    _measures,
)
from csp.reports.render import html_to_pdf

FINISHED = (PeriodStatus.CLOSED, PeriodStatus.REPORTED)


@dataclass
class PlanSection:
    """One plan's actions led by the organisation, by priority, for one reporting period."""

    plan: Plan
    partnership_name: str
    period: ReportingPeriod | None  # None: the plan has no such (or no finished) period yet
    priorities: list[PrioritySection] = field(default_factory=list)

    @property
    def period_label(self) -> str:
        return self.period.label if self.period else "no finished reporting period"

    @property
    def action_count(self) -> int:
        return sum(p.total for p in self.priorities)


@dataclass
class StatusTotal:
    status: str | None
    label: str
    count: int


@dataclass
class AgencyReport:
    organisation: Organisation
    title: str
    generated: date
    plans: list[PlanSection]
    summary: list[StatusTotal]  # actions by status, in the charts' order

    @property
    def action_count(self) -> int:
        return sum(s.count for s in self.summary)

    @property
    def partnership_names(self) -> list[str]:
        return sorted({p.partnership_name for p in self.plans})


def agency_actions(organisation: Organisation, user: AnyUser):  # type: ignore[no-untyped-def]
    """Actions ``user`` may see that ``organisation`` leads, itself or as one of "All partners"."""
    member_of = Membership.objects.filter(organisation=organisation).values("partnership_id")
    leads = ActionLead.objects.filter(action=OuterRef("pk")).filter(
        Q(organisation=organisation)
        | Q(all_partners=True, action__objective__priority__plan__partnership__in=member_of)
    )
    return Action.objects.visible_to(user).filter(Exists(leads))


def _period_for(
    plan: Plan, period: ReportingPeriod | FinancialQuarter | None
) -> ReportingPeriod | None:
    """``plan``'s own period for the quarter asked for, or else its latest finished one."""
    if period is None:
        return plan.periods.filter(status__in=FINISHED).order_by("-year", "-quarter").first()
    quarter = period if isinstance(period, FinancialQuarter) else period.financial_quarter
    if isinstance(period, ReportingPeriod) and period.plan_id == plan.pk:
        return period
    return plan.periods.filter(year=quarter.year, quarter=quarter.quarter).first()


def _row(action: Action, reference: str) -> ActionRow:
    return ActionRow(
        reference=reference,
        description=action.description,
        outcomes=action.outcomes,
        measures=_measures(action),
        leads=_leads_text(action),
        timescale=action.timescale,
        status=action.current_status,  # type: ignore[attr-defined]
        updates=[
            UpdateLine(
                period_label=u.period.label,
                district=u.district.name if u.district else "",
                progress=u.progress.strip(),
                status="" if u.status == UpdateStatus.NOT_GIVEN else UpdateStatus(u.status).label,
                risks=u.risks.strip(),
            )
            for u in getattr(action, "report_updates", [])
        ],
    )


def build_agency_report(
    organisation: Organisation,
    user: AnyUser,
    period: ReportingPeriod | FinancialQuarter | None = None,
) -> AgencyReport:
    """The content of ``organisation``'s progress report as ``user`` may see it.

    ``period``: the quarter to report (a ``ReportingPeriod`` or ``FinancialQuarter``, applied to
    each plan's period for that quarter); by default each plan's latest finished period.
    """
    base = agency_actions(organisation, user)
    plan_ids = base.values("objective__priority__plan")
    plans = (
        Plan.objects.filter(pk__in=plan_ids)
        .select_related("partnership")
        .order_by("partnership__name", "title")
    )
    counts: dict[str | None, int] = {}
    sections: list[PlanSection] = []
    for plan in plans:
        plan_period = _period_for(plan, period)
        actions = (
            base.filter(objective__priority__plan=plan)
            .select_related("objective__priority")
            .prefetch_related(
                Prefetch(
                    "leads", queryset=ActionLead.objects.select_related("organisation", "officer")
                ),
                "measures",
            )
            .order_by("objective__priority__number", "objective__number", "number")
        )
        if plan_period is not None:
            updates = (
                QuarterlyUpdate.objects.reported()
                .visible_to(user)
                .filter(period=plan_period)
                .select_related("period", "district")
                .order_by("district__name", "pk")
            )
            actions = actions.with_status(plan_period, user).prefetch_related(
                Prefetch("updates", queryset=updates, to_attr="report_updates")
            )
        else:
            actions = actions.annotate(current_status=Value(None, output_field=CharField()))
        section = PlanSection(plan=plan, partnership_name=plan.partnership.name, period=plan_period)
        priorities: dict[int, PrioritySection] = {}
        groups: dict[int, ObjectiveGroup] = {}
        for action in actions:
            objective = action.objective
            priority = objective.priority
            p = priorities.get(priority.pk)
            if p is None:
                p = priorities[priority.pk] = PrioritySection(
                    number=priority.number,
                    title=priority.title,
                    description=priority.description,
                    themes=[],
                )
                section.priorities.append(p)
            group = groups.get(objective.pk)
            if group is None:
                group = groups[objective.pk] = ObjectiveGroup(
                    reference=f"{priority.number}.{objective.number}",
                    title=objective.shown_title,
                    is_statutory=objective.is_statutory
                    and "statutory" not in objective.title.lower(),
                    theme="",
                )
                p.objectives.append(group)
            row = _row(action, f"{group.reference}.{action.number}")
            group.actions.append(row)
            p.total += 1
            counts[row.status] = counts.get(row.status, 0) + 1
        sections.append(section)

    order = StatusCounts({"all": counts}).statuses
    return AgencyReport(
        organisation=organisation,
        title=f"Progress report: {organisation.name}",
        generated=timezone.localdate(),
        plans=sections,
        summary=[StatusTotal(s, status_label(s), counts[s]) for s in order],
    )


def render_agency_html(report: AgencyReport) -> str:
    css = render_to_string("reports/print.css")
    return render_to_string("reports/agency.html", {"r": report, "css": mark_safe(css)})


def render_agency_pdf(
    report: AgencyReport, progress: Callable[[int, str], None] | None = None
) -> bytes:
    return html_to_pdf(render_agency_html(report), progress)


def run_agency_render(render: AgencyReportRender) -> None:
    """Make the report an ``AgencyReportRender`` asks for (the worker calls this).

    It is made as the person who asked first sees it; everyone who joined sees the same
    (``audience``), which is checked again here in case their roles changed meanwhile.
    """

    def work(render: AgencyReportRender) -> dict[str, Any]:
        user = render.requested_by or AnonymousUser()
        if audience_key(audience(user)) != render.audience:
            raise ValueError(
                "What the person who asked for it may see changed before it was made. "
                "Ask for the report again."
            )
        report = build_agency_report(render.organisation, user)
        render.note(2, AGENCY_RENDER_STEPS[1])
        data = render_agency_pdf(report, render.note)
        return {"pdf": data, "size": len(data)}

    def failure_message(error: Exception) -> str:
        return f"The report could not be made: {f'{type(error).__name__}: {error}'[:300]}"

    jobs.run(
        render,
        work,
        failure_message=failure_message,
        claim={"step": 1, "progress": AGENCY_RENDER_STEPS[0]},
    )
