"""Importing a plan spreadsheet from the web: upload, check (mapping, leads, preview), import.

The uploaded file is kept in the default storage between the steps, under a random token that
only this visitor's session knows; every step reads it again and works the import out afresh
from the database as it is then. The check page is one form: what each column means, what each
lead name becomes, and, below, everything the import would do. "Update the preview" keeps the
choices in the session and shows their effect; "Import" writes, if nothing changed meanwhile.
"""

from __future__ import annotations

import copy
import secrets
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify

from csp import access
from csp.importers import uploads
from csp.importers.columns import FIELDS, IGNORE, PER_PERIOD
from csp.importers.leads import KEEP, MEMBER, NEW, SITE, LeadChoice, use_site_matches
from csp.importers.mapping import ColumnChoice
from csp.importers.plan_import import ImportConflict, PlanImport
from csp.importers.reader import MAX_BYTES, SpreadsheetError, read_sheet
from csp.models import ImportJob, Partnership
from csp.models.jobs import JobState
from csp.models.plans import free_plan_slug
from csp.quarters import FinancialQuarter, financial_year_of
from csp.tasks import request_import
from csp.views.common import refuse, visible_or_404

SESSION_KEY = "plan_imports"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet", help_text="An Excel workbook (.xlsx) or a CSV file, up to 5 MB."
    )
    plan = forms.ChoiceField(label="Import into", required=True)
    title = forms.CharField(label="New plan's title", required=False, max_length=200)
    first_year = forms.IntegerField(
        label="Financial year it starts",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="For example 2024 for 2024/25.",
    )

    def __init__(self, *args, partnership: Partnership, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [
            ("", "A new plan"),
            *((p.slug, p.title) for p in partnership.plans.all()),
        ]
        self.fields["plan"].required = False

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest we accept is 5 MB."
            )
        return upload

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if not data.get("plan") and not data.get("title"):
            self.add_error("title", "Give the new plan a title, or choose a plan to import into.")
        return data


def _coordinated(request: HttpRequest, slug: str) -> Partnership:
    partnership = visible_or_404(
        request, Partnership.objects.visible_to(request.user), Partnership.objects.all(), slug=slug
    )
    if not access.is_coordinator(request.user, partnership.pk):
        refuse(request, "Only the partnership's coordinators can import plans.")
    return partnership


