"""What a signed-in visitor downloads is never kept by a shared cache (issue 13, item 11).

Members get restricted actions and updates at the same addresses as the public, so every
response to a signed-in visitor is ``Cache-Control: private``, and every download (CSV, XLSX,
PDF) ``no-store`` too. What a signed-out visitor gets is public and may be cached; it varies by
cookie, so a shared cache never hands the public copy to a member or the reverse.
"""

import pytest
from django.urls import reverse
from django.utils.cache import get_max_age

from csp.models import RenderKind, RenderState, ReportRender
from csp.reports import agency
from csp.reports import render as pdf
from tests.test_issued_reports import FAKE_PDF, draft, fake_issued

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part}


@pytest.fixture
def fast_pdfs(monkeypatch):
    """Reports render to stand-in bytes: this is about the headers, not the PDF."""
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html, *args, **kwargs: FAKE_PDF)
    monkeypatch.setattr(agency, "html_to_pdf", lambda html, *args, **kwargs: FAKE_PDF)


def member_downloads(cast):
    report = draft(cast)
    rendered = ReportRender.objects.create(
        report=report,
        kind=RenderKind.DRAFT,
        state=RenderState.DONE,
        pdf=FAKE_PDF,
        size=len(FAKE_PDF),
        requested_by=cast.alice,
    )
    return [
        "/actions/export.csv",
        "/actions/export.xlsx",
        reverse("plan-export-csv", args=[cast.plan.slug]),
        reverse("plan-export-xlsx", args=[cast.plan.slug]),
        reverse("agency-report", args=[cast.police.slug]),
        reverse("report-pdf", args=[report.pk]),
        reverse("report-render-pdf", args=[report.pk, rendered.pk]),
    ]


def test_every_download_of_a_member_is_private_and_not_stored(alice, cast, fast_pdfs):
    for url in member_downloads(cast):
        response = alice.get(url)
        assert response.status_code == 200, url
        assert {"private", "no-store"} <= directives(response), (url, response["Cache-Control"])
        assert "public" not in directives(response)


def test_an_issued_reports_pdf_is_private(alice, cast):
    response = alice.get(reverse("report-pdf", args=[fake_issued(cast).pk]))
    assert response.status_code == 200
    assert "private" in directives(response)
    assert response["ETag"]  # the browser may keep its own copy and ask if it changed


def test_a_drafts_preview_is_private_and_not_stored(alice, cast):
    response = alice.get(reverse("report-preview", args=[draft(cast).pk]))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/actions/",
        "/actions/?q=Operation",
        "/agencies/shire-police/",
        "/plans/castle-2016-17/",
        "/reports/",
        "/updates/",
    ],
)
def test_every_page_a_member_sees_is_private(alice, cast, url):
    response = alice.get(url)
    assert response.status_code == 200
    assert "private" in directives(response), response.get("Cache-Control")


def test_a_page_that_sets_its_own_policy_keeps_it(alice, cast):
    report = draft(cast)
    rendered = ReportRender.objects.create(
        report=report, kind=RenderKind.DRAFT, requested_by=cast.alice
    )
    response = alice.get(rendered.get_absolute_url())
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [
        "/actions/export.csv?plan=castle-2016-17",
        "/actions/export.xlsx?plan=castle-2016-17",
        "/plans/castle-2016-17/export.csv",
        "/plans/castle-2016-17/export.xlsx",
        "/plans/template.xlsx",
        "/actions/?plan=castle-2016-17",
    ],
)
def test_what_the_public_gets_may_be_cached_but_varies_by_cookie(client, public, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "private" not in directives(response)
    assert "no-store" not in directives(response)
    if url != "/plans/template.xlsx":  # the same for everyone
        assert "Cookie" in response.get("Vary", "")


def test_the_same_export_to_a_member_is_private(alice, public):
    response = alice.get("/actions/export.csv?plan=castle-2016-17")
    assert {"private", "no-store"} <= directives(response)
    assert get_max_age(response) is None
