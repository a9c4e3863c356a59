"""One organisation's progress report as a PDF for its partners: ``agencies/<slug>/report.pdf``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from csp.models import Organisation
from csp.reports.agency import build_agency_report, render_agency_pdf
from csp.views.agencies import visible_organisations
from csp.views.common import visible_or_404


def agency_report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The PDF of the actions the organisation leads, as this visitor may see them.

    Visible exactly as the organisation's page is; restricted actions and updates appear for
    members of their partnership only.
    """
    organisation = visible_or_404(
        request, visible_organisations(request), Organisation.objects.all(), slug=slug
    )
    data = render_agency_pdf(build_agency_report(organisation, request.user))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{organisation.slug}-progress-report.pdf"'
    )
    # What a member sees may include restricted items: never keep it in a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
