"""What changed on an action, who changed it and when, read from django-simple-history.

``action_history`` merges the historical records of an action, its leads and measures, and its
quarterly updates with their figures into one list, newest first, each record described in the
users' words: "Update 2016/17 Q2 North changed: Progress “Venue found” → “Venue signed”".

It takes a fixed number of queries whatever the length of the history: each model's newest
records come in one query with the id of the record before each (a correlated subquery), and one
more fetches those earlier records that fell outside the window. Names behind foreign keys are
read once per related model.

Restricted text never reaches someone who may not see it: for anyone but a member of the
action's partnership (``access.sees_restricted``), only records that were themselves public,
reported and unrestricted count, and each is compared with the previous such record, so a
restricted or draft version is never the "old" side of a change either.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.dateformat import format as format_date
from django.utils.text import capfirst

from csp import access
from csp.models import (
    Action,
    ActionLead,
    Measure,
    MeasureFigure,
    Officer,
    QuarterlyUpdate,
    StrategicObjective,
    UpdateState,
)
from csp.templatetags.csp_tags import number

KINDS = {"+": "created", "~": "changed", "-": "deleted"}

# Bookkeeping that changes with every save and says nothing a reader needs.
NOISE_FIELDS = frozenset({"version", "updated_at", "created_at", "submitted_at"})

# Longest text shown on either side of a change; longer ones are cut, around what changed.
TEXT_LIMIT = 200
# How much unchanged text to keep before the point where two long texts start to differ.
TEXT_LEAD_IN = 40

REPORTED_STATES = (UpdateState.SUBMITTED, UpdateState.ACCEPTED)

# What to read with a related record so that its ``str`` needs no further query.
_RELATED_FOR_NAME: dict[type[models.Model], tuple[str, ...]] = {
    Action: ("objective__priority",),
    StrategicObjective: ("priority",),
    QuarterlyUpdate: ("action__objective__priority", "period", "district"),
    ActionLead: ("organisation", "officer__organisation"),
    Officer: ("organisation",),
}


@dataclass(frozen=True)
class FieldChange:
    """One field of a "changed" record: its name as users read it, before and after."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    """One historical record, ready to show: when, who, what, and what changed."""

    when: datetime
    who: str
    what: str
    kind: str  # "created", "changed" or "deleted"
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""


def action_history(
    action: Action, user: access.AnyUser, limit: int = 50, *, member: bool | None = None
) -> list[Change]:
    """The newest ``limit`` changes to ``action`` and what hangs off it that ``user`` may see.

    Covers the action, its leads, its measures, its quarterly updates (for a member: every one,
    restricted, draft and deleted ones too; for anyone else only what the public view shows)
    and the updates' measure figures. A save that changed only bookkeeping is left out.
    ``member``: whether ``user`` sees restricted items there, if the caller knows already.
    """
    if member is None:
        member = access.sees_restricted(user, action.plan.partnership_id)
    actions = Action.history.filter(id=action.pk)
    leads = ActionLead.history.filter(action_id=action.pk)
    measures = Measure.history.filter(action_id=action.pk)
    updates = QuarterlyUpdate.history.filter(action_id=action.pk)
    figures = MeasureFigure.history.filter(update_id__in=updates.values("id"))
    if not member:
        if not Action.objects.visible_to(user).filter(pk=action.pk).exists():
            return []
        shown = (
            QuarterlyUpdate.objects.reported()
            .visible_to(user)
            .filter(action_id=action.pk)
            .values("pk")
        )
        actions = actions.filter(is_restricted=False)
        updates = updates.filter(id__in=shown, is_restricted=False, state__in=REPORTED_STATES)
        figures = MeasureFigure.history.filter(update_id__in=shown)

    pairs = [
        *_with_previous(actions.select_related("history_user"), limit),
        *_with_previous(leads.select_related("history_user"), limit),
        *_with_previous(measures.select_related("history_user"), limit),
        *_with_previous(updates.select_related("history_user", "period", "district"), limit),
        *_with_previous(
            figures.select_related("history_user", "measure", "update__period", "update__district"),
            limit,
        ),
    ]
    pairs.sort(key=lambda pair: (pair[0].history_date, pair[0].history_id), reverse=True)

    described = []
    for record, previous in pairs:
        diffs = _field_diffs(record, previous)
        if record.history_type == "~" and not diffs and not record.history_change_reason:
            continue
        described.append((record, diffs))
        if len(described) == limit:
            break

    names = _related_names(described)
    return [
        Change(
            when=record.history_date,
            who=_who(record.history_user),
            what=_what(record),
            kind=KINDS.get(record.history_type, record.history_type),
            changes=tuple(
                _describe(record, name, old, new, names)
                for name, old, new in sorted(diffs, key=_field_order(record))
            ),
            reason=record.history_change_reason or "",
        )
        for record, diffs in described
    ]


def _with_previous(queryset: models.QuerySet[Any], limit: int) -> list[tuple[Any, Any]]:
    """The newest ``limit`` records of ``queryset``, each with the record before it (or None).

    "Before" means the previous record of the same object within ``queryset``, so a filtered
    queryset never compares with a record it filtered out.
    """
    earlier = (
        queryset.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    records = list(
        queryset.annotate(previous_id=Subquery(earlier)).order_by("-history_date", "-history_id")[
            :limit
        ]
    )
    by_id = {record.history_id: record for record in records}
    missing = {r.previous_id for r in records if r.previous_id is not None} - by_id.keys()
    if missing:
        by_id.update((r.history_id, r) for r in queryset.filter(history_id__in=missing))
    return [(record, by_id.get(record.previous_id)) for record in records]


def _field_diffs(record: Any, previous: Any) -> list[tuple[str, Any, Any]]:
    if record.history_type != "~" or previous is None:
        return []
    delta = record.diff_against(previous, excluded_fields=NOISE_FIELDS)
    return [(change.field, change.old, change.new) for change in delta.changes]


def _field_order(record: Any) -> Any:
    order = {f.name: i for i, f in enumerate(record.instance_type._meta.fields)}
    return lambda diff: order.get(diff[0], len(order))


def _who(user: User | None) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def _what(record: Any) -> str:
    model = record.instance_type
    if model is Action:
        return "Action"
    if model is ActionLead:
        return f"Lead {record.number}"
    if model is Measure:
        return f"Measure {record.number}"
    if model is QuarterlyUpdate:
        return f"Update {_update_label(record.period, record.district)}"
    if model is MeasureFigure:
        measure = record.measure.description if record.measure else "a deleted measure"
        update = record.update
        if update is None:
            return f"Figure for {measure}"
        return f"Figure for {measure} ({_update_label(update.period, update.district)})"
    return capfirst(model._meta.verbose_name)


def _update_label(period: Any, district: Any) -> str:
    where = district.name if district else "whole area"
    return f"{period.label} {where}" if period else f"(deleted period) {where}"


def _related_names(
    described: list[tuple[Any, list[tuple[str, Any, Any]]]],
) -> dict[tuple[type[models.Model], Any], str]:
    """The names behind every foreign key value that changed: one query per related model."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for record, diffs in described:
        for name, old, new in diffs:
            related = record.instance_type._meta.get_field(name).related_model
            if related is not None:
                wanted[related].update(v for v in (old, new) if v is not None)
    names: dict[tuple[type[models.Model], Any], str] = {}
    for model, pks in wanted.items():
        related_fields = _RELATED_FOR_NAME.get(model, ())
        for obj in model._default_manager.select_related(*related_fields).filter(pk__in=pks):
            name = _who(obj) if isinstance(obj, User) else str(obj)
            names[(model, obj.pk)] = name
    return names


