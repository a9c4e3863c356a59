"""My updates, and the one page where an officer writes all their updates for a period.

Officers write updates for the actions their organisation leads (``csp.cycle`` decides which);
they save drafts as often as they like and submit when ready. Two people editing the same
update cannot overwrite each other: each form carries the version it was drawn from, and a save
from an older version is refused with both texts shown (``csp.cycle.save_update``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from csp import access, cycle
from csp.models import (
    Organisation,
    PeriodLocked,
    PeriodStatus,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    Role,
    UpdateState,
    UpdateStatus,
)
from csp.views.common import refuse

SAVE_DRAFT = "draft"
SUBMIT = "submit"


class UpdateForm(forms.Form):
    """One action's update for one district, with a figure field for each of its measures."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Choose a status"),
            *((value, label) for value, label in UpdateStatus.choices if value != "not_given"),
        ],
    )
    progress = forms.CharField(
        label="Progress this quarter", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    risks = forms.CharField(
        label="Risks and dependencies", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data: QueryDict | None = None, *, slot: cycle.Slot) -> None:
        self.slot = slot
        update = slot.update
        initial: dict[str, Any] = {"version": update.version if update else 0}
        if update is not None:
            initial |= {
                "status": "" if update.status == UpdateStatus.NOT_GIVEN else update.status,
                "progress": update.progress,
                "risks": update.risks,
            }
        figures = {f.measure_id: f.value for f in update.figures.all()} if update else {}
        super().__init__(data, prefix=slot.key, initial=initial)
        for measure in slot.action.measures.all():
            label = measure.description or measure.target_text or f"Measure {measure.number}"
            self.fields[f"m{measure.pk}"] = forms.DecimalField(
                label=label,
                required=False,
                max_digits=12,
                decimal_places=2,
                help_text=_target_hint(measure),
            )
            self.initial[f"m{measure.pk}"] = figures.get(measure.pk)

    @property
    def measure_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("m")]

    @property
    def has_content(self) -> bool:
        data = self.cleaned_data
        return bool(
            data.get("status")
            or data.get("progress", "").strip()
            or data.get("risks", "").strip()
            or any(data.get(name) is not None for name in self.fields if name.startswith("m"))
        )

    def check_for_submission(self) -> None:
        """A submitted update needs a status and some progress text."""
        where = f"{self.slot.action.reference} ({self.slot.district_label})"
        if not self.cleaned_data.get("status"):
            self.add_error("status", f"Choose a status for {where}")
        if not self.cleaned_data.get("progress", "").strip():
            self.add_error("progress", f"Enter the progress on {where}")

    def to_input(self) -> cycle.UpdateInput:
        data = self.cleaned_data
        return cycle.UpdateInput(
            status=data["status"] or UpdateStatus.NOT_GIVEN,
            progress=data["progress"].strip(),
            risks=data["risks"].strip(),
            figures={int(name[1:]): data[name] for name in self.fields if name.startswith("m")},
            version=data["version"],
        )


def _target_hint(measure: Any) -> str:
    if measure.target_value is not None:
        unit = f" {measure.unit}" if measure.unit else ""
        return f"Target: {measure.target_value.normalize():f}{unit}"
    return f"Target: {measure.target_text}" if measure.target_text else ""


class SummaryForm(forms.ModelForm):
    """An organisation's 4 Ps summary of its work on one priority."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = PrioritySummary
        fields = ["pursue", "prevent", "protect", "prepare"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}

    def has_content(self) -> bool:
        return any(self.cleaned_data.get(f, "").strip() for f in self.Meta.fields)


@dataclass
class Block:
    """What the page shows for one slot: its form, last quarter's update, any conflict."""

    slot: cycle.Slot
    form: UpdateForm
    previous: QuarterlyUpdate | None
    conflict: QuarterlyUpdate | None = None
    gone: bool = False  # the update was deleted while this editor had it open
    stale: bool = False  # no longer editable: submitted by a colleague, or the period closed


