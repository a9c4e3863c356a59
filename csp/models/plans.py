"""A partnership's plan and its hierarchy: priority › theme › strategic objective › action."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models, transaction
from django.db.models import Case, F, FilteredRelation, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import NullIf
from django.urls import reverse
from simple_history.models import HistoricalRecords

from csp import access
from csp.models.updates import ActionStatus, ReportingPeriod, UpdateStatus
from csp.quarters import FinancialQuarter, financial_year_label, financial_year_slug

# -- the action list's stored order ----------------------------------------------------------
# The list is ordered by plan title, priority number, objective number and action number. Those
# live on four tables, so no index could answer the order and every page sorted every action.
# Each action keeps a copy of the first three (``Action.sort_*``) under one index; a save or
# bulk write that changes any of them, on any level, refreshes the copies it affects.

SORT_KEY_FIELDS = ("sort_plan_title", "sort_priority", "sort_objective")


class SortSource(models.Model):
    """A level (plan, priority, objective) whose fields are part of its actions' stored order.

    ``sort_source_fields`` names them (by attribute: ``plan_id``); a save that changed one
    refreshes its actions' keys.
    """

    sort_source_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        changed = not self._state.adding and (
            getattr(self, "_sort_source", None) != self._sort_values()
        )
        if changed:
            with transaction.atomic():
                super().save(*args, **kwargs)
                self.actions_of([self.pk]).refresh_sort_keys()
        else:
            super().save(*args, **kwargs)
        self._sort_source = self._sort_values()

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._sort_source = instance._sort_values()
        return instance

    def _sort_values(self) -> tuple[Any, ...]:
        return tuple(self.__dict__.get(name) for name in self.sort_source_fields)

    @classmethod
    def actions_of(cls, pks: list[int]) -> ActionQuerySet:
        raise NotImplementedError


class SortSourceQuerySet(models.QuerySet[Any]):
    """Bulk writes that change a level's order fields refresh its actions' keys, as saves do."""

    def _touches_order(self, names: Any) -> bool:
        wanted = set(self.model.sort_source_fields)
        return any(self.model._meta.get_field(name).attname in wanted for name in names)

    def update(self, **kwargs: Any) -> int:
        if not self._touches_order(kwargs):
            return super().update(**kwargs)
        with transaction.atomic():
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            self.model.actions_of(pks).refresh_sort_keys()
        return count

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        with transaction.atomic():
            count = super().bulk_update(objs, fields, *args, **kwargs)
            if self._touches_order(fields):
                self.model.actions_of([o.pk for o in objs]).refresh_sort_keys()
        return count


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ADOPTED = "adopted", "Adopted"
    ARCHIVED = "archived", "Archived"


class PlanQuerySet(SortSourceQuerySet):
    def visible_to(self, user: access.AnyUser) -> PlanQuerySet:
        return self.filter(access.partnership_visibility(user, "partnership"))


class Plan(SortSource):
    """A partnership plan, e.g. "Partnership Plan 2016/17", for one or more financial years."""

    sort_source_fields = ("title",)

    partnership = models.ForeignKey("Partnership", on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    version_label = models.CharField(
        max_length=100, blank=True, help_text="e.g. Version 2 – July 2016"
    )
    first_year = models.PositiveSmallIntegerField(
        help_text="The financial year the plan starts: 2016 for 2016/17."
    )
    last_year = models.PositiveSmallIntegerField(
        help_text="The financial year the plan ends: 2023 for 2023/24."
    )
    status = models.CharField(max_length=10, choices=PlanStatus, default=PlanStatus.DRAFT)
    priorities_agreed_on = models.DateField(null=True, blank=True)
    priorities_agreed_by = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. Responsible Authorities Group, after the strategic assessment",
    )
    introduction = models.TextField(blank=True)
    previous_version = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_versions"
    )

    objects = PlanQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["partnership_id", "-first_year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_year__gte=models.F("first_year")), name="plan_years_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def actions_of(cls, pks: list[int]) -> ActionQuerySet:
        return Action.objects.filter(objective__priority__plan_id__in=pks)

    @property
    def years_label(self) -> str:
        if self.first_year == self.last_year:
            return financial_year_label(self.first_year)
        return f"{financial_year_label(self.first_year)} to {financial_year_label(self.last_year)}"

    def refresh_to_next_year(self, *, slug: str | None = None, title: str | None = None) -> Plan:
        """Copy this plan to a new draft version for the years that follow it; return the copy.

        The copy starts the financial year after this plan ends and spans as many years. It
        takes this plan's partnership, introduction, priorities (with their themes), strategic
        objectives (with their statutory strands) and the actions that are not finished. An
        action is finished when its latest status (``ActionQuerySet.with_status`` with no
        period) is complete or no longer required; one with no update at all is carried over.
        An objective or priority whose actions are all finished is copied all the same: the
        priorities are the plan's, and pruning them is the coordinator's call.

        A copied action keeps its number, description, outcomes, lead as written, restriction,
        districts, leads (organisations, officers, all partners) and measures (targets only: the
        figures belong to the old plan's updates). Its due quarter moves on by as many years as
        the plan does (one, for a one-year plan); its timescale is kept as written, so "Q2 -
        Sept 16" still says Sept 16 and is the coordinator's to reword.

        No reporting period, update, status, summary or funding is copied, and nothing of this
        plan changes: its history stays as it was. The copy is a draft with no version label and
        no agreement of priorities yet, and its ``previous_version`` is this plan.

        ``title`` and ``slug`` are derived unless given (``_next_title``, ``_next_slug``); a
        given slug must be a free, valid slug, or ``ValueError`` says why. All of it happens in
        one transaction, in a fixed number of queries whatever the plan's size.
        """
        span = self.last_year - self.first_year
        first_year = self.last_year + 1
        shift = first_year - self.first_year
        if title is None:
            title = _next_title(self, shift)
        elif not title.strip():
            raise ValueError("Give the new plan a title.")
        elif len(title) > Plan._meta.get_field("title").max_length:  # type: ignore[operator]
            raise ValueError(f"The title {title[:40]!r}… is too long.")
        with transaction.atomic():
            if slug is None:
                slug = free_plan_slug(_next_slug(self, shift))
            else:
                _check_slug(slug)
            new = Plan.objects.create(
                partnership_id=self.partnership_id,
                title=title,
                slug=slug,
                version_label="",
                first_year=first_year,
                last_year=first_year + span,
                status=PlanStatus.DRAFT,
                priorities_agreed_on=None,
                priorities_agreed_by="",
                introduction=self.introduction,
                previous_version=self,
            )
            _copy_contents(self, new, shift)
        return new


class Priority(SortSource):
    """A plan's priority, e.g. "Safeguarding Vulnerable People from Harm"."""

    sort_source_fields = ("number", "plan_id")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="priorities")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    objects = SortSourceQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name_plural = "priorities"
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="priority_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.shown_title}"

    @classmethod
    def actions_of(cls, pks: list[int]) -> ActionQuerySet:
        return Action.objects.filter(objective__priority_id__in=pks)

    @property
    def shown_title(self) -> str:
        """The title, or says there is none: a plan imported with no names for its levels."""
        return self.title or "Priority not named"


