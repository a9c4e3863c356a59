"""Assemble a scrutiny report's content from the database: ``build_report``.

Everything the templates and the Word document show is worked out here, in a fixed number of
queries whatever the plan's size, so they only lay it out; one content serves every form of the
report (standard and large print, Word).

A report has two versions made from the same data. The **full** version goes to the committee:
it includes actions and updates marked restricted, each marked so, and statuses count them. The
**public** version (``public=True``), for the council's website, leaves every restricted action
and update out, works statuses out without them (the public view's rule) and says on its cover
how much it leaves out.

Nothing of ours is printed: wording the clerk did not write comes from the partnership's own
fields, else from neutral standard text that is true of any partnership; ``defaults_used`` and
``missing`` tell the builder what is still standard so it can warn before issuing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Prefetch, Q

from csp.charts import BAR_ORDER, FILLS, StatusChart, StatusCounts, status_chart, status_label
from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    Funding,
    MeasureFigure,
    Membership,
    Officer,
    Plan,
    QuarterlyUpdate,
    ReportingPeriod,
    ReportSection,
    Risk,
    UpdateStatus,
)
from csp.models.plans import Measure
from csp.models.reports import FALLBACK_COMMITTEE
from csp.quarters import financial_year_label
from csp.templatetags.csp_tags import number

# Statuses that make an action an exception: reported to the committee with its risks.
EXCEPTION_STATUSES = (UpdateStatus.OFF_TRACK, UpdateStatus.AT_RISK)
STANDARD_CHART_WIDTH, LARGE_PRINT_CHART_WIDTH = 640, 400
# The trend, the measures' figures and each action's status history cover the latest quarter
# the report covers and the plan's quarters before it, up to a year's worth.
TREND_QUARTERS = 4

# Written in a purpose (the built-in, a partnership's or a report's own), replaced by the periods
# the report covers: "2016/17 Q1", "2016/17 Q1 to 2016/17 Q4".
PERIODS_PLACEHOLDER = "{periods}"

# Every heading of the report in order: the sections always included, and the optional ones
# (``ReportSection``) a clerk may leave out. Headings are numbered in this order, without gaps.
ALWAYS_INCLUDED = ("purpose", "contacts")
SECTION_ORDER = ("purpose", *ReportSection.values, "contacts")
# Each heading's anchor in the document and its words, where they are not the section's label.
ANCHORS = {
    "statutory_background": "background",
    "at_a_glance": "glance",
    "action_plan": "action-plan",
    "area_profile": "area-profile",
    "funding": "resources",
}
HEADINGS = {
    "purpose": "Purpose of the report and recommendation",
    "contacts": "Contacts, background papers and other formats",
}
# Sections shown only when there is something to show; the others always say something.
NEEDS_CONTENT = {"introduction", "area_profile", "highlights", "trend", "measures", "consultation"}


# -- text the clerk or the plan wrote, as blocks -------------------------------------------------


@dataclass
class Block:
    """A piece of written text: a paragraph, a list or a short heading."""

    kind: str  # "paragraph", "list" or "heading"
    text: str = ""
    items: list[str] = field(default_factory=list)


_BULLET = re.compile(r"^\s*(?:[-•*–]|\d+[.)])\s+")


def text_blocks(text: str) -> list[Block]:
    """Plain text as the blocks it is written in: paragraphs separated by blank lines; lines
    starting with "- " or "• " are a list; a short line on its own, without a full stop, before
    more text is a heading ("Partnership Working")."""
    blocks: list[Block] = []
    chunks = [c for c in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if c.strip()]
    for index, chunk in enumerate(chunks):
        prose: list[str] = []
        items: Block | None = None
        for line in (line.strip() for line in chunk.split("\n")):
            if not line:
                continue
            if _BULLET.match(line):
                if prose:
                    blocks.append(Block("paragraph", " ".join(" ".join(prose).split())))
                    prose = []
                if items is None:
                    items = Block("list")
                    blocks.append(items)
                items.items.append(" ".join(_BULLET.sub("", line).split()))
            else:
                items = None
                prose.append(line)
        if prose:
            words = " ".join(" ".join(prose).split())
            is_heading = (
                len(prose) == 1
                and len(words) <= 60
                and not words.endswith((".", ":", ";", "!", "?", ","))
                and index < len(chunks) - 1
            )
            blocks.append(Block("heading" if is_heading else "paragraph", words))
    return blocks


@dataclass
class Highlight:
    title: str
    text: str


def highlights_of(text: str) -> list[Highlight]:
    """The clerk's highlights: one per paragraph, its first line the heading when it has more
    lines ("Taxi marshalling scheme (extended with PCC funding until June 2016)" then what it
    did)."""
    found = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [_BULLET.sub("", line.strip()) for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) == 1:
            found.append(Highlight("", lines[0]))
        else:
            found.append(Highlight(lines[0], " ".join(" ".join(lines[1:]).split())))
    return found


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs: separated by blank lines, each folded onto one line."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [" ".join(b.split()) for b in blocks if b.strip()]


def lines_of(text: str) -> list[str]:
    """One entry per non-blank line (background papers)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


