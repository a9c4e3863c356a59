"""The quarterly update cycle: which updates a period expects, who owes them, and saving them.

A period expects one update per action and district: for each action of the plan still under way
(not reported complete or no longer required in an earlier quarter; such an action still shows
if it was given an update in this one), one per district the action covers: its own districts;
else the districts its leads report for (a district council's action is its own district's);
else, once a lead reports for the whole area, all the partnership's. A single whole-area update
is expected where the partnership has no districts or one has already been given. Each expected
update is a ``Slot``.

Who owes a slot: the action's lead organisations, narrowed to those whose membership is for
that district or for the whole area (a district council reports for its own district, the
police for every district); if that leaves none, all the leads. "All partners" actions are
owed by every member organisation for its district. ``PeriodSlots`` works this out once for a
period, so My updates, the review page and the reminders agree.

The rules of the cycle live here too, for the pages and commands to call: saving an update
(``save_update``), a coordinator's review (``accept``, ``return_to_lead`` and the e-mail it
sends, ``open_amendment``) and a period's moves between open, closed and reported.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from csp import access
from csp.models import (
    Action,
    ActionLead,
    ActionStatus,
    Amendment,
    District,
    MeasureFigure,
    Membership,
    Officer,
    Organisation,
    PartnershipRole,
    PeriodStatus,
    PersonalLink,
    Priority,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateComment,
    UpdateState,
    UpdateStatus,
)
from csp.models.updates import refuse_if_locked

logger = logging.getLogger(__name__)

MISSING = "missing"
# Slot states, in the order a coordinator chases them.
STATES = [
    MISSING,
    UpdateState.RETURNED,
    UpdateState.DRAFT,
    UpdateState.SUBMITTED,
    UpdateState.ACCEPTED,
]
STATE_LABELS = {MISSING: "Missing"} | {s.value: s.label for s in UpdateState}
SHARED_LABEL = "Shared by two or more leads"
NOBODY_LABEL = "Owed by nobody (no lead)"
FINISHED = (UpdateStatus.COMPLETE, UpdateStatus.NO_LONGER_REQUIRED)


@dataclass
class Slot:
    """One update a period expects: an action in one district (``None``: the whole area)."""

    action: Action
    district: District | None
    update: QuarterlyUpdate | None
    lead_organisations: list[Organisation]
    all_partners: bool
    responsible_ids: frozenset[int]
    period: ReportingPeriod

    @property
    def key(self) -> str:
        """A form prefix naming the slot: ``s12-3`` (action 12, district 3), ``s12-all``."""
        return f"s{self.action.pk}-{self.district.pk if self.district else 'all'}"

    @property
    def state(self) -> str:
        return self.update.state if self.update else MISSING

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def is_outstanding(self) -> bool:
        """Still owed by the leads: missing, a draft, or returned to them."""
        return self.state in (MISSING, UpdateState.DRAFT, UpdateState.RETURNED)

    @property
    def is_late(self) -> bool:
        deadline = self.period.deadline
        return self.is_outstanding and deadline is not None and deadline < timezone.localdate()

    @property
    def in_amendment(self) -> bool:
        return bool(self.update and getattr(self.update, "open_amendments", None))

    @property
    def is_editable(self) -> bool:
        """Open to its leads: in an open period while not submitted or accepted; once the
        period is closed, while it is returned to them (until the period is reported); or
        when re-opened for an amendment."""
        if self.in_amendment:
            return self.state != UpdateState.ACCEPTED
        if self.period.status == PeriodStatus.CLOSED:
            return self.state == UpdateState.RETURNED
        return self.period.status == PeriodStatus.OPEN and self.state in (
            MISSING,
            UpdateState.DRAFT,
            UpdateState.RETURNED,
        )

    @property
    def can_withdraw(self) -> bool:
        """May its leads take it back to change it: submitted, not accepted, and still theirs to
        change once it is a draft again (the period open, or the update in amendment)."""
        return self.state == UpdateState.SUBMITTED and (
            self.period.status == PeriodStatus.OPEN or self.in_amendment
        )

    @property
    def district_label(self) -> str:
        return self.district.name if self.district else "Whole area"

    @property
    def owed_by(self) -> str:
        if self.all_partners:
            return "All partners"
        if self.is_owed_by_nobody:
            return "Nobody: the action has no lead"
        return ", ".join(o.short_name or o.name for o in self.lead_organisations)

    @property
    def is_owed_by_nobody(self) -> bool:
        """An action with no lead organisation: expected, but no one is asked for it."""
        return not self.responsible_ids

    @property
    def owing_leads(self) -> list[Organisation]:
        """The action's lead organisations that owe this slot (co-leads: more than one)."""
        return [o for o in self.lead_organisations if o.pk in self.responsible_ids]


