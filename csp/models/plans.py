"""A partnership's plan and its hierarchy: priority › theme › strategic objective › action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, FilteredRelation, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import NullIf
from django.urls import reverse

from csp import access
from csp.models.updates import ActionStatus, ReportingPeriod
from csp.quarters import FinancialQuarter, financial_year_label


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ADOPTED = "adopted", "Adopted"
    ARCHIVED = "archived", "Archived"


class PlanQuerySet(models.QuerySet["Plan"]):
    def visible_to(self, user: access.AnyUser) -> PlanQuerySet:
        return self.filter(access.partnership_visibility(user, "partnership"))


class Plan(models.Model):
    """A partnership plan, e.g. "Partnership Plan 2016/17", for one or more financial years."""

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

    class Meta:
        ordering = ["partnership_id", "-first_year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_year__gte=models.F("first_year")), name="plan_years_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def years_label(self) -> str:
        if self.first_year == self.last_year:
            return financial_year_label(self.first_year)
        return f"{financial_year_label(self.first_year)} to {financial_year_label(self.last_year)}"


class Priority(models.Model):
    """A plan's priority, e.g. "Safeguarding Vulnerable People from Harm"."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="priorities")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["plan_id", "number"]
        verbose_name_plural = "priorities"
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="priority_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Theme(models.Model):
    """A theme within a priority, e.g. "Domestic Abuse" under safeguarding."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="themes")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)

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


class StrategicObjective(models.Model):
    """What a priority sets out to achieve, e.g. "To safeguard victims of Domestic Abuse …"."""

    priority = models.ForeignKey(Priority, on_delete=models.CASCADE, related_name="objectives")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="objectives"
    )
    number = models.PositiveSmallIntegerField()
    title = models.TextField()
    is_statutory = models.BooleanField(
        "statutory obligation", default=False, help_text="e.g. Domestic Homicide Reviews"
    )

    class Meta:
        ordering = ["priority_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["priority", "number"], name="objective_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

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

    objects = ActionQuerySet.as_manager()

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

    def __str__(self) -> str:
        text = self.description if len(self.description) <= 80 else self.description[:79] + "…"
        return f"{self.reference} {text}"

    def get_absolute_url(self) -> str:
        return reverse("action-detail", args=[self.pk])

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
        name = self.organisation.short_name or self.organisation.name
        return f"{name} – {self.officer.name}" if self.officer else name

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