# -- what the report shows ---------------------------------------------------------------------


@dataclass
class UpdateLine:
    """One quarterly update as the report shows it: "2016/17 Q1 – Rochford: …"."""

    period_label: str
    district: str  # "" for an update covering the whole area
    progress: str
    status: str  # its label, "" where no status was given
    risks: str
    restricted: bool = False
    figures: list[str] = field(default_factory=list)  # "attendees … aware: 85% (target 80%)"

    @property
    def heading(self) -> str:
        return f"{self.period_label} – {self.district}" if self.district else self.period_label


@dataclass
class HistoryPoint:
    period_label: str
    status: str | None

    @property
    def label(self) -> str:
        return status_label(self.status)


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
    restricted: bool = False
    history: list[HistoryPoint] = field(default_factory=list)  # over the trend's quarters
    url: str = ""  # the action's page, where a web page lists it

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
    version's own, as everywhere in the report. "Newly" off track or at risk: not that status at
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
class RiskLine:
    """One update's risks and dependencies, for the exceptions section."""

    priority: PrioritySection
    action: ActionRow
    update: UpdateLine


@dataclass
class TrendRow:
    """One priority's status counts in one quarter."""

    priority: PrioritySection
    period_label: str
    counts: list[int]  # per ReportContent.trend_statuses
    total: int
    first: bool  # the priority's first quarter, where its name is shown


@dataclass
class MeasureRow:
    reference: str
    action: str
    measure: str
    target: str
    figures: list[str]  # per ReportContent.trend_periods: "85%", "Rochford 85%; …", "" none
    restricted: bool = False


