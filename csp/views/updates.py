"""My updates, and the one page where an officer writes all their updates for a period.

Officers write updates for the actions their organisation leads (``csp.cycle`` decides which);
they save drafts as often as they like and submit when ready. Two people editing the same
update cannot overwrite each other: each form carries the version it was drawn from, and a save
from an older version is refused with both texts shown (``csp.cycle.save_update``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from csp import access, cycle, evidence, notifications
from csp.importers.plan_import import parse_number
from csp.models import (
    Organisation,
    PeriodLocked,
    PeriodStatus,
    PersonalLink,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    Role,
    UpdateComment,
    UpdateState,
    UpdateStatus,
)
from csp.models.cycle import COMMENT_MAX_LENGTH, EVIDENCE_TYPES
from csp.templatetags.csp_tags import figure, number
from csp.views.common import refuse

SAVE_DRAFT = "draft"
SUBMIT = "submit"
SUBMIT_TICKED = "submit-ticked"
WITHDRAW = "withdraw"
# Sent by the page's script (static/js/autosave.mjs) every so often while the editor types.
AUTOSAVE = "autosave"
AUTOSAVE_SECONDS = 30


class FigureField(forms.CharField):
    """A figure as people type it: "85", "85%", "85 %", "1,200" (``parse_number``, as imports)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_number(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        # "1,200" typed over a stored 1200.00 is no change.
        try:
            typed = self.to_python(data)
        except ValidationError:
            return True
        stored = self.to_python(initial) if initial not in (None, "") else None
        return typed != stored


class UpdateForm(forms.Form):
    """One action's update for one district, with a figure field for each of its measures.

    Every message names the action and district, so that a page of many updates says which one
    a problem is in.
    """

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
    # Ticked to go with "Submit ticked updates".
    send = forms.BooleanField(label="Tick to submit", required=False)

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
        where = self.where
        self.fields["status"].error_messages["invalid_choice"] = (
            f"Choose a status from the list for {where}"
        )
        broken = f"The form for {where} was out of date: check it and save again"
        for message in ("required", "invalid", "min_value"):
            self.fields["version"].error_messages[message] = broken
        for measure in slot.action.measures.all():
            label = measure.description or measure.target_text or f"Measure {measure.number}"
            self.fields[f"m{measure.pk}"] = FigureField(
                label=label,
                required=False,
                help_text=_target_hint(measure),
                error_messages={
                    "invalid": f"Enter {label} for {where} as a number, like 85, 85% or 1,200"
                },
            )
            value = figures.get(measure.pk)
            self.initial[f"m{measure.pk}"] = number(value) if value is not None else None

    @property
    def where(self) -> str:
        """ "1.1.2 (North)": how this form's messages name its update."""
        return f"{self.slot.action.reference} ({self.slot.district_label})"

    def has_changed(self) -> bool:
        # A tick says what to do with the update; it is not a change to it.
        return any(name != "send" for name in self.changed_data)

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
        if not self.cleaned_data.get("status"):
            self.add_error("status", f"Choose a status for {self.where}")
        if not self.cleaned_data.get("progress", "").strip():
            self.add_error("progress", f"Enter the progress on {self.where}")

    def error_links(self) -> list[tuple[str, str]]:
        """(#field, message) for the error summary; a hidden field's errors link to the status."""
        return [
            (f"#{self[name if name in self.fields and name != 'version' else 'status'].auto_id}", e)
            for name, errors in self.errors.items()
            for e in errors
        ]

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
        return f"Target: {figure(measure.target_value, measure)}"
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


@dataclass(frozen=True)
class Intent:
    """What the button pressed asks for: save drafts, submit some updates, or withdraw one.

    ``draft`` saves what changed; ``submit`` sends every update written; ``submit-ticked`` the
    ones ticked; ``submit:<slot>`` that one; ``withdraw:<slot>`` takes one back. Whatever else
    changed on the page is saved as a draft alongside, so nothing typed is lost.
    """

    submit: str  # "none", "all", "ticked" or "one"
    key: str = ""
    withdraw: bool = False

    @classmethod
    def parse(cls, value: str) -> Intent | None:
        if value == SAVE_DRAFT:
            return cls("none")
        if value == SUBMIT:
            return cls("all")
        if value == SUBMIT_TICKED:
            return cls("ticked")
        verb, _, key = value.partition(":")
        if key and verb == SUBMIT:
            return cls("one", key)
        if key and verb == WITHDRAW:
            return cls("none", key, withdraw=True)
        return None

    def submits(self, block: Block) -> bool:
        """Is ``block`` (valid, bound) one to submit?"""
        if self.submit == "all":
            return block.form.has_content
        if self.submit == "ticked":
            return bool(block.form.cleaned_data.get("send"))
        return self.submit == "one" and block.slot.key == self.key


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
        if period.status != PeriodStatus.OPEN and not any(s.is_editable for s in slots):
            continue  # closed, with nothing of theirs returned (or in amendment) to change
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


def with_limited_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Read a view's uploads through ``evidence.LimitedUploads``: a file too large is cut off
    while it arrives. The handlers must be set before anything reads the POST data, and the
    CSRF check reads it, so the check is made here, after setting them (as Django's
    documentation on upload handlers does)."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers.insert(0, evidence.LimitedUploads(request))
        return protected(request, *args, **kwargs)

    return wrapper


@with_limited_uploads
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
    writer = Writer(cast(User, request.user), access.organisation_ids(request.user))
    return updates_page(request, period, writer)


@dataclass(frozen=True)
class Writer:
    """Who is writing on the period page, and for which organisations.

    A signed-in officer writes for the organisations they work for; the holder of a personal
    link, for the link's one organisation, as the link's own user, and each save is recorded in
    the history with the link's holder as the reason.
    """

    user: User
    organisations: set[int]
    link: PersonalLink | None = None

    @property
    def history_reason(self) -> str:
        return self.link.history_reason() if self.link is not None else ""


def updates_page(request: HttpRequest, period: ReportingPeriod, writer: Writer) -> HttpResponse:
    """The period page for ``writer``: draw it, or save it."""
    mine = writer.organisations
    page = _Page.build(request, period, mine)
    kept_comments: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("intent") == AUTOSAVE:
        return _autosave(request, page, writer)
    if request.method == "POST":
        intent = Intent.parse(request.POST.get("intent", ""))
        if intent is None:
            return HttpResponse("Choose Save as draft or Submit.", status=400)
        if _no_longer_editable(request, page.blocks):
            kept_comments = _posted_comments(request, page)
        else:
            pairs = {(b.slot.action.pk, period.pk) for b in page.blocks}
            base_url = request.build_absolute_uri("/")
            extras = _has_comments_or_files(request, page)
            with notifications.TellingWatchers(pairs, by=writer.user, base_url=base_url):
                withdrew = intent.withdraw and _withdraw(request, page, writer, intent.key)
                saved = _save(request, page, writer, intent, quiet=extras)
            if saved.blocked:
                # Nothing was saved, comments neither: they are shown again as typed.
                kept_comments = _posted_comments(request, page)
            elif extras:
                extras, kept_comments = _comments_and_evidence(request, page, writer, saved.failed)
            if saved.keys or withdrew or extras:
                if not saved.failed and not kept_comments:
                    return redirect(request.path)
                # Some were saved: draw those afresh (new versions), keep the others as typed.
                page = _Page.build(request, period, mine, keep_bound=saved.failed)
                for block in page.editable:
                    if block.form.is_bound and block.form.is_valid() and intent.submits(block):
                        block.form.check_for_submission()

    errors = [link for b in page.editable if b.form.is_bound for link in b.form.error_links()]
    errors += [
        (f"#{form[name].auto_id}", f"{priority.number}. {priority.title}: {error}")
        for priority, form in page.summaries
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
            "partnership": period.plan.partnership,
            "blocks": page.blocks,
            "editable": page.editable,
            "summaries": page.summaries,
            "errors": errors,
            "conflicts": [b for b in page.blocks if b.conflict],
            # Typed work the page holds that is not stored: leaving it should warn.
            "kept_back": bool(errors or kept_comments)
            or any(b.conflict or b.gone or b.stale for b in page.blocks),
            "is_open": period.status == PeriodStatus.OPEN,
            "wide_layout": False,
            "link": writer.link,
            # Where the page's files are fetched: through the link for its holder.
            "evidence_prefix": f"{request.path}evidence/" if writer.link else "/evidence/",
            "evidence_accept": ",".join(sorted({v[0] for v in EVIDENCE_TYPES.values()})),
            "evidence_max_mb": settings.EVIDENCE_MAX_MB,
            "comment_max": COMMENT_MAX_LENGTH,
            "autosave_seconds": AUTOSAVE_SECONDS,
            # Comments not added, and the ones typed on a page drawn again: shown as typed.
            "typed_comments": kept_comments,
        },
        status=400 if errors else 200,
    )