class Theme(models.Model):
    """A theme within a priority, e.g. "Domestic Abuse" under safeguarding."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="themes")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "number"], name="theme_number_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class StatutoryStrand(models.TextChoices):
    """What a CSP strategy must address (Crime and Disorder Act 1998 s6, as amended)."""

    CRIME_AND_DISORDER = "crime_and_disorder", "Reduction of crime and disorder"
    SUBSTANCE_MISUSE = (
        "substance_misuse",
        "Combatting the misuse of drugs, alcohol and other substances",
    )
    REOFFENDING = "reoffending", "Reduction of re-offending"
    SERIOUS_VIOLENCE_INVOLVEMENT = (
        "serious_violence_involvement",
        "Preventing people from becoming involved in serious violence",
    )
    SERIOUS_VIOLENCE_REDUCTION = (
        "serious_violence_reduction",
        "Reducing instances of serious violence",
    )


class StrategicObjective(SortSource):
    """What a priority sets out to achieve, e.g. "To safeguard victims of Domestic Abuse …"."""

    sort_source_fields = ("number", "priority_id")

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="objectives")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="objectives"
    )
    number = models.PositiveSmallIntegerField()
    title = models.TextField()
    is_statutory = models.BooleanField(
        "statutory obligation", default=False, help_text="e.g. Domestic Homicide Reviews"
    )

    objects = SortSourceQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "number"], name="objective_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.shown_title}"

    @classmethod
    def actions_of(cls, pks: list[int]) -> ActionQuerySet:
        return Action.objects.filter(objective_id__in=pks)

    @property
    def shown_title(self) -> str:
        """The title, or says there is none: a plan with no objective level has one unnamed
        objective per priority, shown as such rather than given invented words."""
        return self.title or "Objective not named"

    @property
    def reference(self) -> str:
        return f"{self.priority.number}.{self.number}"

    def clean(self) -> None:
        if self.theme_id and self.priority_id and self.theme.priority_id != self.priority_id:
            raise ValidationError({"theme": "Choose a theme of this objective's own priority."})

    @property
    def strand_values(self) -> list[str]:
        return [s.strand for s in self.strands.all()]


class ObjectiveStrand(models.Model):
    """Tags a strategic objective with a statutory strand it addresses."""

    objective = models.ForeignKey(
        StrategicObjective, on_delete=models.CASCADE, related_name="strands"
    )
    strand = models.CharField(max_length=40, choices=StatutoryStrand)

    class Meta:
        ordering = ["objective_id", "strand"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "strand"], name="objective_strand_unique"),
            models.CheckConstraint(
                condition=Q(strand__in=list(StatutoryStrand.values)), name="objective_strand_known"
            ),
        ]

    def __str__(self) -> str:
        return self.get_strand_display()


class ActionQuerySet(models.QuerySet["Action"]):
    def with_status(
        self,
        period: ReportingPeriod | FinancialQuarter | None = None,
        user: access.AnyUser | None = None,
    ) -> ActionQuerySet:
        """Annotate each action's ``current_status``, ``status_rank`` and ``status_period_id``.

        For ``period``, it is the worst status among that period's reported updates across the
        action's districts (``STATUS_SEVERITY``, applied by ``ActionStatus.refresh``); with no
        period, the status of the latest period the action has a reported update in. ``None``
        where there is no such update. ``period`` may be a plan's ``ReportingPeriod`` or a
        ``FinancialQuarter``, meaning that quarter in whichever plan each action belongs to.

        Given a ``user``, updates marked restricted count only in the partnerships where that
        user may see them, so a status never gives away what the public view hides.
        For a period this is one indexed LEFT JOIN, so it filters and sorts 20,000 actions fast.
        """
        if period is None:
            latest = ActionStatus.objects.filter(action=OuterRef("pk")).order_by("-quarter_key")
            public = latest.filter(public_rank__isnull=False)

            def latest_of(full: str, public_field: str) -> Any:
                return access.pick_for(
                    user,
                    Subquery(latest.values(full)[:1]),
                    Subquery(public.values(public_field)[:1]),
                )

            return self.annotate(
                current_status=latest_of("status", "public_status"),
                status_rank=latest_of("rank", "public_rank"),
                status_period_id=latest_of("period_id", "period_id"),
            )
        quarter = period if isinstance(period, FinancialQuarter) else period.financial_quarter
        return self.annotate(
            period_status=FilteredRelation(
                "statuses", condition=Q(statuses__quarter_key=quarter.key)
            ),
            status_rank=access.pick_for(
                user, F("period_status__rank"), F("period_status__public_rank")
            ),
            current_status=access.pick_for(
                user,
                F("period_status__status"),
                NullIf(F("period_status__public_status"), Value("")),
            ),
            status_period_id=access.pick_for(
                user,
                F("period_status__period_id"),
                Case(
                    When(
                        period_status__public_rank__isnull=False,
                        then=F("period_status__period_id"),
                    )
                ),
            ),
        )

    def visible_to(self, user: access.AnyUser) -> ActionQuerySet:
        return self.filter(
            access.full_visibility(
                user, "objective__priority__plan__partnership", ("is_restricted",)
            )
        )

    def in_plan(self, plan: Plan) -> ActionQuerySet:
        return self.filter(objective__priority__plan=plan)

    def refresh_sort_keys(self) -> int:
        """Copy each action's plan title, priority and objective numbers into its sort keys."""
        objective = StrategicObjective.objects.filter(pk=OuterRef("objective_id"))
        return models.QuerySet.update(
            self,
            sort_plan_title=Subquery(objective.values("priority__plan__title")[:1]),
            sort_priority=Subquery(objective.values("priority__number")[:1]),
            sort_objective=Subquery(objective.values("number")[:1]),
        )

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        objs = list(objs)
        fill_sort_keys(objs)
        if kwargs.get("update_fields") and _names_objective(kwargs["update_fields"]):
            kwargs["update_fields"] = [*kwargs["update_fields"], *SORT_KEY_FIELDS]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        if _names_objective(fields):
            objs = list(objs)
            fill_sort_keys(objs)
            fields = [*fields, *SORT_KEY_FIELDS]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        if not _names_objective(kwargs):
            return super().update(**kwargs)
        with transaction.atomic():
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            Action.objects.filter(pk__in=pks).refresh_sort_keys()
        return count