@dataclass
class MeasureTable:
    priority: PrioritySection
    rows: list[MeasureRow]


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
class LeftOut:
    """What the public version leaves out: restricted actions, and restricted updates of the
    actions it shows."""

    actions: int = 0
    updates: int = 0

    @property
    def total(self) -> int:
        return self.actions + self.updates

    @property
    def text(self) -> str:
        parts = []
        if self.actions:
            parts.append(f"{self.actions} action{'s' if self.actions != 1 else ''}")
        if self.updates:
            parts.append(f"{self.updates} update{'s' if self.updates != 1 else ''}")
        return " and ".join(parts)


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
    standard_chart: StatusChart
    large_chart: StatusChart
    exceptions: list[tuple[PrioritySection, ActionRow]]
    changes: ChangesSinceLastReport
    risks: list[Risk]
    funding: list[FundingLine]
    funding_total: Decimal
    contacts: list[Contact]
    formats_contact: str
    defaults_used: list[str]  # which texts carry standard wording, for the clerk to replace
    missing: list[str] = field(default_factory=list)  # "committee", "formats": not named
    sections: list[str] = field(default_factory=lambda: list(SECTION_ORDER))  # those included
    numbers: dict[str, int] = field(default_factory=dict)  # each included section's number
    # Which document this is: a draft, or the issued paper with its date and version; the full
    # version for the committee, or the public one.
    issued_on: date | None = None
    version: int = 1
    public: bool = False
    left_out: LeftOut = field(default_factory=LeftOut)
    restricted_shown: int = 0  # restricted actions and updates the full version shows
    # The committee's own sections.
    introduction: list[Block] = field(default_factory=list)
    area_profile: list[Block] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    consultation: list[str] = field(default_factory=list)
    background_papers: list[str] = field(default_factory=list)
    risk_lines: list[RiskLine] = field(default_factory=list)
    trend_periods: list[ReportingPeriod] = field(default_factory=list)
    trend_statuses: list[tuple[str | None, str, str]] = field(default_factory=list)
    trend_rows: list[TrendRow] = field(default_factory=list)
    standard_trend_chart: StatusChart | None = None
    large_trend_chart: StatusChart | None = None
    measures: list[MeasureTable] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.numbers:
            self.numbers = {key: n for n, key in enumerate(self.sections, start=1)}

    @property
    def is_draft(self) -> bool:
        return self.issued_on is None

    @property
    def chart(self) -> StatusChart:
        return self.large_chart if self.large_print else self.standard_chart

    @property
    def trend_chart(self) -> StatusChart | None:
        return self.large_trend_chart if self.large_print else self.standard_trend_chart

    @property
    def periods_label(self) -> str:
        labels = [p.label for p in self.periods]
        if len(labels) <= 2:
            return " and ".join(labels)
        return f"{labels[0]} to {labels[-1]}"

    @property
    def covered_label(self) -> str:
        """The periods without the year where the plan's title gives it: "Quarter 1"."""
        return covered_label(self.plan, self.periods)

    @property
    def running_label(self) -> str:
        """The plan and periods in the running header: "Partnership Plan 2016/17, Quarter 1"."""
        return f"{self.plan.title}, {self.covered_label}"

    @property
    def status_line(self) -> str:
        """Which document this is, for the cover and the running footer."""
        version = "Public version" if self.public else f"Version {self.version}"
        if self.is_draft:
            return f"Draft of version {self.version}" + (", public version" if self.public else "")
        assert self.issued_on is not None
        issued = f"issued {self.issued_on.day} {self.issued_on:%B %Y}"
        if self.public:
            return f"{version} of version {self.version}, {issued}"
        return f"{version}, {issued}"

    @property
    def latest_period(self) -> ReportingPeriod:
        return self.periods[-1]

    @property
    def action_count(self) -> int:
        return sum(p.total for p in self.priorities)

    @property
    def toc(self) -> list[tuple[int, str, str, str]]:
        """The contents: (number, section key, anchor, heading) of each section included."""
        labels = dict(ReportSection.choices) | HEADINGS
        return [
            (self.numbers[key], key, ANCHORS.get(key, key), labels[key]) for key in self.sections
        ]

    @property
    def swatches(self) -> list[tuple[str | None, str, str]]:
        """Every status with its chart colour, for the legends' swatches."""
        return [(s, status_label(s), FILLS[s]) for s in BAR_ORDER]

    @property
    def has_measures(self) -> bool:
        return any(t.rows for t in self.measures)


def covered_label(plan: Plan, periods: list[ReportingPeriod]) -> str:
    """ "Quarter 1", "Quarters 1 to 4" where the plan's title names the periods' one financial
    year already (so it is not said twice); else the periods' labels, "2021/22 Q2"."""
    ordered = sorted(periods, key=lambda p: (p.year, p.quarter))
    years = {p.year for p in ordered}
    if len(years) == 1 and financial_year_label(ordered[0].year) in plan.title:
        quarters = [p.quarter for p in ordered]
        if len(quarters) == 1:
            return f"Quarter {quarters[0]}"
        if quarters == list(range(quarters[0], quarters[-1] + 1)):
            joiner = " and " if len(quarters) == 2 else " to "
            return f"Quarters {quarters[0]}{joiner}{quarters[-1]}"
        return "Quarters " + ", ".join(str(q) for q in quarters[:-1]) + f" and {quarters[-1]}"
    labels = [p.label for p in ordered]
    return " and ".join(labels) if len(labels) <= 2 else f"{labels[0]} to {labels[-1]}"