def upload(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _coordinated(request, slug)
    form = UploadForm(request.POST or None, request.FILES or None, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            read_sheet(upload.name, data)
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            token = secrets.token_urlsafe(16)
            suffix = PurePath(upload.name).suffix.lower()[:8]
            path = default_storage.save(f"imports/{token}{suffix}", ContentFile(data))
            plan_slug = form.cleaned_data["plan"] or free_plan_slug(
                slugify(form.cleaned_data["title"]) or "plan"
            )
            request.session.setdefault(SESSION_KEY, {})[token] = {
                "partnership": partnership.pk,
                "name": upload.name,
                "path": path,
                "plan_slug": plan_slug,
                "title": form.cleaned_data["title"],
                "first_year": form.cleaned_data["first_year"],
                "mapping": None,  # the guess, until the coordinator changes it
                "leads": {},
                "extend_span": False,
                "sheet": None,
            }
            request.session.modified = True
            return redirect("plan-import-preview", slug=partnership.slug, token=token)
    return render(
        request,
        "plans/import_upload.html",
        {
            "partnership": partnership,
            "form": form,
            "this_year": FinancialQuarter.containing(timezone.localdate()).year,
        },
    )


def _entry(request: HttpRequest, partnership: Partnership, token: str) -> dict[str, Any]:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or entry.get("partnership") != partnership.pk:
        raise Http404("This import has expired: upload the file again.")
    # Entries kept from before a release may lack what later steps add.
    for key, default in (("mapping", None), ("leads", {}), ("extend_span", False)):
        entry.setdefault(key, default)
    return entry


def preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    partnership = _coordinated(request, slug)
    entry = _entry(request, partnership, token)
    if entry.get("done"):
        messages.info(request, "This spreadsheet has been imported already.")
        return redirect("plan-dashboard", slug=entry["done"])
    try:
        loaded = uploads.load(partnership, entry, request.user)
    except uploads.UploadGone:
        raise Http404("This upload has been cleared away: upload the file again.") from None
    plan_import, sheet, unreadable = loaded.plan_import, loaded.sheet, loaded.unreadable
    if request.method == "POST" and plan_import is not None:
        action = request.POST.get("action", "update")
        if action == "import":
            if not _changes_choices(request.POST, entry, plan_import, sheet):
                return _import(request, partnership, entry, token, plan_import)
            messages.info(
                request,
                "Your changes are now in the preview below: check it, then choose Import.",
            )
        _take_choices(request.POST, entry, plan_import, sheet)
        if action == "site":
            entry["leads"].update(
                {k: c.as_json() for k, c in use_site_matches(plan_import.groups).items()}
            )
        request.session.modified = True
        return redirect(request.path + "#preview")
    return render(
        request,
        "plans/import_preview.html",
        _context(partnership, entry, token, plan_import, sheet, unreadable),
    )


def _import(
    request: HttpRequest,
    partnership: Partnership,
    entry: dict[str, Any],
    token: str,
    plan_import: PlanImport,
) -> HttpResponse:
    confirmed = request.POST.get("confirm_new_organisations") == "yes"
    fingerprint = request.POST.get("fingerprint", "")
    if plan_import.new_organisations and not confirmed:
        messages.error(request, "Tick the box to add the new organisations, or choose otherwise.")
        return redirect(request.path)
    if uploads.is_long(plan_import) and plan_import.ok:
        job = request_import(
            partnership,
            token,
            {
                **entry,
                "confirm_new_organisations": confirmed,
                "fingerprint": _fingerprint_of(fingerprint),
            },
            request.user,
        )
        entry["job"] = job.pk
        request.session.modified = True
        return redirect("plan-import-job", slug=partnership.slug, token=token)
    try:
        plan = plan_import.commit(
            confirm_new_organisations=confirmed, fingerprint=_fingerprint_of(fingerprint)
        )
    except ImportConflict as conflict:
        messages.error(request, str(conflict))
        return redirect(request.path)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(request.path)
    plan_import.remember_choices()
    default_storage.delete(entry["path"])
    entry["done"] = plan.slug
    request.session.modified = True
    counts = plan_import.counts
    if plan_import.plan is not None and plan_import.no_changes:
        messages.success(request, f"Nothing to change: {plan.title} already says all of it.")
    else:
        messages.success(
            request,
            f"Imported {counts['actions']} action{'s' if counts['actions'] != 1 else ''} and "
            f"{counts['updates']} update{'s' if counts['updates'] != 1 else ''} into {plan.title}.",
        )
    return redirect("plan-dashboard", slug=plan.slug)


def _changes_choices(post: Any, entry: dict[str, Any], plan_import: PlanImport, sheet: Any) -> bool:
    """The form says something other than the preview it came with (changed, not updated)."""
    trial = copy.deepcopy(entry)
    _take_choices(post, trial, plan_import, sheet)
    if (trial.get("sheet"), trial.get("header_row")) != (
        entry.get("sheet"),
        entry.get("header_row"),
    ):
        return True
    if trial.get("extend_span", False) != entry.get("extend_span", False):
        return True
    mapping = plan_import.mapping
    shown = {
        info.letter: mapping.choice(info.index).as_json(info.heading)
        for info in plan_import.columns
    }
    period = mapping.period.label if mapping.period else None
    if trial["mapping"] is not None and (
        trial["mapping"]["columns"] != shown or trial["mapping"]["period"] != period
    ):
        return True
    decided = {g.key: g.choice.as_json() for g in plan_import.groups if g.choice is not None}
    return any(decided.get(key) != value for key, value in trial["leads"].items())


def import_job(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """How the background import of a long sheet is going; the plan when it is done."""
    partnership = _coordinated(request, slug)
    entry = _entry(request, partnership, token)
    job = ImportJob.objects.filter(
        partnership=partnership, token=token, pk=entry.get("job")
    ).first()
    if job is None:
        raise Http404("No import of this spreadsheet has been started.")
    job.give_up_if_stale()
    if job.state == JobState.DONE and job.plan is not None:
        entry["done"] = job.plan.slug
        request.session.modified = True
    return render(
        request,
        "plans/import_job.html",
        {
            "partnership": partnership,
            "entry": entry,
            "token": token,
            "job": job,
            "refresh_seconds": 3,
        },
    )


def _fingerprint_of(text: str) -> list[tuple[int, int]] | None:
    if not text:
        return None
    pairs = []
    for part in text.split(","):
        try:
            pk, version = part.split(":")
            pairs.append((int(pk), int(version)))
        except ValueError:
            return [(-1, -1)]  # forged or broken: never matches, so nothing is written
    return pairs


def _take_choices(post: Any, entry: dict[str, Any], plan_import: PlanImport, sheet: Any) -> None:
    """The check form's choices into the session entry, each checked; a bad value is dropped."""
    keys = {f.key for f in FIELDS} | {IGNORE}
    districts = {d.name for d in getattr(plan_import, "districts", [])}
    columns: dict[str, Any] = {}
    for info in plan_import.columns:
        # A column the form does not mention keeps its meaning.
        current = plan_import.mapping.choice(info.index)
        key = post.get(f"col-{info.index}-field", current.key)
        if key not in keys:
            key = IGNORE
        given = post.get(f"col-{info.index}-period")
        period = _quarter(given) if given is not None else current.period
        district = post.get(f"col-{info.index}-district", current.district)
        if key not in PER_PERIOD:
            period, district = None, ""
        choice = ColumnChoice(key, period, district if district in districts else "")
        columns[info.letter] = choice.as_json(info.heading)
    header_row = _int(post.get("header_row"), plan_import.mapping.header_row + 1)
    sheet_name = post.get("sheet") or None
    if sheet is not None and sheet_name in sheet.sheet_names and sheet_name != sheet.name:
        entry.update(sheet=sheet_name, mapping=None, header_row=None)
        return
    if header_row - 1 != plan_import.mapping.header_row:
        # Other headings: guess again from them.
        entry.update(header_row=header_row, mapping=None)
    else:
        given = post.get("period")
        period = _quarter(given) if given is not None else plan_import.mapping.period
        entry["mapping"] = {
            "header_row": header_row,
            "period": period.label if period else None,
            "columns": columns,
        }
    if "header_row" in post:  # the whole form was sent: an unticked box says no
        entry["extend_span"] = post.get("extend_span") == "yes"
    for n, group in enumerate(plan_import.groups):
        if post.get(f"lead-{n}-key") != group.key:
            continue
        use = post.get(f"lead-{n}-use", "")
        if use == MEMBER:
            choice = LeadChoice(MEMBER, post.get(f"lead-{n}-member", ""))
        elif use.startswith(f"{SITE}:"):
            choice = LeadChoice(SITE, use.split(":", 1)[1])
        elif use == NEW:
            choice = LeadChoice(
                NEW,
                name=" ".join(post.get(f"lead-{n}-name", "").split())[:200] or group.proposed_name,
                short_name=" ".join(post.get(f"lead-{n}-short_name", "").split())[:40],
            )
        elif use == KEEP:
            choice = LeadChoice(KEEP)
        else:
            continue
        entry["leads"][group.key] = choice.as_json()


def _quarter(text: str) -> FinancialQuarter | None:
    try:
        return FinancialQuarter.parse(text) if text else None
    except ValueError:
        return None


def _int(text: Any, default: int) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return default
    return value if 1 <= value <= 1000 else default


def _context(
    partnership: Partnership,
    entry: dict[str, Any],
    token: str,
    plan_import: PlanImport | None,
    sheet: Any,
    unreadable: str,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "partnership": partnership,
        "entry": entry,
        "token": token,
        "plan_import": plan_import,
        "sheet": sheet,
        "unreadable": unreadable,
    }
    if plan_import is None:
        return context
    first = plan_import.first_year or financial_year_of(timezone.localdate())
    last = plan_import.last_year or first
    quarters = [
        FinancialQuarter(year, q)
        for year in range(first - 2, max(last, first) + 4)
        for q in (1, 2, 3, 4)
    ]
    for choice in plan_import.mapping.columns.values():
        if choice.period and choice.period not in quarters:
            quarters.append(choice.period)
    context.update(
        fields=[(f.key, f.label) for f in FIELDS],
        per_period=sorted(PER_PERIOD),
        quarters=sorted(quarters),
        districts=[d.name for d in getattr(plan_import, "districts", [])],
        columns=[(info, plan_import.mapping.choice(info.index)) for info in plan_import.columns],
        members=sorted(getattr(plan_import, "members", []), key=lambda o: o.name.casefold()),
        fingerprint=",".join(f"{pk}:{version}" for pk, version in plan_import.fingerprint),
        long=uploads.is_long(plan_import),
        priorities=list(plan_import.priorities.values()),
    )
    return context