@dataclass
class Completeness:
    """Counts of slot states for one row of the review page (an organisation or a priority)."""

    label: str
    counts: Counter[str] = field(default_factory=Counter)
    late: int = 0
    # Of an organisation's row: slots it owes together with another lead, counted apart (in
    # the "shared" row) so that the rows add up to the total.
    shared: int = 0
    organisation_id: int | None = None  # of an organisation's row

    @property
    def expected(self) -> int:
        return sum(self.counts.values())

    @property
    def received(self) -> int:
        return self.counts[UpdateState.SUBMITTED] + self.counts[UpdateState.ACCEPTED]

    @property
    def outstanding(self) -> int:
        return self.expected - self.received

    def add(self, slot: Slot) -> None:
        self.counts[slot.state] += 1
        self.late += slot.is_late

    @classmethod
    def of(cls, label: str, slots: Iterable[Slot]) -> Completeness:
        row = cls(label)
        for slot in slots:
            row.add(slot)
        return row

    @property
    def labelled_counts(self) -> list[tuple[str, int]]:
        """("Missing", 2), ("Accepted", 1) …: the states there are, in the order chased."""
        return [(STATE_LABELS[s], self.counts[s]) for s in STATES if self.counts[s]]


class PeriodSlots:
    """Every update ``period`` expects, with who owes it and what has been given."""

    def __init__(self, period: ReportingPeriod) -> None:
        self.period = period
        plan = period.plan
        self.partnership = plan.partnership
        self.districts = list(self.partnership.districts.all())
        self.memberships = {
            m.organisation_id: m
            for m in Membership.objects.filter(partnership=self.partnership).select_related(
                "organisation"
            )
        }
        finished_earlier = ActionStatus.objects.filter(
            quarter_key__lt=period.financial_quarter.key, status__in=FINISHED
        ).values("action_id")
        reported_now = QuarterlyUpdate.objects.filter(period=period).values("action_id")
        actions = (
            Action.objects.in_plan(plan)
            # Finished earlier: nothing more expected, unless an update was given anyway.
            .filter(~Q(pk__in=finished_earlier) | Q(pk__in=reported_now))
            .select_related("objective__priority")
            .prefetch_related(
                Prefetch(
                    "leads",
                    queryset=ActionLead.objects.select_related("organisation", "officer"),
                ),
                "districts",
                "measures",
            )
            .order_by("objective__priority__number", "objective__number", "number")
        )
        updates = (
            QuarterlyUpdate.objects.filter(period=period)
            .select_related("author", "district", "organisation")
            .prefetch_related(
                "figures__measure",
                "evidence",
                Prefetch("comments", queryset=UpdateComment.objects.select_related("author")),
                Prefetch(
                    "amendments",
                    queryset=Amendment.objects.filter(closed_at=None),
                    to_attr="open_amendments",
                ),
            )
        )
        by_key = {(u.action_id, u.district_id): u for u in updates}
        self.slots: list[Slot] = []
        for action in actions:
            if (action.pk, None) in by_key or not self.districts:
                districts: list[District | None] = [None]
            else:
                districts = list(action.districts.all()) or self._lead_districts(action)
            for district in districts:
                self.slots.append(
                    self._slot(action, district, by_key.get((action.pk, _pk(district))))
                )

    def _lead_districts(self, action: Action) -> list[District | None]:
        """The districts an action with none of its own covers: those its leads report for.

        A district council's action is its district's; as soon as a lead reports for the whole
        area (the police, "All partners"), the action covers every district.
        """
        covered: set[int] = set()
        for lead in action.leads.all():
            membership = (
                self.memberships.get(lead.organisation_id) if lead.organisation_id else None
            )
            if membership is None or membership.district_id is None:
                return list(self.districts)
            covered.add(membership.district_id)
        return [d for d in self.districts if d.pk in covered] or list(self.districts)

    def _slot(
        self, action: Action, district: District | None, update: QuarterlyUpdate | None
    ) -> Slot:
        if update is not None:
            update.action = action  # already loaded, with its objective and priority
        leads = list(action.leads.all())
        organisations = [lead.organisation for lead in leads if lead.organisation is not None]
        all_partners = any(lead.all_partners for lead in leads)
        candidates = set(self.memberships) if all_partners else {o.pk for o in organisations}
        for_district = {
            pk
            for pk in candidates
            if (m := self.memberships.get(pk)) is None
            or m.district_id is None
            or district is None
            or m.district_id == district.pk
        }
        return Slot(
            action=action,
            district=district,
            update=update,
            lead_organisations=organisations,
            all_partners=all_partners,
            responsible_ids=frozenset(for_district or candidates),
            period=self.period,
        )

    def for_organisations(self, organisation_ids: Iterable[int]) -> list[Slot]:
        ids = set(organisation_ids)
        return [slot for slot in self.slots if slot.responsible_ids & ids]

    def for_user(self, user: access.AnyUser) -> list[Slot]:
        """The slots ``user`` may write: their organisations', if their role writes updates."""
        if not access.writes_updates_in(user, self.partnership.pk):
            return []
        return self.for_organisations(access.organisation_ids(user))

    def reporting_organisation(self, organisation_ids: Iterable[int]) -> int | None:
        """Which of a person's organisations reports for them in this partnership.

        The one rule for updates and 4 Ps summaries alike: of their organisations that are
        members, the lowest id (a person working for two member agencies is rare).
        """
        members = sorted(set(organisation_ids) & set(self.memberships))
        return members[0] if members else None

    def find(self, action_id: int, district_id: int | None) -> Slot | None:
        for slot in self.slots:
            if slot.action.pk == action_id and _pk(slot.district) == district_id:
                return slot
        return None

    @cached_property
    def totals(self) -> Completeness:
        return Completeness.of("All updates", self.slots)

    def by_organisation(self) -> list[Completeness]:
        """A row per member organisation owing updates, then the rows every slot counts in once.

        An organisation's row counts the slots it owes alone; a slot two or more lead
        organisations owe together counts once, in the "shared" row (and in each co-lead's
        ``shared`` column); "All partners" actions and actions with no lead have rows of their
        own. So the rows add up to ``totals``.
        """
        rows: dict[str, Completeness] = {}
        shared = Completeness(SHARED_LABEL)
        all_partners = Completeness("All partners")
        nobody = Completeness(NOBODY_LABEL)
        for slot in self.slots:
            if slot.all_partners:
                all_partners.add(slot)
                continue
            if slot.is_owed_by_nobody:
                nobody.add(slot)
                continue
            leads = slot.owing_leads
            for organisation in leads:
                row = rows.setdefault(
                    organisation.name,
                    Completeness(organisation.name, organisation_id=organisation.pk),
                )
                if len(leads) == 1:
                    row.add(slot)
                else:
                    row.shared += 1
            if len(leads) > 1:
                shared.add(slot)
        found = [rows[k] for k in sorted(rows)]
        return found + [row for row in (shared, all_partners, nobody) if row.expected]

    def owed_by_nobody(self) -> list[Action]:
        """Actions the period expects updates for that no organisation leads: to be fixed."""
        seen: dict[int, Action] = {}
        for slot in self.slots:
            if slot.is_owed_by_nobody and not slot.all_partners:
                seen.setdefault(slot.action.pk, slot.action)
        return list(seen.values())

    def by_priority(self) -> list[Completeness]:
        rows: dict[int, Completeness] = {}
        for slot in self.slots:
            priority: Priority = slot.action.objective.priority
            rows.setdefault(
                priority.number, Completeness(f"{priority.number}. {priority.title}")
            ).add(slot)
        return [rows[k] for k in sorted(rows)]

    def link_recipients(self) -> dict[int, tuple[PersonalLink, list[Slot]]]:
        """Outstanding slots by the user id of each working personal link of the period."""
        owed = {}
        for link in PersonalLink.objects.filter(period=self.period).usable():
            slots = [
                s
                for s in self.slots
                if s.is_outstanding and link.organisation_id in s.responsible_ids
            ]
            if slots:
                owed[link.user_id] = (link, slots)
        return owed

    def recipients(self) -> dict[int, list[Slot]]:
        """Outstanding slots by the id of each user who may write them (for reminders)."""
        writers = set(
            PartnershipRole.objects.filter(
                partnership=self.partnership, role__in=access.WRITING_ROLES
            ).values_list("user_id", flat=True)
        )
        organisations_of: dict[int, set[int]] = defaultdict(set)
        for user_id, organisation_id in Officer.objects.filter(user_id__in=writers).values_list(
            "user_id", "organisation_id"
        ):
            organisations_of[user_id].add(organisation_id)
        owed: dict[int, list[Slot]] = {}
        for user_id, organisations in organisations_of.items():
            slots = [
                s for s in self.slots if s.is_outstanding and s.responsible_ids & organisations
            ]
            if slots:
                owed[user_id] = slots
        return owed


