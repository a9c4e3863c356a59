"""The scrutiny report as a Word document (issue 11, item 5), on the web and the command line.

A test opens the .docx and checks its structure: Word's own heading styles, tables whose header
row repeats on each page, the charts as images with alternative text, the action plan in a
landscape section, a draft marked as one, and the same content as the PDF.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from csp.models import PeriodStatus, ReportingPeriod, ScrutinyReport
from csp.reports import issuing
from csp.reports.context import build_report
from csp.reports.word import render_docx
from tests.test_issued_reports import draft

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def document_text(document) -> str:  # type: ignore[no-untyped-def]
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())


def test_the_word_document_is_structured_as_word_expects(cast):
    content = build_report(cast.plan, [cast.q1, cast.q2])
    document = Document(io.BytesIO(render_docx(content)))

    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Contents"] + [f"{n}. {h}" for n, _, _, h in content.toc]
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == [content.title]
    assert "Priority 1. Safer communities" in [
        p.text for p in document.paragraphs if p.style.name == "Heading 2"
    ]
    assert document.core_properties.title == content.title
    assert document.core_properties.language == "en-GB"

    # Every table's first row repeats at the top of each page; no row splits across pages.
    assert document.tables
    for table in document.tables:
        header = table.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None
    plan_tables = [t for t in document.tables if t.rows[0].cells[0].text == "Strategic Objective"]
    assert [c.text for c in plan_tables[0].rows[0].cells] == [
        "Strategic Objective",
        "Actions",
        "Outcomes / Measures",
        "Lead Agency / Officer",
        "Timescales / Updates",
    ]

    # The charts are images with alternative text.
    pictures = [shape._inline.docPr for shape in document.inline_shapes]
    assert len(pictures) == 2  # progress at a glance, and the trend
    assert (
        pictures[0]
        .get("descr")
        .startswith(
            "Chart of actions by status for each priority in 2016/17 Q2. 1. Safer communities"
        )
    )
    assert pictures[1].get("descr").startswith("Chart of actions by status for each priority and")

    # The action plan is a landscape section, and the document is a draft on every page.
    orientations = [s.orientation for s in document.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    header = document.sections[0].header.paragraphs[0].text
    assert header.startswith("Draft – not for publication")
    assert all(s.header.is_linked_to_previous for s in document.sections[1:])
    assert "Draft of version 1" in document.sections[0].footer.paragraphs[0].text


def test_the_word_document_says_what_the_pdf_says(cast):
    full = document_text(Document(io.BytesIO(render_docx(build_report(cast.plan, [cast.q1])))))
    for text in (
        "Evening patrols in the town centre",
        "2016/17 Q1 – South: No venue yet Risks and dependencies: Depends on the library lease",
        "Covert operation against handlers",  # the committee's version shows it, marked
        "Not for publication in full.",
        "Report to the Crime and Disorder Committee",
        "Background papers",
    ):
        assert text in full, text
    public = build_report(cast.plan, [cast.q1], public=True)
    text = document_text(Document(io.BytesIO(render_docx(public))))
    assert "Covert operation" not in text
    assert "Public version. It leaves out 1 action marked restricted" in text


def test_a_draft_downloads_as_word(alice, cast):
    report = draft(cast)
    response = alice.get(reverse("report-docx", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"] == (
        'attachment; filename="scrutiny-report-castle-2016-17-2016-17-q1-draft.docx"'
    )
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml")
    public = alice.get(reverse("report-docx", args=[report.pk]) + "?version=public")
    assert public["Content-Disposition"].endswith('-public-draft.docx"')


# -- the command line -------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("scrutiny_report", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_word_html_or_pdf_by_the_extension(cast, tmp_path, html_as_pdf):
    said = run("--plan=castle-2016-17", "--period=2016-17-q1", f"--out={tmp_path / 'r.docx'}")
    assert "Draft scrutiny report" in said and "(Word)" in said
    document = Document(tmp_path / "r.docx")
    assert document.sections[0].header.paragraphs[0].text.startswith("Draft – not for")
    run("--plan=castle-2016-17", "--period=2016-17-q1", "--public", f"--out={tmp_path / 'r.html'}")
    html = (tmp_path / "r.html").read_text()
    assert "<!DOCTYPE html>" in html and "Public version" in html
    assert "Covert operation" not in html
    with pytest.raises(CommandError, match="the file's extension says the format"):
        run("--plan=castle-2016-17", "--period=2016-17-q1", f"--out={tmp_path / 'r.txt'}")
    assert not ScrutinyReport.objects.exists()  # a draft on the command line is not saved


def test_the_command_issues_as_the_web_does(cast, tmp_path, html_as_pdf):
    out = tmp_path / "issued.pdf"
    said = run("--plan=castle-2016-17", "--period=2016-17-q1", "--issue", f"--out={out}")
    report = ScrutinyReport.objects.get()
    assert said.startswith(f"Issued report {report.pk}")
    assert report.is_issued and out.read_bytes() == report.pdf_bytes()
    assert b"Draft" not in out.read_bytes() and b"Version 1, issued" in out.read_bytes()
    assert ReportingPeriod.objects.get(pk=cast.q1.pk).status == PeriodStatus.REPORTED
    assert report.copies.filter(form="docx").exists()
    # The issued report, written again later, is the issued copy, in any of its forms.
    run(f"--report={report.pk}", "--public", f"--out={tmp_path / 'public.docx'}")
    assert (tmp_path / "public.docx").read_bytes() == (
        report.copies.get(public=True, form="docx").data_bytes()
    )


def test_the_command_refuses_to_issue_an_open_period_and_leaves_nothing(cast, tmp_path):
    out = tmp_path / "issued.pdf"
    with pytest.raises(CommandError, match="Not issued: Close 2016/17 Q2 on its review page"):
        run("--plan=castle-2016-17", "--period=2016-17-q2", "--issue", f"--out={out}")
    assert not out.exists() and not ScrutinyReport.objects.exists()
    assert ReportingPeriod.objects.get(pk=cast.q2.pk).status == PeriodStatus.OPEN
    with pytest.raises(CommandError, match="Give --plan and at least one --period, or --report"):
        run(f"--out={out}")
    with pytest.raises(CommandError, match="No report 404"):
        run("--report=404", f"--out={out}")


def test_issuing_keeps_the_word_document_of_each_version(cast, html_as_pdf):
    report = draft(cast)
    issuing.issue(report, cast.alice)
    full = Document(io.BytesIO(report.copies.get(public=False, form="docx").data_bytes()))
    assert not document_text(full).count("Draft – not for publication")
    assert "Version 1, issued" in full.sections[0].footer.paragraphs[0].text
    public = Document(io.BytesIO(report.copies.get(public=True, form="docx").data_bytes()))
    assert "Covert operation" not in document_text(public)


def test_the_contacts_and_the_formats_line_are_kept_on_one_page(cast):
    """The line offering large print or other formats was left alone on the last page."""
    document = Document(io.BytesIO(render_docx(build_report(cast.plan, [cast.q1]))))
    paragraphs = document.paragraphs
    start = next(
        n
        for n, p in enumerate(paragraphs)
        if p.style.name == "Heading 1" and p.text.endswith("other formats")
    )
    section = paragraphs[start:]
    assert section[-1].text.startswith("If you would like this report in large print")
    assert all(p.paragraph_format.keep_with_next for p in section[:-1])