@dataclass
class _Page:
    """The blocks and 4 Ps forms of one period page, bound to what was posted where drawn."""

    blocks: list[Block]
    summaries: list[tuple[Priority, SummaryForm]]

    @property
    def editable(self) -> list[Block]:
        return [b for b in self.blocks if b.slot.is_editable]

    @classmethod
    def build(
        cls,
        request: HttpRequest,
        period: ReportingPeriod,
        mine: set[int],
        keep_bound: set[str] | None = None,
    ) -> _Page:
        """``keep_bound``: bind only the forms with these prefixes (after a partial save)."""
        expected = cycle.PeriodSlots(period)
        slots = expected.for_organisations(mine)
        previous = cycle.previous_updates(period, slots)
        # A form is bound only if the page that was posted drew it: a slot that became editable
        # since (returned meanwhile) is simply not part of this save.
        posted = request.POST if request.method == "POST" else QueryDict()

        def data_for(prefix: str) -> QueryDict | None:
            if f"{prefix}-version" not in posted:
                return None
            if keep_bound is not None and prefix not in keep_bound:
                return None
            return posted

        blocks = [
            Block(slot, UpdateForm(data_for(slot.key), slot=slot), previous.get(slot.key))
            for slot in slots
        ]
        summaries = _summary_forms(period, expected.reporting_organisation(mine), data_for)
        return cls(blocks, summaries)


