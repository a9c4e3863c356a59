"""Assemble a scrutiny report's content from the database: ``build_report``.

Everything the templates show is worked out here, in a fixed number of queries whatever the
plan's size, so the templates only lay it out. A scrutiny report goes before a public committee,
so it leaves out actions and updates marked restricted, and statuses are worked out without them
(the public view's rule).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q

from csp.charts import FILLS, StatusChart, StatusCounts, status_chart, status_label
from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    Funding,
    Membership,
    Officer,
    Plan,
    QuarterlyUpdate,
    ReportingPeriod,
    ReportSection,
    Risk,
    UpdateStatus,
)
from csp.models.reports import DEFAULT_COMMITTEE

# Statuses that make an action an exception: reported to the committee with its risks.
EXCEPTION_STATUSES = (UpdateStatus.OFF_TRACK, UpdateStatus.AT_RISK)
LARGE_PRINT_CHART_WIDTH = 400

# Written in a purpose (the built-in, a partnership's or a report's own), replaced by the periods
# the report covers: "2016/17 Q1", "2016/17 Q1 to 2016/17 Q4".
PERIODS_PLACEHOLDER = "{periods}"

# Every heading of the report in order: the sections always included, and the optional ones
# (``ReportSection``) a clerk may leave out. Headings are numbered in this order, without gaps.
ALWAYS_INCLUDED = ("purpose", "contacts")
SECTION_ORDER = ("purpose", *ReportSection.values, "contacts")


@dataclass
class UpdateLine:
    """One quarterly update as the report shows it: "2016/17 Q1 – Rochford: …"."""

    period_label: str
    district: str  # "" for an update covering the whole area
    progress: str
    status: str  # its label, "" where no status was given
    risks: str

    @property
    def heading(self) -> str:
        return f"{self.period_label} – {self.district}" if self.district else self.period_label


@dataclass
class ActionRow:
    reference: str
    description: str
    outcomes: str
    measures: list[str]
    leads: str
    timescale: str
    status: str | None  # UpdateStatus value for the latest period covered, None: no update
    updates: list[UpdateLine] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def risks(self) -> list[UpdateLine]:
        return [u for u in self.updates if u.risks]


@dataclass
class ObjectiveGroup:
    reference: str
    title: str
    is_statutory: bool
    theme: str
    actions: list[ActionRow] = field(default_factory=list)


@dataclass
class PrioritySection:
    number: int
    title: str
    description: str
    themes: list[str]
    objectives: list[ObjectiveGroup] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)  # per ReportContent.statuses
    total: int = 0

    @property
    def anchor(self) -> str:
        return f"priority-{self.number}"

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"


@dataclass
class StatusChange:
    """One action's status at the previous reporting period and at the report's latest."""

    priority: PrioritySection
    action: ActionRow
    before: str | None  # UpdateStatus value, None: no update that period
    after: str | None

    @property
    def before_label(self) -> str:
        return status_label(self.before)

    @property
    def after_label(self) -> str:
        return status_label(self.after)

    @property
    def text(self) -> str:
        """In words, never only a colour: "On track → At risk"."""
        return f"{self.before_label} \N{RIGHTWARDS ARROW} {self.after_label}"


@dataclass
class ChangesSinceLastReport:
    """What changed between the previous reporting period of the plan and the latest covered.

    ``previous`` is the plan's latest period before the earliest one the report covers (for a
    one-quarter report, the quarter before it), None where the plan has none. Statuses are the
    public ones, as everywhere in the report. "Newly" off track or at risk: not that status at
    the previous period (so off track → at risk is newly at risk; off track twice is not new).
    """

    previous: ReportingPeriod | None
    moved: list[StatusChange] = field(default_factory=list)  # every action whose status differs
    completed: list[StatusChange] = field(default_factory=list)
    newly_off_track: list[StatusChange] = field(default_factory=list)
    newly_at_risk: list[StatusChange] = field(default_factory=list)
    unchanged: int = 0  # actions with the same status at both periods

    @property
    def newly_red_or_amber(self) -> list[StatusChange]:
        return self.newly_off_track + self.newly_at_risk


@dataclass
class Member:
    name: str
    is_responsible_authority: bool


@dataclass
class FundingLine:
    source: str
    year: str
    amount: Decimal
    recipient: str
    purpose: str
    is_top_slice: bool


@dataclass
class Contact:
    name: str
    job_title: str
    organisation: str
    phone: str
    email: str


@dataclass
class ReportContent:
    plan: Plan
    partnership_name: str
    periods: list[ReportingPeriod]
    title: str
    committee: str
    meeting_date: date | None
    author: str
    contact: str
    large_print: bool
    purpose: list[str]
    recommendation: str
    background: list[str]
    implications: list[tuple[str, str]]
    members: list[Member]
    districts: list[tuple[str, str]]
    priorities: list[PrioritySection]
    statuses: list[tuple[str | None, str, str]]  # (status, label, fill) in the chart's order
    chart: StatusChart
    exceptions: list[tuple[PrioritySection, ActionRow]]
    changes: ChangesSinceLastReport
    risks: list[Risk]
    funding: list[FundingLine]
    funding_total: Decimal
    contacts: list[Contact]
    formats_contact: str
    defaults_used: list[str]  # which sections carry default wording, for the clerk to replace
    sections: list[str] = field(default_factory=lambda: list(SECTION_ORDER))  # those included
    numbers: dict[str, int] = field(default_factory=dict)  # each included section's number

    def __post_init__(self) -> None:
        if not self.numbers:
            self.numbers = {key: n for n, key in enumerate(self.sections, start=1)}

    @property
    def periods_label(self) -> str:
        labels = [p.label for p in self.periods]
        if len(labels) <= 2:
            return " and ".join(labels)
        return f"{labels[0]} to {labels[-1]}"

    @property
    def latest_period(self) -> ReportingPeriod:
        return self.periods[-1]

    @property
    def action_count(self) -> int:
        return sum(p.total for p in self.priorities)


def default_title(plan: Plan, periods: list[ReportingPeriod]) -> str:
    covered = (
        periods[0].label if len(periods) == 1 else f"{periods[0].label} to {periods[-1].label}"
    )
    return f"{plan.partnership.name}: progress on the {plan.title}, {covered}"


def default_purpose_text(plan: Plan) -> str:
    """The built-in purpose, its paragraphs separated by a blank line; ``{periods}`` stands for
    the periods the report covers."""
    return (
        f"This report updates the Committee on the priorities and joint work of the "
        f"{plan.partnership.name}, and on progress against its {plan.title} in "
        f"{PERIODS_PLACEHOLDER}.\n\n"
        "It is put before the Committee in its role as the crime and disorder committee, which "
        "must review or scrutinise the work of the partnership at least once a year."
    )


def default_purpose(plan: Plan, periods_label: str) -> list[str]:
    return paragraphs(default_purpose_text(plan).replace(PERIODS_PLACEHOLDER, periods_label))


def default_recommendation(plan: Plan) -> str:
    return (
        f"That Members note the work and progress of the {plan.partnership.name} "
        "as set out in this report."
    )


DEFAULT_BACKGROUND = [
    "Sections 5 to 7 of the Crime and Disorder Act 1998 require the responsible authorities in "
    "each area to work together in a Community Safety Partnership and to formulate and implement "
    "a strategy for the reduction of crime and disorder, the misuse of drugs, alcohol and other "
    "substances, and re-offending. Section 17 of the Act requires each of those authorities to "
    "have due regard to the likely effect of its functions on crime and disorder.",
    "Section 19 of the Police and Justice Act 2006 requires every local authority to have a crime "
    "and disorder committee with power to review or scrutinise decisions made, and action taken, "
    "by the responsible authorities in connection with their crime and disorder functions.",
    "The Crime and Disorder (Overview and Scrutiny) Regulations 2009 require that committee to "
    "meet for that purpose at least once in every twelve months, and set out how partners "
    "provide information to it and attend its meetings.",
]


def default_background_text() -> str:
    return "\n\n".join(DEFAULT_BACKGROUND)


def default_implications(plan: Plan) -> list[tuple[str, str]]:
    name = plan.partnership.name
    return [
        (
            "Financial",
            "There are no direct financial implications for the Council arising from this report. "
            "The partnership's work is funded as set out in the section on resources and by each "
            "agency within its own budget.",
        ),
        (
            "Legal",
            "The Council is a responsible authority of the partnership under the Crime and "
            "Disorder Act 1998; this report allows the Committee to carry out its duty under the "
            "Police and Justice Act 2006 and the 2009 Regulations.",
        ),
        (
            "Risk",
            f"The risks to delivering the plan are set out in the {name}'s risk register and, for "
            "individual actions, in the exceptions section of this report.",
        ),
        (
            "Equality",
            "The plan's actions aim to protect those most at risk of harm. Each lead agency "
            "considers the equality impact of its own actions.",
        ),
    ]


def implications_text(implications: list[tuple[str, str]]) -> str:
    """Implications as one text: "Financial: …" paragraphs separated by a blank line."""
    return "\n\n".join(f"{h}: {t}" if h else t for h, t in implications)


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs: separated by blank lines, each folded onto one line."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [" ".join(b.split()) for b in blocks if b.strip()]


_HEADING = re.compile(r"^([^:.\n]{1,40}):\s+(.+)$", re.DOTALL)


def parse_implications(text: str) -> list[tuple[str, str]]:
    """ "Financial: …" paragraphs into (heading, text); a paragraph without a heading: ("", …).

    The heading is shown as "<heading> implications", so a heading written "Financial
    implications" is not doubled.
    """
    parsed = []
    for paragraph in paragraphs(text):
        match = _HEADING.match(paragraph)
        if match:
            heading = re.sub(r"\s+implications$", "", match[1].strip(), flags=re.IGNORECASE)
            parsed.append((heading, match[2].strip()))
        else:
            parsed.append(("", paragraph))
    return parsed


@dataclass
class ReportTexts:
    """The wording a report would use for its texts, as one editable text each."""

    purpose: str
    recommendation: str
    statutory_background: str
    implications: str
    defaults_used: list[str]


def report_texts(
    plan: Plan,
    *,
    purpose: str | None = None,
    recommendation: str | None = None,
    statutory_background: str | None = None,
    implications: str | None = None,
) -> ReportTexts:
    """Each text: the one given (blank or None: not given), else the partnership's own wording,
    else the built-in wording. ``defaults_used`` names those that are built-in wording.

    The purpose may say ``{periods}`` for the periods covered (the built-in one does).
    """
    partnership = plan.partnership
    used: list[str] = []

    def pick(key: str, given: str | None, own: str, built_in: str) -> str:
        for text in (given, own):
            if text and text.strip():
                return text.strip()
        used.append(key)
        return built_in

    return ReportTexts(
        purpose=pick("purpose", purpose, partnership.report_purpose, default_purpose_text(plan)),
        recommendation=pick(
            "recommendation",
            recommendation,
            partnership.report_recommendation,
            default_recommendation(plan),
        ),
        statutory_background=pick(
            "background",
            statutory_background,
            partnership.report_statutory_background,
            default_background_text(),
        ),
        implications=pick(
            "implications",
            implications,
            partnership.report_implications,
            implications_text(default_implications(plan)),
        ),
        defaults_used=used,
    )


def chosen_sections(sections: list[str] | None) -> list[str]:
    """The report's headings in order: those always included and the optional ones chosen
    (None: all). ``ValueError`` for a key that is not a section."""
    if sections is None:
        return list(SECTION_ORDER)
    unknown = set(sections) - set(ReportSection.values)
    if unknown:
        raise ValueError(f"Unknown report section: {', '.join(sorted(unknown))}.")
    return [key for key in SECTION_ORDER if key in ALWAYS_INCLUDED or key in sections]


def _leads_text(action: Action) -> str:
    if action.lead_as_written.strip():
        return action.lead_as_written.strip()
    return "; ".join(str(lead) for lead in action.leads.all())


def _measures(action: Action) -> list[str]:
    """Measures not already written out in the action's outcomes (plans often repeat them)."""
    outcomes = " ".join(action.outcomes.lower().split())
    shown = []
    for measure in action.measures.all():
        text = str(measure)
        if " ".join(text.lower().split()) not in outcomes:
            shown.append(text)
    return shown


