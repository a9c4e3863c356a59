"""The Django admin, laid out so a coordinator can keep a whole plan in it.

Each level of the plan (plan › priority › objective › action) has the next level inline, with a
link through to edit it in full, since the admin cannot nest inlines.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

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
    PartnershipRole,
    Plan,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    Risk,
    Role,
    StatutoryStrand,
    StrategicObjective,
    Theme,
)
from csp.models.plans import describe_refresh
from csp.models.reports import ScrutinyReport

admin.site.site_header = "CSP Tracker administration"
admin.site.site_title = "CSP Tracker"


# -- who sees what ---------------------------------------------------------------------------

# How each model reaches its partnership. Organisations and officers are shared between
# partnerships (Essex Police serves several), so a coordinator sees those of their members.
PARTNERSHIP_PATHS: dict[type[models.Model], str] = {
    Partnership: "",
    District: "partnership",
    Membership: "partnership",
    PartnershipRole: "partnership",
    Risk: "partnership",
    Funding: "partnership",
    Organisation: "memberships__partnership",
    Officer: "organisation__memberships__partnership",
    Plan: "partnership",
    ReportingPeriod: "plan__partnership",
    Priority: "plan__partnership",
    Theme: "priority__plan__partnership",
    StrategicObjective: "priority__plan__partnership",
    ObjectiveStrand: "objective__priority__plan__partnership",
    Action: "objective__priority__plan__partnership",
    ActionLead: "action__objective__priority__plan__partnership",
    Measure: "action__objective__priority__plan__partnership",
    QuarterlyUpdate: "action__objective__priority__plan__partnership",
    MeasureFigure: "update__action__objective__priority__plan__partnership",
    PrioritySummary: "priority__plan__partnership",
    ScrutinyReport: "partnership",
}


def scoped(queryset: QuerySet, user: Any) -> QuerySet:
    """``queryset`` cut to the partnerships ``user`` coordinates, unless a superuser."""
    path = PARTNERSHIP_PATHS.get(queryset.model)
    if user.is_superuser or path is None:
        return queryset
    coordinated = PartnershipRole.objects.filter(user_id=user.pk, role=Role.COORDINATOR).values(
        "partnership_id"
    )
    lookup = f"{path}__in" if path else "pk__in"
    inner = queryset.model._default_manager.filter(**{lookup: coordinated}).values("pk")
    return queryset.filter(pk__in=inner)


class Scoped:
    """A coordinator (staff, not superuser) sees, and can choose, only their partnerships' rows.

    Applied to every admin class and inline here: the change lists, the change forms, and the
    choices offered in foreign key and many-to-many fields. Autocomplete fields ask the related
    model's admin, which is scoped too. Only superusers create or delete whole partnerships.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scoped(super().get_queryset(request), request.user)  # type: ignore[misc]

    def in_scope(self, request: HttpRequest, obj: Any) -> bool:
        """Is ``obj`` (``None``: the model as a whole) one of this user's partnerships' rows?"""
        if obj is None or request.user.is_superuser or type(obj) not in PARTNERSHIP_PATHS:
            return True
        # Asked for each permission, by the page and each of its inlines: once per request.
        answers = request.__dict__.setdefault("_csp_in_scope", {})
        key = (type(obj), obj.pk)
        if key not in answers:
            found = type(obj)._default_manager.filter(pk=obj.pk)
            answers[key] = scoped(found, request.user).exists()
        return answers[key]

    # Every page about one object asks these with the object, the history pages included.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model in PARTNERSHIP_PATHS and "queryset" not in kwargs:
            kwargs["queryset"] = scoped(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model in PARTNERSHIP_PATHS and "queryset" not in kwargs:
            kwargs["queryset"] = scoped(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


# -- partnerships and their members --------------------------------------------------------


class DistrictInline(Scoped, admin.TabularInline):
    model = District
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(Scoped, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class RiskInline(Scoped, admin.TabularInline):
    model = Risk
    extra = 0
    fields = ["number", "title", "likelihood", "impact"]
    show_change_link = True


class FundingInline(Scoped, admin.TabularInline):
    model = Funding
    extra = 0
    fields = ["financial_year", "source", "amount", "is_top_slice", "recipient", "plan"]
    autocomplete_fields = ["recipient"]
    show_change_link = True


class PartnershipRoleInline(Scoped, admin.TabularInline):
    model = PartnershipRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partnership)
class PartnershipAdmin(Scoped, admin.ModelAdmin):
    list_display = ["name", "short_name", "is_public", "reports_by_priority_summary"]
    search_fields = ["name", "short_name"]
    list_filter = ["is_public", "reports_by_priority_summary"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DistrictInline, MembershipInline, RiskInline, FundingInline, PartnershipRoleInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "short_name",
                    "area_description",
                    "is_public",
                    "reports_by_priority_summary",
                ]
            },
        ),
        (
            "Scrutiny report wording",
            {
                "classes": ["collapse"],
                "description": "The partnership's own wording for its scrutiny reports. Leave a "
                "text blank for the standard wording. In the purpose, {periods} stands for the "
                "periods a report covers.",
                "fields": [
                    "report_purpose",
                    "report_recommendation",
                    "report_statutory_background",
                    "report_implications",
                ],
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Partnership | None = None) -> bool:
        return request.user.is_superuser


class OfficerSignIn:
    """Only a superuser links an officer to a sign-in or moves them between organisations.

    An organisation serves several partnerships, and the link decides whose updates a sign-in
    writes in every one of them: no one partnership's coordinator may change it.
    """

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not request.user.is_superuser:
            fields += ["user"] if obj is None else ["user", "organisation"]
        return fields


class OfficerInline(OfficerSignIn, Scoped, admin.TabularInline):
    model = Officer
    extra = 0
    fields = ["name", "initials", "job_title", "email", "phone", "user"]
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(Scoped, admin.ModelAdmin):
    list_display = ["name", "short_name", "kind"]
    search_fields = ["name", "short_name", "slug"]
    list_filter = ["kind", "partnerships"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [OfficerInline]


@admin.register(Officer)
class OfficerAdmin(OfficerSignIn, Scoped, admin.ModelAdmin):
    list_display = ["name", "initials", "organisation", "job_title", "email"]
    search_fields = ["name", "initials", "organisation__name", "organisation__short_name", "email"]
    list_filter = ["organisation"]
    autocomplete_fields = ["organisation", "user"]
    list_select_related = ["organisation"]


@admin.register(District)
class DistrictAdmin(Scoped, admin.ModelAdmin):
    list_display = ["name", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Risk)
class RiskAdmin(Scoped, admin.ModelAdmin):
    list_display = ["title", "partnership", "number", "rating"]
    list_filter = ["partnership", "likelihood", "impact"]
    search_fields = ["title", "description", "mitigation"]


@admin.register(Funding)
class FundingAdmin(Scoped, admin.ModelAdmin):
    list_display = [
        "source",
        "partnership",
        "financial_year_label",
        "amount",
        "is_top_slice",
        "recipient",
    ]
    list_filter = ["partnership", "financial_year", "is_top_slice"]
    search_fields = ["source", "purpose"]
    autocomplete_fields = ["recipient", "actions", "plan"]
    list_select_related = ["partnership", "recipient"]


# -- the plan hierarchy --------------------------------------------------------------------


class PriorityInline(Scoped, admin.TabularInline):
    model = Priority
    extra = 0
    fields = ["number", "title"]
    show_change_link = True


class ReportingPeriodInline(Scoped, admin.TabularInline):
    model = ReportingPeriod
    extra = 0
    fields = ["year", "quarter", "deadline", "status"]
    # A period moves between open, closed and reported on its review page, where the order is
    # kept and a reported period stays locked.
    readonly_fields = ["status"]


@admin.register(Plan)
class PlanAdmin(Scoped, SimpleHistoryAdmin):
    list_display = ["title", "partnership", "version_label", "years_label", "status"]
    list_filter = ["status", "partnership"]
    search_fields = ["title", "slug", "partnership__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["previous_version"]
    list_select_related = ["partnership"]
    inlines = [PriorityInline, ReportingPeriodInline]
    actions = ["refresh_to_next_year"]

    @admin.action(description="Refresh to next financial year", permissions=["add"])
    def refresh_to_next_year(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        """Copy each chosen plan to a new draft for the following year, one message per plan."""
        for plan in queryset.order_by("partnership_id", "first_year", "slug"):
            try:
                new = plan.refresh_to_next_year()
            except ValueError as error:
                self.message_user(request, f"{plan}: {error}", messages.ERROR)
                continue
            link = reverse("admin:csp_plan_change", args=[new.pk])
            self.message_user(
                request,
                format_html('<a href="{}">{}</a>', link, describe_refresh(plan, new)),
                messages.SUCCESS,
            )


class ThemeInline(Scoped, admin.TabularInline):
    model = Theme
    extra = 0


class ObjectiveInline(Scoped, admin.TabularInline):
    model = StrategicObjective
    extra = 0
    fields = ["number", "title", "theme", "is_statutory"]
    show_change_link = True


@admin.register(Priority)
class PriorityAdmin(Scoped, SimpleHistoryAdmin):
    list_display = ["__str__", "plan"]
    list_filter = ["plan__partnership", "plan"]
    search_fields = ["title", "description"]
    list_select_related = ["plan"]
    inlines = [ThemeInline, ObjectiveInline]


class StrategicObjectiveForm(forms.ModelForm):
    """Edits the objective's statutory strands as a row of checkboxes."""

    statutory_strands = forms.MultipleChoiceField(
        choices=StatutoryStrand.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The strands of the CSP strategy this objective addresses.",
    )

    class Meta:
        model = StrategicObjective
        fields = ["priority", "number", "title", "theme", "is_statutory"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.instance.pk:
            self.fields["statutory_strands"].initial = self.instance.strand_values

    def save_strands(self, objective: StrategicObjective) -> None:
        chosen = set(self.cleaned_data["statutory_strands"])
        objective.strands.exclude(strand__in=chosen).delete()
        for strand in chosen - set(objective.strand_values):
            ObjectiveStrand.objects.create(objective=objective, strand=strand)


class ActionInline(Scoped, admin.TabularInline):
    model = Action
    extra = 0
    fields = ["number", "description", "timescale", "is_restricted"]
    show_change_link = True


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(Scoped, SimpleHistoryAdmin):
    form = StrategicObjectiveForm
    list_display = ["reference", "title", "priority", "is_statutory"]
    list_filter = ["priority__plan", "is_statutory", "strands__strand"]
    search_fields = ["title"]
    list_select_related = ["priority__plan"]
    inlines = [ActionInline]

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets, change: bool
    ) -> None:  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        assert isinstance(form, StrategicObjectiveForm)
        form.save_strands(form.instance)


class ActionLeadInline(Scoped, admin.TabularInline):
    model = ActionLead
    extra = 0
    autocomplete_fields = ["organisation", "officer"]


class MeasureInline(Scoped, admin.TabularInline):
    model = Measure
    extra = 0


class QuarterlyUpdateInline(Scoped, admin.StackedInline):
    model = QuarterlyUpdate
    extra = 0
    fields = [("period", "district", "organisation"), ("status", "state"), "progress", "risks"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuarterlyUpdate]:
        return super().get_queryset(request).select_related("period", "district")


@admin.register(Action)
class ActionAdmin(Scoped, SimpleHistoryAdmin):
    list_display = ["reference", "description", "timescale", "lead_as_written", "is_restricted"]
    list_filter = [
        "objective__priority__plan",
        "objective__priority",
        "leads__organisation",
        "districts",
        "is_restricted",
    ]
    search_fields = ["description", "outcomes", "lead_as_written", "updates__progress"]
    list_select_related = ["objective__priority__plan"]
    autocomplete_fields = ["objective"]
    filter_horizontal = ["districts"]
    inlines = [ActionLeadInline, MeasureInline, QuarterlyUpdateInline]


class MeasureFigureInline(Scoped, admin.TabularInline):
    model = MeasureFigure
    extra = 0


@admin.register(QuarterlyUpdate)
class QuarterlyUpdateAdmin(Scoped, SimpleHistoryAdmin):
    list_display = ["__str__", "period", "district", "status", "state", "updated_at"]
    list_filter = ["period__plan", "status", "state", "district"]
    search_fields = ["progress", "risks", "action__description"]
    list_select_related = ["action__objective__priority", "period", "district"]
    autocomplete_fields = ["action", "organisation", "author"]
    readonly_fields = ["version", "created_at", "updated_at", "submitted_at"]
    inlines = [MeasureFigureInline]

    def save_model(
        self, request: HttpRequest, obj: QuarterlyUpdate, form: Any, change: bool
    ) -> None:
        # Moves the version on, as the update pages do, so an officer's page drawn before this
        # edit cannot save over it unseen.
        if change:
            QuarterlyUpdate.objects.claim_version(obj.pk, obj.version)
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(Scoped, SimpleHistoryAdmin):
    list_display = ["label", "plan", "deadline", "status"]
    list_filter = ["status", "plan"]
    search_fields = ["plan__title"]
    list_select_related = ["plan"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The status moves on the review page; a reported period's quarter is fixed.
        if obj is not None and obj.is_locked:
            return ["plan", "year", "quarter", "status"]
        return ["status"]


@admin.register(PrioritySummary)
class PrioritySummaryAdmin(Scoped, SimpleHistoryAdmin):
    list_display = ["priority", "organisation", "period", "state"]
    list_filter = ["period__plan", "state", "organisation"]
    search_fields = ["pursue", "prevent", "protect", "prepare"]
    autocomplete_fields = ["organisation", "author"]
    list_select_related = ["priority", "organisation", "period"]


@admin.register(PartnershipRole)
class PartnershipRoleAdmin(Scoped, admin.ModelAdmin):
    list_display = ["user", "partnership", "role"]
    list_filter = ["partnership", "role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(ScrutinyReport)
class ScrutinyReportAdmin(Scoped, admin.ModelAdmin):
    """Drafts can be edited; an issued report is a record, shown but never changed or deleted."""

    list_display = ["__str__", "partnership", "plan", "state", "meeting_date", "issued_at", "size"]
    list_filter = ["state", "partnership"]
    search_fields = ["title", "plan__title", "committee", "sha256"]
    list_select_related = ["partnership", "plan"]
    filter_horizontal = ["periods"]
    readonly_fields = ["sha256", "size", "issued_at", "issued_by"]
    exclude = ["pdf"]

    def get_readonly_fields(self, request: HttpRequest, obj: ScrutinyReport | None = None):  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_issued:
            return [f.name for f in ScrutinyReport._meta.fields if f.name != "pdf"] + ["periods"]
        return [*self.readonly_fields, "state"]

    def has_delete_permission(
        self, request: HttpRequest, obj: ScrutinyReport | None = None
    ) -> bool:
        if obj is not None and obj.is_issued:
            return False
        return super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScrutinyReport]:
        return super().get_queryset(request).defer("pdf")
