"""What a plan spreadsheet's columns can mean, and the plan spreadsheet format we write ourselves.

``FIELDS`` are the meanings a coordinator can give a column in the mapping step (priority,
objective, action, lead, update …), each with the headings plans use for it, so the first guess
is usually right. ``COLUMNS`` is our own export format: one row per action and update, in the
columns plans already use, which imports back with no mapping at all.

A row holds an action (with its priority, theme and objective) and, optionally, updates of it.
Blank priority, theme or objective cells mean "the same as the row above", as merged cells come
out of Word and Excel. Update, status, risks and figure columns may repeat, each for its own
quarter ("Q1 update", "Q2 update") or district.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # how the mapping step names it
    aliases: tuple[str, ...] = ()  # headings that mean it, in any case and spacing
    # Words that, found in a longer heading, suggest it ("Lead agency / partner" → lead).
    words: tuple[str, ...] = ()
    help: str = ""
    per_period: bool = False  # may repeat, one column per quarter or district


FIELDS: tuple[Field, ...] = (
    Field(
        "reference",
        "Reference",
        ("ref", "reference", "ref no", "ref.", "no", "no.", "number", "action no", "action ref"),
        help="1.2.3 for priority 1, objective 2, action 3.",
    ),
    Field(
        "priority",
        "Priority",
        (
            "priority",
            "priorities",
            "strategic priority",
            "strategic priorities",
            "priority area",
            "key priority",
            "workstream",
            "work stream",
            "delivery area",
            "area of focus",
            "strategic aim",
        ),
        ("priority", "workstream"),
        help="The top level of the plan.",
    ),
    Field(
        "theme",
        "Theme",
        ("theme", "themes", "sub-theme", "sub theme", "strand"),
        ("theme",),
        help="A theme within a priority, such as Domestic Abuse.",
    ),
    Field(
        "objective",
        "Objective",
        (
            "strategic objective",
            "strategic objectives",
            "objective",
            "objectives",
            "goal",
            "goals",
            "aim",
            "aims",
            "outcome area",
        ),
        ("objective", "goal"),
        help="The level between priority and action. A plan may have none.",
    ),
    Field(
        "action",
        "Action",
        (
            "action",
            "actions",
            "activity",
            "activities",
            "what we will do",
            "what will we do",
            "task",
            "tasks",
            "intervention",
            "deliverable",
            "deliverables",
            "action / activity",
        ),
        ("action", "activity", "activities", "task"),
        help="What will be done. The one column every plan needs.",
    ),
    Field(
        "outcomes",
        "Outcomes / measures",
        (
            "outcomes / measures",
            "outcomes",
            "outcome",
            "measures",
            "measure of success",
            "measures of success",
            "success measures",
            "success criteria",
            "expected outcome",
            "expected outcomes",
            "how will we measure success",
            "kpi",
            "kpis",
            "performance measure",
        ),
        ("outcome", "success", "measure"),
        help="The outcomes or measures, as written.",
    ),
    Field(
        "lead",
        "Lead agency",
        (
            "lead agency / officer",
            "lead agency",
            "lead agencies",
            "lead",
            "leads",
            "owner",
            "owners",
            "responsible",
            "responsibility",
            "responsible agency",
            "who",
            "agency",
            "lead partner",
            "lead organisation",
            "partner",
            "partners",
            "delivered by",
        ),
        ("lead", "owner", "responsib", "agenc", "partner"),
        help='Organisations and officers: "Essex Police – Emma Clark", "RDC / CPBC + Police".',
    ),
    Field(
        "lead_officer",
        "Lead officer",
        ("lead officer", "lead officers", "officer", "contact", "lead contact", "named lead"),
        ("officer", "contact"),
        help="A person or role, in the lead organisation of the same row.",
    ),
    Field(
        "lead_as_written",
        "Lead as written",
        ("lead as written", "lead (as written)"),
        help="The plan's own words for who leads, kept exactly as written.",
    ),
    Field(
        "timescale",
        "Timescale",
        (
            "timescale",
            "timescales",
            "time-scale",
            "time scale",
            "timeframe",
            "time frame",
            "target date",
            "completion date",
            "due date",
            "deadline",
            "by when",
            "when",
            "date",
        ),
        ("timescale", "deadline", "due", "by when", "completion"),
        help='As written: "Q1-4", "Q2 - Sept 16", "Ongoing", or a date.',
    ),
    Field(
        "district",
        "District",
        ("district", "area", "locality", "borough"),
        help="The district an update is for; blank for the whole area.",
    ),
    Field(
        "areas",
        "Districts covered",
        (
            "districts",
            "districts covered",
            "district(s)",
            "areas",
            "areas covered",
            "area covered",
            "localities",
            "localities covered",
            "coverage",
            "geographical coverage",
        ),
        help='The districts the action covers: "North, South"; "All" or blank for every district.',
    ),
    Field(
        "period",
        "Period",
        ("period", "quarter", "reporting period", "reporting quarter", "qtr"),
        help="The quarter of an update: 2016/17 Q1, or a date in it.",
    ),
    Field(
        "status",
        "Status",
        ("status", "rag", "rag rating", "rag status", "brag", "progress rating", "rating"),
        ("rag", "status", "rating"),
        help='Green / Amber / Red, "On track", "Complete", or R / A / G.',
        per_period=True,
    ),
    Field(
        "update",
        "Update",
        (
            "update",
            "updates",
            "progress",
            "progress update",
            "latest update",
            "latest position",
            "position",
            "current position",
            "commentary",
            "comments",
            "comment",
            "progress to date",
        ),
        ("update", "progress", "position", "commentary", "comment"),
        help="The progress reported in a quarter.",
        per_period=True,
    ),
    Field(
        "risks",
        "Risks / dependencies",
        (
            "risks / dependencies",
            "risks",
            "risk",
            "dependencies",
            "risks and dependencies",
            "risks and issues",
            "issues",
            "barriers",
            "issues / barriers",
        ),
        ("risk", "dependenc", "barrier"),
        help="Risks and dependencies reported with an update.",
        per_period=True,
    ),
    Field(
        "measure",
        "Measures / targets",
        ("measures / targets", "measure", "indicator", "indicators", "performance indicator"),
        ("indicator",),
        help='One measure per line, its target in brackets: "Residents visited (target: 100)".',
    ),
    Field(
        "target",
        "Target",
        ("target", "targets", "target value"),
        ("target",),
        help="The measure's target, when the sheet gives it a column of its own.",
    ),
    Field(
        "figure",
        "Figure",
        ("figures", "figure", "actual", "actuals", "result", "performance", "value"),
        ("actual", "figure"),
        help="The figure reported against the measure in a quarter.",
        per_period=True,
    ),
)

IGNORE = "ignore"
BY_KEY = {field.key: field for field in FIELDS}


def measure_line(description: str, target: str) -> str:
    """A measure as a "Measures / targets" cell writes it, one per line: "Visits (target: 100)"."""
    return f"{description} (target: {target})" if target else description


def figure_line(description: str, value: object) -> str:
    """A figure as a "Figures" cell writes it, one per line: "Visits: 85" (never "85.00")."""
    text = f"{value:f}"
    return f"{description}: {text.rstrip('0').rstrip('.') if '.' in text else text}"


PER_PERIOD = frozenset(field.key for field in FIELDS if field.per_period)
LEVELS = ("priority", "objective", "action")  # top to bottom, as sheets lay them out


def normalise_heading(text: object) -> str:
    """``" Lead  Agency/Officer: "`` → ``"lead agency / officer"``, for comparing headings."""
    words = re.sub(r"\s*/\s*", " / ", str(text or "")).strip().strip(":").lower()
    return " ".join(words.split())


HEADING_TO_KEY: dict[str, str] = {
    normalise_heading(name): field.key for field in FIELDS for name in (field.label, *field.aliases)
}


# -- our own format -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # as our own exports and the template write it
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("reference", "Ref", "Optional: 1.2.3 for priority 1, objective 2, action 3."),
    Column("priority", "Priority", "The priority's title. Leave blank to repeat the row above."),
    Column("theme", "Theme", "Optional: a theme of the priority, e.g. Domestic Abuse."),
    Column(
        "objective",
        "Strategic objective",
        "The objective's words. Leave blank to repeat the row above.",
    ),
    Column("action", "Action", "What will be done. Repeat it on each row that gives an update."),
    Column("outcomes", "Outcomes / measures", "The outcomes or measures, as written."),
    Column(
        "lead",
        "Lead agency / officer",
        'Organisations and officers: "Essex Police – Emma Clark", "RDC / CPBC + Police", '
        '"All partners".',
    ),
    Column(
        "lead_as_written",
        "Lead as written",
        "Optional: the plan's own words for who leads, kept exactly as written.",
    ),
    Column("timescale", "Timescale", 'As written: "Q1-4", "Q2 - Sept 16", "Ongoing".'),
    Column(
        "areas",
        "Districts covered",
        'Optional: the districts the action covers, "North, South"; blank or "All" for every '
        "district.",
    ),
    Column(
        "measure",
        "Measures / targets",
        'Optional: one measure per line, its target in brackets: "Residents visited (target: '
        '100)".',
    ),
    Column("district", "District", "Optional: the district an update is for."),
    Column("period", "Period", "The quarter of an update: 2016/17 Q1."),
    Column("status", "Status", 'Green / Amber / Red, "On track", "Complete", or R / A / G.'),
    Column("update", "Update", "The progress reported in that quarter."),
    Column("risks", "Risks / dependencies", "Risks and dependencies reported with the update."),
    Column(
        "figure",
        "Figures",
        'Optional: the quarter\'s figure for each measure, one per line: "Residents visited: 85".',
    ),
)