def previous_period(plan: Plan, periods: list[ReportingPeriod]) -> ReportingPeriod | None:
    """The plan's latest reporting period before the earliest of ``periods``, if any."""
    first = min(periods, key=lambda p: (p.year, p.quarter))
    return (
        plan.periods.filter(Q(year__lt=first.year) | Q(year=first.year, quarter__lt=first.quarter))
        .order_by("-year", "-quarter")
        .first()
    )


def changes_since(
    plan: Plan,
    previous: ReportingPeriod | None,
    latest: ReportingPeriod,
    rows: list[tuple[PrioritySection, ActionRow, int]],
) -> ChangesSinceLastReport:
    """Compare each row's action (section, row, action id) at ``previous`` and ``latest``.

    One query reads the stored public statuses (``ActionStatus``) of both quarters for the whole
    plan, whatever its size.
    """
    changes = ChangesSinceLastReport(previous=previous)
    if previous is None:
        return changes
    before_key, after_key = previous.financial_quarter.key, latest.financial_quarter.key
    statuses: dict[tuple[int, int], str | None] = {
        (action_id, key): status or None  # "": no update the public may see that quarter
        for action_id, key, status in ActionStatus.objects.filter(
            action__objective__priority__plan=plan, quarter_key__in=(before_key, after_key)
        ).values_list("action_id", "quarter_key", "public_status")
    }
    for section, row, action_id in rows:
        before = statuses.get((action_id, before_key))
        after = statuses.get((action_id, after_key))
        if before == after:
            changes.unchanged += 1
            continue
        change = StatusChange(priority=section, action=row, before=before, after=after)
        changes.moved.append(change)
        if after == UpdateStatus.COMPLETE:
            changes.completed.append(change)
        elif after == UpdateStatus.OFF_TRACK:
            changes.newly_off_track.append(change)
        elif after == UpdateStatus.AT_RISK:
            changes.newly_at_risk.append(change)
    return changes