def _summary_forms(
    period: ReportingPeriod,
    organisation: int | None,
    data_for: Callable[[str], QueryDict | None],
) -> list[tuple[Priority, SummaryForm]]:
    """The 4 Ps forms, where the partnership reports that way: one per priority of the plan."""
    if organisation is None or not period.plan.partnership.reports_by_priority_summary:
        return []
    existing = {
        s.priority_id: s
        for s in PrioritySummary.objects.filter(period=period, organisation_id=organisation)
    }
    forms_ = []
    for priority in period.plan.priorities.order_by("number"):
        summary = existing.get(priority.pk) or PrioritySummary(
            priority=priority, period=period, organisation_id=organisation, version=0
        )
        editable = period.status == PeriodStatus.OPEN and summary.state in (
            UpdateState.DRAFT,
            UpdateState.RETURNED,
        )
        prefix = f"p{priority.pk}"
        form = SummaryForm(
            data_for(prefix) if editable else None,
            instance=summary,
            prefix=prefix,
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


@dataclass
class _Saved:
    """What a save did: the prefixes of the forms it saved, and of those it kept back."""

    keys: set[str]
    failed: set[str]
    blocked: bool = False  # nothing at all could be saved (a conflict, a locked period)

    @property
    def everything(self) -> bool:
        return bool(self.keys) and not self.failed


def _withdraw(request: HttpRequest, page: _Page, writer: Writer, key: str) -> bool:
    """Withdraw the submitted update ``key`` names, at the version the page showed."""
    block = next((b for b in page.blocks if b.slot.key == key), None)
    if block is None:
        messages.error(request, "That update is not one of yours on this page.")
        return False
    try:
        version = int(request.POST.get(f"{key}-withdraw-version", ""))
        cycle.withdraw(block.slot, version, user=writer.user, history_reason=writer.history_reason)
    except ValueError:
        messages.error(request, "Something went wrong with that form. Please try again.")
        return False
    except cycle.Refused as refusal:
        messages.error(request, str(refusal))
        return False
    except PeriodLocked as locked:
        messages.error(request, locked.messages[0])
        return False
    messages.success(
        request,
        f"{block.slot.action.reference} {block.slot.district_label} is withdrawn: it is a draft "
        "again. Change it and submit it when it is ready.",
    )
    return True


def _save(
    request: HttpRequest, page: _Page, writer: Writer, intent: Intent, *, quiet: bool = False
) -> _Saved:
    """Save every valid, changed update (and 4 Ps summary) on the page; keep back the others.

    A form with a problem (a figure that is not a number, an update submitted without a status)
    is left as typed, with its errors, and the rest are saved: those ``intent`` submits are
    submitted, the others saved as drafts if changed. If someone else changed one of them
    meanwhile, none is saved, so the editor can compare texts before anything is written.
    """
    blocks = [b for b in page.editable if b.form.is_bound]
    summary_forms = [form for _, form in page.summaries if form.is_bound]
    failed = {b.slot.key for b in blocks if not b.form.is_valid()}
    failed |= {form.prefix for form in summary_forms if not form.is_valid()}
    valid = [b for b in blocks if b.slot.key not in failed]
    to_submit = [b for b in valid if intent.submits(b)]
    for block in to_submit:
        block.form.check_for_submission()
    failed |= {b.slot.key for b in to_submit if b.form.errors}
    to_submit = [b for b in to_submit if b.slot.key not in failed]
    to_draft = [
        b for b in valid if b not in to_submit and b.slot.key not in failed and b.form.has_changed()
    ]
    submit_summaries = intent.submit == "all"
    summaries_to_save = [
        f
        for f in summary_forms
        if f.prefix not in failed and (f.has_content() if submit_summaries else f.has_changed())
    ]
    if intent.submit == "one" and intent.key not in {b.slot.key for b in blocks}:
        messages.error(request, "That update can no longer be submitted here.")
    if intent.submit == "ticked" and not any(b.form.cleaned_data.get("send") for b in valid):
        messages.warning(request, "No update was ticked, so nothing was submitted.")
    if not to_submit and not to_draft and not summaries_to_save:
        if not failed and not quiet and not intent.withdraw and intent.submit in ("none", "all"):
            messages.info(request, "Nothing to save: no update on the page was changed.")
        return _Saved(set(), failed)

    conflicts = []
    try:
        with transaction.atomic():
            for block, submit in [(b, True) for b in to_submit] + [(b, False) for b in to_draft]:
                try:
                    cycle.save_update(
                        block.slot,
                        block.form.to_input(),
                        user=writer.user,
                        submit=submit,
                        organisation_ids=writer.organisations,
                        history_reason=writer.history_reason,
                    )
                except cycle.EditConflict as conflict:
                    conflicts.append((block, conflict.current))
            summary_conflicts = [
                form
                for form in summaries_to_save
                if not _save_summary(form, writer.user, submit_summaries)
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
        return _Saved(set(), failed | {b.slot.key for b in blocks}, blocked=True)
    except PeriodLocked as locked:
        messages.error(request, f"Nothing was saved: {locked.messages[0]}")
        return _Saved(set(), failed | {b.slot.key for b in blocks}, blocked=True)

    submitted = len(to_submit) + (len(summaries_to_save) if submit_summaries else 0)
    drafted = len(to_draft) + (0 if submit_summaries else len(summaries_to_save))
    if to_submit:
        # Saved and committed: tell the coordinators (at most one e-mail an hour each).
        notifications.send_digests(
            base_url=request.build_absolute_uri("/"),
            partnership_ids=[to_submit[0].slot.period.plan.partnership_id],
        )
    parts = []
    if submitted:
        parts.append(f"{_updates(submitted)} submitted to the coordinator")
    if drafted:
        parts.append(f"{drafted if submitted else _updates(drafted)} saved as a draft")
    done = " and ".join(parts)
    if failed:
        kept = len(failed)
        # Not a success banner: that would take the focus the error summary should have.
        messages.warning(
            request,
            f"{done}. {_updates(kept)} {'was' if kept == 1 else 'were'} not saved: "
            "fix the problem shown and save again.",
        )
    else:
        messages.success(request, f"{done}.")
    saved = to_submit + to_draft
    return _Saved({b.slot.key for b in saved} | {f.prefix for f in summaries_to_save}, failed)


class _Said:
    """Stands in for a request's message storage: what a save would tell, kept here instead."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def add(self, level: int, message: str, extra_tags: str = "") -> None:
        self.said.append(str(message))


def _autosave(request: HttpRequest, page: _Page, writer: Writer) -> JsonResponse:
    """Save, as drafts, every valid change on the page; answer the script with the new versions.

    Nothing else is done: no submitting, no comments or files, nothing for the next page to
    show. A form with a problem is left for the editor to save by hand, which shows it.
    """
    kept, request._messages = getattr(request, "_messages", None), _Said()  # type: ignore[attr-defined]
    try:
        if _no_longer_editable(request, page.blocks):
            return JsonResponse(
                {"saved": [], "versions": {}, "message": _said(request)}, status=409
            )
        saved = _save(request, page, writer, Intent("none"), quiet=True)
    finally:
        said = _said(request)
        request._messages = kept  # type: ignore[attr-defined]
    if saved.blocked:
        return JsonResponse({"saved": [], "versions": {}, "message": said}, status=409)
    versions = {
        f"{b.slot.key}-version": b.slot.update.version
        for b in page.blocks
        if b.slot.key in saved.keys and b.slot.update is not None
    }
    versions |= {
        f"{form.prefix}-version": form.instance.version
        for _, form in page.summaries
        if form.prefix in saved.keys
    }
    at = timezone.localtime()
    message = f"Draft saved automatically at {at:%H:%M}." if saved.keys else ""
    if saved.failed:
        message += " Some changes could not be saved: use Save as draft to see why."
    return JsonResponse(
        {
            "saved": sorted(saved.keys),
            "failed": sorted(saved.failed),
            "versions": versions,
            "message": message.strip(),
        }
    )


def _said(request: HttpRequest) -> str:
    return " ".join(getattr(request, "_messages", _Said()).said)


def _posted_comments(request: HttpRequest, page: _Page) -> dict[str, str]:
    return {
        b.slot.key: text
        for b in page.blocks
        if (text := request.POST.get(f"{b.slot.key}-comment", "").strip())
    }


def _has_comments_or_files(request: HttpRequest, page: _Page) -> bool:
    return any(
        request.POST.get(f"{b.slot.key}-comment", "").strip()
        or request.FILES.getlist(f"{b.slot.key}-evidence")
        or request.POST.getlist(f"{b.slot.key}-remove-evidence")
        for b in page.blocks
    ) or bool(evidence.too_big(request))


def _comments_and_evidence(
    request: HttpRequest, page: _Page, writer: Writer, failed: set[str]
) -> tuple[int, dict[str, str]]:
    """Add the comments typed under each update, and attach (or remove) its files.

    A comment goes on any update of the page that exists; files only on one its writer may
    still change, and not on one kept back with a problem (choose the file again with it).
    Returns how many things were done, and the comments not added (to show again as typed).
    """
    base_url = request.build_absolute_uri("/")
    done = 0
    kept: dict[str, str] = {}
    for refusal in evidence.too_big(request):
        messages.error(request, str(refusal))
    for block in page.blocks:
        slot, key = block.slot, block.slot.key
        text = request.POST.get(f"{key}-comment", "").strip()
        uploads = request.FILES.getlist(f"{key}-evidence")
        removals = request.POST.getlist(f"{key}-remove-evidence")
        if text and slot.update is None and slot.is_editable and key not in failed:
            # A question before anything is written starts the update, as an empty draft.
            try:
                with transaction.atomic():
                    cycle.save_update(
                        slot,
                        cycle.UpdateInput(UpdateStatus.NOT_GIVEN, "", "", {}, 0),
                        user=writer.user,
                        submit=False,
                        organisation_ids=writer.organisations,
                        history_reason=writer.history_reason,
                    )
            except (cycle.EditConflict, PeriodLocked):
                pass  # someone started it meanwhile, or it is locked: said below
        if text and (slot.update is None or len(text) > COMMENT_MAX_LENGTH):
            kept[key] = text
            messages.error(
                request,
                f"Your comment on {slot.action.reference} {slot.district_label} was not added: "
                + (
                    "the update has changed meanwhile; check it and send the comment again."
                    if slot.update is None
                    else f"a comment can be at most {COMMENT_MAX_LENGTH:,} characters."
                ),
            )
        elif text:
            comment = UpdateComment.objects.create(
                update=slot.update, author=writer.user, text=text
            )
            notifications.tell_of_comment(comment, base_url)
            messages.success(
                request, f"Your comment on {slot.action.reference} {slot.district_label} is sent."
            )
            done += 1
        if not (uploads or removals):
            continue
        where = f"{slot.action.reference} {slot.district_label}"
        if key in failed or not slot.is_editable or slot.update is None:
            messages.error(
                request,
                f"Files for {where} were not attached or removed: "
                + (
                    "fix the problem with the update and choose them again."
                    if key in failed
                    else "save the update as a draft first."
                    if slot.update is None
                    else "the update can no longer be changed."
                ),
            )
            continue
        try:
            with transaction.atomic():
                gone = slot.update.evidence.filter(
                    pk__in=[int(r) for r in removals if r.isdigit() and len(r) < 12]
                )
                removed = [e.name for e in gone]
                for item in gone:
                    item.delete()
                attached, refused = evidence.attach(slot.update, uploads, writer.user)
        except PeriodLocked as locked:
            messages.error(request, locked.messages[0])
            continue
        for refusal in refused:
            messages.error(request, f"{where}: {refusal}")
        if attached:
            names = ", ".join(e.name for e in attached)
            messages.success(request, f"Attached to {where}: {names}.")
        if removed:
            messages.success(request, f"Removed from {where}: {', '.join(removed)}.")
        done += len(attached) + len(removed)
    return done, kept


def _updates(count: int) -> str:
    return f"{count} update" if count == 1 else f"{count} updates"


def _save_summary(form: SummaryForm, writer: User, submit: bool) -> bool:
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
    summary.author = writer
    summary.state = UpdateState.SUBMITTED if submit else summary.state
    if not submit and summary.state != UpdateState.RETURNED:
        summary.state = UpdateState.DRAFT
    try:
        with transaction.atomic():
            summary.save()
    except IntegrityError:  # another editor created it first
        return False
    return True