def _pk(district: District | None) -> int | None:
    return district.pk if district is not None else None


def previous_updates(period: ReportingPeriod, slots: list[Slot]) -> dict[str, QuarterlyUpdate]:
    """Last quarter's update for each slot (same action and district), keyed by slot key."""
    earlier = (
        ReportingPeriod.objects.filter(plan_id=period.plan_id)
        .filter(year__lte=period.year)
        .exclude(year=period.year, quarter__gte=period.quarter)
        .order_by("-year", "-quarter")
        .first()
    )
    if earlier is None or not slots:
        return {}
    found = QuarterlyUpdate.objects.filter(
        period=earlier, action_id__in={s.action.pk for s in slots}
    ).select_related("period")
    by_key = {(u.action_id, u.district_id): u for u in found}
    result = {}
    for slot in slots:
        update = by_key.get((slot.action.pk, _pk(slot.district))) or by_key.get(
            (slot.action.pk, None)
        )
        if update is not None:
            result[slot.key] = update
    return result


class EditConflict(Exception):
    """Someone else saved this update since the editor loaded it."""

    def __init__(self, slot: Slot, current: QuarterlyUpdate | None) -> None:
        super().__init__(f"{slot.action.reference} {slot.district_label} was changed meanwhile")
        self.slot = slot
        self.current = current