def _names_objective(names: Any) -> bool:
    return bool({"objective", "objective_id"} & set(names))


def fill_sort_keys(actions: list[Action]) -> None:
    """Set the sort keys of unsaved or moved ``actions`` from their objectives: from memory
    where the objective, its priority and its plan are loaded (a new plan being written),
    else in one query for them all."""
    missing = set()
    for action in actions:
        objective = action.objective if Action.objective.is_cached(action) else None  # type: ignore[attr-defined]
        if (
            objective is not None
            and StrategicObjective.priority.is_cached(objective)  # type: ignore[attr-defined]
            and Priority.plan.is_cached(objective.priority)  # type: ignore[attr-defined]
        ):
            action.sort_plan_title = objective.priority.plan.title
            action.sort_priority = objective.priority.number
            action.sort_objective = objective.number
        else:
            missing.add(action.objective_id)
    if not missing:
        return
    keys = {
        pk: (title, priority, number)
        for pk, title, priority, number in StrategicObjective.objects.filter(
            pk__in=missing
        ).values_list("pk", "priority__plan__title", "priority__number", "number")
    }
    for action in actions:
        if action.objective_id in keys:
            action.sort_plan_title, action.sort_priority, action.sort_objective = keys[
                action.objective_id
            ]


class Action(models.Model):
    """Something a lead agency will do towards an objective, with its outcomes and timescale."""

    objective = models.ForeignKey(
        StrategicObjective, on_delete=models.CASCADE, related_name="actions"
    )
    number = models.PositiveSmallIntegerField()
    description = models.TextField()
    outcomes = models.TextField("outcomes / measures", blank=True)
    lead_as_written = models.TextField(
        "lead agency / officer as written",
        blank=True,
        help_text="The plan's own words for who leads.",
    )
    timescale = models.CharField(
        max_length=200, blank=True, help_text="As written: Q1-4, Q2 - Sept 16, Ongoing."
    )
    due_year = models.PositiveSmallIntegerField(null=True, blank=True)
    due_quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    districts = models.ManyToManyField(
        "District", blank=True, related_name="actions", help_text="Leave empty for every district."
    )
    is_restricted = models.BooleanField(
        "restricted", default=False, help_text="Hidden from the public view."
    )
    # Copies of the plan's title and the priority's and objective's numbers, so the list's
    # order is one index (see SORT_KEY_FIELDS); kept by every write that changes them.
    sort_plan_title = models.CharField(max_length=200, default="", editable=False)
    sort_priority = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_objective = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = ActionQuerySet.as_manager()

    # The order's copies are not the action's own data: its history leaves them out.
    history = HistoricalRecords(excluded_fields=list(SORT_KEY_FIELDS))

    class Meta:
        ordering = [
            "objective__priority__plan_id",
            "objective__priority__number",
            "objective__number",
            "number",
        ]
        constraints = [
            models.UniqueConstraint(fields=["objective", "number"], name="action_number_unique"),
            models.CheckConstraint(
                condition=Q(due_quarter__isnull=True) | Q(due_quarter__gte=1, due_quarter__lte=4),
                name="action_due_quarter_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(due_quarter__isnull=True, due_year__isnull=True)
                | Q(due_quarter__isnull=False, due_year__isnull=False),
                name="action_due_year_with_quarter",
            ),
        ]
        indexes = [
            models.Index(fields=[*SORT_KEY_FIELDS, "number", "id"], name="action_reference_order"),
        ]

    def __str__(self) -> str:
        text = self.description if len(self.description) <= 80 else self.description[:79] + "…"
        return f"{self.reference} {text}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding or self.objective_id != getattr(self, "_stored_objective_id", None):
            fill_sort_keys([self])
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and _names_objective(update_fields):
                kwargs["update_fields"] = {*update_fields, *SORT_KEY_FIELDS}
        super().save(*args, **kwargs)
        self._stored_objective_id = self.objective_id

    def get_absolute_url(self) -> str:
        return reverse("action-detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        action = super().from_db(db, field_names, values)
        action._stored_objective_id = action.__dict__.get("objective_id")
        return action

    @property
    def reference(self) -> str:
        """ "1.2.3": priority, objective and action numbers."""
        return f"{self.objective.priority.number}.{self.objective.number}.{self.number}"

    @property
    def due(self) -> FinancialQuarter | None:
        if self.due_year is None or self.due_quarter is None:
            return None
        return FinancialQuarter(self.due_year, self.due_quarter)

    @property
    def plan(self) -> Plan:
        return self.objective.priority.plan

    def status_for(
        self, period: ReportingPeriod | None = None, user: access.AnyUser | None = None
    ) -> str | None:
        """This action's status for ``period`` (or its latest): ``ActionQuerySet.with_status``."""
        return (
            Action.objects.filter(pk=self.pk)
            .with_status(period, user)
            .values_list("current_status", flat=True)
            .first()
        )


class ActionLead(models.Model):
    """One lead on an action: an organisation, optionally one of its officers, or "All partners"."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="leads")
    number = models.PositiveSmallIntegerField(default=1)
    organisation = models.ForeignKey(
        "Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="action_leads"
    )
    officer = models.ForeignKey(
        "Officer", on_delete=models.PROTECT, null=True, blank=True, related_name="action_leads"
    )
    all_partners = models.BooleanField(default=False, help_text="Led by every member organisation.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["action_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="action_lead_number_unique"),
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(all_partners=False))
                | (Q(organisation__isnull=True) & Q(officer__isnull=True) & Q(all_partners=True)),
                name="action_lead_organisation_or_all_partners",
            ),
        ]

    def __str__(self) -> str:
        if self.all_partners:
            return "All partners"
        assert self.organisation is not None
        return self.label(
            False,
            self.organisation.short_name,
            self.organisation.name,
            self.officer.name if self.officer else None,
        )

    @staticmethod
    def label(
        all_partners: bool, short_name: str | None, name: str | None, officer: str | None
    ) -> str:
        """How a lead is written, from its values: "All partners", "RDC", "RDC – Gary Brown"."""
        if all_partners:
            return "All partners"
        shown = short_name or name or ""
        return f"{shown} – {officer}" if officer else shown

    def clean(self) -> None:
        if (
            self.officer_id
            and self.organisation_id
            and self.officer.organisation_id != self.organisation_id
        ):
            raise ValidationError({"officer": "This officer works for another organisation."})


class Measure(models.Model):
    """A figure an action aims at: "at least 100 vulnerable residents", "80% of attendees"."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(max_length=300)
    target_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True, help_text="e.g. %, residents, events")
    target_text = models.CharField(max_length=300, blank=True, help_text="The target as written.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["action_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="measure_number_unique"),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_value__gte=Decimal("0")),
                name="measure_target_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.target_text or self.description

    def unit_for(self, value: Decimal | int | float | None) -> str:
        """The unit as it reads after ``value``: "1 campaign", "2 campaigns", "85%".

        Units are written as plurals ("campaigns", "vulnerable residents"); one of them reads
        in the singular.
        """
        unit = self.unit.strip()
        if not unit or unit == "%" or value is None or Decimal(str(value)) != 1:
            return unit
        head, _, last = unit.rpartition(" ")
        lower = last.lower()
        if lower == "people":
            last = last[0] + "erson"
        elif lower.endswith("ies") and len(lower) > 4:
            last = last[:-3] + "y"
        elif lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
            last = last[:-1]
        return f"{head} {last}" if head else last


