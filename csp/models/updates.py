"""Reporting periods and what agencies report in them: quarterly updates and 4 Ps summaries.

The rule for an action's status lives here too (``UpdateStatus.SEVERITY`` and
``status_severity``), and ``ActionQuerySet.with_status`` is the one place that applies it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, F, IntegerField, Max, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from simple_history.models import HistoricalRecords

from csp import access
from csp.quarters import FinancialQuarter


class PeriodStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    REPORTED = "reported", "Reported"


class PeriodLocked(ValidationError):
    """A write to a period that has been reported to committee, outside an amendment."""


LOCKED = (
    "{label} has been reported and is locked. A coordinator can re-open an update for an "
    "amendment, giving the reason."
)
LOCKED_PLACE = (
    "{label} has been reported and is locked: nothing can be moved into it or out of it, "
    "not even during an amendment."
)
LOCKED_PERIOD = "{label} has been reported and is locked: it cannot be changed."
LOCKED_DELETE = "{label} has been reported and is locked: {record} cannot be deleted."

# Fields a save may change without changing anything a committee read.
NOT_CONTENT = frozenset({"id", "created_at", "updated_at", "version"})


def _content_fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.attname not in NOT_CONTENT]


def _values_if_concrete(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """``kwargs`` of a queryset update with model instances as ids; ``None`` if an expression."""
    values = {}
    for name, value in kwargs.items():
        if hasattr(value, "resolve_expression"):
            return None
        values[name] = value.pk if isinstance(value, models.Model) else value
    return values


class ReportingPeriodQuerySet(models.QuerySet["ReportingPeriod"]):
    """A reported period is changed and deleted by none of the bulk paths either."""

    def locked(self) -> ReportingPeriodQuerySet:
        return self.filter(status=PeriodStatus.REPORTED)

    def update(self, **kwargs: Any) -> int:
        locked = self.locked()
        values = _values_if_concrete(kwargs)
        if values is not None:
            # Marking a reported period reported again changes nothing and is let through.
            locked = locked.exclude(**values)
        first = locked.first()
        if first is not None:
            raise PeriodLocked(LOCKED_PERIOD.format(label=first.label))
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_deleting(self.locked())
        return super().delete()


class ReportingPeriod(models.Model):
    """A quarter of a financial year in which a plan's leads report progress.

    Once reported it is the record of what a committee was told: ``check_lock`` keeps every
    field as it is, and it cannot be deleted (nor its plan, which would take it along).
    """

    plan = models.ForeignKey("Plan", on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField(help_text="The financial year: 2016 for 2016/17.")
    quarter = models.PositiveSmallIntegerField(choices=[(q, f"Q{q}") for q in range(1, 5)])
    deadline = models.DateField("update deadline", null=True, blank=True)
    status = models.CharField(max_length=10, choices=PeriodStatus, default=PeriodStatus.OPEN)

    objects = ReportingPeriodQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year", "quarter"], name="period_unique_per_plan"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="period_quarter_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.check_lock()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_deleting([self])
        return super().delete(*args, **kwargs)

    @property
    def financial_quarter(self) -> FinancialQuarter:
        return FinancialQuarter(self.year, self.quarter)

    @property
    def label(self) -> str:
        return self.financial_quarter.label

    @property
    def slug(self) -> str:
        return self.financial_quarter.slug

    @property
    def is_locked(self) -> bool:
        return self.status == PeriodStatus.REPORTED

    def check_lock(self) -> None:
        """Refuse saving this period if it is stored as reported and the save would change it.

        Asked of the database: this copy may have been loaded before the period was reported.
        """
        if self.pk is None:
            return
        fields = _content_fields(ReportingPeriod)
        stored = ReportingPeriod.objects.locked().filter(pk=self.pk).values(*fields).first()
        if stored is not None and any(stored[f] != getattr(self, f) for f in fields):
            label = FinancialQuarter(stored["year"], stored["quarter"]).label
            raise PeriodLocked(LOCKED_PERIOD.format(label=label))

    def clean(self) -> None:
        self.check_lock()  # a form error, before any save is tried
        if self.plan_id and self.year is not None:
            plan = self.plan
            if not plan.first_year <= self.year <= plan.last_year:
                raise ValidationError({"year": f"{plan} runs {plan.years_label} only."})


def refuse_if_locked(period: ReportingPeriod, update: QuarterlyUpdate | None = None) -> None:
    """Refuse a write to ``period`` once it is reported, unless ``update`` is open for amendment.

    The rule every lock check comes down to. Saves ask it through ``check_lock`` (which looks
    at the period a record is stored in as well as the one it is saved in), deletes through
    ``refuse_deleting``, so no view, form, admin page or command can change what a committee
    has been told without an amendment.
    """
    # Asked of the database, not of ``period``: it may have been loaded before the period was
    # reported (a page drawn earlier, a report issued meanwhile).
    stored = ReportingPeriod.objects.filter(pk=period.pk).values_list("status", flat=True).first()
    if (stored or period.status) != PeriodStatus.REPORTED:
        return
    if update is not None and update.pk and update.amendments.filter(closed_at=None).exists():
        return
    raise PeriodLocked(LOCKED.format(label=period.label))


def hold_version(queryset: models.QuerySet, pk: int, version: int) -> bool:
    """Is record ``pk`` still at ``version``? If so, keep it there until the transaction ends.

    For a form checked first and saved later in one transaction (the admin's): a write that
    changes nothing takes the row's lock on PostgreSQL and the write lock on SQLite, so no
    editor can claim the version between the check and the save, which then sets
    ``version + 1`` itself. Outside a transaction it is only a check.
    """
    # The period's row first, as ``csp.cycle.save_update`` takes it, or the two would
    # deadlock on PostgreSQL: an officer holding it and waiting for this row, this save
    # waiting for it (``ActionStatus`` refers to it). NO KEY: that reference may still be
    # taken meanwhile, by the review page accepting an update.
    period = queryset.filter(pk=pk).values("period_id")
    list(ReportingPeriod.objects.select_for_update(no_key=True).filter(pk__in=period).values("pk"))
    held = queryset.filter(pk=pk, version=version)
    return bool(models.QuerySet.update(held, version=F("version")))


def last_change(record: Any) -> tuple[Any, datetime.datetime | None]:
    """Who last saved ``record`` (``None`` if not known) and when, from its history."""
    saved = record.history.select_related("history_user").first()
    if saved is None:
        return None, getattr(record, "updated_at", None)
    return saved.history_user, saved.history_date


class LockedByPeriod:
    """Saving a record that belongs to a period: refused once the period is reported.

    Mixed into the update, its figures and the 4 Ps summary. Each says which periods hold it
    (``lock_periods``: the one it is stored in and the one it would be saved in), which of its
    fields place it (``PLACE_FIELDS``) and which update's amendment lets its content change.
    """

    PLACE_FIELDS: tuple[str, ...] = ()
    pk: Any
    _meta: Any

    def lock_periods(self) -> Q:
        raise NotImplementedError

    def amended_update(self) -> QuarterlyUpdate | None:
        return None

    def check_lock(self, *, if_changed: bool = False) -> None:
        """Refuse to save this record as it now is, if a reported period forbids it.

        Both sides count, so a record can be moved neither into a reported period nor out of
        one; an open amendment lets an update's content change, never its place.
        ``if_changed``: a save that changes nothing passes (a row of an admin page that was
        shown with the rest of the page and left alone).
        """
        locked = ReportingPeriod.objects.locked().filter(self.lock_periods()).first()
        if locked is None:
            return
        model = type(self)
        fields = _content_fields(model)  # type: ignore[arg-type]
        stored = None
        if self.pk is not None:
            stored = model._default_manager.filter(pk=self.pk).values(*fields).first()  # type: ignore[attr-defined]
        if stored is not None:
            changed = {f for f in fields if stored[f] != getattr(self, f)}
            if if_changed and not changed:
                return
            if changed & set(self.PLACE_FIELDS):
                raise PeriodLocked(LOCKED_PLACE.format(label=locked.label))
        update = self.amended_update()
        if update is not None and update.pk and update.amendments.filter(closed_at=None).exists():
            return
        raise PeriodLocked(LOCKED.format(label=locked.label))


def _amended_update_ids() -> models.QuerySet:
    """A subquery: the ids of the updates open for amendment now."""
    return Amendment.objects.filter(closed_at=None).values("update_id")


def _refuse_locked_rows(rows: models.QuerySet, path: str, moving: bool = False) -> None:
    """Raise ``PeriodLocked`` naming the reported period (by ``path``) of the first of ``rows``."""
    first = rows.order_by().values_list(f"{path}year", f"{path}quarter").first()
    if first is not None:
        label = FinancialQuarter(*first).label
        raise PeriodLocked((LOCKED_PLACE if moving else LOCKED).format(label=label))


def _refuse_moved_in(manager: Any, pks: list[Any], path: str) -> None:
    """After a bulk move, inside its transaction: refuse it if any of ``pks`` landed in a
    reported period (the value moved to may be an expression, known only once applied)."""
    for start in range(0, len(pks), 2000):
        landed = manager.filter(pk__in=pks[start : start + 2000]).filter(
            **{f"{path}status": PeriodStatus.REPORTED}
        )
        _refuse_locked_rows(landed, path, moving=True)


def locked_for_deletion(records: Iterable[models.Model]) -> list[tuple[models.Model, str]]:
    """Of ``records``, those a reported period keeps from being deleted, each with its period.

    Periods themselves, updates (even during an amendment: it changes an update, never removes
    it), their figures (unless the update is open for amendment) and 4 Ps summaries. Other
    records are never locked. One query per kind of record.
    """
    by_model: dict[type[models.Model], dict[Any, models.Model]] = {}
    for record in records:
        if record.pk is not None:
            by_model.setdefault(type(record), {})[record.pk] = record
    found = []
    for model, pks in by_model.items():
        manager = getattr(model, "objects", None)
        if not hasattr(manager, "locked"):
            continue
        for pk, year, quarter in (
            manager.filter(pk__in=list(pks)).locked().values_list("pk", *LOCKED_PERIOD_PATHS[model])
        ):
            found.append((pks[pk], FinancialQuarter(year, quarter).label))
    return found


def refuse_deleting(records: Iterable[models.Model]) -> None:
    """Raise ``PeriodLocked`` if any of ``records`` is in a reported period (see above)."""
    locked = locked_for_deletion(records)
    if locked:
        record, label = locked[0]
        raise PeriodLocked(LOCKED_DELETE.format(label=label, record=record))


class UpdateStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    COMPLETE = "complete", "Complete"
    NO_LONGER_REQUIRED = "no_longer_required", "No longer required"
    NOT_GIVEN = "not_given", "No status given"


# When an action's districts report different statuses for a period, the worst one wins: red
# before amber before not started before green; complete only when every district is.
# An update that gives no status says nothing and loses to any that does.
STATUS_SEVERITY: dict[str, int] = {
    UpdateStatus.OFF_TRACK: 6,
    UpdateStatus.AT_RISK: 5,
    UpdateStatus.NOT_STARTED: 4,
    UpdateStatus.ON_TRACK: 3,
    UpdateStatus.COMPLETE: 2,
    UpdateStatus.NO_LONGER_REQUIRED: 1,
    UpdateStatus.NOT_GIVEN: 0,
}


STATUS_OF_RANK = {rank: str(status) for status, rank in STATUS_SEVERITY.items()}


def status_severity(field: str = "status") -> Case:
    """A SQL expression ranking ``field`` by ``STATUS_SEVERITY``, worst highest."""
    return Case(
        *(When(**{field: status}, then=Value(rank)) for status, rank in STATUS_SEVERITY.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


class UpdateState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned"
    ACCEPTED = "accepted", "Accepted"


class QuarterlyUpdateQuerySet(models.QuerySet["QuarterlyUpdate"]):
    """Bulk writes refresh ``ActionStatus`` for what they touched, as single saves do."""

    # Changing one of these moves an update to another place, which no amendment allows.
    PLACE = frozenset({"action", "action_id", "period", "period_id", "district", "district_id"})

    def locked(self, *, amended_too: bool = True) -> QuarterlyUpdateQuerySet:
        """Updates in a reported period; ``amended_too=False`` leaves out those being amended.

        As it is, what cannot be deleted: an amendment changes an update, never removes it.
        """
        locked = self.filter(period__status=PeriodStatus.REPORTED)
        if not amended_too:
            locked = locked.exclude(pk__in=_amended_update_ids())
        return locked

    def update(self, **kwargs: Any) -> int:
        moving = bool(self.PLACE & kwargs.keys())
        _refuse_locked_rows(self.locked(amended_too=moving), "period__", moving)
        with transaction.atomic():
            pks = list(self.values_list("pk", flat=True))
            if len(pks) > 5000:
                # Too many to list: update, then rebuild every status once.
                count = super().update(**kwargs)
                if moving:
                    _refuse_moved_in(QuarterlyUpdate.objects, pks, "period__")
                ActionStatus.refresh(None)
                return count
            touched = QuarterlyUpdate.objects.filter(pk__in=pks)
            before = set(touched.values_list("action_id", "period_id"))
            count = super().update(**kwargs)
            if moving:
                _refuse_moved_in(QuarterlyUpdate.objects, pks, "period__")
            after = set(touched.values_list("action_id", "period_id"))
            ActionStatus.refresh(before | after)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_deleting(self.locked()[:1])
        with transaction.atomic():
            touched = list(self.values_list("action_id", "period_id").distinct())
            result = super().delete()
            ActionStatus.refresh(touched)
        return result

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        objs = list(objs)
        reported = ReportingPeriod.objects.filter(
            pk__in={u.period_id for u in objs}, status=PeriodStatus.REPORTED
        ).first()
        if reported is not None:
            refuse_if_locked(reported)
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            ActionStatus.refresh({(u.action_id, u.period_id) for u in created})
        return created

    def claim_version(self, pk: int, version: int) -> bool:
        """Move update ``pk`` on from ``version``, if no one else has: the optimistic lock.

        One conditional UPDATE, so of two editors holding the same version exactly one wins
        (PostgreSQL's row lock and SQLite's single writer both see to that). Only the version
        changes, so no status needs refreshing.
        """
        claimed = self.filter(pk=pk, version=version)
        return bool(models.QuerySet.update(claimed, version=F("version") + 1))

    def hold_version(self, pk: int, version: int) -> bool:
        return hold_version(self, pk, version)

    def with_progress_containing(self, text: str) -> QuarterlyUpdateQuerySet:
        """Updates whose progress text contains ``text``, in any case.

        On SQLite this asks the trigram full-text index (migration 0003) rather than reading
        every update's text; on PostgreSQL ``icontains`` is answered by a trigram index
        (migration 0002). Texts of under three characters, or with LIKE's wildcards in them,
        take the plain path, which gives the same answer more slowly.
        """
        if connection.vendor == "sqlite" and len(text) >= 3 and not set(text) & {"%", "_", "\\"}:
            indexed = RawSQL(
                "SELECT rowid FROM csp_quarterlyupdate_fts WHERE progress LIKE %s", (f"%{text}%",)
            )
            return self.filter(pk__in=indexed)
        return self.filter(progress__icontains=text)

    def reported(self) -> QuarterlyUpdateQuerySet:
        """Updates that count towards an action's status: submitted or accepted, not drafts."""
        return self.filter(state__in=[UpdateState.SUBMITTED, UpdateState.ACCEPTED])

    def visible_to(self, user: access.AnyUser) -> QuarterlyUpdateQuerySet:
        return self.filter(
            access.full_visibility(
                user,
                "action__objective__priority__plan__partnership",
                ("is_restricted", "action__is_restricted"),
            )
        )


class QuarterlyUpdate(LockedByPeriod, models.Model):
    """Progress on one action in one period, for one district or (district blank) the whole area."""

    PLACE_FIELDS = ("action_id", "period_id", "district_id")

    action = models.ForeignKey("Action", on_delete=models.PROTECT, related_name="updates")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="updates")
    district = models.ForeignKey(
        "District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates",
        help_text="Leave blank for an update covering the whole partnership area.",
    )
    organisation = models.ForeignKey(
        "Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates",
        help_text="The agency that reported it.",
    )
    status = models.CharField(max_length=20, choices=UpdateStatus, default=UpdateStatus.NOT_GIVEN)
    progress = models.TextField(blank=True)
    risks = models.TextField("risks and dependencies", blank=True)
    state = models.CharField(max_length=10, choices=UpdateState, default=UpdateState.DRAFT)
    is_restricted = models.BooleanField(
        "restricted", default=False, help_text="Hidden from the public view."
    )
    return_comment = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuarterlyUpdateQuerySet.as_manager()

    history = HistoricalRecords()

    # Set by ``csp.cycle.PeriodSlots`` from one prefetch: the update's amendments still open.
    open_amendments: list[Amendment]

    class Meta:
        ordering = ["action_id", "period__year", "period__quarter", "district__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "period", "district"], name="update_unique_per_district"
            ),
            # NULLs never clash in a unique index, so the whole-area update needs its own rule.
            models.UniqueConstraint(
                fields=["action", "period"],
                condition=Q(district__isnull=True),
                name="update_unique_whole_area",
            ),
            models.CheckConstraint(
                condition=Q(status__in=list(UpdateStatus.values)), name="update_status_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=list(UpdateState.values)), name="update_state_known"
            ),
        ]
        indexes = [
            # Covers an action's status for a period (ActionQuerySet.with_status) without
            # reading the table: long progress texts stay out of the way.
            models.Index(
                fields=["action", "period", "state", "status"], name="update_status_lookup"
            ),
            # A plan's most recent updates (its dashboard) are the first few read backwards,
            # instead of every update sorted.
            models.Index(fields=["updated_at", "id"], name="update_recent"),
        ]

    def __str__(self) -> str:
        where = f" {self.district.name}" if self.district_id else ""
        return f"{self.action.reference} {self.period.label}{where}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.check_lock()
        with transaction.atomic():
            super().save(*args, **kwargs)
            keys = {(self.action_id, self.period_id), getattr(self, "_stored_key", (None, None))}
            ActionStatus.refresh(keys)
        self._stored_key = (self.action_id, self.period_id)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_deleting([self])  # by where it is stored, whatever this copy now says
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            ActionStatus.refresh({(self.action_id, self.period_id)})
        return result

    def lock_periods(self) -> Q:
        where = Q(pk=self.period_id)
        return where | Q(updates=self.pk) if self.pk is not None else where

    def amended_update(self) -> QuarterlyUpdate:
        return self

    @property
    def open_amendment(self) -> Amendment | None:
        return self.amendments.filter(closed_at=None).first()

    def clean(self) -> None:
        if self.period_id:
            self.check_lock(if_changed=True)  # a form error, before any save is tried
        self.check_place()

    @property
    def last_saved_by(self) -> Any:
        """Who saved this update last, by its history: its author, or a coordinator who
        corrected it in the admin; ``None`` if not known."""
        return last_change(self)[0]

    def check_place(self) -> None:
        """The update belongs where it is: its action's own plan and a district it covers."""
        errors = {}
        if self.action_id and self.period_id and self.action.plan.pk != self.period.plan_id:
            errors["period"] = "Choose a period of this action's own plan."
        if self.action_id and self.district_id:
            if self.district.partnership_id != self.action.plan.partnership_id:
                errors["district"] = "Choose a district of this action's partnership."
            elif (
                self.action.districts.exists()
                and not self.action.districts.filter(pk=self.district_id).exists()
            ):
                errors["district"] = "This action does not cover that district."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        update = super().from_db(db, field_names, values)
        update._stored_key = (update.__dict__.get("action_id"), update.__dict__.get("period_id"))
        return update


