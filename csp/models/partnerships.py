"""Partnerships: the places they cover, their organisations and people, their money and risks."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from csp import access
from csp.quarters import financial_year_label


class PartnershipQuerySet(models.QuerySet["Partnership"]):
    def visible_to(self, user: access.AnyUser) -> PartnershipQuerySet:
        return self.filter(access.partnership_visibility(user, ""))


class Partnership(models.Model):
    """A Community Safety Partnership: "Castle Point and Rochford Community Safety Partnership"."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    area_description = models.TextField(blank=True, help_text="The area the partnership covers.")
    is_public = models.BooleanField(
        "public view",
        default=False,
        help_text="Let anyone read the plan and progress without signing in "
        "(restricted items stay hidden).",
    )
    reports_by_priority_summary = models.BooleanField(
        "reports by the 4 Ps",
        default=False,
        help_text="Agencies send a Pursue / Prevent / Protect / Prepare summary "
        "per priority each quarter.",
    )
    organisations = models.ManyToManyField(
        "Organisation", through="Membership", related_name="partnerships", blank=True
    )
    # The partnership's own wording for its scrutiny reports; blank: the built-in wording.
    report_purpose = models.TextField(
        "purpose of the report",
        blank=True,
        help_text="Paragraphs separated by a blank line. Leave blank for the standard wording.",
    )
    report_recommendation = models.TextField(
        "recommendation", blank=True, help_text="Leave blank for the standard wording."
    )
    report_statutory_background = models.TextField(
        "statutory background",
        blank=True,
        help_text="Paragraphs separated by a blank line. Leave blank for the standard wording.",
    )
    report_implications = models.TextField(
        "implications",
        blank=True,
        help_text="Paragraphs separated by a blank line, each starting with its heading, e.g. "
        '"Financial: …". Leave blank for the standard wording.',
    )
    # What the partnership's council calls things in its committee papers: the clerk's builder
    # starts from these, and a report never falls back on another partnership's wording.
    report_committee = models.CharField(
        "committee",
        max_length=300,
        blank=True,
        help_text="The committee its scrutiny reports go to, as the council names it, e.g. "
        '"Review Committee". Blank: "Crime and Disorder Committee".',
    )
    report_contact = models.CharField(
        "report contact",
        max_length=300,
        blank=True,
        help_text='Who to contact about a report, e.g. "Louisa Moss (Assistant Director) on '
        '01702 318095, louisa.moss@rochford.gov.uk".',
    )
    report_formats_contact = models.CharField(
        "formats line",
        max_length=300,
        blank=True,
        help_text="Who to contact for a report in large print, Braille or another language, "
        'e.g. "01702 318111".',
    )

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A local authority district a partnership covers, e.g. Rochford."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="districts")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True, help_text="Area facts: population, geography.")

    class Meta:
        ordering = ["partnership_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "slug"], name="district_slug_unique"),
            models.UniqueConstraint(fields=["partnership", "name"], name="district_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    COUNCIL = "council", "Council"
    POLICE = "police", "Police"
    FIRE_RESCUE = "fire_rescue", "Fire and rescue"
    HEALTH = "health", "Health"
    PROBATION = "probation", "Probation"
    COMMISSIONER = "commissioner", "Police and crime commissioner"
    VOLUNTARY = "voluntary", "Voluntary and community sector"
    EDUCATION = "education", "Education"
    BUSINESS = "business", "Business"
    GROUP = "group", "Partnership group"
    OTHER = "other", "Other"


class Organisation(models.Model):
    """A lead agency: "Essex Police", "Rochford District Council (RDC)"."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    short_name = models.CharField(
        max_length=40, blank=True, help_text="The abbreviation plans use, e.g. RDC, CPBC, ECFRS."
    )
    kind = models.CharField(max_length=20, choices=OrganisationKind, default=OrganisationKind.OTHER)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})" if self.short_name else self.name


class Membership(models.Model):
    """An organisation's place in a partnership."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_responsible_authority = models.BooleanField(
        "responsible authority",
        default=False,
        help_text="A responsible authority under the Crime and Disorder Act 1998, s5.",
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        help_text="The district this member reports progress for, e.g. a district council's own. "
        "Leave blank for a member that reports for the whole area (police, county services).",
    )

    class Meta:
        ordering = ["partnership_id", "-is_responsible_authority", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} in {self.partnership.name}"

    def clean(self) -> None:
        if self.district_id and self.district.partnership_id != self.partnership_id:
            raise ValidationError({"district": "Choose one of this partnership's districts."})


class Officer(models.Model):
    """A named person in an organisation, often cited in plans by initials ("HC", "GB")."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="officers"
    )
    name = models.CharField(max_length=150)
    initials = models.CharField(max_length=10, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="officers",
        help_text="The sign-in this officer uses, if they have one.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="officer_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.short_name or self.organisation.name})"


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    OFFICER = "officer", "Officer"
    CLERK = "clerk", "Committee clerk"
    VIEWER = "viewer", "Viewer"


class PartnershipRole(models.Model):
    """What a user may do in one partnership."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partnership_roles"
    )
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role)

    class Meta:
        ordering = ["partnership_id", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "partnership"], name="one_role_per_partnership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.partnership}"


class Likelihood(models.TextChoices):
    A = "A", "A – very high"
    B = "B", "B – high"
    C = "C", "C – significant"
    D = "D", "D – low"
    E = "E", "E – very low"
    F = "F", "F – almost impossible"


class Impact(models.IntegerChoices):
    CATASTROPHIC = 1, "1 – catastrophic"
    CRITICAL = 2, "2 – critical"
    MARGINAL = 3, "3 – marginal"
    NEGLIGIBLE = 4, "4 – negligible"


class Risk(models.Model):
    """An entry in a partnership's risk register, rated likelihood A–F by impact 1–4 ("E2")."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="risks")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    mitigation = models.TextField("action to avoid or mitigate", blank=True)
    likelihood = models.CharField(max_length=1, choices=Likelihood)
    impact = models.PositiveSmallIntegerField(choices=Impact)

    class Meta:
        ordering = ["partnership_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "number"], name="risk_number_unique"),
            models.CheckConstraint(
                condition=Q(likelihood__in=list(Likelihood.values)), name="risk_likelihood_a_to_f"
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=4), name="risk_impact_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.rating})"

    @property
    def rating(self) -> str:
        return f"{self.likelihood}{self.impact}"


class Funding(models.Model):
    """Money for community safety work, e.g. the PCC grant for a financial year."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="funding")
    plan = models.ForeignKey(
        "Plan", on_delete=models.SET_NULL, null=True, blank=True, related_name="funding"
    )
    source = models.CharField(max_length=200, help_text="e.g. PCC Community Safety Fund")
    financial_year = models.PositiveSmallIntegerField(
        help_text="The year the financial year starts in: 2016 for 2016/17."
    )
    amount = models.DecimalField("amount (£)", max_digits=12, decimal_places=2)
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="funding"
    )
    is_top_slice = models.BooleanField(
        "top-sliced", default=False, help_text="Held back from the grant for a central purpose."
    )
    purpose = models.TextField(blank=True, help_text="What it is for and what it paid for.")
    actions = models.ManyToManyField("Action", blank=True, related_name="funding")

    class Meta:
        ordering = ["partnership_id", "-financial_year", "is_top_slice", "source"]
        verbose_name_plural = "funding"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=Decimal("0")), name="funding_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.financial_year_label}: £{self.amount:,.2f}"

    @property
    def financial_year_label(self) -> str:
        return financial_year_label(self.financial_year)
