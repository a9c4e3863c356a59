"""The report builder's texts and sections (issue 6, item 1).

The partnership's own wording wins over the built-in wording, the report's own text over both;
sections left out are absent from the report and its contents, and the numbering has no gap.
These tests read ``build_report``'s data and ``render_html``'s HTML: no PDF is rendered.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from csp.models import IssuedReportChanged, ReportSection, ReportState, ScrutinyReport
from csp.reports.context import build_report, default_recommendation
from csp.reports.issuing import report_content
from csp.reports.render import render_html
from tests.test_issued_reports import draft, fake_issued


def headings(html: str) -> list[str]:
    """The numbered h2 headings of the report, in order."""
    return re.findall(r"<h2 id=\"[^\"]+\">(\d+\. [^<]+)</h2>", html)


def contents(html: str) -> list[tuple[str, str]]:
    """The contents list's top-level entries: (number, anchor)."""
    return re.findall(r'<span class="toc-number">(\d+)</span> <a href="#([^"]+)">', html)


# -- texts ----------------------------------------------------------------------------------


def test_built_in_wording_by_default(cast):
    report = build_report(cast.plan, [cast.q1])
    assert report.recommendation == default_recommendation(cast.plan)
    assert "2016/17 Q1" in report.purpose[0]  # {periods} filled in
    assert [h for h, _ in report.implications] == ["Financial", "Legal", "Risk", "Equality"]
    assert len(report.background) == 3
    assert report.defaults_used == ["purpose", "recommendation", "background", "implications"]


def test_partnership_wording_wins_over_the_built_in(cast):
    castle = cast.castle
    castle.report_purpose = "Our purpose for {periods}.\n\nA second paragraph."
    castle.report_recommendation = "That Members welcome the work."
    castle.report_statutory_background = "Background one.\n\nBackground two."
    castle.report_implications = "Financial implications: None.\n\nStaffing: Within budgets."
    castle.save()
    cast.plan.refresh_from_db()

    report = build_report(cast.plan, [cast.q1])
    assert report.purpose == ["Our purpose for 2016/17 Q1.", "A second paragraph."]
    assert report.recommendation == "That Members welcome the work."
    assert report.background == ["Background one.", "Background two."]
    assert report.implications == [("Financial", "None."), ("Staffing", "Within budgets.")]
    assert report.defaults_used == []

    html = render_html(report)
    assert "<h3>Staffing implications</h3>" in html
    assert "Default wording" not in html and "Standard wording" not in html


def test_the_reports_own_text_wins_over_both(cast):
    cast.castle.report_recommendation = "The partnership's recommendation."
    cast.castle.report_purpose = "The partnership's purpose."
    cast.castle.save()
    report = draft(
        cast,
        recommendation="This report's recommendation.",
        implications="Legal: Nothing new.",
    )
    content = report_content(report)
    assert content.recommendation == "This report's recommendation."
    assert content.purpose == ["The partnership's purpose."]  # blank on the report
    assert content.implications == [("Legal", "Nothing new.")]
    assert content.defaults_used == ["background"]

    explicit = build_report(cast.plan, [cast.q1], statutory_background="Given here.")
    assert explicit.background == ["Given here."]


# -- sections -------------------------------------------------------------------------------


def test_all_sections_by_default_numbered_1_to_12(cast):
    report = build_report(cast.plan, [cast.q1])
    html = render_html(report)
    numbers = [int(h.split(".")[0]) for h in headings(html)]
    assert numbers == list(range(1, 13))
    assert [n for n, _ in contents(html)] == [str(n) for n in range(1, 13)]