def build_report(
    plan: Plan,
    periods: list[ReportingPeriod],
    *,
    large_print: bool = False,
    committee: str = DEFAULT_COMMITTEE,
    meeting_date: date | None = None,
    title: str | None = None,
    author: str = "",
    contact: str = "",
    purpose: str | None = None,
    recommendation: str | None = None,
    statutory_background: str | None = None,
    implications: str | None = None,
    sections: list[str] | None = None,
) -> ReportContent:
    """The content of ``plan``'s scrutiny report for ``periods`` (one quarter, or several).

    Statuses are those of the latest period covered; updates are shown for every period
    covered, by quarter and district. Texts the clerk writes (purpose, recommendation,
    statutory background, implications): those given, else the partnership's own wording, else
    the built-in wording (listed in ``defaults_used``); see ``report_texts``. ``sections``: the
    optional sections to include (``ReportSection`` values; None: all), numbered without gaps.
    """
    included = chosen_sections(sections)
    if not periods:
        raise ValueError("Choose at least one reporting period.")
    foreign = [p for p in periods if p.plan_id != plan.pk]
    if foreign:
        raise ValueError(f"{foreign[0].label} is not a period of {plan}.")
    periods = sorted(periods, key=lambda p: (p.year, p.quarter))
    latest = periods[-1]
    partnership = plan.partnership
    public = AnonymousUser()

    updates = (
        QuarterlyUpdate.objects.reported()
        .filter(period__in=periods, is_restricted=False)
        .select_related("period", "district")
        .order_by("period__year", "period__quarter", "district__name", "pk")
    )
    actions = list(
        Action.objects.in_plan(plan)
        .filter(is_restricted=False)
        .with_status(latest, public)
        .select_related("objective__priority", "objective__theme")
        .prefetch_related(
            Prefetch(
                "leads",
                queryset=ActionLead.objects.select_related("organisation", "officer"),
            ),
            "measures",
            Prefetch("updates", queryset=updates, to_attr="report_updates"),
        )
        .order_by("objective__priority__number", "objective__number", "number")
    )

    priorities: dict[int, PrioritySection] = {}
    for priority in plan.priorities.prefetch_related("themes").order_by("number"):
        priorities[priority.pk] = PrioritySection(
            number=priority.number,
            title=priority.title,
            description=priority.description,
            themes=[t.title for t in priority.themes.all()],
        )
    groups: dict[int, ObjectiveGroup] = {}
    status_of: dict[int, dict[str | None, int]] = defaultdict(dict)
    exceptions: list[tuple[PrioritySection, ActionRow]] = []
    reported: list[tuple[PrioritySection, ActionRow, int]] = []
    for action in actions:
        objective = action.objective
        section = priorities[objective.priority_id]
        group = groups.get(objective.pk)
        if group is None:
            group = groups[objective.pk] = ObjectiveGroup(
                reference=f"{section.number}.{objective.number}",
                title=objective.shown_title,
                # Shown as "(statutory obligation)" unless the title says so already.
                is_statutory=objective.is_statutory and "statutory" not in objective.title.lower(),
                theme=objective.theme.title if objective.theme else "",
            )
            section.objectives.append(group)
        status = action.current_status  # type: ignore[attr-defined]
        row = ActionRow(
            reference=f"{section.number}.{objective.number}.{action.number}",
            description=action.description,
            outcomes=action.outcomes,
            measures=_measures(action),
            leads=_leads_text(action),
            timescale=action.timescale,
            status=status,
            updates=[
                UpdateLine(
                    period_label=u.period.label,
                    district=u.district.name if u.district else "",
                    progress=u.progress.strip(),
                    status=""
                    if u.status == UpdateStatus.NOT_GIVEN
                    else UpdateStatus(u.status).label,
                    risks=u.risks.strip(),
                )
                for u in action.report_updates  # type: ignore[attr-defined]
            ],
        )
        group.actions.append(row)
        reported.append((section, row, action.pk))
        counts = status_of[objective.priority_id]
        counts[status] = counts.get(status, 0) + 1
        if status in EXCEPTION_STATUSES:
            exceptions.append((section, row))

    summary = StatusCounts(dict(status_of))
    shown = summary.statuses
    for pk, section in priorities.items():
        counts = status_of.get(pk, {})
        section.counts = [counts.get(s, 0) for s in shown]
        section.total = sum(counts.values())
    sections = list(priorities.values())
    # The chart is drawn as wide as the page; a narrower drawing for large print scales its
    # 14-unit labels up to at least 16 pt on an A4 page.
    chart = status_chart(
        [(s.label, status_of.get(pk, {})) for pk, s in priorities.items()],
        width=LARGE_PRINT_CHART_WIDTH if large_print else 640,
    )

    changes = changes_since(plan, previous_period(plan, periods), latest, reported)

    members = [
        Member(m.organisation.name, m.is_responsible_authority)
        for m in Membership.objects.filter(partnership=partnership).select_related("organisation")
    ]
    districts = [(d.name, d.description) for d in partnership.districts.order_by("name")]
    funding_rows = Funding.objects.filter(partnership=partnership).select_related("recipient")
    years = range(plan.first_year, plan.last_year + 1)
    funding = [
        FundingLine(
            source=f.source,
            year=f.financial_year_label,
            amount=f.amount,
            recipient=(f.recipient.short_name or f.recipient.name) if f.recipient else "",
            purpose=f.purpose,
            is_top_slice=f.is_top_slice,
        )
        for f in funding_rows
        if f.plan_id == plan.pk or f.financial_year in years
    ]
    officers = Officer.objects.filter(
        organisation__memberships__partnership=partnership
    ).select_related("organisation")
    contacts = [
        Contact(o.name, o.job_title, o.organisation.name, o.phone, o.email)
        for o in officers.exclude(email="").order_by("name")
    ]
    formats_contact = contact or (
        " or ".join(x for x in (contacts[0].phone, contacts[0].email) if x) if contacts else ""
    )

    covered = " and ".join(p.label for p in periods)
    texts = report_texts(
        plan,
        purpose=purpose,
        recommendation=recommendation,
        statutory_background=statutory_background,
        implications=implications,
    )
    return ReportContent(
        plan=plan,
        partnership_name=partnership.name,
        periods=periods,
        title=title or default_title(plan, periods),
        committee=committee,
        meeting_date=meeting_date,
        author=author,
        contact=contact,
        large_print=large_print,
        purpose=paragraphs(texts.purpose.replace(PERIODS_PLACEHOLDER, covered)),
        recommendation=" ".join(texts.recommendation.split()),
        background=paragraphs(texts.statutory_background),
        implications=parse_implications(texts.implications),
        members=members,
        districts=districts,
        priorities=sections,
        statuses=[(s, status_label(s), FILLS[s]) for s in shown],
        chart=chart,
        exceptions=exceptions,
        changes=changes,
        risks=list(Risk.objects.filter(partnership=partnership).order_by("number")),
        funding=funding,
        funding_total=sum((f.amount for f in funding), Decimal("0")),
        contacts=contacts,
        formats_contact=formats_contact,
        defaults_used=texts.defaults_used,
        sections=included,
    )