class ActionStatus(models.Model):
    """An action's status for one period, derived from its updates and kept here for speed.

    The rule (the worst status among the period's reported updates across districts, see
    ``STATUS_SEVERITY``) is applied in one place, ``refresh``, which every write to
    ``QuarterlyUpdate`` calls (saves, deletes, and the queryset's update, delete and
    bulk_create). Reading a status is then one indexed join, cheap for 20,000 actions at once;
    ``manage.py refresh_statuses`` rebuilds the table from scratch should it ever be doubted.
    """

    action = models.ForeignKey("Action", on_delete=models.CASCADE, related_name="statuses")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    quarter_key = models.PositiveIntegerField(
        help_text="FinancialQuarter.key of the period: 20161."
    )
    rank = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=UpdateStatus)
    # The same rule over the updates not marked restricted: what the public view may show.
    public_rank = models.PositiveSmallIntegerField(null=True)
    public_status = models.CharField(max_length=20, choices=UpdateStatus, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "quarter_key"], name="action_status_per_quarter"
            ),
        ]
        verbose_name_plural = "action statuses"

    def __str__(self) -> str:
        return f"{self.action_id} {self.quarter_key}: {self.status}"

    @classmethod
    def shown(
        cls, action_ids: Iterable[int], quarter: FinancialQuarter | None, user: access.AnyUser
    ) -> dict[int, tuple[str | None, int | None]]:
        """For each of these actions, its status for ``quarter`` (or its latest) and the quarter
        of its latest reported update, as ``user`` may see them, in one query: what
        ``ActionQuerySet.with_status`` and the list's last update give, for a page of rows."""
        ids = list(action_ids)
        rows: dict[int, list[tuple[int, str]]] = {pk: [] for pk in ids}
        sees = access.pick_for(
            user,
            Value(True),
            Value(False),
            path="action__objective__priority__plan__partnership",
        )
        for action_id, key, status, public, full in (
            cls.objects.filter(action_id__in=ids)
            .annotate(full=sees)
            .order_by("action_id", "quarter_key")
            .values_list("action_id", "quarter_key", "status", "public_status", "full")
        ):
            # Without its restricted updates, a quarter with nothing else to show is no quarter.
            if full or public:
                rows[action_id].append((key, status if full else public))
        shown: dict[int, tuple[str | None, int | None]] = {}
        for action_id, seen in rows.items():
            last = seen[-1] if seen else None
            if quarter is None:
                status = last[1] if last else None
            else:
                status = next((s for k, s in seen if k == quarter.key), None)
            shown[action_id] = (status, last[0] if last else None)
        return shown

    @classmethod
    def refresh(cls, keys: Iterable[tuple[int | None, int | None]] | None = None) -> None:
        """Recompute the statuses of these (action id, period id) pairs, or of everything."""
        updates = QuarterlyUpdate.objects.reported()
        current = cls.objects.all()
        if keys is not None:
            pairs = {(a, p) for a, p in keys if a is not None and p is not None}
            if not pairs:
                return
            actions = {a for a, _ in pairs}
            if len(actions) > 5000:
                # A very large bulk write: one rebuild beats a long list of ids.
                return cls.refresh(None)
            if len(pairs) > 100:
                # A bulk write: recompute its actions whole rather than OR the pairs together.
                where = Q(action_id__in=actions)
            else:
                where = Q()
                for action_id, period_id in pairs:
                    where |= Q(action_id=action_id, period_id=period_id)
            updates, current = updates.filter(where), current.filter(where)
        rows = (
            updates.order_by()
            .values("action_id", "period_id", "period__year", "period__quarter")
            .annotate(
                rank=Max(status_severity()),
                public_rank=Max(
                    Case(When(is_restricted=False, then=status_severity()), default=None)
                ),
            )
        )
        with transaction.atomic():
            current.delete()
            cls.objects.bulk_create(
                (
                    cls(
                        action_id=row["action_id"],
                        period_id=row["period_id"],
                        quarter_key=row["period__year"] * 10 + row["period__quarter"],
                        rank=row["rank"],
                        status=STATUS_OF_RANK[row["rank"]],
                        public_rank=row["public_rank"],
                        public_status=STATUS_OF_RANK.get(row["public_rank"], ""),
                    )
                    for row in rows.iterator(chunk_size=5000)
                ),
                batch_size=2000,
            )