# -- refreshing a plan to the next year (Plan.refresh_to_next_year) -----------------------------

FINISHED_STATUSES = frozenset({UpdateStatus.COMPLETE, UpdateStatus.NO_LONGER_REQUIRED})

# A financial year's label in a title, "2016/17" (or "2016-17"), and in a slug, "2016-17".
_TITLE_YEAR = re.compile(r"(?<!\d)(\d{4})([/\-–])(\d{2})(?!\d)")
_SLUG_YEAR = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})(?![0-9])")


def _shift_years(pattern: re.Pattern[str], text: str, plan: Plan, shift: int) -> tuple[str, bool]:
    """``text`` with each label of one of ``plan``'s years moved on by ``shift`` years.

    Only a label whose two years follow each other counts ("2016/17", not "2020-24"), and only
    one of the plan's own years; anything else is left as it is. Says whether any moved.
    """
    found = False

    def move(match: re.Match[str]) -> str:
        nonlocal found
        year, second = int(match[1]), int(match.groups()[-1])
        if (year + 1) % 100 != second or not plan.first_year <= year <= plan.last_year:
            return match[0]
        found = True
        separator = match[2] if len(match.groups()) == 3 else "-"
        new_year = year + shift
        return f"{new_year}{separator}{(new_year + 1) % 100:02d}"

    return pattern.sub(move, text), found


