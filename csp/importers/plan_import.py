"""Importing a plan spreadsheet: a preview of everything it would do, then one transaction.

``PlanImport(partnership, rows, ...)`` reads the rows through a ``mapping.Mapping`` (guessed
when none is given: our own export needs none) and works out, without writing anything, the
plan's priorities, objectives, actions, leads, measures and updates, what each lead name
becomes (``leads``), what would change in an existing plan, and every problem, tied to the
sheet's own row, column letter and heading. ``commit()`` writes it in one transaction with a
fixed number of queries per level, however long the sheet, and refuses while any problem is an
error, or if an update it would replace was changed after the preview: then nothing is written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from csp.importers import cells
from csp.importers.columns import BY_KEY, IGNORE, PER_PERIOD, normalise_heading
from csp.importers.leads import (
    KEEP,
    MEMBER,
    NEW,
    NEW_PREFIX,
    SITE,
    LeadChoice,
    NameGroup,
    apply_choices,
    group_names,
    name_key,
    organisation_key,
    use_site_matches,
)
from csp.importers.mapping import (
    ColumnInfo,
    Mapping,
    column_letter,
    guess_mapping,
    mapping_problems,
)
from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    ImportSettings,
    Measure,
    MeasureFigure,
    Membership,
    Officer,
    Organisation,
    OrganisationKind,
    Partnership,
    PeriodStatus,
    Plan,
    PlanStatus,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    StrategicObjective,
    Theme,
    UpdateState,
    UpdateStatus,
)
from csp.models.jobs import JobGivenUp
from csp.models.updates import PeriodLocked
from csp.quarters import FinancialQuarter, financial_year_label, financial_year_of

LEVEL_KEYS = ("priority", "theme", "objective")
FAR_OUTSIDE = 2  # financial years beyond the plan's span before a due quarter is queried
UNNAMED_PRIORITY = "Priority not named"
UNNAMED_OBJECTIVE = "Objective not named"
PREVIEW_ROWS = 200  # actions shown per priority in the preview
# The fields a cell goes into that have a length (Priority.title, Theme.title, Action.timescale).
LONGEST = {"priority": 300, "theme": 200, "timescale": 200}
MAX_LEAD_NAMES = 400  # names to decide on: a partnership has dozens of partners, not thousands


class ImportConflict(ValueError):
    """Something the import would replace changed after its preview."""


@dataclass
class Problem:
    row: int | None  # 1-based, as the spreadsheet numbers rows
    column: int | None  # 0-based index; shown as the sheet's letter
    heading: str  # the column's heading as the sheet writes it
    message: str
    is_error: bool = True

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"row {self.row}")
        if self.column is not None:
            heading = f" “{self.heading}”" if self.heading else ""
            where.append(f"column {column_letter(self.column)}{heading}")
        if not where:
            return self.message
        place = ", ".join(where)
        return f"{place[0].upper()}{place[1:]}: {self.message}"


@dataclass
class UpdateRow:
    row: int
    quarter: FinancialQuarter
    district: Any  # a District, or None for the whole area
    status: str
    progress: str
    risks: str
    figures: list[tuple[int, Decimal]] = field(default_factory=list)  # (measure index, value)
    change: str = "new"  # new, changed or same
    existing: QuarterlyUpdate | None = None

    @property
    def where(self) -> str:
        return self.quarter.label + (f" – {self.district.name}" if self.district else "")

    @property
    def status_label(self) -> str:
        return UpdateStatus(self.status).label


@dataclass
class ActionRow:
    """One action as the sheet gives it, with its updates."""

    row: int
    priority: str
    theme: str
    objective: str
    description: str
    outcomes: str = ""
    lead_text: str = ""
    officer_text: str = ""
    lead_as_written: str = ""
    timescale: str = ""
    due: FinancialQuarter | None = None
    reference: tuple[int, int, int] | None = None
    measures: list[tuple[str, str]] = field(default_factory=list)  # (description, target)
    areas: list[str] | None = None  # the districts covered, by name; None: the sheet says not
    parsed: cells.ParsedLeads | None = None
    leads: list[tuple[str | None, str | None, bool]] = field(default_factory=list)
    updates: list[UpdateRow] = field(default_factory=list)
    leads_shown: str = ""
    number: tuple[int, int, int] = (0, 0, 0)
    change: str = "new"
    existing: Action | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (_norm(self.priority), _norm(self.objective), _norm(self.description))

    @property
    def ref(self) -> str:
        return ".".join(str(n) for n in self.number)


@dataclass
class ObjectiveRow:
    title: str
    theme: str = ""
    actions: list[ActionRow] = field(default_factory=list)
    number: int = 0


@dataclass
class PriorityRow:
    title: str
    objectives: dict[str, ObjectiveRow] = field(default_factory=dict)
    number: int = 0

    @property
    def actions(self) -> list[ActionRow]:
        return [a for o in self.objectives.values() for a in o.actions]

    @property
    def shown(self) -> str:
        return self.title or UNNAMED_PRIORITY

    @property
    def preview(self) -> list[tuple[ObjectiveRow, ActionRow]]:
        """The first actions, for the preview: a page stays readable (and small) however long
        the sheet; the counts above it cover them all."""
        rows = [(o, a) for o in self.objectives.values() for a in o.actions]
        return rows[:PREVIEW_ROWS]

    @property
    def not_shown(self) -> int:
        return max(len(self.actions) - PREVIEW_ROWS, 0)


class PlanImport:
    def __init__(
        self,
        partnership: Partnership,
        rows: list[list[str]],
        *,
        plan_slug: str,
        plan_title: str = "",
        first_year: int | None = None,
        mapping: Mapping | None = None,
        header_row: int | None = None,
        leads: AnyMapping[str, LeadChoice] | None = None,
        use_site_organisations: bool = False,
        extend_span: bool = False,
        saved_mapping: AnyMapping[str, Any] | None = None,
        user: Any = None,
    ) -> None:
        self.partnership = partnership
        self.rows = rows
        self.plan = Plan.objects.filter(slug=plan_slug).first()
        self.plan_slug = plan_slug
        self.plan_title = plan_title or plan_slug
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.problems: list[Problem] = []
        self.actions: list[ActionRow] = []
        self.priorities: dict[str, PriorityRow] = {}
        self.groups: list[NameGroup] = []
        self.counts: Counter[str] = Counter()
        self.extend_span = extend_span
        self.span_offer: int | None = None  # a last year that would cover every due quarter
        self.fingerprint: list[tuple[int, int]] = []  # (update id, version) it replaces
        self.new_officers: list[tuple[str, str]] = []  # (organisation key, name)
        if self.plan is not None and self.plan.partnership_id != partnership.pk:
            self.error(None, None, f"The plan “{plan_slug}” belongs to another partnership.")
            self.mapping = mapping or Mapping(header_row=0)
            self.columns: list[ColumnInfo] = []
            self.header_reason = ""
            return
        self.first_year = first_year or (self.plan.first_year if self.plan else None)
        self.last_year = self.plan.last_year if self.plan else None
        self.districts = list(partnership.districts.all())
        district_names = [d.name for d in self.districts]
        guessed, self.columns, self.header_reason = guess_mapping(
            rows,
            header_row=mapping.header_row if mapping else header_row,
            districts=district_names,
            default_year=self.first_year,
            saved=saved_mapping,
        )
        self.guessed_mapping = guessed
        self.mapping = mapping or guessed
        errors, notes = mapping_problems(self.mapping, self.columns)
        for message in errors:
            self.error(None, None, message)
        for message in notes:
            self.warn(None, None, message)
        if errors:
            return
        self._load_directory()
        self._read()
        self._resolve_leads(leads or {}, use_site_organisations)
        if not self.problems_that_stop:
            self._span()
            self._number_and_compare()
            self._count()

    # -- results ----------------------------------------------------------------------------

    @property
    def problems_that_stop(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.problems_that_stop

    @property
    def summary(self) -> list[tuple[str, int]]:
        """What the import holds, as (what, how many) in a fixed order, for people to read."""
        order = ["priorities", "objectives", "actions", "leads", "measures", "updates", "periods"]
        order += sorted(k for k in self.counts if k not in order)
        return [(name, self.counts[name]) for name in order if name in self.counts]

    @property
    def years_label(self) -> str:
        if not self.first_year or not self.last_year:
            return ""
        if self.first_year == self.last_year:
            return financial_year_label(self.first_year)
        return f"{financial_year_label(self.first_year)} to {financial_year_label(self.last_year)}"

    @property
    def span_offer_label(self) -> str:
        return financial_year_label(self.span_offer) if self.span_offer else ""

    @property
    def new_organisations(self) -> list[str]:
        return list(
            dict.fromkeys(
                g.choice.name for g in self.groups if g.choice is not None and g.choice.use == NEW
            )
        )

    @property
    def no_changes(self) -> bool:
        """Into an existing plan: the sheet says nothing the plan does not already say."""
        return (
            self.plan is not None
            and self.ok
            and not self.counts["new actions"]
            and not self.counts["actions changing"]
            and not self.counts["new updates"]
            and not self.counts["updates changing"]
            and not self.counts["new priorities"]
            and not self.counts["new objectives"]
        )

    def lead_cells(self) -> list[tuple[str, str, int]]:
        """Every distinct lead text → what it becomes (as words), and how many actions."""
        found: dict[str, tuple[str, int]] = {}
        for action in self.actions:
            text = action.lead_as_written or action.lead_text
            if not text:
                continue
            shown, count = found.get(text, (self.describe_leads(action), 0))
            found[text] = (shown, count + 1)
        return [(text, shown, count) for text, (shown, count) in found.items()]

    def describe_leads(self, action: ActionRow) -> str:
        parts = []
        for org, officer, all_partners in action.leads:
            if all_partners:
                parts.append("All partners")
                continue
            name = self._organisation_name(org)
            parts.append(f"{name} – {officer}" if officer else name)
        return "; ".join(parts) or "No lead: kept as written only"

    def _organisation_name(self, key: str | None) -> str:
        if key and key.startswith(NEW_PREFIX):
            for group in self.groups:
                if group.choice and organisation_key(group.choice) == key:
                    return f"{group.choice.name} (new)"
        return self.organisation_names.get(key or "", key or "")

    def error(self, row: int | None, where: str | int | None, message: str) -> None:
        self.problems.append(Problem(row, *self._column(where), message, True))

    def warn(self, row: int | None, where: str | int | None, message: str) -> None:
        self.problems.append(Problem(row, *self._column(where), message, False))

    def _column(self, where: str | int | None) -> tuple[int | None, str]:
        """A field key or a column index → (index, heading as written)."""
        if where is None:
            return None, ""
        index = where if isinstance(where, int) else self.mapping.first(where)
        if index is None:
            return None, BY_KEY[where].label if isinstance(where, str) and where in BY_KEY else ""
        headings = self.rows[self.mapping.header_row] if self.rows else []
        heading = " ".join(headings[index].split()) if index < len(headings) else ""
        return index, heading

    # -- reading ----------------------------------------------------------------------------

    def _load_directory(self) -> None:
        """Who leads can be read as: the partnership's own organisations and officers, which
        leads match by themselves, and the site's other organisations that the lead cells
        seem to name, which help split a cell ("Essex Police – Emma Clark") but are only
        ever offered: each becomes a name the coordinator decides on."""
        member_ids = set(self.partnership.organisations.values_list("pk", flat=True))
        self.members: list[cells.KnownOrganisation] = []
        self.site: list[cells.KnownOrganisation] = []
        self.organisation_names: dict[str, str] = {}
        site_ids = {}
        for pk, slug, name, short in Organisation.objects.values_list(
            "pk", "slug", "name", "short_name"
        ):
            known = cells.KnownOrganisation(slug, name, short)
            if pk in member_ids:
                self.members.append(known)
            else:
                self.site.append(known)
                site_ids[slug] = pk
            self.organisation_names[slug] = name
        self.member_slugs = {m.slug for m in self.members}
        # Site organisations every word of whose name (or whose short name) is in a lead
        # cell: a token lookup each, so a national site's thousands cost little.
        column = self.mapping.first("lead")
        words: set[str] = set()
        if column is not None:
            for row in self.rows[self.mapping.header_row + 1 :]:
                if column < len(row) and row[column]:
                    words.update(name_key(row[column]).split())
        named = [
            org
            for org in self.site
            if set(name_key(org.name).split()) <= words
            or (org.short_name and set(name_key(org.short_name).split()) <= words)
        ]
        officers = list(
            Officer.objects.filter(organisation__in=member_ids).values_list(
                "name", "initials", "organisation__slug"
            )
        )
        site_officers = [
            (name, "", slug)
            for name, slug in Officer.objects.filter(
                organisation__in=[site_ids[o.slug] for o in named]
            ).values_list("name", "organisation__slug")
        ]
        self.officer_names = {
            (slug, name.casefold()): name for name, _, slug in [*officers, *site_officers]
        }
        self.directory = cells.LeadDirectory(
            organisations=[*self.members, *named], officers=[*officers, *site_officers]
        )

    def _read(self) -> None:
        mapping = self.mapping
        single = {
            key: mapping.first(key)
            for key in (
                "reference",
                "priority",
                "theme",
                "objective",
                "action",
                "outcomes",
                "lead",
                "lead_officer",
                "lead_as_written",
                "timescale",
                "district",
                "areas",
                "period",
                "measure",
                "target",
            )
        }
        # Per-quarter columns, grouped: each (quarter, district) group is one update per row.
        groups: dict[tuple[FinancialQuarter | None, str], dict[str, int]] = {}
        for index, choice in sorted(mapping.columns.items()):
            if choice.key in PER_PERIOD:
                groups.setdefault((choice.period, choice.district), {})[choice.key] = index
        if self.first_year is None:
            self.first_year = self._first_year_from(groups, single["period"])
        districts = {d.name.casefold(): d for d in self.districts}
        above = dict.fromkeys(LEVEL_KEYS, "")
        by_identity: dict[tuple[str, str, str], ActionRow] = {}
        seen_updates: dict[tuple[tuple[str, str, str], FinancialQuarter, str], int] = {}
        seen_rows: dict[tuple[str, ...], int] = {}
        parsed_cache: dict[str, cells.ParsedLeads | str] = {}
        self.mentions: dict[str, list[int]] = {}
        self.roles: set[str] = set()
        last_action: ActionRow | None = None

        for index in range(mapping.header_row + 1, len(self.rows)):
            number = index + 1
            raw = self.rows[index]
            if not any(cell.strip() for cell in raw):
                continue

            def cell(position: int | None, raw: list[str] = raw) -> str:
                return raw[position].strip() if position is not None and position < len(raw) else ""

            values = {key: cell(position) for key, position in single.items()}
            if self._too_long(number, values):
                continue
            whole = tuple(
                cell(i) for i in sorted(mapping.columns) if mapping.columns[i].key != IGNORE
            )
            if not any(whole):
                continue
            if whole in seen_rows:
                self.error(number, None, f"this row repeats row {seen_rows[whole]} exactly.")
                continue
            seen_rows[whole] = number
            # Merged cells come out blank: carry them down. A new priority starts afresh.
            if values["priority"] and _norm(values["priority"]) != _norm(above["priority"]):
                above = dict.fromkeys(LEVEL_KEYS, "")
            for key in LEVEL_KEYS:
                if values[key]:
                    above[key] = values[key]
                else:
                    values[key] = above[key]
            missing = [
                key
                for key in ("priority", "objective")
                if single[key] is not None and not values[key]
            ]
            for key in missing:
                self.error(number, key, "no value here or in a row above.")
            if missing:
                continue
            if values["period"]:
                try:
                    cells.parse_period(values["period"], self.first_year)
                except ValueError as error:
                    self.error(number, "period", str(error))
                    continue
            update_cells = {
                place: {key: cell(position) for key, position in columns.items()}
                for place, columns in groups.items()
            }
            has_update = any(any(v for v in found.values()) for found in update_cells.values())
            if not values["action"]:
                follows = (
                    last_action is not None
                    and _norm(last_action.priority) == _norm(values["priority"])
                    and _norm(last_action.objective) == _norm(values["objective"])
                )
                gives_update = has_update or values["district"] or values["period"]
                if follows and gives_update:
                    # The action's cell was merged over several rows of updates.
                    action = last_action
                    assert action is not None
                elif gives_update:
                    self.error(
                        number,
                        "action",
                        "this row gives an update but no action: every row needs an action, "
                        "or an action just above it to add to.",
                    )
                    continue
                else:
                    self._level_only(number, values)
                    continue
            else:
                identity = (
                    _norm(values["priority"]),
                    _norm(values["objective"]),
                    _norm(values["action"]),
                )
                action = by_identity.get(identity)
                if action is None:
                    action = self._new_action(number, values, parsed_cache)
                    by_identity[identity] = action
                    self.actions.append(action)
                    self._place(action)
            last_action = action
            columns_of = self._share_statuses(update_cells, groups)
            for (column_period, column_district), found in update_cells.items():
                if any(found.values()):
                    self._read_update(
                        number,
                        values,
                        found,
                        columns_of[(column_period, column_district)],
                        action,
                        column_period,
                        column_district,
                        districts,
                        seen_updates,
                    )

    @staticmethod
    def _share_statuses(
        found: dict[tuple[FinancialQuarter | None, str], dict[str, str]],
        groups: dict[tuple[FinancialQuarter | None, str], dict[str, int]],
    ) -> dict[tuple[FinancialQuarter | None, str], dict[str, int]]:
        """One status (or risks) column for a quarter whose updates are given by district ("Q1
        RAG" beside "Q1 North update", "Q1 South update"): in a row where the whole area has
        only those, they belong to the row's district updates for the quarter, not to an update
        of the whole area. The status goes to each district update without one; risks written
        "South: ..." to South's, other lines to each. Changes ``found`` in place; returns each
        group's columns, the shared columns added, for messages to name."""
        columns_of = dict(groups)
        shared_keys = ("status", "risks")
        for (quarter, district), cells_ in found.items():
            if district or not any(cells_.get(key) for key in shared_keys):
                continue
            if any(value for key, value in cells_.items() if key not in shared_keys):
                continue
            siblings = [
                place
                for place, other in found.items()
                if place[0] == quarter and place[1] and any(other.values())
            ]
            if not siblings:
                continue
            risks: dict[str, list[str]] = {}
            for line in cells_.get("risks", "").splitlines():
                name, sep, rest = line.partition(":")
                to = next(
                    (p[1] for p in siblings if sep and p[1].casefold() == name.strip().casefold()),
                    "",
                )
                risks.setdefault(to, []).append(rest.strip() if to else line)
            for place in siblings:
                given = {
                    "status": cells_.get("status", ""),
                    "risks": "\n".join(risks.get(place[1], []) + risks.get("", [])),
                }
                for key, value in given.items():
                    if value and not found[place].get(key):
                        found[place][key] = value
                        columns_of[place] = {**columns_of[place], key: groups[(quarter, "")][key]}
            found[(quarter, district)] = dict.fromkeys(cells_, "")
        return columns_of

    def _too_long(self, number: int, values: dict[str, str]) -> bool:
        """A cell longer than its field holds: said here, not a database error at commit."""
        found = False
        for key, limit in LONGEST.items():
            if len(values.get(key, "")) > limit:
                self.error(
                    number,
                    key,
                    f"this {BY_KEY[key].label.lower()} is {len(values[key]):,} characters long, "
                    f"more than the {limit} one can have: is this the right column?",
                )
                found = True
        return found

    def _first_year_from(
        self, groups: Iterable[tuple[FinancialQuarter | None, str]], period_column: int | None
    ) -> int:
        """A new plan's first year when none was given: its earliest quarter named anywhere."""
        years = [p.year for p, _ in groups if p is not None]
        if self.mapping.period:
            years.append(self.mapping.period.year)
        if period_column is not None:
            for row in self.rows[self.mapping.header_row + 1 :]:
                text = row[period_column] if period_column < len(row) else ""
                try:
                    quarter = cells.parse_period(text, None) if text.strip() else None
                except ValueError:
                    continue
                if quarter:
                    years.append(quarter.year)
        return min(years, default=financial_year_of(timezone.localdate()))

    def _level_only(self, number: int, values: dict[str, str]) -> None:
        """A row naming a priority or objective with no action: kept, with no actions."""
        if not (values["priority"] or values["objective"]):
            self.error(
                number, "action", "this row gives no action, and no action above it to add to."
            )
            return
        priority = self.priorities.setdefault(
            _norm(values["priority"]), PriorityRow(values["priority"])
        )
        if values["objective"]:
            priority.objectives.setdefault(
                _norm(values["objective"]), ObjectiveRow(values["objective"], values["theme"])
            )

    def _place(self, action: ActionRow) -> None:
        priority = self.priorities.setdefault(_norm(action.priority), PriorityRow(action.priority))
        objective = priority.objectives.setdefault(
            _norm(action.objective), ObjectiveRow(action.objective, action.theme)
        )
        objective.actions.append(action)

    def _new_action(
        self, number: int, values: dict[str, str], parsed_cache: dict[str, Any]
    ) -> ActionRow:
        action = ActionRow(
            row=number,
            priority=values["priority"],
            theme=values["theme"],
            objective=values["objective"],
            description=values["action"],
            outcomes=values["outcomes"],
            lead_text=values["lead"],
            officer_text=values["lead_officer"],
        )
        # A "Lead as written" column (our own exports) is the plan's words, blank or not; else
        # the lead cells are kept as written.
        if self.mapping.first("lead_as_written") is not None:
            written = values["lead_as_written"]
        else:
            written = " – ".join(x for x in (values["lead"], values["lead_officer"]) if x)
        action.lead_as_written = written
        if values["reference"]:
            action.reference = self._reference(number, values["reference"])
        if values["timescale"]:
            try:
                action.timescale, action.due = cells.parse_timescale(
                    values["timescale"], self.first_year
                )
            except ValueError as error:
                self.error(
                    number, "timescale", f"{error} Correct the cell, or map the column to “Ignore”."
                )
        action.measures = self._measures(number, values["measure"], values["target"])
        if self.mapping.first("areas") is not None:
            try:
                action.areas = cells.parse_districts(
                    values["areas"], [d.name for d in self.districts]
                )
            except ValueError as error:
                self.error(number, "areas", str(error))
        if action.lead_text:
            parsed = parsed_cache.get(action.lead_text)
            if parsed is None:
                try:
                    parsed = cells.parse_leads(action.lead_text, self.directory)
                except ValueError as error:
                    parsed = str(error)
                parsed_cache[action.lead_text] = parsed
            if isinstance(parsed, str):
                self.error(number, "lead", parsed)
            else:
                action.parsed = parsed
                for lead in parsed.leads:
                    slug = lead.organisation_slug
                    if slug is not None and slug not in self.member_slugs:
                        self.mentions.setdefault(self.organisation_names[slug], []).append(number)
                for name in parsed.unknown:
                    self.mentions.setdefault(name, []).append(number)
                for role in parsed.roles:
                    self.roles.add(role)
                    self.mentions.setdefault(role, []).append(number)
                if parsed.ignored:
                    self.warn(
                        number,
                        "lead",
                        "these words were not read as leads: "
                        + "; ".join(f"“{w}”" for w in parsed.ignored)
                        + ".",
                    )
        return action

    def _reference(self, number: int, text: str) -> tuple[int, int, int] | None:
        parts = [int(p) for p in re.findall(r"[0-9]+", text)][:4]
        if len(parts) == 3:
            return (parts[0], parts[1], parts[2])
        if len(parts) == 2 and self.mapping.first("objective") is None:
            return (parts[0], 1, parts[1])
        self.warn(
            number,
            "reference",
            f"“{text}” is not a reference like 1.2.3, so the action is numbered in sheet order.",
        )
        return None

    def _measures(self, number: int, measures: str, targets: str) -> list[tuple[str, str]]:
        found = []
        for line in _lines(measures):
            match = _MEASURE_TARGET.fullmatch(line)
            found.append((match[1].strip(), match[2].strip()) if match else (line, ""))
        target_lines = _lines(targets)
        if found and target_lines:
            if len(target_lines) != len(found):
                self.warn(
                    number,
                    "target",
                    f"{len(target_lines)} targets for {len(found)} measures: each target is "
                    "matched to the measure on the same line.",
                )
            found = [
                (description, given or (target_lines[i] if i < len(target_lines) else ""))
                for i, (description, given) in enumerate(found)
            ]
        elif target_lines:
            found = [(line, line) for line in target_lines]
        return [(d[:300], t[:300]) for d, t in found]

    def _read_update(
        self,
        number: int,
        values: dict[str, str],
        found: dict[str, str],
        columns: dict[str, int],
        action: ActionRow,
        column_period: FinancialQuarter | None,
        column_district: str,
        districts: dict[str, Any],
        seen_updates: dict[Any, int],
    ) -> None:
        first_column = min(columns.values()) if columns else None
        quarter = column_period
        if quarter is None and values["period"]:
            try:
                quarter = cells.parse_period(values["period"], self.first_year)
            except ValueError as error:
                self.error(number, "period", str(error))
                return
        quarter = quarter or self.mapping.period
        if quarter is None:
            self.error(
                number,
                first_column if first_column is not None else "period",
                "this update has no quarter: map a Period column, give the column its own "
                "quarter, or choose one quarter for the whole sheet.",
            )
            return
        try:
            status = cells.parse_status(found.get("status", "")) or UpdateStatus.NOT_GIVEN
        except ValueError as error:
            self.error(number, columns.get("status"), str(error))
            return
        district = None
        district_name = column_district or values["district"]
        if district_name:
            district = districts.get(district_name.casefold())
            if district is None:
                known = ", ".join(sorted(d.name for d in districts.values())) or "none"
                self.error(
                    number,
                    "district",
                    f"“{district_name}” is not one of the partnership's districts ({known}).",
                )
                return
        figures = self._figures(number, found.get("figure", ""), columns.get("figure"), action)
        key = (action.identity, quarter, district.name if district else "")
        if key in seen_updates:
            where = f" in {district.name}" if district else ""
            self.error(
                number,
                first_column,
                f"row {seen_updates[key]} already gives this action's update for "
                f"{quarter.label}{where}.",
            )
            return
        seen_updates[key] = number
        action.updates.append(
            UpdateRow(
                row=number,
                quarter=quarter,
                district=district,
                status=status,
                progress=found.get("update", ""),
                risks=found.get("risks", ""),
                figures=figures,
            )
        )

    def _figures(
        self, number: int, text: str, column: int | None, action: ActionRow
    ) -> list[tuple[int, Decimal]]:
        """Each line of a figure cell against its measure: by name ("Visits: 85") or line."""
        figures = []
        names = [_norm(d) for d, _ in action.measures]
        for position, line in enumerate(_lines(text)):
            label, _, value = line.rpartition(":")
            index = names.index(_norm(label)) if label and _norm(label) in names else position
            try:
                amount = parse_number(value if label else line)
            except ValueError:
                self.error(
                    number,
                    column,
                    f"“{line}” is not a number: write figures such as 85, 85% or 1,200.",
                )
                continue
            if not action.measures:
                self.warn(
                    number,
                    column,
                    "a figure is given but the action has no measure, so it is not imported.",
                )
                return []
            if index >= len(action.measures):
                self.error(number, column, f"figure “{line}” has no measure to go with.")
                continue
            figures.append((index, amount))
        return figures

    # -- leads ------------------------------------------------------------------------------

    def _resolve_leads(self, choices: AnyMapping[str, LeadChoice], use_site: bool) -> None:
        if len(self.mentions) > MAX_LEAD_NAMES:
            self.error(
                None,
                "lead",
                f"the lead cells name {len(self.mentions):,} bodies that are not the "
                "partnership's organisations, far more than a partnership has: check that "
                "this is the column of who leads, or map it to “Ignore”.",
            )
            return
        self.groups = group_names(self.mentions, self.members, self.site, self.roles)
        apply_choices(self.groups, choices, members=self.members, site=self.site)
        if use_site:
            apply_choices(
                self.groups, use_site_matches(self.groups), members=self.members, site=self.site
            )
        by_name = {name: group for group in self.groups for name in group.names}
        for group in self.groups:
            if group.choice is None:
                self.error(None, "lead", group.problem or f"Say what “{group.shown}” is.")
        for action in self.actions:
            action.leads = self._leads_of(action, by_name)
            action.leads_shown = self.describe_leads(action)

    def _leads_of(
        self, action: ActionRow, by_name: dict[str, NameGroup]
    ) -> list[tuple[str | None, str | None, bool]]:
        parsed = action.parsed
        leads: list[tuple[str | None, str | None, bool]] = []
        if parsed is not None:
            for lead in parsed.leads:
                org = lead.organisation_slug
                if org is None or org in self.member_slugs:
                    leads.append((org, lead.officer_name, lead.all_partners))
                    continue
                # An organisation elsewhere on the site: whatever the coordinator chose.
                group = by_name.get(self.organisation_names[org])
                key = organisation_key(group.choice) if group and group.choice else None
                if key:
                    leads.append((key, lead.officer_name, False))
            for name in parsed.unknown:
                group = by_name.get(name)
                key = organisation_key(group.choice) if group and group.choice else None
                if key:
                    leads.append((key, None, False))
        officers = [r for r in (parsed.roles if parsed else [])]
        officers += [
            n for n in re.split(r"\s*(?:[/;,\n]|\band\b)\s*", action.officer_text) if n.strip()
        ]
        if officers:
            first = next(
                (
                    i
                    for i, (org, officer, every) in enumerate(leads)
                    if org and not officer and not every
                ),
                None,
            )
            if first is None:
                if action.officer_text:
                    self.warn(
                        action.row,
                        "lead_officer",
                        f"“{action.officer_text}” has no organisation in this row to belong to, "
                        "so it is kept as written only.",
                    )
            else:
                org = leads[first][0]
                assert org is not None
                name = officers[0][:150]
                known = self.officer_names.get((org, name.casefold()))
                if known is None:
                    self.officer_names[(org, name.casefold())] = name
                    self.new_officers.append((org, name))
                leads[first] = (org, known or name, False)
        unique = list(dict.fromkeys(leads))
        return unique

    # -- plan span, numbering and changes ---------------------------------------------------

    def _span(self) -> None:
        quarters = {u.quarter for a in self.actions for u in a.updates}
        first = self.first_year or financial_year_of(timezone.localdate())
        if self.plan is None:
            self.first_year = min([first, *(q.year for q in quarters)])
            self.last_year = max([first, *(q.year for q in quarters)])
        else:
            self.first_year = min([self.plan.first_year, *(q.year for q in quarters)])
            self.last_year = max([self.plan.last_year, *(q.year for q in quarters)])
        dues = [a.due.year for a in self.actions if a.due]
        if dues and max(dues) > self.last_year:
            self.span_offer = max(dues)
            if self.extend_span:
                self.last_year = max(dues)
        for action in self.actions:
            if action.due and not (
                self.first_year - FAR_OUTSIDE <= action.due.year <= self.last_year + FAR_OUTSIDE
            ):
                self.warn(
                    action.row,
                    "timescale",
                    f"“{action.timescale}” is due in {action.due.label}, far outside the plan's "
                    f"years ({financial_year_label(self.first_year)} to "
                    f"{financial_year_label(self.last_year)}): check it.",
                )

    def _number_and_compare(self) -> None:
        """Numbers for what is new (after what the plan has), and what changes in an existing
        plan, from one read of the plan: a fixed number of queries however long the sheet."""
        existing = _ExistingPlan(self.plan)
        self.existing = existing
        taken_priorities = {p.number for p in existing.priorities.values()}
        for key, priority in self.priorities.items():
            found = existing.priorities.get(key)
            if found is not None:
                priority.number = found.number
                continue
            wanted = next((a.reference[0] for a in priority.actions if a.reference), None)
            priority.number = _free(wanted, taken_priorities)
            if self.plan is not None:
                self.counts["new priorities"] += 1
        for pkey, priority in self.priorities.items():
            taken_objectives = {o.number for (p, _), o in existing.objectives.items() if p == pkey}
            for okey, objective in priority.objectives.items():
                found = existing.objectives.get((pkey, okey))
                if found is not None:
                    objective.number = found.number
                else:
                    wanted = next((a.reference[1] for a in objective.actions if a.reference), None)
                    objective.number = _free(wanted, taken_objectives)
                    if self.plan is not None:
                        self.counts["new objectives"] += 1
                taken_actions = set(existing.action_numbers.get((pkey, okey), set()))
                for action in objective.actions:
                    found_action = existing.actions.get(action.identity)
                    if found_action is not None:
                        action.existing = found_action
                        action.number = (priority.number, objective.number, found_action.number)
                    else:
                        wanted = action.reference[2] if action.reference else None
                        action.number = (
                            priority.number,
                            objective.number,
                            _free(wanted, taken_actions),
                        )
        for action in self.actions:
            self._compare(action, existing)

    def _compare(self, action: ActionRow, existing: _ExistingPlan) -> None:
        found = action.existing
        if found is None:
            action.change = "new"
        else:
            fields = self._action_fields(action)
            same = all(getattr(found, k) == v for k, v in fields.items())
            same = same and existing.leads_of(found) == action.leads
            same = same and (not action.measures or existing.measures_of(found) == action.measures)
            same = same and (
                action.areas is None or existing.areas_of(found) == sorted(action.areas)
            )
            action.change = "same" if same else "changed"
        for update in action.updates:
            period = existing.periods.get(update.quarter)
            stored = (
                existing.updates.get(
                    (found.pk, period.pk, update.district.pk if update.district else None)
                )
                if found is not None and period is not None
                else None
            )
            update.existing = stored
            if stored is None:
                update.change = "new"
            else:
                same = (stored.status, stored.progress, stored.risks) == (
                    update.status,
                    update.progress,
                    update.risks,
                ) and (
                    not update.figures
                    or existing.figures_of(stored) == self._figure_values(action, update)
                )
                update.change = "same" if same else "changed"
            if update.change != "same" and period is not None and period.is_locked:
                self.error(
                    update.row,
                    None,
                    f"{update.quarter.label} was reported to committee, so its updates can't be "
                    "changed by an import: take the row out, or ask the coordinator for an "
                    "amendment.",
                )
            if update.change == "changed" and stored is not None:
                self.fingerprint.append((stored.pk, stored.version))
                if (
                    stored.state != UpdateState.ACCEPTED
                    and period is not None
                    and period.status == PeriodStatus.OPEN
                ):
                    by = existing.authors.get(stored.author_id, "an officer")
                    self.warn(
                        update.row,
                        None,
                        f"this replaces {by}'s {stored.get_state_display().lower()} update for "
                        f"{action.ref} {update.where}, which is still open for updates.",
                    )

    def _figure_values(self, action: ActionRow, update: UpdateRow) -> list[tuple[str, Decimal]]:
        return sorted((_norm(action.measures[i][0]), v) for i, v in update.figures)

    def _action_fields(self, action: ActionRow) -> dict[str, Any]:
        return {
            "outcomes": action.outcomes,
            "lead_as_written": action.lead_as_written,
            "timescale": action.timescale,
            "due_year": action.due.year if action.due else None,
            "due_quarter": action.due.quarter if action.due else None,
        }

    def _count(self) -> None:
        self.counts["priorities"] = len(self.priorities)
        self.counts["objectives"] = sum(len(p.objectives) for p in self.priorities.values())
        self.counts["actions"] = len(self.actions)
        self.counts["leads"] = sum(len(a.leads) for a in self.actions)
        self.counts["measures"] = sum(len(a.measures) for a in self.actions)
        self.counts["updates"] = sum(len(a.updates) for a in self.actions)
        self.counts["periods"] = len({u.quarter for a in self.actions for u in a.updates})
        if self.new_organisations:
            self.counts["new organisations"] = len(self.new_organisations)
        if self.plan is not None:
            for action in self.actions:
                self.counts[
                    {
                        "new": "new actions",
                        "changed": "actions changing",
                        "same": "actions unchanged",
                    }[action.change]
                ] += 1
                for update in action.updates:
                    self.counts[
                        {
                            "new": "new updates",
                            "changed": "updates changing",
                            "same": "updates unchanged",
                        }[update.change]
                    ] += 1

    def remember_choices(self) -> None:
        """Keep this import's mapping and lead choices for the partnership's next import."""
        headings = self.rows[self.mapping.header_row] if self.rows else []
        ImportSettings.remember(
            self.partnership,
            {
                normalise_heading(headings[i]): choice.as_json(headings[i])
                for i, choice in self.mapping.columns.items()
                if i < len(headings) and headings[i].strip()
            },
            {
                group.key: group.choice.as_json()
                for group in self.groups
                if group.choice is not None and group.choice.use in (MEMBER, SITE, KEEP)
            },
            self.user,
        )

    # -- writing ----------------------------------------------------------------------------

    def commit(
        self,
        *,
        confirm_new_organisations: bool = False,
        fingerprint: Any = None,
        progress: Callable[[str], None] | None = None,
        finish: Callable[[Plan], bool] | None = None,
    ) -> Plan:
        """Write everything in one transaction; refuse while there are errors.

        ``fingerprint`` is ``self.fingerprint`` as the preview showed it: if an update the
        import would replace has moved on since, nothing is written (``ImportConflict``).
        ``progress(text)`` hears each stage; ``finish(plan)``, called last inside the
        transaction, may refuse the import by returning False (a background job given up
        meanwhile): then nothing is written (``JobGivenUp``).
        """
        if not self.ok:
            raise ValueError("The spreadsheet has problems to fix first; nothing was written.")
        if self.new_organisations and not confirm_new_organisations:
            raise ValueError(
                "Confirm the new organisations ("
                + ", ".join(self.new_organisations)
                + ") before importing; nothing was written."
            )
        if fingerprint is not None and [tuple(x) for x in fingerprint] != self.fingerprint:
            raise ImportConflict(
                "The plan changed after you checked the import (an update was saved meanwhile): "
                "check the import again. Nothing was written."
            )
        self._progress = progress or (lambda text: None)
        try:
            with transaction.atomic():
                plan = self._write()
                if finish is not None and not finish(plan):
                    raise JobGivenUp
                return plan
        except PeriodLocked as locked:
            raise ValueError(
                f"Nothing was imported: {locked.messages[0]} Take that quarter's rows out of the "
                "sheet, or ask for an amendment."
            ) from None
        except IntegrityError:
            raise ImportConflict(
                "Something the import would create was created meanwhile (perhaps the same "
                "import, sent twice): check the import again. Nothing was written."
            ) from None

    def _write(self) -> Plan:
        now = timezone.now()
        history = {"default_user": self.user, "default_date": now}
        plan = self.plan
        if plan is None:
            plan = Plan(
                partnership=self.partnership,
                slug=self.plan_slug,
                title=self.plan_title,
                first_year=self.first_year,
                last_year=self.last_year,
                status=PlanStatus.DRAFT,
            )
            bulk_create_with_history([plan], Plan, **history)
        elif (plan.first_year, plan.last_year) != (self.first_year, self.last_year):
            plan.first_year, plan.last_year = self.first_year, self.last_year
            bulk_update_with_history([plan], Plan, ["first_year", "last_year"], **history)
        # Versions of what it replaces, under the row locks of this transaction.
        if self.fingerprint:
            current = dict(
                QuarterlyUpdate.objects.select_for_update()
                .filter(pk__in=[pk for pk, _ in self.fingerprint])
                .order_by("pk")  # not the default ordering: its outer join can't be locked
                .values_list("pk", "version")
            )
            if any(current.get(pk) != version for pk, version in self.fingerprint):
                raise ImportConflict(
                    "An update the import would replace was saved by someone else while it ran: "
                    "check the import again. Nothing was written."
                )
        self._progress("Writing the organisations and officers")
        organisations = self._write_organisations(history)
        officers = self._write_officers(organisations)
        self._progress("Writing the priorities and objectives")
        objectives = self._write_levels(plan, history)
        self._progress(f"Writing {len(self.actions):,} actions")
        actions = self._write_actions(objectives, organisations, officers, history)
        updates = sum(len(a.updates) for a in self.actions)
        self._progress(f"Writing {updates:,} updates")
        self._write_updates(plan, actions, history)
        return plan

    def _write_organisations(self, history: dict[str, Any]) -> dict[str, Organisation]:
        wanted = {
            organisation_key(g.choice): g.choice
            for g in self.groups
            if g.choice is not None and g.choice.use in (MEMBER, SITE, NEW)
        }
        slugs = {k for k in wanted if k and not k.startswith(NEW_PREFIX)}
        slugs |= {
            org
            for a in self.actions
            for org, _, _ in a.leads
            if org and not org.startswith(NEW_PREFIX)
        }
        organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=slugs)}
        bases = {_new_slug(c.name)[:76] for c in wanted.values() if c.use == NEW}
        near = Q()
        for base in bases:
            near |= Q(slug__startswith=base)
        taken = (
            set(Organisation.objects.filter(near).values_list("slug", flat=True))
            if bases
            else set()
        )
        created = []
        for key, choice in wanted.items():
            if choice.use != NEW or key in organisations:
                continue
            slug = _new_slug(choice.name)
            base, n = slug, 2
            while slug in taken:
                slug = f"{base[:76]}-{n}"
                n += 1
            taken.add(slug)
            organisation = Organisation(
                name=choice.name,
                slug=slug,
                short_name=choice.short_name,
                kind=OrganisationKind.OTHER,
            )
            created.append(organisation)
            organisations[key] = organisation
        if created:
            Organisation.objects.bulk_create(created)
            self.counts["organisations created"] = len(created)
        # Every organisation that leads here is now one of the partnership's members.
        members = set(self.partnership.organisations.values_list("pk", flat=True))
        joining = [
            o for o in {o.pk: o for o in organisations.values()}.values() if o.pk not in members
        ]
        Membership.objects.bulk_create(
            [Membership(partnership=self.partnership, organisation=o) for o in joining]
        )
        return organisations

    def _write_officers(
        self, organisations: dict[str, Organisation]
    ) -> dict[tuple[int, str], Officer]:
        """Officers the leads name, by (organisation id, name in any case); new ones made."""
        wanted = {org for org, _ in self.new_officers} | {
            org for a in self.actions for org, officer, _ in a.leads if officer and org
        }
        ids = [organisations[k].pk for k in wanted if k in organisations]
        officers = {
            (o.organisation_id, o.name.casefold()): o
            for o in Officer.objects.filter(organisation__in=ids)
        }
        created = []
        for org, name in self.new_officers:
            organisation = organisations.get(org)
            if organisation is None or (organisation.pk, name.casefold()) in officers:
                continue
            officer = Officer(
                organisation=organisation,
                name=name,
                job_title=name if cells.is_job_role(name) else "",
            )
            officers[(organisation.pk, name.casefold())] = officer
            created.append(officer)
        Officer.objects.bulk_create(created)
        return officers

    def _write_levels(self, plan: Plan, history: dict[str, Any]):  # type: ignore[no-untyped-def]
        existing = self.existing
        priorities: dict[str, Priority] = {}
        new_priorities = []
        for key, row in self.priorities.items():
            found = existing.priorities.get(key)
            if found is None:
                found = Priority(plan=plan, number=row.number, title=row.title)
                new_priorities.append(found)
            priorities[key] = found
        bulk_create_with_history(new_priorities, Priority, **history)
        themes = dict(existing.themes)
        new_themes = []
        for pkey, row in self.priorities.items():
            for objective in row.objectives.values():
                tkey = (pkey, _norm(objective.theme))
                if objective.theme and tkey not in themes:
                    number = 1 + max(
                        (n for (p, _), t in themes.items() if p == pkey for n in [t.number]),
                        default=0,
                    )
                    themes[tkey] = Theme(
                        priority=priorities[pkey], number=number, title=objective.theme
                    )
                    new_themes.append(themes[tkey])
        bulk_create_with_history(new_themes, Theme, **history)
        objectives: dict[tuple[str, str], StrategicObjective] = {}
        new_objectives = []
        for pkey, row in self.priorities.items():
            for okey, objective in row.objectives.items():
                found = existing.objectives.get((pkey, okey))
                if found is None:
                    theme = themes.get((pkey, _norm(objective.theme))) if objective.theme else None
                    found = StrategicObjective(
                        priority=priorities[pkey],
                        number=objective.number,
                        title=objective.title,
                        theme=theme,
                    )
                    new_objectives.append(found)
                objectives[(pkey, okey)] = found
        bulk_create_with_history(new_objectives, StrategicObjective, **history)
        return objectives

    def _write_actions(self, objectives, organisations, officers, history):  # type: ignore[no-untyped-def]
        existing = self.existing
        new_actions, changed_actions = [], []
        stored: dict[tuple[str, str, str], Action] = {}
        for row in self.actions:
            fields = self._action_fields(row)
            if row.existing is None:
                action = Action(
                    objective=objectives[(_norm(row.priority), _norm(row.objective))],
                    number=row.number[2],
                    description=row.description,
                    **fields,
                )
                new_actions.append(action)
            else:
                action = row.existing
                if row.change == "changed":
                    for k, v in fields.items():
                        setattr(action, k, v)
                    changed_actions.append(action)
            stored[row.identity] = action
        bulk_create_with_history(new_actions, Action, **history)
        bulk_update_with_history(
            changed_actions,
            Action,
            list(self._action_fields(self.actions[0]).keys()) if self.actions else [],
            **history,
        )
        self.counts["actions created"] = len(new_actions)
        self.counts["actions changed"] = len(changed_actions)
        # Leads: rewritten for every action whose leads the sheet gives and that changed.
        rewrite = [r for r in self.actions if r.leads and r.change != "same"]
        ActionLead.objects.filter(
            action__in=[stored[r.identity] for r in rewrite if r.existing]
        ).delete()
        leads = []
        for row in rewrite:
            for number, (org, officer_name, all_partners) in enumerate(row.leads, start=1):
                organisation = organisations.get(org) if org else None
                officer = (
                    officers.get((organisation.pk, officer_name.casefold()))
                    if organisation and officer_name
                    else None
                )
                if all_partners:
                    leads.append(
                        ActionLead(action=stored[row.identity], number=number, all_partners=True)
                    )
                elif organisation is not None:
                    leads.append(
                        ActionLead(
                            action=stored[row.identity],
                            number=number,
                            organisation=organisation,
                            officer=officer,
                        )
                    )
        bulk_create_with_history(leads, ActionLead, **history)
        self._write_areas(stored)
        # Measures: added when new, targets brought up to date.
        current = existing.measure_objects
        new_measures, changed_measures = [], []
        self.measure_objects: dict[tuple[tuple[str, str, str], int], Measure] = {}
        next_number: dict[tuple[str, str, str], int] = {}
        for row in self.actions:
            action = stored[row.identity]
            have = current.get(action.pk, []) if action.pk and row.existing else []
            by_description = {_norm(m.description): m for m in have}
            for index, (description, target) in enumerate(row.measures):
                measure = by_description.get(_norm(description))
                value, unit = _target_value(target)
                if measure is None:
                    number = next_number[row.identity] = (
                        max(next_number.get(row.identity, 0), *(m.number for m in have), 0) + 1
                    )
                    measure = Measure(
                        action=action,
                        number=number,
                        description=description,
                        target_text=target,
                        target_value=value,
                        unit=unit,
                    )
                    new_measures.append(measure)
                elif measure.target_text != target:
                    measure.target_text, measure.target_value, measure.unit = target, value, unit
                    changed_measures.append(measure)
                self.measure_objects[(row.identity, index)] = measure
        bulk_create_with_history(new_measures, Measure, **history)
        bulk_update_with_history(
            changed_measures, Measure, ["target_text", "target_value", "unit"], **history
        )
        return stored

    def _write_areas(self, stored: dict[tuple[str, str, str], Action]) -> None:
        """The districts covered, for every action whose sheet says and that is new or changed:
        two queries in all, however many actions."""
        rows = [r for r in self.actions if r.areas is not None and r.change != "same"]
        if not rows:
            return
        through = Action.districts.through
        through.objects.filter(action__in=[stored[r.identity] for r in rows if r.existing]).delete()
        by_name = {d.name: d for d in self.districts}
        through.objects.bulk_create(
            through(action=stored[r.identity], district=by_name[name])
            for r in rows
            for name in r.areas or []
        )

    def _write_updates(self, plan, actions, history):  # type: ignore[no-untyped-def]
        existing = self.existing
        periods = dict(existing.periods)
        new_periods = []
        for quarter in sorted({u.quarter for a in self.actions for u in a.updates}):
            if quarter not in periods:
                periods[quarter] = ReportingPeriod(
                    plan=plan,
                    year=quarter.year,
                    quarter=quarter.quarter,
                    status=PeriodStatus.CLOSED,
                )
                new_periods.append(periods[quarter])
        bulk_create_with_history(new_periods, ReportingPeriod, **history)
        new_updates, changed_updates = [], []
        figures: list[tuple[QuarterlyUpdate, list[tuple[Measure, Decimal]]]] = []
        for row in self.actions:
            action = actions[row.identity]
            for u in row.updates:
                if u.change == "same":
                    continue
                if u.existing is None:
                    update = QuarterlyUpdate(
                        action=action,
                        period=periods[u.quarter],
                        district=u.district,
                        status=u.status,
                        progress=u.progress,
                        risks=u.risks,
                        state=UpdateState.ACCEPTED,
                    )
                    new_updates.append(update)
                else:
                    update = u.existing
                    update.status, update.progress, update.risks = u.status, u.progress, u.risks
                    update.state = UpdateState.ACCEPTED
                    update.version += 1  # as the update page's claim does: open forms are now stale
                    changed_updates.append(update)
                if u.figures:
                    figures.append(
                        (
                            update,
                            [(self.measure_objects[(row.identity, i)], v) for i, v in u.figures],
                        )
                    )
        bulk_create_with_history(new_updates, QuarterlyUpdate, batch_size=500, **history)
        now = history["default_date"]
        for update in changed_updates:
            update.updated_at = now
        bulk_update_with_history(
            changed_updates,
            QuarterlyUpdate,
            ["status", "progress", "risks", "state", "version", "updated_at"],
            batch_size=500,
            **history,
        )
        ActionStatus.refresh({(u.action_id, u.period_id) for u in changed_updates})
        self.counts["updates created"] = len(new_updates)
        self.counts["updates changed"] = len(changed_updates)
        if figures:
            MeasureFigure.objects.filter(
                update__in=[u for u, _ in figures if u.pk in {c.pk for c in changed_updates}]
            ).delete()
            bulk_create_with_history(
                [
                    MeasureFigure(update=update, measure=measure, value=value)
                    for update, found in figures
                    for measure, value in found
                ],
                MeasureFigure,
                **history,
            )