def default_title(plan: Plan, periods: list[ReportingPeriod]) -> str:
    return f"{plan.partnership.name}: progress on the {plan.title}, {covered_label(plan, periods)}"


# -- standard wording ------------------------------------------------------------------------


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


@dataclass
class ReportFacts:
    """What the standard implications may truthfully say: what the report will show."""

    shows_register: bool = False  # the risk register section, with risks in it
    shows_reported_risks: bool = False  # the exceptions section, with risks leads reported
    shows_funding: bool = False  # the resources section, with funding in it


def plan_facts(plan: Plan, sections: list[str] | None = None) -> ReportFacts:
    """The facts for ``plan``'s report before its periods are chosen (the builder's form): any
    risks reported in any of its periods count."""
    chosen = set(ReportSection.values if sections is None else sections)
    partnership = plan.partnership
    return ReportFacts(
        shows_register="risks" in chosen and Risk.objects.filter(partnership=partnership).exists(),
        shows_reported_risks="exceptions" in chosen
        and QuarterlyUpdate.objects.reported().filter(period__plan=plan).exclude(risks="").exists(),
        shows_funding="funding" in chosen
        and Funding.objects.filter(partnership=partnership).exists(),
    )


def default_implications(plan: Plan, facts: ReportFacts | None = None) -> list[tuple[str, str]]:
    """The standard implications, saying only what the report shows (``facts``)."""
    facts = facts or ReportFacts()
    funded = (
        "by the grants set out in the section on resources and by each agency within its own budget"
        if facts.shows_funding
        else "by each agency within its own budget"
    )
    if facts.shows_register and facts.shows_reported_risks:
        risk = (
            "The partnership's risk register is set out in this report, and the risks and "
            "dependencies lead agencies reported are listed with the exceptions."
        )
    elif facts.shows_register:
        risk = "The partnership's risk register is set out in this report."
    elif facts.shows_reported_risks:
        risk = "The risks and dependencies lead agencies reported are listed with the exceptions."
    else:
        risk = "Lead agencies reported no risks or dependencies for the periods covered."
    return [
        (
            "Financial",
            "There are no direct financial implications for the Council arising from this "
            f"report. The partnership's work is funded {funded}.",
        ),
        (
            "Legal",
            "The Council is a responsible authority of the partnership under the Crime and "
            "Disorder Act 1998; this report allows the Committee to carry out its duty under the "
            "Police and Justice Act 2006 and the 2009 Regulations.",
        ),
        ("Risk", risk),
        (
            "Equality",
            "The plan's actions aim to protect those most at risk of harm. Each lead agency "
            "considers the equality impact of its own actions.",
        ),
    ]


def implications_text(implications: list[tuple[str, str]]) -> str:
    """Implications as one text: "Financial: …" paragraphs separated by a blank line."""
    return "\n\n".join(f"{h}: {t}" if h else t for h, t in implications)


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
    committee: str
    contact: str
    formats_contact: str
    defaults_used: list[str]  # texts in standard wording
    missing: list[str]  # "committee", "formats": the partnership names neither, nor the report

    @property
    def still_standard(self) -> list[str]:
        """The clerk's own sections still in standard wording (the builder warns of these)."""
        return [k for k in ("purpose", "recommendation", "implications") if k in self.defaults_used]


def report_texts(
    plan: Plan,
    *,
    facts: ReportFacts | None = None,
    purpose: str | None = None,
    recommendation: str | None = None,
    statutory_background: str | None = None,
    implications: str | None = None,
    committee: str | None = None,
    contact: str | None = None,
    formats_contact: str | None = None,
) -> ReportTexts:
    """Each text: the one given (blank or None: not given), else the partnership's own wording,
    else the standard wording (``defaults_used`` names those). The committee and the formats
    line: the report's, else the partnership's, else the neutral committee name and none
    (``missing`` names those).

    The purpose may say ``{periods}`` for the periods covered (the built-in one does).
    """
    partnership = plan.partnership
    used: list[str] = []
    missing: list[str] = []

    def pick(key: str, given: str | None, own: str, built_in: str) -> str:
        for text in (given, own):
            if text and text.strip():
                return text.strip()
        used.append(key)
        return built_in

    def named(key: str, given: str | None, own: str, fallback: str) -> str:
        for text in (given, own):
            if text and text.strip():
                return " ".join(text.split())
        if key:
            missing.append(key)
        return fallback

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
            implications_text(default_implications(plan, facts)),
        ),
        committee=named("committee", committee, partnership.report_committee, FALLBACK_COMMITTEE),
        contact=named("", contact, partnership.report_contact, ""),
        formats_contact=named("formats", formats_contact, partnership.report_formats_contact, ""),
        defaults_used=used,
        missing=missing,
    )


