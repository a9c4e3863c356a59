"""Drafts look like drafts; a draft can be edited; one report, several forms (issue 11, items 2
and 3).

A draft is marked on every page; the issued paper carries its issue date and version; a report
issued before all this keeps its bytes and checksum. A draft is edited until it is issued, two
clerks saving at once lose nothing; standard and large print, Word and the public version are
renderings of the same report, frozen when it is issued; a correction is a new version.

Most tests render with ``html_as_pdf``: the "PDF" is the HTML it would be made from, so what a
copy says can be read without laying out pages. The tests about the PDF itself render for real.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from csp.models import (
    Amendment,
    CopyForm,
    IssuedCopy,
    IssuedReportChanged,
    PeriodStatus,
    QuarterlyUpdate,
    ReportState,
    ScrutinyReport,
)
from csp.reports import issuing
from tests.test_issued_reports import FAKE_PDF, draft, fake_issued

DRAFT_MARK = "Draft – not for publication"


def pages_text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def issue_report(report: ScrutinyReport, user) -> ScrutinyReport:  # type: ignore[no-untyped-def]
    issuing.issue(report, user)
    return ScrutinyReport.objects.get(pk=report.pk)


# -- drafts look like drafts (item 2) ---------------------------------------------------------


def test_a_draft_pdf_says_so_on_every_page_and_the_issued_one_its_date_and_version(alice, cast):
    report = draft(cast)
    response = alice.get(reverse("report-pdf", args=[report.pk]))  # one render
    pages = pages_text(response.content)
    assert len(pages) > 3
    assert all(DRAFT_MARK in page for page in pages)
    assert all("Draft of version 1" in page for page in pages)
    assert "This report has not been issued" in pages[0]
    # The watermark is drawn, not written: there is no word "DRAFT" to copy or read aloud.
    assert not any("DRAFT" in page for page in pages)
    assert response["Content-Disposition"].endswith('-draft.pdf"')

    issued = issue_report(report, cast.alice)  # one render
    today = timezone.localdate(issued.issued_at)
    stamp = f"Version 1, issued {today.day} {today:%B %Y}"
    pages = pages_text(issued.pdf_bytes())
    assert all(stamp in page for page in pages)
    assert not any("Draft" in page or "DRAFT" in page for page in pages)
    assert "not been issued" not in pages[0]


def test_the_preview_is_marked_a_draft(alice, cast):
    report = draft(cast)
    html = alice.get(reverse("report-preview", args=[report.pk])).content.decode()
    assert DRAFT_MARK in html
    assert 'class="csp-report csp-report--draft' in html


def test_a_report_issued_before_keeps_its_bytes_and_checksum(client, cast, public):
    """A report issued before this issue has no copies and no count of what its public
    version leaves out: it is served exactly as stored, to members and the public alike."""
    old = fake_issued(cast)
    assert old.restricted_left_out is None and not old.copies.exists()
    for user in (cast.alice, None):
        if user:
            client.force_login(user)
        else:
            client.logout()
        response = client.get(reverse("report-pdf", args=[old.pk]))
        assert response.content == FAKE_PDF
        assert response["ETag"] == f'"{hashlib.sha256(FAKE_PDF).hexdigest()}"'
        assert response["Content-Disposition"] == (
            'attachment; filename="scrutiny-report-castle-2016-17-2016-17-q1.pdf"'
        )
        assert client.get(reverse("report-pdf", args=[old.pk]) + "?version=public").content == (
            FAKE_PDF
        )
        # Forms it was never issued in are not made up from today's plan.
        assert client.get(reverse("report-docx", args=[old.pk])).status_code == 404
        assert client.get(reverse("report-pdf", args=[old.pk]) + "?print=large").status_code == 404
    stored = ScrutinyReport.objects.get(pk=old.pk)
    assert stored.pdf_bytes() == FAKE_PDF and stored.sha256 == hashlib.sha256(FAKE_PDF).hexdigest()


# -- edit a draft (item 3) --------------------------------------------------------------------


def edit_data(report: ScrutinyReport, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "plan": report.plan.slug,
        "revision": report.revision,
        "periods": [p.pk for p in report.periods.all()],
        "committee": report.committee or "Crime and Disorder Committee",
        "sections": list(report.sections),
    }
    return data | changes


def test_a_draft_is_edited_until_it_is_issued(alice, cast, html_as_pdf):
    report = draft(cast, highlights="Old highlight")
    url = reverse("report-edit", args=[report.pk])
    page = alice.get(url).content.decode()
    assert "Old highlight</textarea>" in page
    assert f'name="revision" value="{report.revision}"' in page
    response = alice.post(
        url,
        edit_data(
            report,
            committee="Review Committee",
            highlights="Taxi marshals\nFewer assaults in the town centre.",
            consultation="All partners were consulted.",
            background_papers="Strategic Assessment 2016\nPartnership Plan 2016/17",
            periods=[cast.q1.pk, cast.q2.pk],
        ),
    )
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    report.refresh_from_db()
    assert report.revision == 2 and report.committee == "Review Committee"
    assert report.background_papers == "Strategic Assessment 2016\nPartnership Plan 2016/17"
    assert set(report.periods.all()) == {cast.q1, cast.q2}
    content = issuing.report_content(report)
    assert [(h.title, h.text) for h in content.highlights] == [
        ("Taxi marshals", "Fewer assaults in the town centre.")
    ]
    assert content.consultation == ["All partners were consulted."]

    report.periods.set([cast.q1])
    issued = issue_report(report, cast.alice)
    # Once issued: the edit page sends the clerk to make a new version instead.
    response = alice.get(url, follow=True)
    assert "An issued report cannot be changed" in response.content.decode()
    response = alice.post(url, edit_data(issued, committee="Changed after issue"))
    assert response.status_code == 302
    assert ScrutinyReport.objects.get(pk=report.pk).committee == "Review Committee"


def test_two_clerks_saving_one_draft_lose_nothing(client, alice, cast):
    report = draft(cast)
    opened = report.revision
    # The clerk saves first.
    client.force_login(cast.clara)
    assert (
        client.post(
            reverse("report-edit", args=[report.pk]),
            edit_data(report, title="Clara's title", revision=opened),
        ).status_code
        == 302
    )
    # Alice opened the same draft before Clara saved: her save is refused, her text kept.
    response = alice.post(
        reverse("report-edit", args=[report.pk]),
        edit_data(report, title="Alice's title", revision=opened),
    )
    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert "Someone else saved this draft while you were editing it" in page
    assert 'value="Alice\'s title"' in page
    assert ScrutinyReport.objects.get(pk=report.pk).title == "Clara's title"
    # Saving again, having seen theirs, replaces it.
    current = re.search(r'name="revision" value="(\d+)"', page)[1]
    alice.post(
        reverse("report-edit", args=[report.pk]),
        edit_data(report, title="Alice's title", revision=current),
    )
    assert ScrutinyReport.objects.get(pk=report.pk).title == "Alice's title"


def test_a_draft_edited_while_it_is_being_issued_is_not_issued(cast, monkeypatch):
    report = draft(cast)
    real = issuing.report_pdf

    def render_while_someone_edits(report_, **kwargs):  # type: ignore[no-untyped-def]
        assert ScrutinyReport.objects.get(pk=report.pk).claim_revision(report.revision)
        return FAKE_PDF

    monkeypatch.setattr(issuing, "report_pdf", render_while_someone_edits)
    with pytest.raises(ValueError, match="The draft was edited while the report was being made"):
        issuing.issue(report, cast.alice)
    monkeypatch.setattr(issuing, "report_pdf", real)
    assert ScrutinyReport.objects.get(pk=report.pk).state == ReportState.DRAFT
    assert not IssuedCopy.objects.exists()


def test_viewers_cannot_edit_or_version_a_report(client, cast):
    report, issued = draft(cast), fake_issued(cast)
    client.force_login(cast.bob)
    assert client.get(reverse("report-edit", args=[report.pk])).status_code == 403
    assert client.post(reverse("report-edit", args=[report.pk]), {}).status_code == 403
    assert client.post(reverse("report-new-version", args=[issued.pk])).status_code == 403
    assert ScrutinyReport.objects.count() == 2


# -- one report, several forms (item 3) ------------------------------------------------------


def test_standard_and_large_print_are_renderings_of_one_draft(alice, cast, html_as_pdf):
    report = draft(cast)
    standard = alice.get(reverse("report-pdf", args=[report.pk])).content.decode()
    large = alice.get(reverse("report-pdf", args=[report.pk]) + "?print=large")
    assert 'class="standard-print"' in standard and 'class="large-print"' in large.content.decode()
    assert large["Content-Disposition"].endswith('-large-print-draft.pdf"')
    report.refresh_from_db()
    assert not report.large_print  # nothing about the report changed


def test_every_form_of_an_issued_report_is_frozen_as_issued(client, alice, cast, html_as_pdf):
    report = draft(cast)
    issued = issue_report(report, cast.alice)
    assert issued.restricted_left_out == 1  # the covert operation
    kept = {(c.public, c.form) for c in issued.copies.all()}
    assert kept == {
        (False, CopyForm.HTML),
        (False, CopyForm.LARGE_PRINT_HTML),
        (False, CopyForm.DOCX),
        (True, CopyForm.HTML),
        (True, CopyForm.LARGE_PRINT_HTML),
        (True, CopyForm.DOCX),
    }
    for copy in issued.copies.all():
        assert copy.sha256 == hashlib.sha256(copy.data_bytes()).hexdigest()

    # The plan changes afterwards, through an amendment.
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q1, district=cast.north)
    Amendment.objects.create(update=update, reason="Venue corrected", opened_by=cast.alice)
    update.progress = "Venue signed after the report"
    update.save()

    url = reverse("report-pdf", args=[issued.pk])
    large = alice.get(url + "?print=large").content
    assert b"Venue found" in large and b"Venue signed after the report" not in large
    assert b'class="large-print"' in large
    assert alice.get(url + "?print=large").content == large  # made once, then kept
    assert IssuedCopy.objects.filter(report=issued, form=CopyForm.LARGE_PRINT_PDF).count() == 1

    full = alice.get(url).content
    assert full == issued.pdf_bytes() and b"Covert operation" in full
    public = alice.get(url + "?version=public").content
    assert b"Covert operation" not in public and b"Venue found" in public
    assert b"Public version" in public and b"It leaves out 1 action marked restricted" in public

    # Someone who may not see restricted items gets the public version, whatever they ask.
    client.force_login(cast.charlie)
    cast.castle.is_public = True
    cast.castle.save()
    for query in ("", "?version=full", "?print=large"):
        data = client.get(url + query).content
        assert b"Covert operation" not in data and b"Public version" in data
    docx = client.get(reverse("report-docx", args=[issued.pk]))
    assert docx.content == issued.copies.get(public=True, form=CopyForm.DOCX).data_bytes()
    assert docx["Content-Disposition"].endswith('-public.docx"')


def test_an_issued_reports_copies_never_change(cast, html_as_pdf):
    issued = issue_report(draft(cast), cast.alice)
    copy = issued.copies.first()
    copy.data = b"tampered"
    with pytest.raises(IssuedReportChanged):
        copy.save()
    with pytest.raises(IssuedReportChanged):
        copy.delete()
    with pytest.raises(IssuedReportChanged):
        IssuedCopy.objects.filter(report=issued).update(data=b"tampered")
    with pytest.raises(IssuedReportChanged):
        IssuedCopy.objects.filter(report=issued).delete()
    with pytest.raises(IssuedReportChanged):
        ScrutinyReport.objects.filter(pk=issued.pk).update(highlights="Changed")


def test_a_report_with_nothing_restricted_has_one_version_for_everyone(cast, html_as_pdf):
    cast.covert.is_restricted = False
    cast.covert.save()
    QuarterlyUpdate.objects.filter(is_restricted=True).update(is_restricted=False)
    issued = issue_report(draft(cast), cast.alice)
    assert issued.restricted_left_out == 0 and not issued.public_differs
    assert not issued.copies.filter(public=True).exists()
    public = issuing.issued_form(issued, public=True, form=CopyForm.PDF)
    assert public == issued.pdf_bytes()


def test_a_correction_is_a_new_version(alice, cast, html_as_pdf):
    issued = issue_report(draft(cast, highlights="First words", author="Ann Clerk"), cast.alice)
    response = alice.post(reverse("report-new-version", args=[issued.pk]))
    copy = ScrutinyReport.objects.exclude(pk=issued.pk).get()
    assert response["Location"] == reverse("report-edit", args=[copy.pk])
    assert (copy.version, copy.previous_version, copy.state) == (2, issued, ReportState.DRAFT)
    assert (copy.highlights, copy.author) == ("First words", "Ann Clerk")
    assert list(copy.periods.all()) == [cast.q1]
    # Its periods are reported already: issuing the correction locks nothing new.
    second = issue_report(copy, cast.alice)
    assert second.version == 2 and second.is_issued
    assert b"Version 2, issued" in second.pdf_bytes()
    assert second.filename == "scrutiny-report-castle-2016-17-2016-17-q1-v2.pdf"
    assert cast.q1.__class__.objects.get(pk=cast.q1.pk).status == PeriodStatus.REPORTED
    page = alice.get(issued.get_absolute_url()).content.decode()
    assert reverse("report-detail", args=[second.pk]) in page