def my_updates(request: HttpRequest) -> HttpResponse:
    """``/updates/``: for each period the user reports in, their updates and how far along."""
    if not request.user.is_authenticated:
        raise access.SignInRequired
    organisations = access.organisation_ids(request.user)
    roles = dict(request.user.partnership_roles.values_list("partnership_id", "role"))
    periods = []
    for period in cycle.open_periods_for(request.user):  # only where their role writes
        expected = cycle.PeriodSlots(period)
        slots = expected.for_organisations(organisations)
        progress = cycle.Completeness.of(period.label, slots)
        partnership = expected.partnership
        periods.append(
            {
                "period": period,
                "slots": slots,
                "counts": progress.labelled_counts,
                "outstanding": progress.outstanding,
                "is_late": progress.late > 0,
                "reviews": request.user.is_superuser
                or roles.get(partnership.pk) == Role.COORDINATOR,
                "summaries": partnership.reports_by_priority_summary
                and expected.reporting_organisation(organisations) is not None,
            }
        )
    return render(
        request,
        "updates/mine.html",
        {
            "periods": periods,
            "organisations": Organisation.objects.filter(pk__in=organisations),
            "writes": any(role in access.WRITING_ROLES for role in roles.values()),
        },
    )


def period_updates(request: HttpRequest, pk: int) -> HttpResponse:
    """``/updates/<period>/``: every update the user owes for the period, on one page."""
    if not request.user.is_authenticated:
        raise access.SignInRequired
    periods = ReportingPeriod.objects.select_related("plan__partnership")
    if not request.user.is_superuser:
        periods = periods.filter(
            plan__partnership_id__in=access.member_partnership_ids(request.user)
        )
    period = get_object_or_404(periods, pk=pk)
    partnership = period.plan.partnership
    if not access.writes_updates_in(request.user, partnership.pk):
        refuse(request, "Only the partnership's officers and coordinators write updates.")
    mine = access.organisation_ids(request.user)
    expected = cycle.PeriodSlots(period)
    slots = expected.for_organisations(mine)
    previous = cycle.previous_updates(period, slots)
    summaries = _summary_forms(request, period, expected.reporting_organisation(mine))
    # A form is bound only if the page that was posted drew it: a slot that became editable
    # since (returned meanwhile) is simply not part of this save.
    posted = request.POST if request.method == "POST" else {}
    blocks = [
        Block(
            slot,
            UpdateForm(request.POST if f"{slot.key}-version" in posted else None, slot=slot),
            previous.get(slot.key),
        )
        for slot in slots
    ]
    editable = [b for b in blocks if b.slot.is_editable]

    if request.method == "POST":
        intent = request.POST.get("intent")
        if intent not in (SAVE_DRAFT, SUBMIT):
            return HttpResponse("Choose Save as draft or Submit.", status=400)
        drawn = [b for b in editable if b.form.is_bound]
        if not _no_longer_editable(request, blocks) and _save(
            request, period, drawn, summaries, submit=intent == SUBMIT
        ):
            return redirect(reverse("period-updates", args=[period.pk]))

    errors = [
        (f"#{b.form[name].auto_id}", error)
        for b in editable
        if b.form.is_bound
        for name, field_errors in b.form.errors.items()
        for error in field_errors
    ]
    errors += [
        (f"#{form[name].auto_id}", f"{priority.number}. {priority.title}: {error}")
        for priority, form in summaries
        if form.is_bound
        for name, field_errors in form.errors.items()
        if name in form.fields
        for error in field_errors
    ]
    return render(
        request,
        "updates/period.html",
        {
            "period": period,
            "plan": period.plan,
            "partnership": partnership,
            "blocks": blocks,
            "editable": editable,
            "summaries": summaries,
            "errors": errors,
            "conflicts": [b for b in blocks if b.conflict],
            "is_open": period.status == PeriodStatus.OPEN,
            "wide_layout": False,
        },
        status=400 if errors else 200,
    )


def _summary_forms(
    request: HttpRequest, period: ReportingPeriod, organisation: int | None
) -> list[tuple[Priority, SummaryForm]]:
    """The 4 Ps forms, where the partnership reports that way: one per priority of the plan."""
    if organisation is None or not period.plan.partnership.reports_by_priority_summary:
        return []
    existing = {
        s.priority_id: s
        for s in PrioritySummary.objects.filter(period=period, organisation_id=organisation)
    }
    data = request.POST if request.method == "POST" else None
    forms_ = []
    for priority in period.plan.priorities.order_by("number"):
        summary = existing.get(priority.pk) or PrioritySummary(
            priority=priority, period=period, organisation_id=organisation, version=0
        )
        editable = period.status == PeriodStatus.OPEN and summary.state in (
            UpdateState.DRAFT,
            UpdateState.RETURNED,
        )
        form = SummaryForm(
            data if editable else None,
            instance=summary,
            prefix=f"p{priority.pk}",
            initial={"version": summary.version if summary.pk else 0},
        )
        form.editable = editable  # type: ignore[attr-defined]
        forms_.append((priority, form))
    return forms_


