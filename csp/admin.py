"""The Django admin, laid out so a coordinator can keep a whole plan in it.

Each level of the plan (plan › priority › objective › action) has the next level inline, with a
link through to edit it in full, since the admin cannot nest inlines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property, partial
from itertools import chain
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NestedObjects, get_fields_from_path, unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, models, router
from django.db.models import Q, QuerySet
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timezone import localtime
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
from csp.models.updates import last_change, locked_for_deletion

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


def coordinated_ids(user: Any) -> QuerySet:
    """A subquery of the ids of the partnerships ``user`` coordinates."""
    return PartnershipRole.objects.filter(user_id=user.pk, role=Role.COORDINATOR).values(
        "partnership_id"
    )


def scoped(queryset: QuerySet, user: Any) -> QuerySet:
    """``queryset`` cut to the partnerships ``user`` coordinates, unless a superuser."""
    path = PARTNERSHIP_PATHS.get(queryset.model)
    if user.is_superuser or path is None:
        return queryset
    coordinated = coordinated_ids(user)
    if queryset.model is Officer:
        # Not simply those of member organisations: an officer who leads only in another
        # partnership is that one's to see.
        return queryset.filter(pk__in=Officer.objects.seen_from(coordinated).values("pk"))
    lookup = f"{path}__in" if path else "pk__in"
    inner = queryset.model._default_manager.filter(**{lookup: coordinated}).values("pk")
    return queryset.filter(pk__in=inner)


def sign_ins_for(user: Any) -> QuerySet[User]:
    """The sign-ins a coordinator may choose (for a role, say): those holding a role in their
    partnerships, and those in no partnership yet. One that belongs only to others is not
    even named to them, and giving it a role here would show them its officer record."""
    if user.is_superuser:
        return User.objects.all()
    roles = PartnershipRole.objects.all()
    return User.objects.filter(
        Q(pk__in=roles.filter(partnership__in=coordinated_ids(user)).values("user"))
        | ~Q(pk__in=roles.values("user"))
    )


class RecordedBy:
    """Who wrote or made a record is the record's history: shown, set only by a superuser."""

    recorded_by: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not request.user.is_superuser:
            fields += [f for f in self.recorded_by if f not in fields]
        return fields


def shared_beyond(obj: Any, user: Any) -> bool:
    """Is ``obj`` an organisation or officer that a partnership ``user`` does not coordinate
    shares? Then it is read-only to them: changing it would change that partnership's too."""
    if user.is_superuser:
        return False
    coordinated = coordinated_ids(user)
    if isinstance(obj, Organisation):
        return Organisation.objects.filter(pk=obj.pk).taking_part_outside(coordinated).exists()
    if isinstance(obj, Officer):
        return Officer.objects.filter(pk=obj.pk).shared_outside(coordinated).exists()
    return False


def locked_by_deleting(objs: Iterable[models.Model]) -> list[tuple[models.Model, str]]:
    """What deleting ``objs`` would delete (they and all that cascades from them) that a
    reported period locks, each with the period's label."""
    objs = list(objs)
    if not objs:
        return []
    collector = NestedObjects(using=router.db_for_write(type(objs[0])))
    collector.collect(objs)
    return locked_for_deletion(chain(objs, *collector.data.values()))