def chosen_sections(sections: list[str] | None, available: set[str] | None = None) -> list[str]:
    """The report's headings in order: those always included and the optional ones chosen
    (None: all) that have something to show (``available``: those of ``NEEDS_CONTENT`` that
    do; None: all). ``ValueError`` for a key that is not a section."""
    if sections is None:
        sections = list(ReportSection.values)
    unknown = set(sections) - set(ReportSection.values)
    if unknown:
        raise ValueError(f"Unknown report section: {', '.join(sorted(unknown))}.")
    return [
        key
        for key in SECTION_ORDER
        if key in ALWAYS_INCLUDED
        or (key in sections and (key not in NEEDS_CONTENT or available is None or key in available))
    ]


# -- gathering -----------------------------------------------------------------------------------


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


def figure_text(value: Decimal, unit: str) -> str:
    """A figure as a reader writes it: "85%", "1,200", "12.5"."""
    written = number(value)
    return f"{written}%" if unit.strip() == "%" else written


def target_text(measure: Measure) -> str:
    if measure.target_value is not None:
        return figure_text(measure.target_value, measure.unit) + (
            "" if measure.unit.strip() in ("", "%") else f" {measure.unit.strip()}"
        )
    return measure.target_text


def previous_period(plan: Plan, periods: list[ReportingPeriod]) -> ReportingPeriod | None:
    """The plan's latest reporting period before the earliest of ``periods``, if any."""
    first = min(periods, key=lambda p: (p.year, p.quarter))
    return (
        plan.periods.filter(Q(year__lt=first.year) | Q(year=first.year, quarter__lt=first.quarter))
        .order_by("-year", "-quarter")
        .first()
    )


def trend_periods(plan: Plan, latest: ReportingPeriod) -> list[ReportingPeriod]:
    """The latest period covered and the plan's periods before it, at most ``TREND_QUARTERS``."""
    before = plan.periods.filter(
        Q(year__lt=latest.year) | Q(year=latest.year, quarter__lte=latest.quarter)
    ).order_by("-year", "-quarter")[:TREND_QUARTERS]
    return sorted(before, key=lambda p: (p.year, p.quarter))


def _statuses(
    plan: Plan, periods: list[ReportingPeriod], public: bool
) -> dict[tuple[int, int], str | None]:
    """Each (action id, quarter key)'s stored status in the version's rule, in one query."""
    field_name = "public_status" if public else "status"
    return {
        (action_id, key): status or None  # "": no update this version may count that quarter
        for action_id, key, status in ActionStatus.objects.filter(
            action__objective__priority__plan=plan,
            quarter_key__in=[p.financial_quarter.key for p in periods],
        ).values_list("action_id", "quarter_key", field_name)
    }


def changes_since(
    plan: Plan,
    previous: ReportingPeriod | None,
    latest: ReportingPeriod,
    rows: list[tuple[PrioritySection, ActionRow, int]],
    public: bool = True,
    statuses: dict[tuple[int, int], str | None] | None = None,
) -> ChangesSinceLastReport:
    """Compare each row's action (section, row, action id) at ``previous`` and ``latest``.

    One query reads the stored statuses (``ActionStatus``, the version's rule) of both quarters
    for the whole plan, whatever its size; ``statuses`` if the caller read them already.
    """
    changes = ChangesSinceLastReport(previous=previous)
    if previous is None:
        return changes
    before_key, after_key = previous.financial_quarter.key, latest.financial_quarter.key
    if statuses is None or not {before_key, after_key} <= {k for _, k in statuses}:
        statuses = _statuses(plan, [previous, latest], public)
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


