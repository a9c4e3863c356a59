"""Scrutiny reports: a draft the clerk builds, then an issued PDF kept byte for byte.

Issuing renders the report once and stores the PDF's exact bytes with their SHA-256. From then
on the report is a record of what went before the committee: downloading it returns those bytes
whatever has changed in the plan since, and neither ``save`` nor a queryset ``update`` may change
them.

The models hold what a report and a render are and the rules about themselves; issuing and
rendering (the workflow) are in ``csp.reports.issuing``.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from csp.models.jobs import BackgroundJob, JobState
from csp.models.plans import Action
from csp.models.updates import PeriodStatus, ReportingPeriod


class ReportSection(models.TextChoices):
    """The sections a clerk may leave out, in the report's order.

    The cover, contents, purpose and recommendation, and contacts are always included.
    """

    STATUTORY_BACKGROUND = "statutory_background", "Statutory background"
    PARTNERSHIP = "partnership", "The partnership"
    PRIORITIES = "priorities", "Priorities and how they were agreed"
    AT_A_GLANCE = "at_a_glance", "Progress at a glance"
    CHANGES = "changes", "What changed since the last report"
    EXCEPTIONS = "exceptions", "Exceptions: actions off track or at risk"
    ACTION_PLAN = "action_plan", "Progress on the action plan"
    RISKS = "risks", "Risk register"
    FUNDING = "funding", "Resources"
    IMPLICATIONS = "implications", "Implications"


def all_sections() -> list[str]:
    return list(ReportSection.values)


DEFAULT_COMMITTEE = "Overview and Scrutiny Committee (meeting as the Crime and Disorder Committee)"


class ReportState(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"


# Everything an issued report is: none of it may change once it has been issued.
FROZEN_FIELDS = (
    "partnership_id",
    "plan_id",
    "committee",
    "meeting_date",
    "title",
    "author",
    "contact",
    "large_print",
    "purpose",
    "recommendation",
    "implications",
    "sections",
    "state",
    "pdf",
    "sha256",
    "issued_at",
    "issued_by_id",
    "size",
)


class IssuedReportChanged(ValueError):
    """Raised on an attempt to change an issued report."""


class PlanChangedWhileRendering(ValueError):
    """Raised when the plan changed between laying out a report's PDF and issuing it."""


# The steps of making a report's PDF, as the progress page shows them; issuing adds the last.
RENDER_STEPS = (
    "Gathering the plan",
    "Setting out the document",
    "Laying out pages",
    "Writing the PDF",
    "Keeping the issued copy and locking the periods",
)
Progress = Callable[[int, str], None]


class ScrutinyReportQuerySet(models.QuerySet["ScrutinyReport"]):
    def update(self, **kwargs: Any) -> int:
        frozen = {f.removesuffix("_id") for f in FROZEN_FIELDS} | set(FROZEN_FIELDS)
        if frozen & set(kwargs) and self.filter(state=ReportState.ISSUED).exists():
            raise IssuedReportChanged("An issued report cannot be changed.")
        return super().update(**kwargs)

    def issued(self) -> ScrutinyReportQuerySet:
        return self.filter(state=ReportState.ISSUED)

    def drafts(self) -> ScrutinyReportQuerySet:
        return self.filter(state=ReportState.DRAFT)


