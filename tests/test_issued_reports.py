"""Issued scrutiny reports (issue 6, item 4): the PDF kept byte for byte, and who may do what.

Rendering a PDF takes about a second, so only the tests about issuing itself render; the others
use issued reports made with stand-in bytes.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from csp.models import (
    Amendment,
    IssuedReportChanged,
    PartnershipRole,
    PeriodStatus,
    QuarterlyUpdate,
    ReportState,
    Role,
    ScrutinyReport,
)
from csp.reports import issuing
from csp.reports.context import build_report
from csp.reports.issuing import issue
from csp.reports.render import render_html
from tests.html import text_of

FAKE_PDF = b"%PDF-1.7\nstand-in bytes for an issued report\n%%EOF\n"


def pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def draft(cast, periods=None, **kwargs) -> ScrutinyReport:
    report = ScrutinyReport.objects.create(
        partnership=cast.castle, plan=cast.plan, created_by=cast.alice, **kwargs
    )
    report.periods.set([cast.q1] if periods is None else periods)
    return report


def fake_issued(cast, plan=None, partnership=None, periods=None) -> ScrutinyReport:
    """An issued report with stand-in bytes: no rendering."""
    report = ScrutinyReport.objects.create(
        partnership=partnership or cast.castle,
        plan=plan or cast.plan,
        state=ReportState.ISSUED,
        pdf=FAKE_PDF,
        sha256=hashlib.sha256(FAKE_PDF).hexdigest(),
        size=len(FAKE_PDF),
        issued_at=timezone.now(),
        issued_by=cast.alice,
    )
    report.periods.set([cast.q1] if periods is None else periods)
    return report


def member(cast, name: str, role: str) -> User:
    user = User.objects.create_user(name, f"{name}@example.invalid", "pw")
    PartnershipRole.objects.create(user=user, partnership=cast.castle, role=role)
    return user


# -- issuing --------------------------------------------------------------------------------


def test_issuing_keeps_the_pdf_with_its_checksum_and_locks_the_periods(cast):
    report = draft(cast, committee="Scrutiny Committee", author="Ann Clerk")
    issue(report, cast.alice)  # the one render in this test

    report = ScrutinyReport.objects.get(pk=report.pk)
    data = report.pdf_bytes()
    assert data.startswith(b"%PDF")
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.size == len(data)
    assert report.state == ReportState.ISSUED
    assert report.issued_by == cast.alice
    assert report.issued_at is not None
    assert "Scrutiny Committee" in pdf_text(data)
    cast.q1.refresh_from_db()
    cast.q2.refresh_from_db()
    assert cast.q1.status == PeriodStatus.REPORTED
    assert cast.q2.status == PeriodStatus.OPEN  # not covered

    with pytest.raises(ValueError, match="already been issued"):
        issue(report, cast.alice)
    with pytest.raises(ValueError, match="already been issued"):
        issue(ScrutinyReport.objects.get(pk=report.pk), cast.alice)

    report.pdf = data + b"tampered"
    with pytest.raises(IssuedReportChanged):
        report.save()
    report = ScrutinyReport.objects.get(pk=report.pk)
    report.sha256 = "0" * 64
    with pytest.raises(IssuedReportChanged):
        report.save()
    report = ScrutinyReport.objects.get(pk=report.pk)
    report.state = ReportState.DRAFT
    with pytest.raises(IssuedReportChanged):
        report.save()
    with pytest.raises(IssuedReportChanged):
        ScrutinyReport.objects.filter(pk=report.pk).update(pdf=b"%PDF other")
    assert ScrutinyReport.objects.get(pk=report.pk).pdf_bytes() == data


def test_a_failed_render_issues_nothing_and_locks_nothing(cast, monkeypatch):
    report = draft(cast)

    def broken(self, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("renderer fell over")

    monkeypatch.setattr(issuing, "report_pdf", broken)
    with pytest.raises(RuntimeError):
        issue(report, cast.alice)
    report.refresh_from_db()
    cast.q1.refresh_from_db()
    assert report.state == ReportState.DRAFT and report.pdf is None
    assert cast.q1.status == PeriodStatus.CLOSED


def test_the_database_refuses_an_issued_report_without_its_checksum(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        ScrutinyReport.objects.create(
            partnership=cast.castle, plan=cast.plan, state=ReportState.ISSUED, pdf=FAKE_PDF
        )


def test_the_download_is_exactly_the_issued_bytes_after_the_plan_changes(alice, cast):
    report = draft(cast)
    response = alice.post(reverse("report-detail", args=[report.pk]))  # issues: one render
    assert response.status_code == 302
    report.refresh_from_db()
    stored = report.pdf_bytes()

    url = reverse("report-pdf", args=[report.pk])
    first = alice.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == (
        'attachment; filename="scrutiny-report-castle-2016-17-2016-17-q1.pdf"'
    )
    assert first["ETag"] == f'"{report.sha256}"'
    assert first.content == stored

    cast.hub.description = "Open two community safety hubs"
    cast.hub.save()
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q1, district=cast.north)
    # The period is reported now, so the update changes only through an amendment.
    Amendment.objects.create(update=update, reason="Venue name corrected", opened_by=cast.alice)
    update.progress = "Venue signed and fitted out"
    update.save()

    again = alice.get(url)
    assert again.content == stored == first.content
    assert hashlib.sha256(again.content).hexdigest() == report.sha256
    assert alice.get(url, HTTP_IF_NONE_MATCH=f'"{report.sha256}"').status_code == 304

    # The plan did change: the report made now would say something else.
    fresh = render_html(build_report(cast.plan, [cast.q1]))
    assert "Open two community safety hubs" in fresh
    assert "Venue signed and fitted out" in fresh
    issued_text = pdf_text(stored)
    assert "Open a community safety hub" in issued_text
    assert "Open two community safety hubs" not in issued_text


def test_a_draft_previews_as_a_fresh_pdf_inline(alice, cast):
    report = draft(cast)
    response = alice.get(reverse("report-pdf", args=[report.pk]))  # one render
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF")
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT and report.pdf is None


# -- the builder and who may use it ---------------------------------------------------------


def test_a_clerk_builds_a_draft_and_issues_it(client, cast):
    clerk = cast.clara
    client.force_login(clerk)
    page = client.get(reverse("report-new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "2016/17 Q1" in html and "2016/17 Q2" in html
    assert "Overview and Scrutiny Committee (meeting as the Crime and Disorder Committee)" in html

    response = client.post(
        reverse("report-new"),
        {
            "plan": cast.plan.slug,
            "periods": [cast.q1.pk, cast.q2.pk],
            "committee": "Policy Committee",
            "meeting_day": "27",
            "meeting_month": "9",
            "meeting_year": "2016",
            "title": "",
            "author": "Clara Clerk",
            "contact": "01234 567890",
            "large_print": "on",
        },
    )
    report = ScrutinyReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report-detail", args=[report.pk])
    assert report.state == ReportState.DRAFT
    assert report.created_by == clerk
    assert report.large_print and report.meeting_date.isoformat() == "2016-09-27"
    assert set(report.periods.all()) == {cast.q1, cast.q2}

    detail = client.get(response["Location"]).content.decode()
    assert "Issue this report" in detail
    assert "2016/17 Q1, 2016/17 Q2 as reported" in detail

    # Q2 is still open: issuing would lock its leads out mid-quarter. Only a coordinator can
    # close it, so the clerk is told who (issue 12: it sent her to a page that refused her).
    refused = text_of(client.post(response["Location"], follow=True))
    assert (
        "2016/17 Q2 is still open, and only a coordinator can close it before the report is "
        "issued: alice." in refused
    )
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    cast.q2.status = PeriodStatus.CLOSED
    cast.q2.save()

    assert client.post(response["Location"]).status_code == 302  # one render
    report.refresh_from_db()
    assert report.state == ReportState.ISSUED and report.issued_by == clerk
    cast.q2.refresh_from_db()
    assert cast.q2.status == PeriodStatus.REPORTED
    detail = client.get(response["Location"]).content.decode()
    assert report.sha256 in detail
    assert "Issue this report" not in detail


def test_the_builder_checks_its_input(alice, cast):
    response = alice.post(
        reverse("report-new"),
        {"plan": cast.plan.slug, "committee": "C", "meeting_day": "31", "meeting_month": "2"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose at least one period" in html
    assert "meeting date as a day, month and year" in html
    assert not ScrutinyReport.objects.exists()
    # Another partnership's plan or period is not on offer.
    response = alice.post(
        reverse("report-new"),
        {"plan": cast.other_plan.slug, "periods": [cast.q1.pk], "committee": "C"},
    )
    assert response.status_code == 200
    response = alice.post(
        reverse("report-new"), {"plan": cast.plan.slug, "periods": [999999], "committee": "C"}
    )
    assert response.status_code == 200
    assert not ScrutinyReport.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OFFICER])
def test_viewers_and_officers_cannot_build_or_issue(client, cast, role):
    client.force_login(member(cast, "someone", role))
    assert client.get(reverse("report-new")).status_code == 403
    assert client.post(reverse("report-new"), {"plan": cast.plan.slug}).status_code == 403
    report = draft(cast)
    assert client.get(reverse("report-detail", args=[report.pk])).status_code == 403
    assert client.post(reverse("report-detail", args=[report.pk])).status_code == 403
    assert client.get(reverse("report-pdf", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.state == ReportState.DRAFT
    # They may read and download what has been issued.
    issued = fake_issued(cast)
    assert client.get(reverse("report-detail", args=[issued.pk])).status_code == 200
    assert client.get(reverse("report-pdf", args=[issued.pk])).content == FAKE_PDF
    assert client.post(reverse("report-detail", args=[issued.pk])).status_code == 403


def test_another_partnerships_reports_are_not_found(client, cast):
    client.force_login(cast.charlie)  # a viewer in Elsewhere only
    issued, unissued = fake_issued(cast), draft(cast)
    for report in (issued, unissued):
        for name in ("report-detail", "report-pdf"):
            assert client.get(reverse(name, args=[report.pk])).status_code == 404
        assert client.post(reverse("report-detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("report-pdf", args=[123456])).status_code == 404
    # A clerk elsewhere cannot build a report on Castle's plan either.
    PartnershipRole.objects.filter(user=cast.charlie).update(role=Role.CLERK)
    response = client.get(reverse("report-new"), {"plan": cast.plan.slug})
    assert cast.plan.title not in response.content.decode()
    assert cast.other_plan.title in response.content.decode()


def test_signed_out_visitors_are_asked_to_sign_in(client, cast):
    issued, unissued = fake_issued(cast), draft(cast)
    urls = [
        reverse("report-new"),
        reverse("report-detail", args=[issued.pk]),
        reverse("report-pdf", args=[issued.pk]),
        reverse("report-detail", args=[unissued.pk]),
        reverse("report-pdf", args=[unissued.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert client.post(reverse("report-detail", args=[unissued.pk])).status_code == 302
    unissued.refresh_from_db()
    assert unissued.state == ReportState.DRAFT


def test_the_public_may_download_a_public_partnerships_issued_reports(client, public):
    issued, unissued = fake_issued(public), draft(public)
    response = client.get(reverse("report-pdf", args=[issued.pk]))
    assert response.status_code == 200 and response.content == FAKE_PDF
    assert client.get(reverse("report-detail", args=[issued.pk])).status_code == 200
    # A draft is still for the partnership's coordinators and clerks.
    assert client.get(reverse("report-pdf", args=[unissued.pk])).status_code == 302
    assert client.post(reverse("report-detail", args=[unissued.pk])).status_code == 302
    listing = client.get(reverse("report-list")).content.decode()
    assert reverse("report-pdf", args=[issued.pk]) in listing
    assert "alice" not in listing  # who issued it is for members


# -- the list -------------------------------------------------------------------------------


def test_the_list_shows_issued_reports_of_visible_partnerships_and_my_drafts(client, cast):
    mine = fake_issued(cast)
    theirs = fake_issued(cast, plan=cast.other_plan, partnership=cast.elsewhere, periods=[])
    my_draft = draft(cast, title="Alice's work in progress")

    client.force_login(cast.alice)
    html = client.get(reverse("report-list")).content.decode()
    assert reverse("report-pdf", args=[mine.pk]) in html
    assert reverse("report-pdf", args=[theirs.pk]) not in html
    assert "Alice's work in progress" in html.replace("&#x27;", "'")
    assert mine.sha256[:12] in html and f'title="{mine.sha256}"' in html
    assert "2016/17 Q1" in html and "Build a new report" in html
    assert reverse("report-detail", args=[my_draft.pk]) in html

    client.force_login(cast.bob)  # a viewer in Castle: the issued report, not alice's draft
    html = client.get(reverse("report-list")).content.decode()
    assert reverse("report-pdf", args=[mine.pk]) in html
    assert reverse("report-detail", args=[my_draft.pk]) not in html
    assert "Build a new report" not in html

    client.force_login(cast.charlie)
    html = client.get(reverse("report-list")).content.decode()
    assert reverse("report-pdf", args=[theirs.pk]) in html
    assert reverse("report-pdf", args=[mine.pk]) not in html

    client.logout()
    html = client.get(reverse("report-list")).content.decode()
    assert "No reports have been issued yet" in html


# -- the admin ------------------------------------------------------------------------------


def test_the_admin_shows_reports_and_never_changes_an_issued_one(admin_client, cast):
    issued, unissued = fake_issued(cast), draft(cast)
    assert admin_client.get(reverse("admin:csp_scrutinyreport_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:csp_scrutinyreport_add")).status_code == 200
    for report in (issued, unissued):
        url = reverse("admin:csp_scrutinyreport_change", args=[report.pk])
        assert admin_client.get(url).status_code == 200
    page = admin_client.get(reverse("admin:csp_scrutinyreport_change", args=[issued.pk]))
    assert 'name="committee"' not in page.content.decode()  # all read-only
    delete = reverse("admin:csp_scrutinyreport_delete", args=[issued.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ScrutinyReport.objects.get(pk=issued.pk).pdf_bytes() == FAKE_PDF


def test_a_draft_reads_as_html_with_only_its_own_stylesheet_allowed(client, cast):
    from csp.models import ScrutinyReport

    client.force_login(cast.alice)
    report = ScrutinyReport.objects.create(partnership=cast.castle, plan=cast.plan, title="Annual")
    report.periods.set([cast.q1])
    response = client.get(f"/reports/{report.pk}/preview/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Strategic Objective" in html
    assert "Evening patrols in the town centre" in html
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy
    client.force_login(cast.charlie)
    assert client.get(f"/reports/{report.pk}/preview/").status_code == 404


def test_an_issued_reports_preview_is_its_stored_pdf(alice, cast):
    """Its HTML would be made from the plan as it is now; the record is the stored PDF."""
    report = fake_issued(cast)
    response = alice.get(f"/reports/{report.pk}/preview/")
    assert response.status_code == 302
    assert response["Location"] == reverse("report-pdf", args=[report.pk])


def test_issuing_records_the_periods_it_reports_in_their_history(alice, cast):
    report = draft(cast)
    before = cast.q1.history.count()
    alice.post(reverse("report-detail", args=[report.pk]))
    cast.q1.refresh_from_db()
    assert cast.q1.status == PeriodStatus.REPORTED
    latest = cast.q1.history.first()
    assert cast.q1.history.count() == before + 1 and latest.status == PeriodStatus.REPORTED


def test_a_drafts_partnership_is_always_its_plans(cast):
    report = ScrutinyReport.objects.create(partnership=cast.elsewhere, plan=cast.plan)
    assert report.partnership == cast.castle
    report.partnership = cast.elsewhere
    report.save()
    report.refresh_from_db()
    assert report.partnership == cast.castle