def _years_suffix(first_year: int, last_year: int, *, slug: bool) -> str:
    label = financial_year_slug if slug else financial_year_label
    if first_year == last_year:
        return label(first_year)
    return f"{label(first_year)}{'-to-' if slug else ' to '}{label(last_year)}"


def _next_title(plan: Plan, shift: int) -> str:
    """The title with its years moved on: "Partnership Plan 2016/17" → "… 2017/18".

    Only "2016/17"-style labels are read; a title with none ("Community Safety Plan 2020 to
    2024", where "2024" could be a year or a financial year) gets the new years appended in
    brackets: "Community Safety Plan 2020 to 2024 (2024/25 to 2027/28)".
    """
    title, found = _shift_years(_TITLE_YEAR, plan.title, plan, shift)
    if found:
        return title
    suffix = f" ({_years_suffix(plan.first_year + shift, plan.last_year + shift, slug=False)})"
    room = Plan._meta.get_field("title").max_length - len(suffix)  # type: ignore[operator]
    return plan.title[:room].rstrip() + suffix


def _next_slug(plan: Plan, shift: int) -> str:
    """The slug with its years moved on ("castle-point-rochford-2016-17" → "…-2017-18"), or,
    with no "2016-17" in it ("medway-2020-24"), the new years appended: "medway-2020-24-2024-25-
    to-2027-28". ``_free_slug`` then makes sure no other plan has it.
    """
    slug, found = _shift_years(_SLUG_YEAR, plan.slug, plan, shift)
    if found:
        return slug
    suffix = "-" + _years_suffix(plan.first_year + shift, plan.last_year + shift, slug=True)
    return plan.slug[: _SLUG_LENGTH - len(suffix)].rstrip("-") + suffix


