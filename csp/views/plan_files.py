"""A plan as a spreadsheet in the plan format, and the blank template to fill in."""

from __future__ import annotations

import tempfile
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase

from csp.exports import csv_response
from csp.importers.export import XLSX_CONTENT_TYPE, table_rows, write_template, write_xlsx
from csp.models import Action, Plan
from csp.ratelimit import rate_limited
from csp.views.common import export_too_large, visible_or_404


def _plan(request: HttpRequest, slug: str) -> Plan:
    """The plan, visible exactly as its dashboard is."""
    return visible_or_404(
        request,
        Plan.objects.visible_to(request.user).select_related("partnership"),
        Plan.objects.all(),
        slug=slug,
    )


def _xlsx(handle: IO[bytes], filename: str) -> FileResponse:
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


def _too_large(request: HttpRequest, plan: Plan) -> HttpResponse | None:
    return export_too_large(request, Action.objects.visible_to(request.user).in_plan(plan).count())


@rate_limited("export", "asked for exports")
def plan_export_xlsx(request: HttpRequest, slug: str) -> HttpResponseBase:
    plan = _plan(request, slug)
    refused = _too_large(request, plan)
    if refused:
        return refused
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_xlsx(plan, handle, request.user)
    return _xlsx(handle, f"{plan.slug}.xlsx")


@rate_limited("export", "asked for exports")
def plan_export_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    plan = _plan(request, slug)
    refused = _too_large(request, plan)
    if refused:
        return refused
    return csv_response(table_rows(plan, request.user), f"{plan.slug}.csv")


def plan_template(request: HttpRequest) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_template(handle)
    return _xlsx(handle, "plan-template.xlsx")