class ScrutinyReport(models.Model):
    """A report to the crime and disorder committee on a plan's progress over some periods."""

    partnership = models.ForeignKey(
        "Partnership", on_delete=models.PROTECT, related_name="scrutiny_reports"
    )
    plan = models.ForeignKey("Plan", on_delete=models.PROTECT, related_name="scrutiny_reports")
    periods = models.ManyToManyField(
        ReportingPeriod, related_name="scrutiny_reports", help_text="The quarters it covers."
    )
    committee = models.CharField(max_length=300, default=DEFAULT_COMMITTEE)
    meeting_date = models.DateField(null=True, blank=True)
    title = models.CharField(
        max_length=300, blank=True, help_text="Leave blank for the standard title."
    )
    author = models.CharField(max_length=200, blank=True)
    contact = models.CharField(max_length=300, blank=True)
    large_print = models.BooleanField(default=False)
    purpose = models.TextField(
        blank=True, help_text="Blank: the partnership's wording, else the standard wording."
    )
    recommendation = models.TextField(
        blank=True, help_text="Blank: the partnership's wording, else the standard wording."
    )
    implications = models.TextField(
        blank=True, help_text="Blank: the partnership's wording, else the standard wording."
    )
    sections = models.JSONField(
        default=all_sections,
        blank=True,
        help_text="The optional sections to include (keys of ReportSection).",
    )
    state = models.CharField(max_length=10, choices=ReportState, default=ReportState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Once issued: the PDF exactly as it went out, and who issued it when.
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, editable=False)
    size = models.PositiveIntegerField("size in bytes", null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ScrutinyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=list(ReportState.values)), name="scrutiny_report_state_known"
            ),
            models.CheckConstraint(
                condition=Q(state=ReportState.DRAFT)
                | (
                    Q(issued_at__isnull=False, pdf__isnull=False, size__isnull=False)
                    & ~Q(sha256="")
                ),
                name="issued_report_has_its_pdf",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_title} ({self.get_state_display().lower()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            stored = (
                type(self)
                .objects.filter(pk=self.pk, state=ReportState.ISSUED)
                .values(*FROZEN_FIELDS)
                .first()
            )
            if stored is not None:
                changed = [
                    f for f in FROZEN_FIELDS if _value(getattr(self, f)) != _value(stored[f])
                ]
                if changed:
                    raise IssuedReportChanged(
                        f"An issued report cannot be changed ({', '.join(changed)})."
                    )
        if self.plan_id and self.state == ReportState.DRAFT:
            # Who may see a report follows its partnership; what it says, its plan: the two
            # must agree, whichever form set them.
            self.partnership_id = self.plan.partnership_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("report-detail", args=[self.pk])

    @property
    def is_issued(self) -> bool:
        return self.state == ReportState.ISSUED

    @property
    def display_title(self) -> str:
        return self.title or f"Community safety scrutiny report: {self.plan.title}"

    @property
    def periods_label(self) -> str:
        return ", ".join(p.label for p in self.periods.all()) or "no periods chosen"

    @property
    def filename(self) -> str:
        periods = sorted(self.periods.all(), key=lambda p: (p.year, p.quarter))
        span = ""
        if periods:
            first, last = periods[0].slug, periods[-1].slug
            span = first if first == last else f"{first}-to-{last}"
        suffix = "-large-print" if self.large_print else ""
        state = "" if self.is_issued else "-draft"
        span = span or "no-periods"
        return f"scrutiny-report-{self.plan.slug}-{span}{suffix}{state}.pdf"

    def pdf_bytes(self) -> bytes:
        """The issued PDF's bytes (PostgreSQL hands a BinaryField back as a memoryview)."""
        if self.pdf is None:
            raise ValueError("This report has not been issued.")
        return bytes(self.pdf)

    @property
    def section_labels(self) -> list[str]:
        """The optional sections chosen, by name, in the report's order."""
        chosen = set(self.sections or [])
        return [s.label for s in ReportSection if s.value in chosen]

    @property
    def action_count(self) -> int:
        """How many actions the report covers: its size, as far as rendering time goes."""
        return Action.objects.in_plan(self.plan).count()

    @property
    def renders_inline(self) -> bool:
        """Small enough to render while the browser waits (``REPORT_INLINE_MAX_ACTIONS``)."""
        return self.action_count <= settings.REPORT_INLINE_MAX_ACTIONS

    def check_can_issue(self) -> None:
        """``ValueError`` saying why this report cannot be issued as it stands, if it cannot.

        A report is issued only once, covers at least one period, and only closed ones:
        issuing locks the periods, and leads would be shut out mid-quarter.
        """
        if self.is_issued:
            raise ValueError("This report has already been issued.")
        periods = list(self.periods.all())
        if not periods:
            raise ValueError("Choose at least one reporting period before issuing.")
        still_open = [p.label for p in periods if p.status == PeriodStatus.OPEN]
        if still_open:
            raise ValueError(
                f"Close {', '.join(still_open)} on its review page before issuing: issuing "
                "locks the periods a report covers, and leads are still writing updates."
            )

    def keep_issued_copy(self, data: bytes, user: Any) -> None:
        """Store ``data`` as the issued PDF, with its SHA-256 and size, who issued it and when.

        The caller (``csp.reports.issuing.issue``) does this inside the transaction that locks
        the periods; once saved, the ``save`` above refuses any change to it.
        """
        self.pdf = data
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.size = len(data)
        self.issued_at = timezone.now()
        self.issued_by = user
        self.state = ReportState.ISSUED
        self.save()


def _value(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


# -- making a report's PDF in the background ---------------------------------------------------


class RenderKind(models.TextChoices):
    DRAFT = "draft", "Draft PDF"
    ISSUE = "issue", "Issue"


# A render is a background job (``csp.models.jobs``): its states are a job's.
RenderState = JobState


class ReportRender(BackgroundJob):
    """One making of a long report's PDF by the background worker: a draft to download, or the
    issued copy.

    A web request only records what is wanted and queues ``csp.tasks.render_report``; the worker
    runs ``csp.reports.issuing.run_render``, which notes its progress here for the progress page
    and keeps a draft's PDF (an issued report keeps its own). Small reports are still made
    while the browser waits. If the worker dies, the render is given up as a ``BackgroundJob``
    is: by its heartbeat, within ``JOB_STALE_SECONDS``.
    """

    report = models.ForeignKey(ScrutinyReport, on_delete=models.CASCADE, related_name="renders")
    kind = models.CharField(max_length=10, choices=RenderKind)
    pdf = models.BinaryField(null=True, blank=True, editable=False)  # a draft's PDF
    size = models.PositiveIntegerField("size in bytes", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    doing = "making it"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=list(RenderKind.values)), name="report_render_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=list(RenderState.values)),
                name="report_render_state_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.report} ({self.get_state_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("report-render", args=[self.report_id, self.pk])

    @property
    def steps(self) -> list[tuple[str, str]]:
        """Each step with ``done``, ``current`` or ``waiting``, for the progress page."""
        return self.steps_of(RENDER_STEPS[: 5 if self.kind == RenderKind.ISSUE else 4])

    def time_limit(self) -> datetime.timedelta:
        """``REPORT_RENDER_TIMEOUT_MINUTES``: longer, and it is stuck, heartbeat or not."""
        return datetime.timedelta(minutes=settings.REPORT_RENDER_TIMEOUT_MINUTES)

    @property
    def filename(self) -> str:
        return self.report.filename

    def pdf_bytes(self) -> bytes:
        if self.pdf is None:
            raise ValueError("This render has no PDF.")
        return bytes(self.pdf)

    def _note(self, step: int, text: str) -> None:
        """The progress callback the renderer is given (``BackgroundJob.note``)."""
        self.note(step, text)


# -- an agency's progress report, made in the background -------------------------------------

AGENCY_RENDER_STEPS = (
    "Gathering the actions",
    "Setting out the document",
    "Laying out pages",
    "Writing the PDF",
)


class AgencyReportRender(BackgroundJob):
    """One making of an organisation's progress report (``csp.reports.agency``) in the
    background, for everyone who sees the same of it.

    An agency leading many actions takes too long to lay out while the browser waits, so its
    report is made by the worker, like a long scrutiny report. What the report shows depends on
    who asks (restricted items show to members), so a render is for one ``audience``
    (``csp.access.audience``, hashed): a request from someone who would see the same joins the
    render under way instead of starting another, and only they may download it.
    """

    organisation = models.ForeignKey(
        "Organisation", on_delete=models.CASCADE, related_name="report_renders"
    )
    audience = models.CharField(
        max_length=64, help_text="Who may have it: the SHA-256 of csp.access.audience."
    )
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveIntegerField("size in bytes", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who asked first; blank for a visitor who was not signed in.",
    )

    doing = "making it"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=list(JobState.values)),
                name="agency_report_render_state_known",
            ),
            # Identical requests share one render: two at once cannot both start one.
            models.UniqueConstraint(
                fields=["organisation", "audience"],
                condition=Q(state__in=["queued", "running"]),
                name="one_agency_report_render_under_way",
            ),
        ]

    def __str__(self) -> str:
        return f"Progress report of {self.organisation} ({self.get_state_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("agency-report-render", args=[self.organisation.slug, self.pk])

    @property
    def steps(self) -> list[tuple[str, str]]:
        return self.steps_of(AGENCY_RENDER_STEPS)

    def time_limit(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=settings.REPORT_RENDER_TIMEOUT_MINUTES)

    @property
    def filename(self) -> str:
        return f"{self.organisation.slug}-progress-report.pdf"

    def pdf_bytes(self) -> bytes:
        if self.pdf is None:
            raise ValueError("This render has no PDF.")
        return bytes(self.pdf)


def audience_key(audience: str) -> str:
    """The stored form of an audience (``csp.access.audience``): a county user's is long."""
    return hashlib.sha256(audience.encode()).hexdigest()