class MeasureFigureQuerySet(models.QuerySet["MeasureFigure"]):
    """Bulk writes of figures keep a reported period's locks, as single saves do."""

    PLACE = frozenset({"measure", "measure_id", "update", "update_id"})

    def locked(self, *, amended_too: bool = False) -> MeasureFigureQuerySet:
        """Figures of updates in a reported period, but for updates being amended (unless
        ``amended_too``): an amendment may change or clear its update's figures."""
        locked = self.filter(update__period__status=PeriodStatus.REPORTED)
        if not amended_too:
            locked = locked.exclude(update_id__in=_amended_update_ids())
        return locked

    def update(self, **kwargs: Any) -> int:
        moving = bool(self.PLACE & kwargs.keys())
        _refuse_locked_rows(self.locked(amended_too=moving), "update__period__", moving)
        if not moving:
            return super().update(**kwargs)
        with transaction.atomic():
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            _refuse_moved_in(MeasureFigure.objects, pks, "update__period__")
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_deleting(self.locked()[:1])
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        objs = list(objs)
        updates = QuarterlyUpdate.objects.filter(pk__in={f.update_id for f in objs})
        _refuse_locked_rows(updates.locked(amended_too=False), "period__")
        return super().bulk_create(objs, *args, **kwargs)


class MeasureFigure(LockedByPeriod, models.Model):
    """The figure an update reports for one of its action's measures."""

    PLACE_FIELDS = ("measure_id", "update_id")

    measure = models.ForeignKey("Measure", on_delete=models.CASCADE, related_name="figures")
    update = models.ForeignKey(QuarterlyUpdate, on_delete=models.CASCADE, related_name="figures")
    value = models.DecimalField(max_digits=12, decimal_places=2)

    objects = MeasureFigureQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["update_id", "measure__number"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "update"], name="figure_unique_per_update"),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.check_lock()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_deleting([self])
        return super().delete(*args, **kwargs)

    def lock_periods(self) -> Q:
        where = Q(updates=self.update_id)
        return where | Q(updates__figures=self.pk) if self.pk is not None else where

    def amended_update(self) -> QuarterlyUpdate | None:
        return self.update if self.update_id else None

    def clean(self) -> None:
        if self.update_id:
            self.check_lock(if_changed=True)


