"""Partnerships: the places they cover, their organisations and people, their money and risks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.apps import apps
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


# From an action lead to the partnership whose plan holds the action.
LEAD_PARTNERSHIP = "action__objective__priority__plan__partnership"


def _action_leads() -> models.QuerySet:
    # By name: the plans module imports this one.
    return apps.get_model("csp", "ActionLead").objects.all()


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def taking_part_outside(self, partnership_ids: Any) -> OrganisationQuerySet:
        """Organisations that take part in a partnership not among ``partnership_ids``.

        Taking part: a member of it, the lead of one of its actions or paid by its funding.
        Such an organisation is shared: changing its record changes what that partnership
        sees too. ``partnership_ids``: ids, or a subquery of them.
        """
        leads = _action_leads().exclude(**{f"{LEAD_PARTNERSHIP}__in": partnership_ids})
        return self.filter(
            Q(
                pk__in=Membership.objects.exclude(partnership__in=partnership_ids).values(
                    "organisation_id"
                )
            )
            | Q(pk__in=leads.filter(organisation__isnull=False).values("organisation_id"))
            | Q(
                pk__in=Funding.objects.exclude(partnership__in=partnership_ids)
                .filter(recipient__isnull=False)
                .values("recipient_id")
            )
        )


class Organisation(models.Model):
    """A lead agency: "Essex Police", "Rochford District Council (RDC)"."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    short_name = models.CharField(
        max_length=40, blank=True, help_text="The abbreviation plans use, e.g. RDC, CPBC, ECFRS."
    )
    kind = models.CharField(max_length=20, choices=OrganisationKind, default=OrganisationKind.OTHER)
    website = models.URLField(blank=True)

    objects = OrganisationQuerySet.as_manager()

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


class OfficerQuerySet(models.QuerySet["Officer"]):
    """Which partnerships an officer belongs to: where they lead an action or sign in.

    ``partnership_ids`` below: ids, or a subquery of them.
    """

    def visible_to(self, user: access.AnyUser) -> OfficerQuerySet:
        """Officers ``user`` may see named: those who lead an action ``user`` may see in full.

        An officer belongs to an organisation, not a partnership, and an organisation can be a
        member of a public partnership and a private one: an officer is named only where one of
        their leads is, so one who leads only in a private partnership (or only restricted
        actions) stays unnamed to the public and to other partnerships. Members also see the
        officers who hold a role in their own partnerships (writers who lead nothing by name).
        """
        if user.is_superuser:
            return self.all()
        leading = Officer.objects.filter(
            access.full_visibility(
                user,
                "action_leads__action__objective__priority__plan__partnership",
                ("action_leads__action__is_restricted",),
            )
        )
        visible = Q(pk__in=leading.values("pk"))
        if user.is_authenticated:
            colleagues = PartnershipRole.objects.filter(
                partnership_id__in=access.member_partnership_ids(user)
            )
            visible |= Q(user_id__in=colleagues.values("user_id"))
        return self.filter(visible)

    @staticmethod
    def _attached(partnership_ids: Any, *, outside: bool) -> Q:
        leads = _action_leads().filter(officer__isnull=False)
        roles = PartnershipRole.objects.all()
        if outside:
            leads = leads.exclude(**{f"{LEAD_PARTNERSHIP}__in": partnership_ids})
            roles = roles.exclude(partnership__in=partnership_ids)
        else:
            leads = leads.filter(**{f"{LEAD_PARTNERSHIP}__in": partnership_ids})
            roles = roles.filter(partnership__in=partnership_ids)
        return Q(pk__in=leads.values("officer_id")) | Q(user_id__in=roles.values("user_id"))

    def seen_from(self, partnership_ids: Any) -> OfficerQuerySet:
        """The officers of these partnerships: those who lead or sign in there, and those of
        their member organisations who belong to no other partnership either.

        An officer who leads only in another partnership is that partnership's business,
        even if their organisation is a member here too.
        """
        members = Membership.objects.filter(partnership__in=partnership_ids)
        return self.filter(
            self._attached(partnership_ids, outside=False)
            | (
                Q(organisation_id__in=members.values("organisation_id"))
                & ~self._attached(partnership_ids, outside=True)
            )
        )

    def shared_outside(self, partnership_ids: Any) -> OfficerQuerySet:
        """Officers another partnership sees too: they lead or sign in there, or their
        organisation takes part there (``OrganisationQuerySet.taking_part_outside``)."""
        shared_organisations = Organisation.objects.taking_part_outside(partnership_ids)
        return self.filter(
            self._attached(partnership_ids, outside=True)
            | Q(organisation_id__in=shared_organisations.values("pk"))
        )


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

    objects = OfficerQuerySet.as_manager()

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