@dataclass
class UpdateInput:
    """What an editor sent for one slot."""

    status: str
    progress: str
    risks: str
    figures: Mapping[int, Decimal | None]
    version: int


def save_update(
    slot: Slot,
    data: UpdateInput,
    *,
    user: access.AnyUser,
    submit: bool,
    organisation_ids: set[int] | None = None,
    history_reason: str = "",
) -> QuarterlyUpdate:
    """Save ``data`` as ``slot``'s update, as a draft or submitted; refuses a stale edit.

    ``data.version`` is the version the editor loaded (0: there was no update). The version is
    claimed with a conditional UPDATE first, so of two editors holding the same version only
    one can save: the other gets ``EditConflict`` with the text now stored, and nothing of
    theirs is written. Call inside a transaction. ``organisation_ids``: the user's, if the
    caller has them already (a page saving many updates asks once). The history records
    ``user`` as who saved it, and ``history_reason`` (a personal link's holder) with it.
    """
    # Hold the period's row until this transaction ends: issuing a report takes the same lock
    # before it checks its document and locks the period, so a submit either lands before that
    # check (and the report is not issued) or after the lock (and is refused).
    list(ReportingPeriod.objects.select_for_update().filter(pk=slot.period.pk).values("pk"))
    update = slot.update
    if update is None:
        if data.version != 0:
            raise EditConflict(slot, _current(slot))
        update = QuarterlyUpdate(
            action=slot.action, period=slot.period, district=slot.district, version=1
        )
    else:
        if not QuarterlyUpdate.objects.claim_version(update.pk, data.version):
            raise EditConflict(slot, _current(slot))
        update.version = data.version + 1
    update.status = data.status
    update.progress = data.progress
    update.risks = data.risks
    update.author = user if user.is_authenticated else None
    if update.organisation_id is None:
        mine = access.organisation_ids(user) if organisation_ids is None else organisation_ids
        # Of the user's organisations, one that owes this slot: the lowest id, as for summaries.
        owing = sorted(mine & slot.responsible_ids)
        update.organisation_id = owing[0] if owing else None
    if submit:
        update.state = UpdateState.SUBMITTED
        update.submitted_at = timezone.now()
    elif update.state != UpdateState.RETURNED:
        update.state = UpdateState.DRAFT
    _record_as(update, user, history_reason)
    try:
        with transaction.atomic():
            update.save()
    except IntegrityError:
        # Created by someone else since this editor's page was drawn.
        raise EditConflict(slot, _current(slot)) from None
    existing = {f.measure_id: f for f in update.figures.all()}
    for measure_id, value in data.figures.items():
        figure = existing.get(measure_id)
        if value is None:
            if figure is not None:
                _record_as(figure, user, history_reason).delete()
        elif figure is None:
            _record_as(
                MeasureFigure(update=update, measure_id=measure_id, value=value),
                user,
                history_reason,
            ).save()
        elif figure.value != value:
            figure.value = value
            _record_as(figure, user, history_reason).save()
    slot.update = update
    return update


