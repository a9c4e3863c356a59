"""Filters for the action list, as readable query parameters.

``/actions/?plan=castle-point-rochford-2016-17&priority=1&lead=essex-police&status=at_risk``:
plans, organisations and districts by slug, priorities by number ("1") and objectives by
reference ("1.2") within the chosen plans, periods by quarter slug ("2016-17-q1").

The choices every filter offers come from ``FilterOptions.load``, one UNION query for all of
them, so the filter panel costs one query however many filters it has.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django import forms
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import IsNull
from django.http import HttpRequest
from django.urls import reverse

from csp import access
from csp.caching import PageCache
from csp.models import (
    STATUS_SEVERITY,
    Action,
    ActionLead,
    ActionQuerySet,
    ActionStatus,
    District,
    ObjectiveStrand,
    Officer,
    Organisation,
    PeriodStatus,
    Plan,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    StatutoryStrand,
    StrategicObjective,
    UpdateStatus,
)
from csp.quarters import FinancialQuarter
from csp.tables import KEYSET_FIELDS, ActionRow

NO_UPDATE = "none"
# Bounds on what one request may ask for (a signed-out visitor included): longer searches and
# more values for one filter are refused with a message, never worked through.
SEARCH_MAX_LENGTH = 200
FILTER_MAX_VALUES = 50


@dataclass
class FilterOptions:
    """What the filters can offer this user, and the default period."""

    plans: list[tuple[str, str]] = field(default_factory=list)
    priorities: list[tuple[str, str]] = field(default_factory=list)
    objectives: list[tuple[str, str]] = field(default_factory=list)
    leads: list[tuple[str, str]] = field(default_factory=list)
    officers: list[tuple[str, str]] = field(default_factory=list)
    districts: list[tuple[str, str]] = field(default_factory=list)
    periods: list[FinancialQuarter] = field(default_factory=list)
    latest_reported: FinancialQuarter | None = None

    @classmethod
    def load(
        cls,
        user: access.AnyUser,
        plan_slugs: list[str] | None = None,
        officer_ids: list[str] | None = None,
    ) -> FilterOptions:
        """Read every filter's choices in one query.

        Priorities, objectives and officers are listed for the chosen plans only (with no plan
        chosen, priorities by number alone, and only the officers already asked for): a county
        site has thousands of objectives and hundreds of officers.
        """
        plans = Plan.objects.visible_to(user)
        chosen = plans.filter(slug__in=plan_slugs) if plan_slugs else plans.none()

        def rows(
            qs: QuerySet, kind: str, key: F | Value, label: F | Value, n1: F | Value, n2: F | Value
        ) -> QuerySet:
            return (
                qs.order_by()
                .annotate(
                    o_kind=Value(kind, output_field=CharField()),
                    o_key=Cast(key, CharField()),
                    o_label=Cast(label, CharField()),
                    o_n1=Cast(n1, IntegerField()),
                    o_n2=Cast(n2, IntegerField()),
                )
                .values_list("o_kind", "o_key", "o_label", "o_n1", "o_n2")
            )

        zero = Value(0)
        blank = Value("")
        visible_leads = ActionLead.objects.filter(
            access.full_visibility(
                user, "action__objective__priority__plan__partnership", ("action__is_restricted",)
            )
        )
        # Ids as the database holds them: ASCII digits (int() refuses "²"), within 64 bits.
        asked_officers = [
            int(i) for i in officer_ids or [] if i.isascii() and i.isdigit() and len(i) <= 18
        ]
        officers = Officer.objects.filter(
            Exists(
                visible_leads.filter(
                    officer=OuterRef("pk"), action__objective__priority__plan__in=chosen
                )
            )
            | Q(pk__in=asked_officers, action_leads__in=visible_leads)
        )
        union = rows(plans, "plan", F("slug"), F("title"), F("first_year"), zero).union(
            rows(
                Priority.objects.filter(plan__in=chosen)
                if plan_slugs
                else Priority.objects.filter(plan__in=plans),
                "priority",
                F("plan__slug") if plan_slugs else blank,
                F("title") if plan_slugs else blank,
                F("number"),
                zero,
            ),
            rows(
                StrategicObjective.objects.filter(priority__plan__in=chosen),
                "objective",
                F("priority__plan__slug"),
                F("title"),
                F("priority__number"),
                F("number"),
            ),
            rows(
                Organisation.objects.filter(
                    Exists(visible_leads.filter(organisation=OuterRef("pk")))
                ),
                "lead",
                F("slug"),
                F("name"),
                zero,
                zero,
            ),
            rows(
                officers,
                "officer",
                F("organisation__name"),
                F("name"),
                F("pk"),
                zero,
            ),
            rows(
                District.objects.filter(partnership__plans__in=plans),
                "district",
                F("slug"),
                F("name"),
                zero,
                zero,
            ),
            rows(
                ReportingPeriod.objects.filter(plan__in=plans),
                "period",
                F("status"),
                blank,
                F("year"),
                F("quarter"),
            ),
            all=False,
        )
        found: dict[str, list[tuple[str, str, int, int]]] = defaultdict(list)
        for kind, key, label, n1, n2 in union:
            found[kind].append((key, label, n1, n2))

        options = cls()
        options.plans = [
            (k, label) for k, label, _, _ in sorted(found["plan"], key=lambda r: (-r[2], r[1]))
        ]
        if plan_slugs and len(plan_slugs) == 1:
            options.priorities = [
                (str(n), f"{n}. {label}")
                for _, label, n, _ in sorted(found["priority"], key=lambda r: r[2])
            ]
        else:
            numbers = sorted({n for _, _, n, _ in found["priority"]})
            options.priorities = [(str(n), f"Priority {n}") for n in numbers]
        options.objectives = [
            (f"{p}.{o}", f"{p}.{o} {_shorten(label)}")
            for _, label, p, o in sorted(found["objective"], key=lambda r: (r[2], r[3]))
        ]
        options.leads = sorted(
            ((k, label) for k, label, _, _ in found["lead"]), key=lambda r: r[1].lower()
        )
        options.officers = sorted(
            (
                (str(n1), f"{label} ({organisation})")
                for organisation, label, n1, _ in found["officer"]
            ),
            key=lambda r: r[1].lower(),
        )
        districts: dict[str, str] = {}
        for slug, label, _, _ in found["district"]:
            districts.setdefault(slug, label)
        options.districts = sorted(districts.items(), key=lambda r: r[1])
        quarters = {FinancialQuarter(y, q): status for status, _, y, q in found["period"]}
        options.periods = sorted(quarters, reverse=True)
        reported = [q for q, status in quarters.items() if status != PeriodStatus.OPEN]
        options.latest_reported = max(reported, default=max(quarters, default=None))
        return options

    def period_choices(self) -> list[tuple[str, str]]:
        return [(q.slug, q.label) for q in self.periods]


STATUS_CHOICES = [*UpdateStatus.choices, (NO_UPDATE, "No update")]


def _given(choices: list[tuple[str, str]]) -> Any:
    return lambda: choices


def _shorten(text: str, length: int = 70) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class LimitedMultipleChoiceField(forms.MultipleChoiceField):
    """At most ``FILTER_MAX_VALUES`` values: an address can ask for thousands."""

    def validate(self, value: list[str]) -> None:
        if len(value) > FILTER_MAX_VALUES:
            raise forms.ValidationError(
                f"Choose at most {FILTER_MAX_VALUES} at once (the address asked for {len(value)})."
            )
        super().validate(value)


class LimitedMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = LimitedMultipleChoiceField


class CheckboxFilter(LimitedMultipleChoiceFilter):
    """A multiple choice shown as GOV.UK checkboxes."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(*args, **kwargs)


class ActionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search the actions and their updates",
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": f"Search for at most {SEARCH_MAX_LENGTH} characters at a time."
        },
    )
    plan = CheckboxFilter(
        field_name="objective__priority__plan__slug", label="Plan", distinct=False
    )
    priority = CheckboxFilter(
        field_name="objective__priority__number", label="Priority", distinct=False
    )
    objective = CheckboxFilter(method="filter_objective", label="Strategic objective")
    lead = CheckboxFilter(method="filter_lead", label="Lead agency")
    officer = LimitedMultipleChoiceFilter(method="filter_officer", label="Lead officer")
    district = CheckboxFilter(method="filter_district", label="District")
    status = CheckboxFilter(method="filter_status", label="Status")
    statutory = CheckboxFilter(method="filter_statutory", label="Statutory strand")
    period = django_filters.ChoiceFilter(method="keep", label="Status in period", empty_label=None)

    class Meta:
        model = Action
        fields: list[str] = []

    def __init__(self, *args, options: FilterOptions, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        f = self.filters
        # Given as callables: a form deep-copies its fields' choice lists, hundreds of them on
        # a county site, for every request; a callable is copied by reference.
        for name, choices in (
            ("plan", options.plans),
            ("priority", options.priorities),
            ("objective", options.objectives),
            ("lead", options.leads),
            ("officer", options.officers),
            ("district", options.districts),
            ("status", STATUS_CHOICES),
            ("statutory", StatutoryStrand.choices),
        ):
            f[name].extra["choices"] = _given(choices)
        f["period"].extra["choices"] = options.period_choices()  # a handful, and not callable

    # How the text search reads the updates: "set" collects the matching updates once, from
    # the text indexes (trigram GIN on PostgreSQL, FTS5 on SQLite), which is quick for a word
    # few updates hold; "walk" asks, action by action in the list's order, whether one of its
    # own updates holds the text, which finds a page of a word most actions have after a few
    # dozen actions instead of reading every matching update. ``ActionListing`` chooses.
    search_mode = "set"

    def search(self, queryset: ActionQuerySet, name: str, value: str) -> ActionQuerySet:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(self.search_condition(text))

    def search_condition(self, text: str) -> Q:
        """Actions whose own text, or a reported update this visitor may see, contains ``text``.

        One subquery over the updates' text, whatever the visitor: a restricted update counts
        in the partnerships where they see restricted items (``access.pick_q``), settled from
        the update's own period, so the text is searched once, not once per visibility.
        """
        user = self.request.user
        visible = access.pick_q(user, Q(), Q(is_restricted=False), "period__plan__partnership")
        updates = QuarterlyUpdate.objects.reported().filter(visible)
        in_action = Q(description__icontains=text) | Q(outcomes__icontains=text)
        if self.search_mode == "walk":
            # A correlated scalar subquery, which no database turns into a join over every
            # match: it is asked per action, and the walk stops at the page's end.
            hit = updates.filter(action_id=OuterRef("pk"), progress__icontains=text)
            return in_action | Q(IsNull(Subquery(hit.order_by().values("pk")[:1]), False))
        matches = updates.with_progress_containing(text)
        if connection.vendor == "postgresql":
            # Each column in its own subquery, which its trigram index answers (migration 0002);
            # an OR across the columns of one row would read every row. SQLite has no such
            # index, and one pass over the actions is its fastest.
            in_action = Q(
                pk__in=Action.objects.filter(description__icontains=text).values("pk")
            ) | Q(pk__in=Action.objects.filter(outcomes__icontains=text).values("pk"))
        return in_action | Q(pk__in=matches.values("action_id"))

    def filter_objective(
        self, queryset: ActionQuerySet, name: str, value: list[str]
    ) -> ActionQuerySet:
        wanted = Q()
        for reference in value:
            priority, _, objective = reference.partition(".")
            wanted |= Q(objective__priority__number=int(priority), objective__number=int(objective))
        return queryset.filter(wanted)

    # The filters below test membership of an uncorrelated subquery (``pk__in``), which the
    # database evaluates once, rather than an EXISTS per action: on 20,000 actions SQLite chose
    # to scan a lead organisation's every lead for every action, 800 ms instead of 20.

    def filter_lead(self, queryset: ActionQuerySet, name: str, value: list[str]) -> ActionQuerySet:
        leads = ActionLead.objects.filter(organisation__slug__in=value)
        return queryset.filter(pk__in=leads.values("action_id"))

    def filter_officer(
        self, queryset: ActionQuerySet, name: str, value: list[str]
    ) -> ActionQuerySet:
        return queryset.filter(
            pk__in=ActionLead.objects.filter(officer_id__in=value).values("action_id")
        )

    def filter_district(
        self, queryset: ActionQuerySet, name: str, value: list[str]
    ) -> ActionQuerySet:
        covering = Action.districts.through.objects
        named = covering.filter(district__slug__in=value).values("action_id")
        # An action with no districts covers all of its partnership's.
        everywhere = ~Q(pk__in=covering.values("action_id")) & Q(
            objective__priority__plan__partnership_id__in=District.objects.filter(
                slug__in=value
            ).values("partnership_id")
        )
        return queryset.filter(Q(pk__in=named) | everywhere)

    def filter_status(
        self, queryset: ActionQuerySet, name: str, value: list[str]
    ) -> ActionQuerySet:
        wanted = Q(status_rank__in=[STATUS_SEVERITY[v] for v in value if v != NO_UPDATE])
        if NO_UPDATE in value:
            wanted |= Q(status_rank__isnull=True)
        return queryset.filter(wanted)

    def filter_statutory(
        self, queryset: ActionQuerySet, name: str, value: list[str]
    ) -> ActionQuerySet:
        tagged = ObjectiveStrand.objects.filter(strand__in=value).values("objective_id")
        return queryset.filter(objective_id__in=tagged)

    def keep(self, queryset: ActionQuerySet, name: str, value: str) -> ActionQuerySet:
        """The period is applied by the view, which annotates each action's status for it."""
        return queryset


@dataclass
class Choice:
    id: str
    value: str
    label: str
    checked: bool


@dataclass
class ChoiceGroup:
    """One filter of the panel, ready to render: its choices know whether they are ticked."""

    name: str
    label: str
    id: str
    errors: list[str]
    choices: list[Choice]

    @classmethod
    def of(cls, field: forms.BoundField) -> ChoiceGroup:
        chosen = {str(v) for v in (field.value() or [])}
        return cls(
            name=field.html_name,
            label=str(field.label),
            id=field.auto_id,
            errors=list(field.errors),
            choices=[
                Choice(f"{field.auto_id}-{n}", str(value), str(label), str(value) in chosen)
                for n, (value, label) in enumerate(field.field.choices, start=1)
            ],
        )


@dataclass
class ActionListing:
    """The action list for one request: its filters, its period and its querysets.

    The list page and both exports build it the same way, so an export holds exactly what the
    list shows. On a county site the list is read in two steps: the filtered, sorted queryset
    (``queryset``) carries only the annotations that its filters and sort need, and is what gets
    counted and paginated; then ``rows(ids)`` reads the one page's actions in full. Correlated
    subqueries for status run for fifty rows, not twenty thousand.
    """

    options: FilterOptions
    period: FinancialQuarter | None
    filterset: ActionFilterSet
    user: access.AnyUser
    cache: PageCache

    @classmethod
    def from_request(cls, request: HttpRequest) -> ActionListing:
        user = request.user
        cache = PageCache(user)
        # The options are read before the form checks the values: only as many as it allows.
        plan_slugs = sorted(set(request.GET.getlist("plan")[: FILTER_MAX_VALUES + 1]))
        officer_ids = sorted(set(request.GET.getlist("officer")[: FILTER_MAX_VALUES + 1]))
        # The same choices for everyone who sees the same partnerships, until the data changes.
        options = cache.get_or_set(
            "filter-options",
            (tuple(plan_slugs), tuple(officer_ids)),
            lambda: FilterOptions.load(user, plan_slugs, officer_ids),
        )
        period = options.latest_reported
        if request.GET.get("period"):
            try:
                asked = FinancialQuarter.parse(request.GET["period"])
            except ValueError:
                asked = None
            if asked in options.periods:
                period = asked
        queryset = Action.objects.visible_to(user).select_related("objective__priority__plan")
        # Sort keys never NULL, so both databases order the same way: no update sorts as the
        # mildest status and the oldest quarter, no due quarter after every due one.
        sort = request.GET.get("sort", "").lstrip("-")
        if "status" in request.GET or sort == "status":
            queryset = queryset.with_status(period, user).annotate(
                status_sort=Coalesce("status_rank", Value(-1))
            )
        if sort == "last_update":
            queryset = cls.with_last_quarter(queryset, user).annotate(
                last_update_sort=Coalesce("last_quarter", Value(0))
            )
        if sort == "leads":
            queryset = cls.with_first_lead_name(queryset).annotate(
                lead_sort=Coalesce("first_lead_name", Value(""))
            )
        if sort == "timescale":
            queryset = queryset.annotate(
                due_sort=Coalesce(F("due_year") * 10 + F("due_quarter"), Value(99999))
            )
        filterset = ActionFilterSet(
            request.GET or None, queryset=queryset, options=options, request=request
        )
        return cls(options=options, period=period, filterset=filterset, user=user, cache=cache)

    def panel(self) -> dict[str, ChoiceGroup]:
        """The filter panel's multiple-choice filters, computed once rather than in the template."""
        form = self.filterset.form
        names = (
            "status",
            "plan",
            "priority",
            "objective",
            "lead",
            "officer",
            "district",
            "statutory",
        )
        return {name: ChoiceGroup.of(form[name]) for name in names}

    @property
    def queryset(self) -> ActionQuerySet:
        """The filtered actions; none at all while a filter value is not understood."""
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs

    def count(self) -> int:
        """How many actions the filters select: counted once, then kept until the data changes."""
        data = self.filterset.data or {}
        asked = tuple(
            sorted(
                (name, tuple(sorted(data.getlist(name))))
                for name in ActionFilterSet.base_filters
                if name in data
            )
        )
        return self._counted(asked, lambda: self.queryset.count())

    def _counted(self, asked: tuple[Any, ...], count: Any) -> int:
        return self.cache.get_or_set(
            "action-count", (asked, self.period.key if self.period else None), count
        )

    # A text held by at least this share of the visible actions is searched by walking them.
    COMMON_SHARE = 0.05

    def for_page(self, ordered: ActionQuerySet) -> ActionQuerySet:
        """``ordered``, or for a common search text the same rows found by walking the list
        (``ActionFilterSet.search_mode``), in the same order."""
        text = (self.filterset.data or {}).get("q", "").strip()
        # Both ways find the same rows: without the cache to keep the share, don't count it.
        if not text or not self.cache.usable or self._share(text) < self.COMMON_SHARE:
            return ordered
        walking = ActionFilterSet(
            self.filterset.data,
            queryset=self.filterset.queryset,
            options=self.options,
            request=self.filterset.request,
        )
        walking.search_mode = "walk"
        return walking.qs.order_by(*ordered.query.order_by)

    def _share(self, text: str) -> float:
        """The share of the visible actions that ``text`` finds, from the same cached counts as
        the list with only that search, and with no filter at all."""
        base = self.filterset.queryset
        total = self._counted((), lambda: base.count())
        if not total:
            return 0.0
        found = self._counted(
            (("q", (self.filterset.data.get("q"),)),),
            lambda: base.filter(self.filterset.search_condition(text)).count(),
        )
        return found / total

    def page(
        self,
        ordered: ActionQuerySet,
        number: int,
        size: int,
        total: int,
        direction: str | None,
        cursor: PageCursor | None,
    ) -> list[tuple[int, tuple[Any, ...]]]:
        """Page ``number`` of ``ordered``: each row's id and its place in reference order.

        In reference order (``direction``) the index answers: a page reached by its neighbour's
        link starts from that neighbour's first or last row (``cursor``), so page 2,000 costs
        what page 2 does; a page nearer the end than the start is read backwards from the end.
        Any other order counts rows off from the start.
        """
        fields = ("pk", *KEYSET_FIELDS)
        start = (number - 1) * size
        if direction is None:
            return [(row[0], row[1:]) for row in ordered.values_list(*fields)[start : start + size]]
        if cursor is not None and cursor.page == number and cursor.direction == direction:
            forwards = cursor.after
            beyond = (
                (">" if direction == "asc" else "<")
                if forwards
                else ("<" if direction == "asc" else ">")
            )
            chosen = ordered if forwards else ordered.reverse()
            found = list(
                chosen.filter(_row_compare(beyond, cursor.keys)).values_list(*fields)[:size]
            )
            found = found if forwards else found[::-1]
        elif start > total // 2:
            end = min(start + size, total)
            found = list(ordered.reverse().values_list(*fields)[total - end : total - start])[::-1]
        else:
            found = list(ordered.values_list(*fields)[start : start + size])
        return [(row[0], row[1:]) for row in found]

    ROW_FIELDS = (
        "pk",
        "description",
        "timescale",
        "objective__priority__title",
        "sort_priority",
        "sort_objective",
        "number",
    )

    def rows(self, ids: list[int]) -> list[ActionRow]:
        """The actions ``ids``, in that order, as the values a row of the table shows.

        Three plain queries, whatever the page size: the actions, their stored statuses
        (``ActionStatus.shown``) and their leads.
        """
        if not ids:
            return []
        actions = Action.objects.filter(pk__in=ids).values_list(*self.ROW_FIELDS)
        statuses = ActionStatus.shown(ids, self.period, self.user)
        leads: dict[int, list[str]] = defaultdict(list)
        for action_id, *lead in (
            ActionLead.objects.filter(action_id__in=ids)
            .order_by("action_id", "number")
            .values_list(
                "action_id",
                "all_partners",
                "organisation__short_name",
                "organisation__name",
                "officer__name",
            )
        ):
            leads[action_id].append(ActionLead.label(*lead))
        # One reverse() for the page, not one per row.
        url = reverse("action-detail", args=[0]).replace("/0/", "/{}/")
        by_id = {}
        for pk, description, timescale, priority, p, o, n in actions:
            status, last = statuses[pk]
            by_id[pk] = ActionRow(
                pk=pk,
                reference=f"{p}.{o}.{n}",
                description=description,
                url=url.format(pk),
                priority_title=priority or "Priority not named",
                leads=", ".join(leads[pk]),
                timescale=timescale,
                status=status,
                last_quarter=last,
            )
        return [by_id[pk] for pk in ids if pk in by_id]

    def for_export(self, ordered: ActionQuerySet) -> ActionQuerySet:
        """``ordered`` (the sorted list) with the status and last update of every row."""
        annotated = ordered
        if "current_status" not in ordered.query.annotations:
            annotated = annotated.with_status(self.period, self.user)
        if "last_quarter" not in ordered.query.annotations:
            annotated = self.with_last_quarter(annotated, self.user)
        return annotated

    @staticmethod
    def with_last_quarter(queryset: ActionQuerySet, user: access.AnyUser) -> ActionQuerySet:
        """The latest quarter with a reported update ``user`` may see: ``FinancialQuarter.key``.

        Read from the stored statuses (one row per action and quarter with a reported update),
        an index lookup per action rather than a walk through its updates.
        """
        latest = ActionStatus.objects.filter(action=OuterRef("pk")).order_by("-quarter_key")
        public = latest.filter(public_rank__isnull=False)
        return queryset.annotate(
            last_quarter=access.pick_for(
                user,
                Subquery(latest.values("quarter_key")[:1]),
                Subquery(public.values("quarter_key")[:1]),
            )
        )

    @staticmethod
    def with_first_lead_name(queryset: ActionQuerySet) -> ActionQuerySet:
        return queryset.annotate(
            first_lead_name=Subquery(
                ActionLead.objects.filter(action=OuterRef("pk"))
                .order_by("number")
                .annotate(name=Coalesce("organisation__name", Value("All partners")))
                .values("name")[:1]
            )
        )


def _row_compare(operator: str, keys: tuple[Any, ...]) -> RawSQL:
    """``(the reference order's columns) > (keys)`` as one row comparison, which both databases
    answer by seeking in the index rather than by reading up to it."""
    quote = connection.ops.quote_name
    table = quote(Action._meta.db_table)
    columns = ", ".join(f"{table}.{quote(Action._meta.get_field(f).column)}" for f in KEYSET_FIELDS)
    marks = ", ".join(["%s"] * len(KEYSET_FIELDS))
    return RawSQL(f"({columns}) {operator} ({marks})", keys, output_field=BooleanField())


@dataclass(frozen=True)
class PageCursor:
    """Where a page reached from its neighbour starts: just after (or before) a row.

    It travels in the Previous and Next links as ``after=`` or ``before=``; one that does not
    decode, or was made for another page or order, is ignored and the page counted off instead.
    """

    page: int
    direction: str
    keys: tuple[Any, ...]
    after: bool = True

    def encode(self) -> str:
        raw = json.dumps([self.page, self.direction, *self.keys], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None, *, after: bool) -> PageCursor | None:
        if not text or len(text) > 1000:
            return None
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        if not (isinstance(raw, list) and len(raw) == 2 + len(KEYSET_FIELDS)):
            return None
        page, direction, title, *numbers = raw
        if (
            direction not in ("asc", "desc")
            or not isinstance(title, str)
            or not all(type(n) is int and 0 <= n < 2**63 for n in (page, *numbers))
        ):
            return None
        return cls(page, direction, (title, *numbers), after)