class _ExistingPlan:
    """What an existing plan holds, read once, for comparing and numbering."""

    def __init__(self, plan: Plan | None) -> None:
        self.priorities: dict[str, Priority] = {}
        self.objectives: dict[tuple[str, str], StrategicObjective] = {}
        self.themes: dict[tuple[str, str], Theme] = {}
        self.actions: dict[tuple[str, str, str], Action] = {}
        self.action_numbers: dict[tuple[str, str], set[int]] = {}
        self.periods: dict[FinancialQuarter, ReportingPeriod] = {}
        self.updates: dict[tuple[int, int, int | None], QuarterlyUpdate] = {}
        self.leads: dict[int, list[tuple[str | None, str | None, bool]]] = {}
        self.measure_objects: dict[int, list[Measure]] = {}
        self.figures: dict[int, list[tuple[str, Decimal]]] = {}
        self.areas: dict[int, list[str]] = {}
        self.authors: dict[int, str] = {}
        if plan is None:
            return
        for priority in plan.priorities.all():
            self.priorities[_norm(priority.title)] = priority
        by_pk = {p.pk: k for k, p in self.priorities.items()}
        for theme in Theme.objects.filter(priority__plan=plan):
            self.themes[(by_pk[theme.priority_id], _norm(theme.title))] = theme
        objective_keys = {}
        for objective in StrategicObjective.objects.filter(priority__plan=plan):
            key = (by_pk[objective.priority_id], _norm(objective.title))
            self.objectives[key] = objective
            objective_keys[objective.pk] = key
        for action in Action.objects.filter(objective__priority__plan=plan):
            pkey, okey = objective_keys[action.objective_id]
            self.actions[(pkey, okey, _norm(action.description))] = action
            self.action_numbers.setdefault((pkey, okey), set()).add(action.number)
        for period in plan.periods.all():
            self.periods[FinancialQuarter(period.year, period.quarter)] = period
        for update in QuarterlyUpdate.objects.filter(period__plan=plan):
            self.updates[(update.action_id, update.period_id, update.district_id)] = update
        for lead in (
            ActionLead.objects.filter(action__objective__priority__plan=plan)
            .select_related("organisation", "officer")
            .order_by("action_id", "number")
        ):
            self.leads.setdefault(lead.action_id, []).append(
                (
                    lead.organisation.slug if lead.organisation else None,
                    lead.officer.name if lead.officer else None,
                    lead.all_partners,
                )
            )
        for action_id, name in (
            Action.districts.through.objects.filter(action__objective__priority__plan=plan)
            .order_by("action_id", "district__name")
            .values_list("action_id", "district__name")
        ):
            self.areas.setdefault(action_id, []).append(name)
        for measure in Measure.objects.filter(action__objective__priority__plan=plan).order_by(
            "action_id", "number"
        ):
            self.measure_objects.setdefault(measure.action_id, []).append(measure)
        for figure in MeasureFigure.objects.filter(update__period__plan=plan).select_related(
            "measure"
        ):
            self.figures.setdefault(figure.update_id, []).append(
                (_norm(figure.measure.description), figure.value)
            )
        authors = {u.author_id for u in self.updates.values() if u.author_id}
        if authors:
            from django.contrib.auth import get_user_model

            for user in get_user_model().objects.filter(pk__in=authors):
                self.authors[user.pk] = user.get_full_name() or user.get_username()

    def leads_of(self, action: Action) -> list[tuple[str | None, str | None, bool]]:
        return self.leads.get(action.pk, [])

    def areas_of(self, action: Action) -> list[str]:
        return self.areas.get(action.pk, [])

    def measures_of(self, action: Action) -> list[tuple[str, str]]:
        return [(m.description, m.target_text) for m in self.measure_objects.get(action.pk, [])]

    def figures_of(self, update: QuarterlyUpdate) -> list[tuple[str, Decimal]]:
        return sorted(self.figures.get(update.pk, []))