M = TypeVar("M", QuarterlyUpdate, MeasureFigure)


def _record_as(record: M, user: access.AnyUser, reason: str) -> M:
    """Have django-simple-history record ``user`` (and ``reason``) as who made this change.

    Said to the record itself rather than left to the request, so that a save by a personal
    link's holder, who is not signed in, is recorded as theirs too.
    """
    if user.is_authenticated:
        record._history_user = user  # type: ignore[union-attr]
    if reason:
        record._change_reason = reason  # type: ignore[union-attr]
    return record


def _current(slot: Slot) -> QuarterlyUpdate | None:
    """The slot's update as stored now; ``None`` if there is none (it was deleted meanwhile)."""
    return (
        QuarterlyUpdate.objects.filter(
            action=slot.action, period=slot.period, district=slot.district
        )
        .select_related("author")
        .first()
    )


def withdraw(
    slot: Slot, version: int, *, user: access.AnyUser | None = None, history_reason: str = ""
) -> QuarterlyUpdate:
    """Take back a submitted update that has not been accepted yet: it is a draft again.

    ``version`` is the one the officer read; if the coordinator accepted or returned it since,
    the claim fails and nothing changes.
    """
    update = slot.update
    if update is None or not slot.can_withdraw:
        state = slot.state_label.lower()
        if slot.state == UpdateState.SUBMITTED:
            raise Refused(
                f"{slot.action.reference} {slot.district_label} cannot be withdrawn now: "
                f"{slot.period.label} is {slot.period.get_status_display().lower()}. "
                "Ask the coordinator to return it to you."
            )
        raise Refused(
            f"{slot.action.reference} {slot.district_label} is {state}: "
            "only a submitted update that has not been accepted can be withdrawn."
        )
    refuse_if_locked(update.period, update)
    with transaction.atomic():
        # The same lock as saving: a report being issued sees the update before or after.
        list(ReportingPeriod.objects.select_for_update().filter(pk=slot.period.pk).values("pk"))
        _claim(update, version)
        update.state = UpdateState.DRAFT
        update.submitted_at = None
        if user is not None:
            _record_as(update, user, history_reason)
        update.save(update_fields=["state", "submitted_at", "version", "updated_at"])
    return update


