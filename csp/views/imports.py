"""Importing a plan spreadsheet from the web: upload, preview, then confirm.

The uploaded file is kept in the default storage between the preview and the confirmation,
under a random token that only this visitor's session knows; the import is worked out again
from it on confirming, so it reflects the database as it is then.
"""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from csp import access
from csp.importers.plan_import import PlanImport
from csp.importers.reader import MAX_BYTES, SpreadsheetError, read_rows
from csp.models import Partnership
from csp.models.plans import free_plan_slug
from csp.quarters import FinancialQuarter
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


def _plan_import(partnership: Partnership, entry: dict) -> PlanImport:  # type: ignore[type-arg]
    with default_storage.open(entry["path"], "rb") as handle:
        rows = read_rows(entry["name"], handle.read())
    return PlanImport(
        partnership,
        rows,
        plan_slug=entry["plan_slug"],
        plan_title=entry["title"],
        first_year=entry["first_year"],
    )


def upload(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = _coordinated(request, slug)
    form = UploadForm(request.POST or None, request.FILES or None, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            read_rows(upload.name, data)
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
            }
            request.session.modified = True
            return redirect("plan-import-preview", slug=partnership.slug, token=token)
    return render(
        request,
        "plans/import_upload.html",
        {
            "partnership": partnership,
            "form": form,
            "this_year": FinancialQuarter.containing(_today()).year,
        },
    )


def preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    partnership = _coordinated(request, slug)
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None or entry["partnership"] != partnership.pk:
        raise Http404("This import has expired: upload the file again.")
    plan_import = _plan_import(partnership, entry)
    if request.method == "POST":
        confirmed = request.POST.get("confirm_new_organisations") == "yes"
        if plan_import.new_organisations and not confirmed:
            messages.error(
                request, "Tick the box to confirm the new organisations, or fix the sheet."
            )
        else:
            try:
                plan = plan_import.commit(confirm_new_organisations=confirmed)
            except ValueError as error:
                messages.error(request, str(error))
            else:
                default_storage.delete(entry["path"])
                request.session[SESSION_KEY].pop(token, None)
                request.session.modified = True
                counts = plan_import.counts
                messages.success(
                    request,
                    f"Imported {counts['actions']} actions and {counts['updates']} updates "
                    f"into {plan.title}.",
                )
                return redirect("plan-dashboard", slug=plan.slug)
    return render(
        request,
        "plans/import_preview.html",
        {"partnership": partnership, "plan_import": plan_import, "entry": entry, "token": token},
    )


def _today():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.localdate()
