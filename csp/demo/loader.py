"""Loads the demo partnerships transcribed in ``fixtures/demo/*.yaml`` (format: fixtures/README.md).

Every record is matched on its natural key (slug, number, period) and written only when a value
differs, so loading twice changes nothing and a corrected transcription updates in place.
Everything happens in one transaction: a file that does not load leaves the database as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from csp.models import (
    Action,
    ActionLead,
    District,
    Funding,
    Measure,
    MeasureFigure,
    Membership,
    ObjectiveStrand,
    Officer,
    Organisation,
    Partnership,
    Plan,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    Risk,
    StrategicObjective,
    Theme,
    UpdateState,
)
from csp.quarters import FinancialQuarter, due_quarter_from_timescale

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "fixtures" / "demo"

M = TypeVar("M", bound=models.Model)


class DemoDataError(Exception):
    """The transcription contradicts itself or the model; the message says where."""


@dataclass
class LoadReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    @property
    def changed_anything(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def lines(self) -> list[str]:
        names = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [
            f"{name}: {self.created[name]} created, {self.updated[name]} updated, "
            f"{self.unchanged[name]} unchanged"
            for name in names
        ]


class DemoLoader:
    def __init__(self) -> None:
        self.report = LoadReport()

    def load_all(self, directory: Path = DEMO_DIR) -> LoadReport:
        paths = sorted(directory.glob("*.yaml"))
        if not paths:
            raise DemoDataError(f"No demo files in {directory}")
        with transaction.atomic():
            for path in paths:
                self.load_file(path)
        return self.report

    def load_file(self, path: Path) -> None:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        try:
            self._load(data)
        except DemoDataError as error:
            raise DemoDataError(f"{path.name}: {error}") from error
        except ValidationError as invalid:
            # Among them a period of the demo reported since (a report was issued): loading
            # it again would change what that report says. Refused whole: all rolls back.
            raise DemoDataError(f"{path.name}: {' '.join(invalid.messages)}") from invalid

    # -- writing ------------------------------------------------------------------------------

    def upsert(self, model: type[M], lookup: dict[str, Any], values: dict[str, Any]) -> M:
        """Find ``model`` by ``lookup``; create it, or save only the ``values`` that differ."""
        name = model._meta.verbose_name_plural
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean()
            obj.save()
            self.report.created[name] += 1
            return obj
        changed = [key for key, value in values.items() if getattr(obj, key) != value]
        if changed:
            for key in changed:
                setattr(obj, key, values[key])
            obj.full_clean()
            obj.save(update_fields=changed)
            self.report.updated[name] += 1
        else:
            self.report.unchanged[name] += 1
        return obj

    def set_many(self, obj: models.Model, attribute: str, targets: list[models.Model]) -> None:
        manager = getattr(obj, attribute)
        if {t.pk for t in manager.all()} != {t.pk for t in targets}:
            manager.set(targets)

    # -- reading ------------------------------------------------------------------------------

    def _load(self, data: dict[str, Any]) -> None:
        p = data["partnership"]
        partnership = self.upsert(
            Partnership,
            {"slug": p["slug"]},
            {
                "name": p["name"],
                "short_name": p.get("short_name", ""),
                "area_description": _text(p.get("area_description")),
                "reports_by_priority_summary": bool(p.get("reports_by_priority_summary", False)),
            },
        )
        districts = {
            d["slug"]: self.upsert(
                District,
                {"partnership": partnership, "slug": d["slug"]},
                {"name": d["name"], "description": _text(d.get("description"))},
            )
            for d in data.get("districts") or []
        }
        organisations = {
            o["slug"]: self._organisation(partnership, o, districts)
            for o in data.get("organisations") or []
        }
        officers: dict[tuple[str, str], Officer] = {}
        for o in data.get("officers") or []:
            organisation = _lookup(organisations, o["organisation"], "organisation")
            values = {k: o[k] for k in ("initials", "job_title", "email", "phone") if o.get(k)}
            officer = self.upsert(
                Officer, {"organisation": organisation, "name": o["name"]}, values
            )
            officers[(o["organisation"], o["name"])] = officer
        plans = {
            plan["slug"]: self._plan(partnership, plan, districts, organisations, officers)
            for plan in data.get("plans") or []
        }
        for r in data.get("risks") or []:
            self.upsert(
                Risk,
                {"partnership": partnership, "number": r["number"]},
                {
                    "title": r["title"],
                    "description": _text(r.get("description")),
                    "mitigation": _text(r.get("mitigation")),
                    "likelihood": r["likelihood"],
                    "impact": int(r["impact"]),
                },
            )
        for f in data.get("funding") or []:
            self.upsert(
                Funding,
                {
                    "partnership": partnership,
                    "source": f["source"],
                    "financial_year": f["financial_year"],
                    "is_top_slice": bool(f.get("top_slice", False)),
                },
                {
                    "amount": Decimal(str(f["amount"])),
                    "recipient": _lookup(organisations, f["recipient"], "organisation")
                    if f.get("recipient")
                    else None,
                    "purpose": _text(f.get("purpose")),
                    "plan": _lookup(plans, f["plan"], "plan") if f.get("plan") else None,
                },
            )

    def _organisation(
        self, partnership: Partnership, o: dict[str, Any], districts: dict[str, District]
    ) -> Organisation:
        # Organisations are shared between partnerships (Essex Police serves several), so a file
        # may only add to what another file says, never contradict it.
        existing = Organisation.objects.filter(slug=o["slug"]).first()
        values = {k: o[k] for k in ("name", "short_name", "kind") if o.get(k)}
        if existing is not None:
            for key, value in values.items():
                current = getattr(existing, key)
                if current and current != value and (key, current) != ("kind", "other"):
                    raise DemoDataError(
                        f"organisation {o['slug']}: {key} is {current!r} elsewhere, {value!r} here"
                    )
        organisation = self.upsert(Organisation, {"slug": o["slug"]}, values)
        if o.get("member", True):
            self.upsert(
                Membership,
                {"partnership": partnership, "organisation": organisation},
                {
                    "is_responsible_authority": bool(o.get("responsible_authority", False)),
                    "district": _lookup(districts, o["district"], "district")
                    if o.get("district")
                    else None,
                },
            )
        return organisation

    def _plan(
        self,
        partnership: Partnership,
        p: dict[str, Any],
        districts: dict[str, District],
        organisations: dict[str, Organisation],
        officers: dict[tuple[str, str], Officer],
    ) -> Plan:
        plan = self.upsert(
            Plan,
            {"slug": p["slug"]},
            {
                "partnership": partnership,
                "title": p["title"],
                "version_label": p.get("version_label", ""),
                "first_year": p["first_year"],
                "last_year": p["last_year"],
                "status": p["status"],
                "priorities_agreed_on": _date(p.get("priorities_agreed_on")),
                "priorities_agreed_by": p.get("priorities_agreed_by", ""),
                "introduction": _text(p.get("introduction")),
            },
        )
        periods: dict[str, ReportingPeriod] = {}
        for entry in p.get("periods") or []:
            quarter = FinancialQuarter.parse(entry["period"])
            periods[quarter.slug] = self.upsert(
                ReportingPeriod,
                {"plan": plan, "year": quarter.year, "quarter": quarter.quarter},
                {"status": entry["status"], "deadline": _date(entry.get("deadline"))},
            )
        officers_by_name = {name: officer for (_, name), officer in officers.items()}
        for pr in p.get("priorities") or []:
            priority = self.upsert(
                Priority,
                {"plan": plan, "number": pr["number"]},
                {"title": pr["title"], "description": _text(pr.get("description"))},
            )
            themes = {
                title: self.upsert(Theme, {"priority": priority, "number": n}, {"title": title})
                for n, title in enumerate(pr.get("themes") or [], start=1)
            }
            for ob in pr.get("objectives") or []:
                objective = self.upsert(
                    StrategicObjective,
                    {"priority": priority, "number": ob["number"]},
                    {
                        "title": _text(ob["title"]),
                        "theme": _lookup(themes, ob["theme"], "theme") if ob.get("theme") else None,
                        "is_statutory": bool(ob.get("statutory", False)),
                    },
                )
                for strand in ob.get("strands") or []:
                    self.upsert(ObjectiveStrand, {"objective": objective, "strand": strand}, {})
                for ac in ob.get("actions") or []:
                    self._action(
                        plan, objective, ac, districts, organisations, officers_by_name, periods
                    )
        return plan

    def _action(
        self,
        plan: Plan,
        objective: StrategicObjective,
        ac: dict[str, Any],
        districts: dict[str, District],
        organisations: dict[str, Organisation],
        officers: dict[str, Officer],
        periods: dict[str, ReportingPeriod],
    ) -> None:
        timescale = _text(ac.get("timescale"))
        due = due_quarter_from_timescale(timescale, plan.first_year)
        action = self.upsert(
            Action,
            {"objective": objective, "number": ac["number"]},
            {
                "description": _text(ac["description"]),
                "outcomes": _text(ac.get("outcomes")),
                "lead_as_written": _text(ac.get("lead_as_written")),
                "timescale": timescale,
                "due_year": due.year if due else None,
                "due_quarter": due.quarter if due else None,
                "is_restricted": bool(ac.get("restricted", False)),
            },
        )
        self.set_many(
            action,
            "districts",
            [_lookup(districts, d, "district") for d in ac.get("districts") or []],
        )
        for number, lead in enumerate(ac.get("leads") or [], start=1):
            officer = _lookup(officers, lead["officer"], "officer") if lead.get("officer") else None
            organisation = (
                _lookup(organisations, lead["organisation"], "organisation")
                if lead.get("organisation")
                else None
            )
            self.upsert(
                ActionLead,
                {"action": action, "number": number},
                {
                    "organisation": organisation,
                    "officer": officer,
                    "all_partners": bool(lead.get("all_partners", False)),
                },
            )
        measures = {}
        for number, m in enumerate(ac.get("measures") or [], start=1):
            target = m.get("target")
            measures[m["key"]] = self.upsert(
                Measure,
                {"action": action, "number": number},
                {
                    "description": m["description"],
                    "target_value": Decimal(str(target)) if target not in (None, "") else None,
                    "unit": m.get("unit", ""),
                    "target_text": m.get("target_text", ""),
                },
            )
        for u in ac.get("updates") or []:
            period = _lookup(periods, FinancialQuarter.parse(u["period"]).slug, "period")
            district = _lookup(districts, u["district"], "district") if u.get("district") else None
            update = self.upsert(
                QuarterlyUpdate,
                {"action": action, "period": period, "district": district},
                {
                    "status": u.get("status", "not_given"),
                    "progress": _text(u.get("progress")),
                    "risks": _text(u.get("risks")),
                    "state": UpdateState.ACCEPTED,
                },
            )
            for figure in u.get("figures") or []:
                self.upsert(
                    MeasureFigure,
                    {"measure": _lookup(measures, figure["measure"], "measure"), "update": update},
                    {"value": Decimal(str(figure["value"]))},
                )


def _lookup(table: dict[Any, M], key: Any, what: str) -> M:
    try:
        return table[key]
    except KeyError:
        raise DemoDataError(f"unknown {what} {key!r}") from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
