"""Importing a plan spreadsheet: first a preview of everything it would do, then one transaction.

``PlanImport(partnership, rows, ...)`` reads the rows (see ``columns``) and works out, without
writing anything, which priorities, objectives, actions, leads and updates it would create or
change, and every problem, tied to its row and column. ``commit()`` writes it all in one
transaction, and refuses while any problem is an error: on any error nothing is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from csp.importers import cells
from csp.importers.columns import BY_KEY, REQUIRED
from csp.models import (
    Action,
    ActionLead,
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
from csp.models.updates import PeriodLocked
from csp.quarters import FinancialQuarter, financial_year_of

CARRIED_DOWN = ("priority", "theme", "objective")


@dataclass
class Problem:
    row: int | None  # 1-based, as the spreadsheet numbers rows
    column: str | None  # the column's heading
    message: str
    is_error: bool = True

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column “{self.column}”")
        if not where:
            return self.message
        place = ", ".join(where)
        return f"{place[0].upper()}{place[1:]}: {self.message}"


@dataclass
class ActionRow:
    """One action as the sheet gives it, with its updates."""

    row: int
    priority: str
    theme: str
    objective: str
    description: str
    outcomes: str
    lead_text: str
    lead_as_written: str
    timescale: str
    reference: tuple[int, int, int] | None
    leads: list[tuple[str | None, str | None, bool]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)


class PlanImport:
    def __init__(
        self,
        partnership: Partnership,
        rows: list[list[str]],
        *,
        plan_slug: str,
        plan_title: str = "",
        first_year: int | None = None,
    ) -> None:
        self.partnership = partnership
        self.plan = Plan.objects.filter(slug=plan_slug).first()
        self.plan_slug = plan_slug
        self.plan_title = plan_title or plan_slug
        self.problems: list[Problem] = []
        self.actions: list[ActionRow] = []
        self.new_organisations: list[str] = []
        self.counts: Counter[str] = Counter()
        if self.plan is not None and self.plan.partnership_id != partnership.pk:
            self.error(None, None, f"The plan “{plan_slug}” belongs to another partnership.")
            return
        self.first_year = first_year or (self.plan.first_year if self.plan else None)
        self._read(rows)
        if not self.problems_that_stop:
            self._count()

    # -- results ----------------------------------------------------------------------------

    @property
    def problems_that_stop(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def summary(self) -> list[tuple[str, int]]:
        """What the import holds, as (what, how many) in a fixed order, for people to read."""
        order = ["priorities", "objectives", "actions", "leads", "updates", "periods"]
        order += sorted(k for k in self.counts if k not in order)
        return [(name, self.counts[name]) for name in order if name in self.counts]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.problems_that_stop

    def error(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(row, column, message, True))

    def warn(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(row, column, message, False))

    # -- reading ----------------------------------------------------------------------------

    def _read(self, rows: list[list[str]]) -> None:
        header_index = cells.find_header_row(rows)
        if header_index is None:
            first = next((r for r in rows if any(r)), [])
            match = cells.match_headers(first)
            missing = ", ".join(BY_KEY[k].heading for k in match.missing) or "none"
            self.error(
                None,
                None,
                "No row of headings was found. The sheet needs at least the columns "
                + ", ".join(BY_KEY[k].heading for k in REQUIRED)
                + f" (missing from its first row: {missing}).",
            )
            return
        match = cells.match_headers(rows[header_index])
        for key in match.duplicates:
            self.error(header_index + 1, BY_KEY[key].heading, "two columns mean the same thing.")
        for heading in match.unknown:
            self.warn(
                header_index + 1, heading, "this column is not one we know, so it is ignored."
            )
        columns = match.columns
        directory = _directory(self.partnership)
        districts = {d.name.lower(): d for d in self.partnership.districts.all()}
        above = dict.fromkeys(CARRIED_DOWN, "")
        by_identity: dict[tuple[str, str, str], ActionRow] = {}
        seen_updates: dict[tuple[tuple[str, str, str], FinancialQuarter, str], int] = {}
        seen_rows: dict[tuple[str, ...], int] = {}

        for index in range(header_index + 1, len(rows)):
            number = index + 1
            raw = rows[index]
            if not any(cell.strip() for cell in raw):
                continue

            def get(key: str, raw: list[str] = raw) -> str:
                position = columns.get(key)
                return raw[position].strip() if position is not None and position < len(raw) else ""

            whole = tuple(cell.strip() for cell in raw)
            if whole in seen_rows:
                self.error(number, None, f"this row repeats row {seen_rows[whole]} exactly.")
                continue
            seen_rows[whole] = number
            values = {key: get(key) for key in columns}
            # Merged cells come out blank: carry them down. A new priority starts afresh.
            if values.get("priority") and _norm(values["priority"]) != _norm(above["priority"]):
                above = dict.fromkeys(CARRIED_DOWN, "")
            for key in CARRIED_DOWN:
                if values.get(key):
                    above[key] = values[key]
                else:
                    values[key] = above[key]
            if not values.get("action"):
                self.error(number, BY_KEY["action"].heading, "every row needs an action.")
                continue
            for key in ("priority", "objective"):
                if not values.get(key):
                    self.error(number, BY_KEY[key].heading, "no value here or in a row above.")
            if not values.get("priority") or not values.get("objective"):
                continue
            identity = (
                _norm(values["priority"]),
                _norm(values["objective"]),
                _norm(values["action"]),
            )
            action = by_identity.get(identity)
            if action is None:
                action = self._new_action(number, values, directory)
                by_identity[identity] = action
                self.actions.append(action)
            self._read_update(number, values, action, identity, districts, seen_updates)

    def _new_action(
        self, number: int, values: dict[str, str], directory: cells.LeadDirectory
    ) -> ActionRow:
        reference = None
        if values.get("reference"):
            parts = values["reference"].split(".")
            if len(parts) == 3 and all(p.strip().isdigit() for p in parts):
                reference = (int(parts[0]), int(parts[1]), int(parts[2]))
            else:
                self.warn(
                    number,
                    BY_KEY["reference"].heading,
                    f"“{values['reference']}” is not like 1.2.3, so it is ignored.",
                )
        timescale = values.get("timescale", "")
        action = ActionRow(
            row=number,
            priority=values["priority"],
            theme=values.get("theme", ""),
            objective=values["objective"],
            description=values["action"],
            outcomes=values.get("outcomes", ""),
            lead_text=values.get("lead", ""),
            lead_as_written=values.get("lead_as_written", values.get("lead", "")),
            timescale=timescale,
            reference=reference,
        )
        if action.lead_text:
            try:
                parsed = cells.parse_leads(action.lead_text, directory)
            except ValueError as error:
                self.error(number, BY_KEY["lead"].heading, str(error))
            else:
                action.leads = [
                    (lead.organisation_slug, lead.officer_name, lead.all_partners)
                    for lead in parsed.leads
                ]
                if parsed.ignored:
                    self.warn(
                        number,
                        BY_KEY["lead"].heading,
                        "these words were not read as leads: "
                        + "; ".join(f"“{w}”" for w in parsed.ignored)
                        + ".",
                    )
                for name in parsed.unknown:
                    if name not in self.new_organisations:
                        self.new_organisations.append(name)
                    action.leads.append((_new_slug(name), None, False))
                    self.warn(
                        number,
                        BY_KEY["lead"].heading,
                        f"“{name}” is not an organisation we know: it will be added as a new one.",
                    )
        return action

    def _read_update(self, number, values, action, identity, districts, seen_updates) -> None:  # type: ignore[no-untyped-def]
        period_text = values.get("period", "")
        given = [k for k in ("status", "update", "risks", "district") if values.get(k)]
        if not period_text:
            if given:
                self.error(
                    number,
                    BY_KEY["period"].heading,
                    "an update needs its period, such as 2016/17 Q1.",
                )
            return
        try:
            quarter = cells.parse_period(period_text, self.first_year)
        except ValueError as error:
            self.error(number, BY_KEY["period"].heading, str(error))
            return
        if quarter is None:
            return
        try:
            status = cells.parse_status(values.get("status", "")) or UpdateStatus.NOT_GIVEN
        except ValueError as error:
            self.error(number, BY_KEY["status"].heading, str(error))
            return
        district = None
        if values.get("district"):
            district = districts.get(values["district"].lower())
            if district is None:
                known = ", ".join(sorted(d.name for d in districts.values())) or "none"
                self.error(
                    number,
                    BY_KEY["district"].heading,
                    f"“{values['district']}” is not one of the partnership's districts ({known}).",
                )
                return
        key = (identity, quarter, district.name if district else "")
        if key in seen_updates:
            where = f" in {district.name}" if district else ""
            self.error(
                number,
                None,
                f"row {seen_updates[key]} already gives this action's update for "
                f"{quarter.label}{where}.",
            )
            return
        seen_updates[key] = number
        action.updates.append(
            {
                "row": number,
                "quarter": quarter,
                "district": district,
                "status": status,
                "progress": values.get("update", ""),
                "risks": values.get("risks", ""),
            }
        )

    def _count(self) -> None:
        priorities = {_norm(a.priority) for a in self.actions}
        objectives = {(_norm(a.priority), _norm(a.objective)) for a in self.actions}
        self.counts["priorities"] = len(priorities)
        self.counts["objectives"] = len(objectives)
        self.counts["actions"] = len(self.actions)
        self.counts["leads"] = sum(len(a.leads) for a in self.actions)
        self.counts["updates"] = sum(len(a.updates) for a in self.actions)
        self.counts["new organisations"] = len(self.new_organisations)
        quarters = {u["quarter"] for a in self.actions for u in a.updates}
        if self.first_year is None:
            self.first_year = min((q.year for q in quarters), default=financial_year_of(_today()))
        self.last_year = max([self.first_year, *(q.year for q in quarters)])
        self.counts["periods"] = len(quarters)
        if self.plan is not None:
            self._count_changes()

    def _count_changes(self) -> None:
        """Into an existing plan: how many actions and updates are new, and how many replace."""
        existing_actions = {
            (_norm(a.objective.priority.title), _norm(a.objective.title), _norm(a.description))
            for a in Action.objects.in_plan(self.plan).select_related("objective__priority")
        }
        existing_updates = {
            (
                _norm(u.action.objective.priority.title),
                _norm(u.action.objective.title),
                _norm(u.action.description),
                FinancialQuarter(u.period.year, u.period.quarter),
                u.district.name if u.district else "",
            )
            for u in QuarterlyUpdate.objects.filter(period__plan=self.plan).select_related(
                "action__objective__priority", "period", "district"
            )
        }
        for row in self.actions:
            key = (_norm(row.priority), _norm(row.objective), _norm(row.description))
            self.counts[
                "actions already in the plan" if key in existing_actions else "new actions"
            ] += 1
            for u in row.updates:
                where = u["district"].name if u["district"] else ""
                replaced = (*key, u["quarter"], where) in existing_updates
                self.counts["updates replacing earlier text" if replaced else "new updates"] += 1

    # -- writing ----------------------------------------------------------------------------

    def commit(self, *, confirm_new_organisations: bool = False) -> Plan:
        """Write everything in one transaction; refuse while there are errors."""
        if not self.ok:
            raise ValueError("The spreadsheet has problems to fix first; nothing was written.")
        if self.new_organisations and not confirm_new_organisations:
            raise ValueError(
                "Confirm the new organisations ("
                + ", ".join(self.new_organisations)
                + ") before importing; nothing was written."
            )
        try:
            with transaction.atomic():
                return self._write()
        except PeriodLocked as locked:
            raise ValueError(
                f"Nothing was imported: {locked.messages[0]} Take that quarter's rows out of the "
                "sheet, or ask for an amendment."
            ) from None

    def _write(self) -> Plan:
        plan = self.plan or Plan.objects.create(
            partnership=self.partnership,
            slug=self.plan_slug,
            title=self.plan_title,
            first_year=self.first_year,
            last_year=self.last_year,
            status=PlanStatus.DRAFT,
        )
        organisations = {o.slug: o for o in Organisation.objects.all()}
        for name in self.new_organisations:
            slug = _new_slug(name)
            organisations[slug] = Organisation.objects.create(
                name=name, slug=slug, kind=OrganisationKind.OTHER
            )
        officers = {
            (o.organisation.slug, o.name): o for o in Officer.objects.select_related("organisation")
        }
        periods = {FinancialQuarter(p.year, p.quarter): p for p in plan.periods.all()}
        priorities = {_norm(p.title): p for p in plan.priorities.all()}
        objectives: dict[tuple[str, str], StrategicObjective] = {
            (_norm(o.priority.title), _norm(o.title)): o
            for o in StrategicObjective.objects.filter(priority__plan=plan).select_related(
                "priority"
            )
        }
        updates: list[QuarterlyUpdate] = []
        leads: list[ActionLead] = []
        for row in self.actions:
            priority = priorities.get(_norm(row.priority))
            if priority is None:
                number = _number(row.reference, 0, {p.number for p in priorities.values()})
                priority = priorities[_norm(row.priority)] = Priority.objects.create(
                    plan=plan, number=number, title=row.priority
                )
            theme = None
            if row.theme:
                theme = priority.themes.filter(
                    title__iexact=row.theme
                ).first() or Theme.objects.create(
                    priority=priority, number=priority.themes.count() + 1, title=row.theme
                )
            objective = objectives.get((_norm(row.priority), _norm(row.objective)))
            if objective is None:
                taken = set(priority.objectives.values_list("number", flat=True))
                number = _number(row.reference, 1, taken)
                objective = objectives[(_norm(row.priority), _norm(row.objective))] = (
                    StrategicObjective.objects.create(
                        priority=priority, number=number, title=row.objective, theme=theme
                    )
                )
            action = next(
                (
                    a
                    for a in objective.actions.all()
                    if _norm(a.description) == _norm(row.description)
                ),
                None,
            )
            due = (
                cells.parse_timescale(row.timescale, plan.first_year)[1] if row.timescale else None
            )
            fields = {
                "outcomes": row.outcomes,
                "lead_as_written": row.lead_as_written,
                "timescale": row.timescale,
                "due_year": due.year if due else None,
                "due_quarter": due.quarter if due else None,
            }
            if action is None:
                taken = set(objective.actions.values_list("number", flat=True))
                number = _number(row.reference, 2, taken)
                action = Action.objects.create(
                    objective=objective, number=number, description=row.description, **fields
                )
                self.counts["actions created"] += 1
            else:
                changed = [k for k, v in fields.items() if getattr(action, k) != v]
                for k in changed:
                    setattr(action, k, fields[k])
                if changed:
                    action.save(update_fields=changed)
                    self.counts["actions changed"] += 1
            if row.leads:
                action.leads.all().delete()
                for n, (slug, officer_name, all_partners) in enumerate(row.leads, start=1):
                    organisation = organisations.get(slug) if slug else None
                    officer = officers.get((slug, officer_name)) if slug and officer_name else None
                    if all_partners:
                        leads.append(ActionLead(action=action, number=n, all_partners=True))
                    elif organisation is not None:
                        leads.append(
                            ActionLead(
                                action=action, number=n, organisation=organisation, officer=officer
                            )
                        )
            existing = {(u.period_id, u.district_id): u for u in action.updates.all()}
            for u in row.updates:
                period = periods.get(u["quarter"])
                if period is None:
                    period = periods[u["quarter"]] = ReportingPeriod.objects.create(
                        plan=plan,
                        year=u["quarter"].year,
                        quarter=u["quarter"].quarter,
                        status=PeriodStatus.CLOSED,
                    )
                    if u["quarter"].year > plan.last_year or u["quarter"].year < plan.first_year:
                        plan.first_year = min(plan.first_year, u["quarter"].year)
                        plan.last_year = max(plan.last_year, u["quarter"].year)
                        plan.save(update_fields=["first_year", "last_year"])
                found = existing.get((period.pk, u["district"].pk if u["district"] else None))
                if found is None:
                    updates.append(
                        QuarterlyUpdate(
                            action=action,
                            period=period,
                            district=u["district"],
                            status=u["status"],
                            progress=u["progress"],
                            risks=u["risks"],
                            state=UpdateState.ACCEPTED,
                        )
                    )
                else:
                    found.status, found.progress, found.risks = (
                        u["status"],
                        u["progress"],
                        u["risks"],
                    )
                    found.save(update_fields=["status", "progress", "risks", "updated_at"])
                    self.counts["updates changed"] += 1
        ActionLead.objects.bulk_create(leads)
        QuarterlyUpdate.objects.bulk_create(updates)
        self.counts["updates created"] += len(updates)
        return plan


def _directory(partnership: Partnership) -> cells.LeadDirectory:
    organisations = list(Organisation.objects.values_list("slug", "name", "short_name"))
    officers = list(Officer.objects.values_list("name", "initials", "organisation__slug"))
    return cells.LeadDirectory(organisations=organisations, officers=officers)


def _number(reference: tuple[int, int, int] | None, level: int, taken: set[int]) -> int:
    """The number the sheet's reference gives at ``level``, unless taken; else the next free."""
    if reference and reference[level] not in taken:
        return reference[level]
    return max(taken, default=0) + 1


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _new_slug(name: str) -> str:
    return slugify(name)[:80] or "organisation"


def _today():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.localdate()
