"""The plan spreadsheet format: one row per action and update, in the columns plans already use.

A row holds an action (with its priority, theme and objective) and, optionally, one quarterly
update of it. Blank priority, theme or objective cells mean "the same as the row above", as
merged cells come out of Word and Excel. Headings are matched case- and spacing-insensitively
against each column's other names (Action / Actions / Aims; Lead / Owner / Responsible …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # as our own exports and the template write it
    aliases: tuple[str, ...]  # other headings people use, in any case and spacing
    required: bool = False
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "reference",
        "Ref",
        ("ref", "reference", "ref no", "no", "number"),
        help="Optional: 1.2.3 for priority 1, objective 2, action 3.",
    ),
    Column(
        "priority",
        "Priority",
        ("priority", "priorities", "strategic priority"),
        required=True,
        help="The priority's title. Leave blank to repeat the row above.",
    ),
    Column(
        "theme",
        "Theme",
        ("theme", "themes"),
        help="Optional: a theme of the priority, e.g. Domestic Abuse.",
    ),
    Column(
        "objective",
        "Strategic objective",
        ("strategic objective", "strategic objectives", "objective", "objectives"),
        required=True,
        help="The objective's words. Leave blank to repeat the row above.",
    ),
    Column(
        "action",
        "Action",
        ("action", "actions", "aims", "aim"),
        required=True,
        help="What will be done. Repeat it on each row that gives another update.",
    ),
    Column(
        "outcomes",
        "Outcomes / measures",
        ("outcomes / measures", "outcomes/measures", "outcomes", "outcome", "measures"),
        help="The outcomes or measures, as written.",
    ),
    Column(
        "lead",
        "Lead agency / officer",
        (
            "lead agency / officer",
            "lead agency/officer",
            "lead",
            "leads",
            "owner",
            "responsible",
            "lead officer",
            "lead agency",
            "agency",
        ),
        help='Organisations and officers: "Essex Police – Emma Clark", "RDC / CPBC + Police", '
        '"All partners", initials such as "HC/GB".',
    ),
    Column(
        "lead_as_written",
        "Lead as written",
        ("lead as written", "lead (as written)"),
        help="Optional: the plan's own words for who leads, kept exactly as written. Without "
        "this column the Lead agency / officer cell is kept as written too.",
    ),
    Column(
        "timescale",
        "Timescale",
        (
            "timescale",
            "timescales",
            "time-scale",
            "time scale",
            "target date",
            "completion date",
            "deadline",
        ),
        help='As written: "Q1-4", "Q2 - Sept 16", "Ongoing".',
    ),
    Column(
        "district",
        "District",
        ("district", "districts", "area", "locality"),
        help="Optional: the district an update is for; blank for the whole area.",
    ),
    Column(
        "period",
        "Period",
        ("period", "quarter", "reporting period"),
        help="The quarter of an update: 2016/17 Q1. Blank when the row gives no update.",
    ),
    Column(
        "status",
        "Status",
        ("status", "rag", "rag rating", "rag status"),
        help='Green / Amber / Red, "On track", "Complete", or R / A / G.',
    ),
    Column(
        "update",
        "Update",
        ("update", "updates", "progress", "progress update"),
        help="The progress reported in that quarter.",
    ),
    Column(
        "risks",
        "Risks / dependencies",
        (
            "risks / dependencies",
            "risks/dependencies",
            "risks",
            "dependencies",
            "risks and dependencies",
        ),
        help="Risks and dependencies reported with the update.",
    ),
)

BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED = tuple(column.key for column in COLUMNS if column.required)


def normalise_heading(text: object) -> str:
    """``" Lead  Agency/Officer: "`` → ``"lead agency / officer"``, for comparing headings."""
    words = re.sub(r"\s*/\s*", " / ", str(text or "")).strip().strip(":").lower()
    return " ".join(words.split())


HEADING_TO_KEY: dict[str, str] = {
    normalise_heading(name): column.key
    for column in COLUMNS
    for name in (column.heading, *column.aliases)
}