def _area_profile(partnership_area: str, districts: list[tuple[str, str]]) -> list[Block]:
    blocks = text_blocks(partnership_area)
    if blocks:
        blocks.insert(0, Block("heading", "Partnership area"))
    for name, description in districts:
        if description.strip():
            blocks.append(Block("heading", name))
            blocks.extend(text_blocks(description))
    return blocks


def build_report(
    plan: Plan,
    periods: list[ReportingPeriod],
    *,
    public: bool = False,
    issued_on: date | None = None,
    version: int = 1,
    large_print: bool = False,
    committee: str | None = None,
    meeting_date: date | None = None,
    title: str | None = None,
    author: str = "",
    contact: str | None = None,
    formats_contact: str | None = None,
    purpose: str | None = None,
    recommendation: str | None = None,
    statutory_background: str | None = None,
    implications: str | None = None,
    highlights: str = "",
    consultation: str = "",
    background_papers: str = "",
    sections: list[str] | None = None,
) -> ReportContent:
    """The content of ``plan``'s scrutiny report for ``periods`` (one quarter, or several).

    Statuses are those of the latest period covered; updates are shown for every period
    covered, by quarter and district. ``public``: the public version (nothing restricted).
    ``issued_on``: the date of issue, None for a draft. Texts the clerk writes: those given,
    else the partnership's own wording, else the standard wording (see ``report_texts``).
    ``sections``: the optional sections to include (``ReportSection`` values; None: all),
    numbered without gaps; those with nothing to show are left out.
    """
    chosen_sections(sections)  # refuse unknown keys before any query
    if not periods:
        raise ValueError("Choose at least one reporting period.")
    foreign = [p for p in periods if p.plan_id != plan.pk]
    if foreign:
        raise ValueError(f"{foreign[0].label} is not a period of {plan}.")
    periods = sorted(periods, key=lambda p: (p.year, p.quarter))
    latest = periods[-1]
    partnership = plan.partnership
    viewer = AnonymousUser() if public else None  # None: no one in particular, sees all

    trend = trend_periods(plan, latest)
    updates = (
        QuarterlyUpdate.objects.reported()
        .filter(period__in=periods)
        .select_related("period", "district")
        .prefetch_related(
            Prefetch("figures", queryset=MeasureFigure.objects.select_related("measure"))
        )
        .order_by("period__year", "period__quarter", "district__name", "pk")
    )
    if public:
        updates = updates.filter(is_restricted=False)
    actions_query = Action.objects.in_plan(plan)
    if public:
        actions_query = actions_query.filter(is_restricted=False)
    actions = list(
        actions_query.with_status(latest, viewer)
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
    statuses = _statuses(plan, trend, public)
    previous = previous_period(plan, periods)
    if previous is not None and previous not in trend:
        statuses.update(_statuses(plan, [previous], public))

    priorities: dict[int, PrioritySection] = {}
    for priority in plan.priorities.prefetch_related("themes").order_by("number"):
        priorities[priority.pk] = PrioritySection(
            number=priority.number,
            title=priority.shown_title,
            description=priority.description,
            themes=[t.title for t in priority.themes.all()],
        )
    groups: dict[int, ObjectiveGroup] = {}
    status_of: dict[int, dict[str | None, int]] = defaultdict(dict)
    trend_of: dict[tuple[int, int], dict[str | None, int]] = defaultdict(dict)
    exceptions: list[tuple[PrioritySection, ActionRow]] = []
    risk_lines: list[RiskLine] = []
    reported: list[tuple[PrioritySection, ActionRow, int]] = []
    measure_rows: dict[int, list[MeasureRow]] = defaultdict(list)
    measure_ids: list[tuple[MeasureRow, int]] = []
    restricted_shown = 0
    trend_keys = [p.financial_quarter.key for p in trend]
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
        measures = list(action.measures.all())
        lines = []
        for u in action.report_updates:  # type: ignore[attr-defined]
            figures = [
                f"{f.measure.description}: {figure_text(f.value, f.measure.unit)}"
                + (f" (target {target_text(f.measure)})" if target_text(f.measure) else "")
                for f in sorted(u.figures.all(), key=lambda f: f.measure.number)
            ]
            lines.append(
                UpdateLine(
                    period_label=u.period.label,
                    district=u.district.name if u.district else "",
                    progress=u.progress.strip(),
                    status=""
                    if u.status == UpdateStatus.NOT_GIVEN
                    else UpdateStatus(u.status).label,
                    risks=u.risks.strip(),
                    restricted=u.is_restricted,
                    figures=figures,
                )
            )
            restricted_shown += u.is_restricted
        restricted_shown += action.is_restricted
        row = ActionRow(
            reference=f"{section.number}.{objective.number}.{action.number}",
            description=action.description,
            outcomes=action.outcomes,
            measures=_measures(action),
            leads=_leads_text(action),
            timescale=action.timescale,
            status=status,
            updates=lines,
            restricted=action.is_restricted,
            history=[
                HistoryPoint(p.label, statuses.get((action.pk, key)))
                for p, key in zip(trend, trend_keys, strict=True)
            ]
            if len(trend) > 1
            else [],
        )
        group.actions.append(row)
        reported.append((section, row, action.pk))
        counts = status_of[objective.priority_id]
        counts[status] = counts.get(status, 0) + 1
        for key in trend_keys:
            at = statuses.get((action.pk, key))
            bucket = trend_of[(objective.priority_id, key)]
            bucket[at] = bucket.get(at, 0) + 1
        if status in EXCEPTION_STATUSES:
            exceptions.append((section, row))
        risk_lines.extend(RiskLine(section, row, u) for u in lines if u.risks)
        for measure in measures:
            measure_row = MeasureRow(
                reference=row.reference,
                action=action.description,
                measure=measure.description,
                target=target_text(measure),
                figures=[],
                restricted=action.is_restricted,
            )
            measure_rows[objective.priority_id].append(measure_row)
            measure_ids.append((measure_row, measure.pk))

    # Each measure's figures in each of the trend's quarters, by district where one is named.
    figures: dict[tuple[int, int], list[str]] = defaultdict(list)
    counted = QuarterlyUpdate.objects.reported().filter(period__in=trend)
    if public:
        counted = counted.filter(is_restricted=False, action__is_restricted=False)
    figure_query = (
        MeasureFigure.objects.filter(
            measure__action__objective__priority__plan=plan, update__in=counted
        )
        .select_related("measure", "update__district")
        # The whole area's figure first, then each district's, on every database.
        .order_by("measure_id", F("update__district__name").asc(nulls_first=True), "pk")
    )
    column = {p.pk: n for n, p in enumerate(trend)}
    for f in figure_query:
        where = f.update.district.name if f.update.district else ""
        text = figure_text(f.value, f.measure.unit)
        figures[(f.measure_id, column[f.update.period_id])].append(
            f"{where} {text}" if where else text
        )
    for row, measure_id in measure_ids:
        row.figures = ["; ".join(figures.get((measure_id, n), [])) for n in range(len(trend))]

    summary = StatusCounts(dict(status_of))
    shown = summary.statuses
    for pk, section in priorities.items():
        counts = status_of.get(pk, {})
        section.counts = [counts.get(s, 0) for s in shown]
        section.total = sum(counts.values())
    sections_list = list(priorities.values())

    def charts(rows: list[tuple[str, dict[str | None, int]]]) -> tuple[StatusChart, StatusChart]:
        # Drawn as wide as the page; the narrower drawing for large print scales its 14-unit
        # labels up to at least 16 pt on an A4 page.
        return (
            status_chart(rows, width=STANDARD_CHART_WIDTH),
            status_chart(rows, width=LARGE_PRINT_CHART_WIDTH),
        )

    standard_chart, large_chart = charts(
        [(s.label, status_of.get(pk, {})) for pk, s in priorities.items()]
    )
    trend_counts = StatusCounts(dict(trend_of))
    trend_rows = [
        TrendRow(
            priority=section,
            period_label=p.label,
            counts=[trend_of.get((pk, key), {}).get(s, 0) for s in trend_counts.statuses],
            total=sum(trend_of.get((pk, key), {}).values()),
            first=n == 0,
        )
        for pk, section in priorities.items()
        for n, (p, key) in enumerate(zip(trend, trend_keys, strict=True))
    ]
    standard_trend, large_trend = charts(
        [
            (f"{section.number}. {p.label}", trend_of.get((pk, key), {}))
            for pk, section in priorities.items()
            for p, key in zip(trend, trend_keys, strict=True)
        ]
    )

    changes = changes_since(plan, previous, latest, reported, public, statuses)

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
    risks = list(Risk.objects.filter(partnership=partnership).order_by("number"))

    left_out = LeftOut()
    if public:
        left_out = LeftOut(
            actions=Action.objects.in_plan(plan).filter(is_restricted=True).count(),
            updates=QuarterlyUpdate.objects.reported()
            .filter(period__in=periods, is_restricted=True, action__is_restricted=False)
            .filter(action__objective__priority__plan=plan)
            .count(),
        )

    available = set()
    introduction = text_blocks(plan.introduction)
    area_profile = _area_profile(partnership.area_description, districts)
    highlight_items = highlights_of(highlights)
    consultation_paragraphs = paragraphs(consultation)
    for key, present in (
        ("introduction", introduction),
        ("area_profile", area_profile),
        ("highlights", highlight_items),
        ("consultation", consultation_paragraphs),
        ("trend", len(trend) > 1),
        ("measures", measure_ids),
    ):
        if present:
            available.add(key)
    included = chosen_sections(sections, available)

    chosen = set(included)
    facts = ReportFacts(
        shows_register="risks" in chosen and bool(risks),
        shows_reported_risks="exceptions" in chosen and bool(risk_lines),
        shows_funding="funding" in chosen and bool(funding),
    )
    texts = report_texts(
        plan,
        facts=facts,
        purpose=purpose,
        recommendation=recommendation,
        statutory_background=statutory_background,
        implications=implications,
        committee=committee,
        contact=contact,
        formats_contact=formats_contact,
    )
    covered = " and ".join(p.label for p in periods)
    return ReportContent(
        plan=plan,
        partnership_name=partnership.name,
        periods=periods,
        title=title or default_title(plan, periods),
        committee=texts.committee,
        meeting_date=meeting_date,
        author=author,
        contact=texts.contact,
        large_print=large_print,
        purpose=paragraphs(texts.purpose.replace(PERIODS_PLACEHOLDER, covered)),
        recommendation=" ".join(texts.recommendation.split()),
        background=paragraphs(texts.statutory_background),
        implications=parse_implications(texts.implications),
        members=members,
        districts=districts,
        priorities=sections_list,
        statuses=[(s, status_label(s), FILLS[s]) for s in shown],
        standard_chart=standard_chart,
        large_chart=large_chart,
        exceptions=exceptions,
        changes=changes,
        risks=risks,
        funding=funding,
        funding_total=sum((f.amount for f in funding), Decimal("0")),
        contacts=contacts,
        formats_contact=texts.formats_contact,
        defaults_used=texts.defaults_used,
        missing=texts.missing,
        sections=included,
        issued_on=issued_on,
        version=version,
        public=public,
        left_out=left_out,
        restricted_shown=0 if public else restricted_shown,
        introduction=introduction,
        area_profile=area_profile,
        highlights=highlight_items,
        consultation=consultation_paragraphs,
        background_papers=lines_of(background_papers),
        risk_lines=risk_lines,
        trend_periods=trend,
        trend_statuses=[(s, status_label(s), FILLS[s]) for s in trend_counts.statuses],
        trend_rows=trend_rows,
        standard_trend_chart=standard_trend if len(trend) > 1 else None,
        large_trend_chart=large_trend if len(trend) > 1 else None,
        measures=[
            MeasureTable(priority=priorities[pk], rows=rows)
            for pk, rows in measure_rows.items()
            if rows
        ],
    )