class _Rollback(Exception):
    pass


def _no_longer_editable(request: HttpRequest, blocks: list[Block]) -> bool:
    """Were any of the posted updates taken out of the editor's hands while they typed?

    A colleague may have submitted one, or the coordinator closed the period. Nothing is saved
    then, and what they typed is shown back to them rather than dropped.
    """
    stale = [
        b
        for b in blocks
        if not b.slot.is_editable
        and b.form.is_bound
        and b.form.is_valid()
        and b.form.has_content
        and b.form.has_changed()
    ]
    for block in stale:
        block.stale = True
    if stale:
        names = ", ".join(f"{b.slot.action.reference} {b.slot.district_label}" for b in stale)
        messages.error(
            request,
            f"Nothing was saved: {names} can no longer be changed here (submitted meanwhile, or "
            "the period was closed). What you typed is shown below so you can keep it.",
        )
    return bool(stale)


def _save(
    request: HttpRequest,
    period: ReportingPeriod,
    blocks: list[Block],
    summaries: list[tuple[Priority, SummaryForm]],
    *,
    submit: bool,
) -> bool:
    """Save every changed update (and 4 Ps summary) on the page, or none of them.

    Returns whether it saved; if not, the blocks carry the errors and conflicts to show.
    """
    valid = all([b.form.is_valid() for b in blocks])
    summary_forms = [form for _, form in summaries if form.is_bound]
    valid = all([form.is_valid() for form in summary_forms]) and valid
    if not valid:
        return False
    if submit:
        to_save = [b for b in blocks if b.form.has_content]
        for block in to_save:
            block.form.check_for_submission()
        if any(b.form.errors for b in to_save):
            return False
    else:
        to_save = [b for b in blocks if b.form.has_changed()]
    summaries_to_save = [
        f for f in summary_forms if (f.has_content() if submit else f.has_changed())
    ]
    if not to_save and not summaries_to_save:
        messages.info(request, "Nothing to save: no update on the page was changed.")
        return False

    conflicts = []
    mine = access.organisation_ids(request.user)
    try:
        with transaction.atomic():
            for block in to_save:
                try:
                    cycle.save_update(
                        block.slot,
                        block.form.to_input(),
                        user=request.user,
                        submit=submit,
                        organisation_ids=mine,
                    )
                except cycle.EditConflict as conflict:
                    conflicts.append((block, conflict.current))
            summary_conflicts = [
                form for form in summaries_to_save if not _save_summary(form, request, submit)
            ]
            if conflicts or summary_conflicts:
                raise _Rollback
    except _Rollback:
        for block, current in conflicts:
            block.conflict = current
            block.gone = current is None
            # Saving again replaces the other text: the editor has now seen it.
            data = cast(QueryDict, block.form.data).copy()
            data[block.form.add_prefix("version")] = str(current.version if current else 0)
            block.form.data = data
        for form in summary_conflicts:
            form.add_error(None, "Someone else changed this summary while you were editing.")
        messages.error(
            request,
            "Nothing was saved: someone else changed "
            + (
                "an update you were editing. Their text is shown beside yours below."
                if conflicts
                else "a summary you were editing."
            ),
        )
        return False
    except PeriodLocked as locked:
        messages.error(request, f"Nothing was saved: {locked.messages[0]}")
        return False

    count = len(to_save) + len(summaries_to_save)
    noun = "update" if count == 1 else "updates"
    if submit:
        messages.success(request, f"{count} {noun} submitted to the coordinator.")
    else:
        messages.success(request, f"{count} {noun} saved as a draft.")
    return True


def _save_summary(form: SummaryForm, request: HttpRequest, submit: bool) -> bool:
    """Save one 4 Ps summary if it is still the version the editor loaded."""
    summary: PrioritySummary = form.instance
    expected = form.cleaned_data["version"]
    if summary.pk is None:
        if expected != 0:
            return False
        summary.version = 1
    else:
        claimed = PrioritySummary.objects.filter(pk=summary.pk, version=expected).update(
            version=expected + 1
        )
        if not claimed:
            return False
        summary.version = expected + 1
    summary = form.save(commit=False)
    summary.author = cast(User, request.user)  # the page needs sign-in
    summary.state = UpdateState.SUBMITTED if submit else summary.state
    if not submit and summary.state != UpdateState.RETURNED:
        summary.state = UpdateState.DRAFT
    try:
        with transaction.atomic():
            summary.save()
    except IntegrityError:  # another editor created it first
        return False
    return True