_SLUG_LENGTH = 80  # Plan.slug's max_length
_SLUG_ROOM = 4  # for "-2" … "-999"


def free_plan_slug(base: str) -> str:
    """``base``, or if a plan has it already, ``base-2``, ``base-3``… whichever is free first."""
    base = base[:_SLUG_LENGTH]
    stem = base[: _SLUG_LENGTH - _SLUG_ROOM].rstrip("-")
    taken = set(
        Plan.objects.filter(Q(slug=base) | Q(slug__startswith=f"{stem}-")).values_list(
            "slug", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def _check_slug(slug: str) -> None:
    """Refuse, with ``ValueError``, a slug given for a new plan that is not valid or not free."""
    try:
        validate_slug(slug)
    except ValidationError as error:
        raise ValueError(f"{slug!r} is not a valid slug: use letters, numbers, - and _.") from error
    if len(slug) > _SLUG_LENGTH:
        raise ValueError(f"{slug!r} is longer than {_SLUG_LENGTH} characters.")
    if Plan.objects.filter(slug=slug).exists():
        raise ValueError(f"A plan with the slug {slug!r} exists already.")


def _copy_contents(old: Plan, new: Plan, shift: int) -> None:
    """Copy ``old``'s priorities down to its unfinished actions into ``new`` (see
    ``Plan.refresh_to_next_year``), with one read and one bulk write per kind of record."""
    priorities = {}
    for priority in Priority.objects.filter(plan=old).order_by("number"):
        priorities[priority.pk] = Priority(
            plan=new, number=priority.number, title=priority.title, description=priority.description
        )
    Priority.objects.bulk_create(priorities.values())

    themes = {}
    for theme in Theme.objects.filter(priority__plan=old).order_by("priority_id", "number"):
        themes[theme.pk] = Theme(
            priority=priorities[theme.priority_id], number=theme.number, title=theme.title
        )
    Theme.objects.bulk_create(themes.values())

    objectives = {}
    for objective in StrategicObjective.objects.filter(priority__plan=old).order_by(
        "priority_id", "number"
    ):
        objectives[objective.pk] = StrategicObjective(
            priority=priorities[objective.priority_id],
            theme=themes.get(objective.theme_id) if objective.theme_id else None,
            number=objective.number,
            title=objective.title,
            is_statutory=objective.is_statutory,
        )
    StrategicObjective.objects.bulk_create(objectives.values())
    ObjectiveStrand.objects.bulk_create(
        ObjectiveStrand(objective=objectives[objective_id], strand=strand)
        for objective_id, strand in ObjectiveStrand.objects.filter(objective__priority__plan=old)
        .order_by("pk")
        .values_list("objective_id", "strand")
    )

    actions = {}
    for action in Action.objects.in_plan(old).with_status().order_by("pk"):
        if action.current_status in FINISHED_STATUSES:  # type: ignore[attr-defined]
            continue
        actions[action.pk] = Action(
            objective=objectives[action.objective_id],
            number=action.number,
            description=action.description,
            outcomes=action.outcomes,
            lead_as_written=action.lead_as_written,
            timescale=action.timescale,
            due_year=None if action.due_year is None else action.due_year + shift,
            due_quarter=action.due_quarter,
            is_restricted=action.is_restricted,
        )
    Action.objects.bulk_create(actions.values())

    ActionDistrict = Action.districts.through
    ActionDistrict.objects.bulk_create(
        ActionDistrict(action_id=actions[action_id].pk, district_id=district_id)
        for action_id, district_id in ActionDistrict.objects.filter(
            action__objective__priority__plan=old
        )
        .order_by("pk")
        .values_list("action_id", "district_id")
        if action_id in actions
    )
    ActionLead.objects.bulk_create(
        ActionLead(
            action=actions[lead.action_id],
            number=lead.number,
            organisation_id=lead.organisation_id,
            officer_id=lead.officer_id,
            all_partners=lead.all_partners,
        )
        for lead in ActionLead.objects.filter(action__objective__priority__plan=old).order_by("pk")
        if lead.action_id in actions
    )
    Measure.objects.bulk_create(
        Measure(
            action=actions[measure.action_id],
            number=measure.number,
            description=measure.description,
            target_value=measure.target_value,
            unit=measure.unit,
            target_text=measure.target_text,
        )
        for measure in Measure.objects.filter(action__objective__priority__plan=old).order_by("pk")
        if measure.action_id in actions
    )


def describe_refresh(old: Plan, new: Plan) -> str:
    """One sentence on what ``old.refresh_to_next_year()`` made, for the command and the admin."""
    kept = Action.objects.in_plan(new).count()
    left = Action.objects.in_plan(old).count() - kept
    objectives = StrategicObjective.objects.filter(priority__plan=new).count()
    priorities = new.priorities.count()

    def counted(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    return (
        f"{new.title} ({new.slug}, {new.years_label}) made from {old.title}: "
        f"{counted(priorities, 'priority', 'priorities')}, "
        f"{counted(objectives, 'objective', 'objectives')}, "
        f"{counted(kept, 'action', 'actions')} carried over, "
        f"{counted(left, 'finished action', 'finished actions')} left behind."
    )