def open_periods_for(user: access.AnyUser) -> QuerySet[ReportingPeriod]:
    """Periods whose updates ``user`` may be writing: open ones, closed ones with an update
    returned to its lead, and any with an amendment. (Whether one of them is ``user``'s to
    write is for ``PeriodSlots.for_user`` to say.)"""
    partnerships = PartnershipRole.objects.filter(
        user_id=user.pk, role__in=access.WRITING_ROLES
    ).values("partnership_id")
    return (
        ReportingPeriod.objects.filter(plan__partnership_id__in=partnerships)
        .filter(
            Q(status=PeriodStatus.OPEN)
            | Q(status=PeriodStatus.CLOSED, updates__state=UpdateState.RETURNED)
            | Q(updates__amendments__closed_at__isnull=True, updates__amendments__isnull=False)
        )
        .distinct()
        .select_related("plan__partnership")
        .order_by("plan__partnership__name", "-year", "-quarter")
    )


# -- reviewing: the coordinator's side of the cycle ------------------------------------------


def update_name(update: QuarterlyUpdate) -> str:
    """ "1.1.2 North": how the messages name an update."""
    where = update.district.name if update.district is not None else "whole area"
    return f"{update.action.reference} {where}"


class Refused(Exception):
    """A review action that cannot be done now; the message says why."""


def _claim(update: QuarterlyUpdate, version: int) -> None:
    """Move the update on from the version the coordinator read, or refuse: it has changed."""
    if not QuarterlyUpdate.objects.claim_version(update.pk, version):
        raise Refused(
            f"{update_name(update)} has changed since you opened the page. Check it again below."
        )
    update.version = version + 1


def accept(update: QuarterlyUpdate, version: int) -> bool:
    """Accept a submitted update; close its amendment if it has one. True if one was closed."""
    if update.state != UpdateState.SUBMITTED:
        raise Refused(
            f"{update_name(update)} is {update.get_state_display().lower()}: "
            "only a submitted update can be accepted."
        )
    refuse_if_locked(update.period, update)
    amendment = update.open_amendment
    with transaction.atomic():
        _claim(update, version)
        update.state = UpdateState.ACCEPTED
        update.save(update_fields=["state", "version", "updated_at"])
        if amendment is not None:
            amendment.closed_at = timezone.now()
            amendment.save(update_fields=["closed_at"])
    return amendment is not None


def return_to_lead(
    update: QuarterlyUpdate, version: int, comment: str, by: access.AnyUser | None = None
) -> None:
    """Send an update back to its lead with the coordinator's comment, which joins the update's
    conversation."""
    if update.state not in (UpdateState.SUBMITTED, UpdateState.ACCEPTED):
        raise Refused(
            f"{update_name(update)} is {update.get_state_display().lower()}: "
            "only a submitted or accepted update can be returned."
        )
    refuse_if_locked(update.period, update)
    with transaction.atomic():
        _claim(update, version)
        update.state = UpdateState.RETURNED
        update.return_comment = comment
        update.save(update_fields=["state", "return_comment", "version", "updated_at"])
        UpdateComment.objects.create(
            update=update, author=_user_or_none(by), text=comment, is_return=True
        )