def _describe(
    record: Any,
    name: str,
    old: Any,
    new: Any,
    names: dict[tuple[type[models.Model], Any], str],
) -> FieldChange:
    model_field = record.instance_type._meta.get_field(name)
    old_text, new_text = _value(model_field, old, names), _value(model_field, new, names)
    if isinstance(model_field, models.TextField | models.CharField) and not model_field.choices:
        old_text, new_text = _shorten_pair(old_text, new_text)
    return FieldChange(capfirst(model_field.verbose_name), old_text, new_text)


def _value(model_field: Any, value: Any, names: dict[tuple[type[models.Model], Any], str]) -> str:
    if value is None or value == "":
        return "(none)"
    if model_field.is_relation:
        model = model_field.related_model
        return names.get((model, value), f"a deleted {model._meta.verbose_name}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal | float):
        return number(value)
    if isinstance(value, datetime | date):
        return format_date(value, "j F Y")
    return str(value)


def _shorten_pair(old: str, new: str) -> tuple[str, str]:
    """Both texts cut to ``TEXT_LIMIT``, starting a little before where they first differ."""
    if len(old) <= TEXT_LIMIT and len(new) <= TEXT_LIMIT:
        return old, new
    same = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        same += 1
    start = 0
    if same > TEXT_LEAD_IN:
        # Back to the start of a word, so the excerpt does not open mid-word.
        start = old.rfind(" ", 0, same - TEXT_LEAD_IN) + 1
    return _cut(old, start), _cut(new, start)


def _cut(text: str, start: int) -> str:
    if text == "(none)":
        return text
    head = "…" if start else ""
    piece = text[start:]
    if len(piece) > TEXT_LIMIT:
        piece = piece[: TEXT_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return head + piece