_MEASURE_TARGET = re.compile(r"(.*?)\s*\(\s*target\s*[:\-–]?\s*(.+?)\s*\)\s*", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?[0-9][0-9,]*(?:\.[0-9]+)?|[-+]?\.[0-9]+")


def parse_number(text: str) -> Decimal:
    """A figure as people type it: "85", "85%", "85 %", "1,200", "£1,200.50", "-3"."""
    cleaned = text.strip().replace("£", "").replace("%", "").replace("\u00a0", " ").strip()
    if not re.fullmatch(
        r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[-+]?\.[0-9]+",
        cleaned.replace(" ", ""),
    ):
        raise ValueError(text)
    try:
        value = Decimal(cleaned.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(text) from None
    if abs(value) >= Decimal("1e10"):
        raise ValueError(text)
    return value.quantize(Decimal("0.01"))


def _target_value(text: str) -> tuple[Decimal | None, str]:
    match = _NUMBER.search(text or "")
    if match is None:
        return None, ""
    try:
        value = parse_number(match[0])
    except ValueError:
        return None, ""
    return value, "%" if "%" in text[match.end() : match.end() + 2] else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _free(wanted: int | None, taken: set[int]) -> int:
    """The number a reference asks for, unless taken; else the next free one."""
    number = (
        wanted if wanted and wanted not in taken and wanted < 32000 else max(taken, default=0) + 1
    )
    taken.add(number)
    return number


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _new_slug(name: str) -> str:
    return slugify(name)[:80] or "organisation"