def _user_or_none(user: access.AnyUser | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def open_amendment(update: QuarterlyUpdate, reason: str, user: access.AnyUser | None) -> None:
    """Re-open an update of a reported period for its lead to change, giving the reason."""
    if not update.period.is_locked:
        raise Refused(f"{update.period.label} has not been reported: return the update instead.")
    # A draft or returned update of a reported period is stuck as well: its lead cannot
    # change it either until it is re-opened, so those may be amended too.
    if update.open_amendment is not None:
        raise Refused(f"{update_name(update)} is already open for amendment.")
    try:
        with transaction.atomic():
            Amendment.objects.create(
                update=update,
                reason=reason,
                opened_by=user if user is not None and user.is_authenticated else None,
            )
            # The lead sees the reason as the coordinator's comment on the returned update.
            update.state = UpdateState.RETURNED
            update.return_comment = reason
            update.version += 1
            update.save(update_fields=["state", "return_comment", "version", "updated_at"])
            UpdateComment.objects.create(
                update=update,
                author=_user_or_none(user),
                text=f"Re-opened for an amendment: {reason}",
                is_return=True,
            )
    except IntegrityError:
        raise Refused(f"{update_name(update)} is already open for amendment.") from None


# -- a period's life cycle: open, closed, reported -------------------------------------------

# Each status a period can be moved to, the one status it is moved from, and what the
# coordinator is told when it is done.
MOVES = {
    PeriodStatus.CLOSED: (
        PeriodStatus.OPEN,
        "{label} is closed. Leads can no longer change their updates, except those returned "
        "to them, until the period is reported.",
    ),
    PeriodStatus.OPEN: (PeriodStatus.CLOSED, "{label} is open again for updates."),
    PeriodStatus.REPORTED: (
        PeriodStatus.CLOSED,
        "{label} is marked reported and locked. Changing an update now needs an amendment.",
    ),
}
REFUSALS = {
    PeriodStatus.CLOSED: "Only an open period can be closed; {label} is {status}.",
    PeriodStatus.OPEN: "Only a closed period can be re-opened; {label} is {status}.",
    PeriodStatus.REPORTED: "Close {label} before marking it reported; it is {status}.",
}


@dataclass
class ClosingCheck:
    """What closing ``period`` would leave behind, for the coordinator to decide on."""

    slots: PeriodSlots

    @property
    def missing(self) -> list[Slot]:
        return [s for s in self.slots.slots if s.state in (MISSING, UpdateState.DRAFT)]

    @property
    def returned(self) -> list[Slot]:
        return [s for s in self.slots.slots if s.state == UpdateState.RETURNED]

    @property
    def awaiting_review(self) -> list[Slot]:
        return [s for s in self.slots.slots if s.state == UpdateState.SUBMITTED]

    @property
    def is_complete(self) -> bool:
        return not self.missing and not self.returned


def move_period(period: ReportingPeriod, to: PeriodStatus) -> None:
    """Move ``period`` to status ``to`` from the one status ``MOVES`` allows, or refuse."""
    with transaction.atomic():
        current = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        if current.status != MOVES[to][0]:
            status = current.get_status_display().lower()
            raise Refused(REFUSALS[to].format(label=current.label, status=status))
        current.status = to
        current.save(update_fields=["status"])
    period.status = to


def tell_lead_of_return(update: QuarterlyUpdate, link: str) -> bool:
    """E-mail the update's author that it was returned, with the comment and ``link``.

    Returns whether a message went; one that cannot be sent is logged, never an error for the
    coordinator, whose return has been recorded either way (and shows on the officer's pages).
    """
    author = update.author
    if author is None or not author.email or not author.is_active:
        return False
    context = {"update": update, "name": update_name(update), "link": link, "user": author}
    subject = " ".join(render_to_string("email/returned_subject.txt", context).split())
    body = render_to_string("email/returned.txt", context)
    try:
        send_mail(subject, body, None, [author.email])
    except Exception:  # a mail server down must not undo or hide the return itself
        logger.exception("Could not e-mail %s about the returned update %s", author, update.pk)
        return False
    return True