class PrioritySummaryQuerySet(models.QuerySet["PrioritySummary"]):
    """Bulk writes of 4 Ps summaries keep a reported period's locks, as single saves do."""

    PLACE = frozenset(
        {"priority", "priority_id", "period", "period_id", "organisation", "organisation_id"}
    )

    def locked(self) -> PrioritySummaryQuerySet:
        return self.filter(period__status=PeriodStatus.REPORTED)

    def hold_version(self, pk: int, version: int) -> bool:
        return hold_version(self, pk, version)

    def update(self, **kwargs: Any) -> int:
        moving = bool(self.PLACE & kwargs.keys())
        _refuse_locked_rows(self.locked(), "period__", moving)
        if not moving:
            return super().update(**kwargs)
        with transaction.atomic():
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            _refuse_moved_in(PrioritySummary.objects, pks, "period__")
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_deleting(self.locked()[:1])
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        objs = list(objs)
        periods = ReportingPeriod.objects.filter(pk__in={s.period_id for s in objs})
        _refuse_locked_rows(periods.locked(), "")
        return super().bulk_create(objs, *args, **kwargs)


class PrioritySummary(LockedByPeriod, models.Model):
    """An organisation's summary of its work on a priority in a period, under the 4 Ps."""

    PLACE_FIELDS = ("priority_id", "period_id", "organisation_id")

    priority = models.ForeignKey("Priority", on_delete=models.CASCADE, related_name="summaries")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="summaries")
    organisation = models.ForeignKey(
        "Organisation", on_delete=models.PROTECT, related_name="summaries"
    )
    pursue = models.TextField(blank=True, help_text="Prosecuting and disrupting offenders.")
    prevent = models.TextField(blank=True, help_text="Stopping people becoming involved.")
    protect = models.TextField(
        blank=True, help_text="Strengthening protection of people and places."
    )
    prepare = models.TextField(blank=True, help_text="Reducing the impact when harm happens.")
    state = models.CharField(max_length=10, choices=UpdateState, default=UpdateState.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PrioritySummaryQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority_id", "period__year", "period__quarter", "organisation__name"]
        verbose_name_plural = "priority summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "period", "organisation"],
                name="summary_unique_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority} – {self.organisation.name} – {self.period.label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.check_lock()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_deleting([self])
        return super().delete(*args, **kwargs)

    def lock_periods(self) -> Q:
        where = Q(pk=self.period_id)
        return where | Q(summaries=self.pk) if self.pk is not None else where

    def clean(self) -> None:
        if self.period_id:
            self.check_lock(if_changed=True)
        if self.priority_id and self.period_id and self.priority.plan_id != self.period.plan_id:
            raise ValidationError({"period": "Choose a period of this priority's own plan."})


class Amendment(models.Model):
    """A coordinator's re-opening of one update in a reported period, with the reason.

    While it is open (``closed_at`` empty) that update, alone in its period, may be changed;
    accepting the amended update closes it.
    """

    update = models.ForeignKey(QuarterlyUpdate, on_delete=models.PROTECT, related_name="amendments")
    reason = models.TextField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["update"], condition=Q(closed_at=None), name="one_open_amendment"
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment of {self.update}: {self.reason[:60]}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Deadline coming up"
    OVERDUE = "overdue", "Overdue"


class Reminder(models.Model):
    """An e-mail ``send_reminders`` sent an officer about a period's missing or returned updates.

    One of each kind per person and period: the record is what makes the command safe to run
    every day (or twice a day) from cron.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind)
    email = models.EmailField()
    outstanding = models.PositiveIntegerField(help_text="Updates missing or returned when sent.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period", "kind"], name="one_reminder_of_a_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.email} for {self.period}"


# Where each kind of locked record finds its period's year and quarter (``locked_for_deletion``).
LOCKED_PERIOD_PATHS: dict[type[models.Model], tuple[str, str]] = {
    ReportingPeriod: ("year", "quarter"),
    QuarterlyUpdate: ("period__year", "period__quarter"),
    MeasureFigure: ("update__period__year", "update__period__quarter"),
    PrioritySummary: ("period__year", "period__quarter"),
}


@receiver(pre_delete, sender=ReportingPeriod, dispatch_uid="csp_locked_period")
@receiver(pre_delete, sender=MeasureFigure, dispatch_uid="csp_locked_figure")
@receiver(pre_delete, sender=PrioritySummary, dispatch_uid="csp_locked_summary")
def refuse_cascading_into_a_lock(
    sender: type[models.Model], instance: models.Model, **_: Any
) -> None:
    """Deleting a plan, priority or measure takes its periods, summaries and figures with it:
    refused, inside the deletion's transaction, if one is locked. (Updates need no such guard:
    every relation they hang from protects them.)"""
    refuse_deleting([instance])