def test_a_section_left_out_is_absent_and_the_numbering_has_no_gap(cast):
    chosen = [
        s
        for s in ReportSection.values
        if s not in (ReportSection.CHANGES, ReportSection.RISKS, ReportSection.PARTNERSHIP)
    ]
    report = build_report(cast.plan, [cast.q1], sections=chosen)
    html = re.sub(r"<style>.*?</style>", "", render_html(report), flags=re.DOTALL)

    assert 'id="changes"' not in html and 'href="#changes"' not in html
    assert 'id="risks"' not in html and 'href="#risks"' not in html
    assert 'id="partnership"' not in html and 'href="#partnership"' not in html
    assert "What changed since the last report" not in html
    assert "Risk register" not in html

    assert headings(html) == [
        "1. Purpose of the report and recommendation",
        "2. Statutory background",
        "3. Priorities and how they were agreed",
        "4. Progress at a glance",
        "5. Exceptions, risks and dependencies",
        "6. Progress on the action plan",
        "7. Resources",
        "8. Implications",
        "9. Contacts, background papers and other formats",
    ]
    assert contents(html) == [
        ("1", "purpose"),
        ("2", "background"),
        ("3", "priorities"),
        ("4", "glance"),
        ("5", "exceptions"),
        ("6", "action-plan"),
        ("7", "resources"),
        ("8", "implications"),
        ("9", "contacts"),
    ]
    assert "<p>2.1 " in html  # the background's paragraphs follow its number


def test_no_optional_sections_leaves_the_fixed_ones(cast):
    html = render_html(build_report(cast.plan, [cast.q1], sections=[]))
    assert headings(html) == [
        "1. Purpose of the report and recommendation",
        "2. Contacts, background papers and other formats",
    ]
    assert 'class="cover"' in html


def test_an_unknown_section_is_refused(cast):
    with pytest.raises(ValueError, match="Unknown report section"):
        build_report(cast.plan, [cast.q1], sections=["appendix"])


def test_a_report_passes_its_sections_through(cast):
    report = draft(cast, sections=[ReportSection.ACTION_PLAN])
    content = report_content(report)
    assert content.sections == ["purpose", "action_plan", "contacts"]
    assert content.numbers == {"purpose": 1, "action_plan": 2, "contacts": 3}
    assert ScrutinyReport.objects.create(partnership=cast.castle, plan=cast.plan).sections == list(
        ReportSection.values
    )


# -- the form -------------------------------------------------------------------------------


def test_the_form_is_prefilled_and_all_sections_ticked(alice, cast):
    cast.castle.report_recommendation = "That Members welcome the partnership's work."
    cast.castle.save()
    page = alice.get(reverse("report-new")).content.decode()
    assert "That Members welcome the partnership&#x27;s work.</textarea>" in page
    assert "Financial: There are no direct financial implications" in page  # built-in
    assert "{periods}" in page
    for n in range(len(ReportSection.values)):
        assert re.search(
            rf'id="id_sections_{n}" name="sections" type="checkbox" value="\w+" checked', page
        )


def test_the_form_saves_texts_and_sections(alice, cast):
    defaults = build_report(cast.plan, [cast.q1])
    response = alice.post(
        reverse("report-new"),
        {
            "plan": cast.plan.slug,
            "periods": [cast.q1.pk],
            "committee": "Scrutiny Committee",
            "purpose": "Our own purpose.\r\n\r\nSecond paragraph.",
            "recommendation": defaults.recommendation,  # left as it was: stored blank
            "implications": "Financial: None.",
            "sections": [ReportSection.RISKS, ReportSection.ACTION_PLAN],
        },
    )
    assert response.status_code == 302
    report = ScrutinyReport.objects.get()
    assert report.purpose == "Our own purpose.\n\nSecond paragraph."
    assert report.recommendation == ""
    assert report.implications == "Financial: None."
    assert report.sections == ["action_plan", "risks"]  # in the report's order

    detail = alice.get(response["Location"]).content.decode()
    assert "<li>Progress on the action plan</li>" in detail
    assert "<li>Risk register</li>" in detail
    assert "Progress at a glance" not in detail

    content = report_content(report)
    assert content.purpose == ["Our own purpose.", "Second paragraph."]
    assert content.implications == [("Financial", "None.")]


# -- issued reports -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "Changed purpose."),
        ("recommendation", "Changed recommendation."),
        ("implications", "Legal: Changed."),
        ("sections", ["risks"]),
    ],
)
def test_an_issued_reports_texts_and_sections_cannot_change(cast, field, value):
    report = fake_issued(cast)
    assert report.state == ReportState.ISSUED
    setattr(report, field, value)
    with pytest.raises(IssuedReportChanged):
        report.save()
    with pytest.raises(IssuedReportChanged):
        ScrutinyReport.objects.filter(pk=report.pk).update(**{field: value})
    report.refresh_from_db()
    assert getattr(report, field) in ("", list(ReportSection.values))