def describe_locked(locked: list[tuple[models.Model, str]]) -> list[str]:
    return [
        f"{capfirst(record._meta.verbose_name)}: {record} ({label} has been reported and is locked)"
        for record, label in locked
    ]


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A list filter offering only what the change list's own rows point to, of what the user
    may see: a coordinator is never shown another partnership's plan or district names."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        used = (
            model_admin.get_queryset(request)
            .distinct()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        seen = scoped(field.related_model._default_manager.all(), request.user).values("pk")
        return field.get_choices(
            include_blank=False,
            limit_choices_to=Q(pk__in=used) & Q(pk__in=seen),
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


class Scoped:
    """A coordinator (staff, not superuser) sees, and can choose, only their partnerships' rows.

    Applied to every admin class and inline here: the change lists and their filters, the
    change forms, and the choices offered in foreign key and many-to-many fields.
    Autocomplete fields ask the related model's admin, which is scoped too. Organisations and
    officers another partnership shares are read-only to them. Only superusers create or
    delete whole partnerships.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scoped(super().get_queryset(request), request.user)  # type: ignore[misc]

    def _asked_once(self, request: HttpRequest, question: str, obj: Any, answer: Any) -> bool:
        # Asked for each permission, by the page and each of its inlines: once per request.
        answers = request.__dict__.setdefault("_csp_scope_answers", {})
        key = (question, type(obj), obj.pk)
        if key not in answers:
            answers[key] = answer()
        return answers[key]

    def in_scope(self, request: HttpRequest, obj: Any) -> bool:
        """Is ``obj`` (``None``: the model as a whole) one of this user's partnerships' rows?"""
        if obj is None or request.user.is_superuser or type(obj) not in PARTNERSHIP_PATHS:
            return True
        found = type(obj)._default_manager.filter(pk=obj.pk)
        return self._asked_once(
            request, "in scope", obj, lambda: scoped(found, request.user).exists()
        )

    def may_change(self, request: HttpRequest, obj: Any) -> bool:
        """In scope, and not an organisation or officer shared with another partnership."""
        if not self.in_scope(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return not self._asked_once(
            request, "shared", obj, lambda: shared_beyond(obj, request.user)
        )

    # Every page about one object asks these with the object, the history pages included;
    # an inline asks them with the object of its page.
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.may_change(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.may_change(request, obj)  # type: ignore[misc]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model in PARTNERSHIP_PATHS and "queryset" not in kwargs:
            kwargs["queryset"] = scoped(db_field.related_model._default_manager.all(), request.user)
        if db_field.related_model is User and "queryset" not in kwargs:
            kwargs["queryset"] = sign_ins_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model in PARTNERSHIP_PATHS and "queryset" not in kwargs:
            kwargs["queryset"] = scoped(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedAdmin(Scoped, admin.ModelAdmin):
    """A model's own admin pages: scoped, with scoped list filters, and deletes that keep locks.

    Deleting anything that would take a reported period's record with it (an update, a
    figure, a 4 Ps summary, the period itself, or a plan, priority or measure holding one) is
    refused with a message, on the delete page and by the change list's "delete selected"
    alike, as the admin refuses a delete that protected records stand in the way of.
    """

    def get_list_filter(self, request: HttpRequest) -> list:
        chosen = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
                item = (item, ScopedRelatedFilter)
            chosen.append(item)
        return chosen

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # A filter value no database column can hold (?period=99999999999999999999999) fails
        # only as the list is counted: answered as the admin answers any bad filter, with the
        # unfiltered list and "?e=1", not a 500.
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError, DataError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        locked = locked_by_deleting(objs)
        if locked:
            self.message_user(
                request,
                f"Nothing was deleted: {locked[0][1]} has been reported and is locked, and "
                "what a committee was told is kept as it was. The records in the way are "
                "listed below.",
                messages.ERROR,
            )
            protected = [*protected, *describe_locked(locked)]
        return deleted, counts, perms_needed, protected


class ScopedHistoryAdmin(ScopedAdmin, SimpleHistoryAdmin):
    """A scoped admin with the change history of django-simple-history, for reading only."""

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        # simple-history saves a posted old version even with its Revert button hidden
        # (SIMPLE_HISTORY_REVERT_DISABLED): that would step round the version and period locks.
        if request.method != "GET" and (
            settings.SIMPLE_HISTORY_REVERT_DISABLED
            or not self.has_change_permission(request, self.get_object(request, unquote(object_id)))
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class GuardedFormSet(BaseInlineFormSet):
    """An inline's rows: those its admin names read-only are shown disabled (so left as they
    are, whatever is posted), and no row is deleted if that would delete a locked record."""

    # Set by ``ScopedInline.get_formset``: the ids of this request's read-only rows.
    readonly_rows: Callable[[QuerySet], set[Any]] = staticmethod(lambda queryset: set())  # type: ignore[assignment]

    @cached_property
    def readonly_pks(self) -> set[Any]:
        return self.readonly_rows(self.get_queryset())

    def _construct_form(self, i: int, **kwargs: Any) -> forms.BaseForm:
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk is not None and form.instance.pk in self.readonly_pks:
            # All but the hidden fields naming the row and its parent, which it keeps anyway.
            keep = {self.model._meta.pk.name, self.fk.name}
            for name, field in form.fields.items():
                field.disabled = field.disabled or name not in keep
        return form

    def clean(self) -> None:
        super().clean()
        doomed = [
            form.instance
            for form in self.forms
            if self.can_delete
            and form.instance.pk is not None
            and form.cleaned_data.get(DELETION_FIELD_NAME)
        ]
        locked = locked_by_deleting(doomed)
        if locked:
            raise ValidationError(
                [f"Nothing was deleted: {locked[0][1]} has been reported and is locked."]
                + [f"{text}." for text in describe_locked(locked)]
            )


class ScopedInline(Scoped):
    """An inline: scoped, and guarded by ``GuardedFormSet``."""

    formset = GuardedFormSet

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Rows are added to the page's object only if that may be changed.
        return super().has_add_permission(request, obj) and self.may_change(request, obj)  # type: ignore[misc]

    def readonly_rows(self, request: HttpRequest, queryset: QuerySet) -> set[Any]:
        """The ids of the rows of ``queryset`` this user may see but not change here."""
        return set()

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        formset.readonly_rows = staticmethod(partial(self.readonly_rows, request))
        return formset


# -- partnerships and their members --------------------------------------------------------


class DistrictInline(ScopedInline, admin.TabularInline):
    model = District
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class RiskInline(ScopedInline, admin.TabularInline):
    model = Risk
    extra = 0
    fields = ["number", "title", "likelihood", "impact"]
    show_change_link = True


class FundingInline(ScopedInline, admin.TabularInline):
    model = Funding
    extra = 0
    fields = ["financial_year", "source", "amount", "is_top_slice", "recipient", "plan"]
    autocomplete_fields = ["recipient"]
    show_change_link = True


class PartnershipRoleInline(ScopedInline, admin.TabularInline):
    model = PartnershipRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partnership)
class PartnershipAdmin(ScopedAdmin):
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


class OfficerInline(OfficerSignIn, ScopedInline, admin.TabularInline):
    model = Officer
    extra = 0
    fields = ["name", "initials", "job_title", "email", "phone", "user"]
    autocomplete_fields = ["user"]

    def readonly_rows(self, request: HttpRequest, queryset: QuerySet) -> set[Any]:
        if request.user.is_superuser:
            return set()
        shared = queryset.shared_outside(coordinated_ids(request.user))
        return set(shared.values_list("pk", flat=True))


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    list_display = ["name", "short_name", "kind"]
    search_fields = ["name", "short_name", "slug"]
    list_filter = ["kind", "partnerships"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [OfficerInline]


@admin.register(Officer)
class OfficerAdmin(OfficerSignIn, ScopedAdmin):
    list_display = ["name", "initials", "organisation", "job_title", "email"]
    search_fields = ["name", "initials", "organisation__name", "organisation__short_name", "email"]
    list_filter = ["organisation"]
    autocomplete_fields = ["organisation", "user"]
    list_select_related = ["organisation"]


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    list_display = ["name", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Risk)
class RiskAdmin(ScopedAdmin):
    list_display = ["title", "partnership", "number", "rating"]
    list_filter = ["partnership", "likelihood", "impact"]
    search_fields = ["title", "description", "mitigation"]


@admin.register(Funding)
class FundingAdmin(ScopedAdmin):
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


class PriorityInline(ScopedInline, admin.TabularInline):
    model = Priority
    extra = 0
    fields = ["number", "title"]
    show_change_link = True


class ReportingPeriodInline(ScopedInline, admin.TabularInline):
    model = ReportingPeriod
    extra = 0
    fields = ["year", "quarter", "deadline", "status"]
    # A period moves between open, closed and reported on its review page, where the order is
    # kept and a reported period stays locked.
    readonly_fields = ["status"]

    def readonly_rows(self, request: HttpRequest, queryset: QuerySet) -> set[Any]:
        return set(queryset.locked().values_list("pk", flat=True))  # nothing of them changes


@admin.register(Plan)
class PlanAdmin(ScopedHistoryAdmin):
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


class ThemeInline(ScopedInline, admin.TabularInline):
    model = Theme
    extra = 0


class ObjectiveInline(ScopedInline, admin.TabularInline):
    model = StrategicObjective
    extra = 0
    fields = ["number", "title", "theme", "is_statutory"]
    show_change_link = True


@admin.register(Priority)
class PriorityAdmin(ScopedHistoryAdmin):
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


class ActionInline(ScopedInline, admin.TabularInline):
    model = Action
    extra = 0
    fields = ["number", "description", "timescale", "is_restricted"]
    show_change_link = True


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(ScopedHistoryAdmin):
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


# -- updates and summaries: the admin keeps the officers' edit lock -------------------------

WHEN_FORMAT = r"j F Y \a\t H:i"  # 3 October 2016 at 09:30


def changed_meanwhile(record: QuarterlyUpdate | PrioritySummary) -> str:
    """What an admin page drawn from an older version of ``record`` is told instead of saving."""
    current = type(record)._default_manager.filter(pk=record.pk).first()
    if current is None:
        return "This was deleted since you opened this page, so nothing was saved."
    who, when = last_change(current)
    by = f" by {who.get_full_name() or who.get_username()}" if who is not None else ""
    at = f" on {date_format(localtime(when), WHEN_FORMAT)}" if when else ""
    if isinstance(current, QuarterlyUpdate):
        now = f"Its progress now reads: “{current.progress}”. " if current.progress else ""
    else:
        now = ""
    return (
        f"This {current._meta.verbose_name} was changed{by}{at}, after you opened this page, "
        f"so nothing was saved: the text saved then is kept. {now}Open the page again to see "
        "it as it is now, then make your change again."
    )


def warn_if_locked(request: HttpRequest, update: QuarterlyUpdate) -> None:
    if update.period.is_locked and update.open_amendment is None:
        messages.warning(
            request,
            f"{update.period.label} has been reported and is locked: this update can be "
            "changed only once a coordinator re-opens it for an amendment, on the period's "
            "review page.",
        )


class VersionedAdminForm(forms.ModelForm):
    """A record the officers' pages edit too (an update, a 4 Ps summary), as the admin edits it.

    It carries the version it was drawn from and saves only if no one has saved the record
    since: the check holds the version until the save (``hold_version``), which moves it on
    as the officers' pages do, so neither side overwrites the other unseen.
    """

    drawn_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    # A change page saves whatever it is sent; an inline row only if it was changed.
    saves_unchanged = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["drawn_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        record = self.instance
        if record.pk is None or not (self.saves_unchanged or self.has_changed()):
            return cleaned
        drawn = cleaned.get("drawn_version")
        if drawn is None:
            raise ValidationError(
                "This page did not say which version it was drawn from, so nothing was saved. "
                "Open it again and make your change again."
            )
        if not type(record)._default_manager.hold_version(record.pk, drawn):
            raise ValidationError(changed_meanwhile(record))
        if not self.has_changed():
            # Saved as it is: the model's own clean lets an unchanged record through.
            record.check_lock()
        record.version = drawn + 1
        return cleaned


class VersionedInlineForm(VersionedAdminForm):
    saves_unchanged = False


class ActionLeadInline(ScopedInline, admin.TabularInline):
    model = ActionLead
    extra = 0
    autocomplete_fields = ["organisation", "officer"]


class MeasureInline(ScopedInline, admin.TabularInline):
    model = Measure
    extra = 0


class QuarterlyUpdateInline(ScopedInline, admin.StackedInline):
    model = QuarterlyUpdate
    form = VersionedInlineForm
    extra = 0
    fields = [
        ("period", "district", "organisation"),
        ("status", "state"),
        "progress",
        "risks",
        "drawn_version",
    ]
    show_change_link = True

    def readonly_rows(self, request: HttpRequest, queryset: QuerySet) -> set[Any]:
        return set(queryset.locked(amended_too=False).values_list("pk", flat=True))

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuarterlyUpdate]:
        return super().get_queryset(request).select_related("period", "district")


@admin.register(Action)
class ActionAdmin(ScopedHistoryAdmin):
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


class MeasureFigureInline(ScopedInline, admin.TabularInline):
    model = MeasureFigure
    extra = 0

    def readonly_rows(self, request: HttpRequest, queryset: QuerySet) -> set[Any]:
        return set(queryset.locked().values_list("pk", flat=True))


@admin.register(QuarterlyUpdate)
class QuarterlyUpdateAdmin(RecordedBy, ScopedHistoryAdmin):
    recorded_by = ("author",)
    list_display = ["__str__", "period", "district", "status", "state", "updated_at"]
    list_filter = ["period__plan", "status", "state", "district"]
    search_fields = ["progress", "risks", "action__description"]
    list_select_related = ["action__objective__priority", "period", "district"]
    autocomplete_fields = ["action", "organisation", "author"]
    readonly_fields = ["version", "created_at", "updated_at", "submitted_at"]
    inlines = [MeasureFigureInline]
    # Its clean moves the version on, as the update pages do, or refuses a stale page.
    form = VersionedAdminForm

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        update = self.get_object(request, object_id)
        if request.method == "GET" and update is not None:
            warn_if_locked(request, update)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ScopedHistoryAdmin):
    list_display = ["label", "plan", "deadline", "status"]
    list_filter = ["status", "plan"]
    search_fields = ["plan__title"]
    list_select_related = ["plan"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The status moves on the review page; a reported period's quarter is fixed.
        if obj is not None and obj.is_locked:
            return ["plan", "year", "quarter", "status"]
        return ["status"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A reported period is shown, never changed (ReportingPeriod.check_lock).
        return super().has_change_permission(request, obj) and not (obj and obj.is_locked)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        period = self.get_object(request, object_id)
        if request.method == "GET" and period is not None and period.is_locked:
            self.message_user(
                request,
                f"{period.label} has been reported and is locked: it cannot be changed.",
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(PrioritySummary)
class PrioritySummaryAdmin(RecordedBy, ScopedHistoryAdmin):
    recorded_by = ("author",)
    list_display = ["priority", "organisation", "period", "state"]
    list_filter = ["period__plan", "state", "organisation"]
    search_fields = ["pursue", "prevent", "protect", "prepare"]
    autocomplete_fields = ["organisation", "author"]
    list_select_related = ["priority", "organisation", "period"]
    form = VersionedAdminForm


@admin.register(PartnershipRole)
class PartnershipRoleAdmin(ScopedAdmin):
    list_display = ["user", "partnership", "role"]
    list_filter = ["partnership", "role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(ScrutinyReport)
class ScrutinyReportAdmin(RecordedBy, ScopedAdmin):
    """Drafts can be edited; an issued report is a record, shown but never changed or deleted."""

    list_display = ["__str__", "partnership", "plan", "state", "meeting_date", "issued_at", "size"]
    list_filter = ["state", "partnership"]
    search_fields = ["title", "plan__title", "committee", "sha256"]
    list_select_related = ["partnership", "plan"]
    filter_horizontal = ["periods"]
    readonly_fields = ["sha256", "size", "issued_at", "issued_by"]
    exclude = ["pdf"]
    recorded_by = ("created_by",)

    def get_readonly_fields(self, request: HttpRequest, obj: ScrutinyReport | None = None):  # type: ignore[no-untyped-def]
        if obj is not None and obj.is_issued:
            return [f.name for f in ScrutinyReport._meta.fields if f.name != "pdf"] + ["periods"]
        return [*super().get_readonly_fields(request, obj), "state"]

    def has_delete_permission(
        self, request: HttpRequest, obj: ScrutinyReport | None = None
    ) -> bool:
        if obj is not None and obj.is_issued:
            return False
        return super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScrutinyReport]:
        return super().get_queryset(request).defer("pdf")
