"""One organisation's progress report as a PDF for its partners: ``agencies/<slug>/report.pdf``.

A report of up to ``REPORT_INLINE_MAX_ACTIONS`` actions is laid out while the browser waits; a
longer one (for a signed-out visitor, of more than ``ANONYMOUS_INLINE_MAX_ACTIONS``) by the
background worker, with a progress page that offers the file when it is ready, as long scrutiny
reports are. Asking for it is rate-limited per visitor
(``RATE_LIMITS["agency-report"]``): each ask costs a render, or a place in one.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from csp.access import audience
from csp.budget import progress_charging
from csp.models import AgencyReportRender, JobState, Organisation
from csp.models.reports import audience_key
from csp.ratelimit import rate_limited
from csp.reports.agency import agency_actions, build_agency_report, render_agency_pdf
from csp.tasks import request_agency_render
from csp.views.agencies import visible_organisations
from csp.views.common import visible_or_404
from csp.views.reports import RENDER_REFRESH_SECONDS


def _organisation(request: HttpRequest, slug: str) -> Organisation:
    """The organisation, visible exactly as its page is."""
    return visible_or_404(
        request, visible_organisations(request), Organisation.objects.all(), slug=slug
    )


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # What a member sees may include restricted items: never keep it in a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD"])
@rate_limited("agency-report", "asked for agency progress reports")
def agency_report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The PDF of the actions the organisation leads, as this visitor may see them.

    Visible exactly as the organisation's page is; restricted actions and updates appear for
    members of their partnership only.
    """
    organisation = _organisation(request, slug)
    leads = agency_actions(organisation, request.user).count()
    inline = settings.REPORT_INLINE_MAX_ACTIONS
    if not request.user.is_authenticated:  # within the signed-out visitor's budget
        inline = min(inline, settings.ANONYMOUS_INLINE_MAX_ACTIONS)
    if leads > inline:
        return redirect(request_agency_render(organisation, request.user))
    report = build_agency_report(organisation, request.user)
    data = render_agency_pdf(report, progress_charging(request))
    return _pdf_response(data, f"{organisation.slug}-progress-report.pdf")


def _render(request: HttpRequest, slug: str, pk: int) -> AgencyReportRender:
    """The render, if it was made for what this visitor sees (else 404: it may hold what they
    may not see)."""
    organisation = _organisation(request, slug)
    render_ = get_object_or_404(
        AgencyReportRender.objects.defer("pdf"),
        organisation=organisation,
        pk=pk,
        audience=audience_key(audience(request.user)),
    )
    render_.organisation = organisation
    return render_


@require_http_methods(["GET", "HEAD"])
def agency_report_render(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """How a background agency report is going; the file when it is done; why, if it failed."""
    render_ = _render(request, slug, pk)
    render_.give_up_if_stale()
    response = render(
        request,
        "agencies/render.html",
        {
            "render": render_,
            "organisation": render_.organisation,
            "refresh_seconds": RENDER_REFRESH_SECONDS,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def agency_report_render_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    render_ = _render(request, slug, pk)
    if render_.state != JobState.DONE:
        raise Http404("This PDF is not ready.")
    data = AgencyReportRender.objects.only("pdf").get(pk=render_.pk).pdf_bytes()
    return _pdf_response(data, render_.filename)
