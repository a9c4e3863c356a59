"""Clean wording (issue 11, item 1): nothing of ours in a committee paper.

The defaults come from the partnership's own fields (committee, contact, formats line) and are
offered to the clerk as editable text; the builder warns before a report whose clerk's sections
are still the standard wording is issued; the sentences the clerk found wrong read right. These
tests read ``build_report``'s data and ``render_html``'s HTML: no PDF is rendered.
"""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.urls import reverse

from csp.models import Officer, QuarterlyUpdate, Risk, UpdateStatus
from csp.reports.context import build_report, covered_label, default_title
from csp.reports.render import render_html
from tests import factories as make
from tests.test_issued_reports import draft

# What the clerk found in the issued paper: our notes to ourselves.
OUR_NOTES = ["Default wording", "Standard wording", "the clerk replaces", "can edit"]


def text_of(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_no_note_of_ours_is_printed_in_any_version(cast):
    for public in (False, True):
        for large in (False, True):
            text = text_of(
                render_html(build_report(cast.plan, [cast.q1], public=public), large_print=large)
            )
            for note in OUR_NOTES:
                assert note not in text, (public, large, note)


def test_the_committee_contact_and_formats_line_are_the_partnerships_own(cast):
    castle = cast.castle
    castle.report_committee = "Review Committee"
    castle.report_contact = "Ann Other (Head of Community Safety) on 01234 500000"
    castle.report_formats_contact = "01234 511111"
    castle.save()
    report = build_report(cast.plan, [cast.q1])
    assert report.committee == "Review Committee"
    assert report.missing == []
    text = text_of(render_html(report))
    assert "Report to the Review Committee" in text
    assert "For further information please contact Ann Other (Head of Community Safety)" in text
    assert (
        "If you would like this report in large print, Braille or another language please "
        "contact 01234 511111." in text
    )
    # The report's own words win over the partnership's.
    own = build_report(
        cast.plan, [cast.q1], committee="Cabinet", formats_contact="Customer Services"
    )
    assert own.committee == "Cabinet" and own.formats_contact == "Customer Services"


def test_without_a_formats_line_the_report_never_gives_an_officers_number(cast):
    Officer.objects.filter(pk=cast.inspector.pk).update(
        phone="01234 999999", email="ida@example.invalid"
    )
    report = build_report(cast.plan, [cast.q1])
    assert report.committee == "Crime and Disorder Committee"  # not another council's name
    assert report.missing == ["committee", "formats"]
    text = text_of(render_html(report))
    formats = text[text.index("If you would like this report in large print") :]
    assert formats.startswith(
        "If you would like this report in large print, Braille or another language please "
        "contact the Castle CSP."
    )
    assert "01234 999999" not in formats
    assert "Overview and Scrutiny Committee" not in text


def test_the_title_does_not_say_the_year_twice(cast):
    assert default_title(cast.plan, [cast.q1]) == (
        "Castle CSP: progress on the Castle Plan 2016/17, Quarter 1"
    )
    assert covered_label(cast.plan, [cast.q2, cast.q1]) == "Quarters 1 and 2"
    q3, q4 = make.period(cast.plan, 2016, 3), make.period(cast.plan, 2016, 4)
    assert covered_label(cast.plan, [cast.q1, cast.q2, q3, q4]) == "Quarters 1 to 4"
    assert covered_label(cast.plan, [cast.q1, q3]) == "Quarters 1 and 3"
    # A plan whose title names no financial year keeps the periods' own labels.
    span = make.plan(cast.castle, title="Community Safety Plan 2020 to 2024", slug="span")
    span.first_year, span.last_year = 2020, 2023
    span.save()
    q = make.period(span, 2021, 2)
    assert default_title(span, [q]) == (
        "Castle CSP: progress on the Community Safety Plan 2020 to 2024, 2021/22 Q2"
    )
    text = text_of(render_html(build_report(cast.plan, [cast.q1])))
    assert "2016/17, 2016/17" not in text


@pytest.mark.parametrize(
    ("by", "on", "sentence"),
    [
        (
            "at a partnership meeting, following a strategic assessment",
            datetime.date(2016, 3, 14),
            "The priorities of the Castle Plan 2016/17 were agreed on 14 March 2016 at a "
            "partnership meeting, following a strategic assessment.",
        ),
        (
            "Responsible Authorities Group (RAG)",
            datetime.date(2017, 3, 17),
            "The priorities of the Castle Plan 2016/17 were agreed on 17 March 2017 by the "
            "Responsible Authorities Group (RAG).",
        ),
        (
            "the five responsible authorities",
            None,
            "The priorities of the Castle Plan 2016/17 were agreed by the five responsible "
            "authorities.",
        ),
        (
            "",
            datetime.date(2016, 3, 14),
            "The priorities of the Castle Plan 2016/17 were agreed on 14 March 2016.",
        ),
        ("", None, "The Castle Plan 2016/17 sets these priorities."),
    ],
)
def test_how_the_priorities_were_agreed_reads_as_a_sentence(cast, by, on, sentence):
    cast.plan.priorities_agreed_by, cast.plan.priorities_agreed_on = by, on
    assert cast.plan.priorities_agreed_sentence == sentence


def test_the_standard_risk_implications_cite_only_what_the_report_shows(cast):
    def risk_text(report) -> str:  # type: ignore[no-untyped-def]
        return dict(report.implications)["Risk"]

    # Castle has no risk register; the hub's South update names a dependency.
    shown = build_report(cast.plan, [cast.q1])
    assert risk_text(shown) == (
        "The risks and dependencies lead agencies reported are listed with the exceptions."
    )
    no_exceptions = build_report(cast.plan, [cast.q1], sections=["action_plan", "implications"])
    assert risk_text(no_exceptions) == (
        "Lead agencies reported no risks or dependencies for the periods covered."
    )
    Risk.objects.create(
        partnership=cast.castle, number=1, title="Funding ends", likelihood="C", impact=2
    )
    both = build_report(cast.plan, [cast.q1])
    assert risk_text(both).startswith("The partnership's risk register is set out in this report")
    # The exceptions list every update's risks, not only red and amber actions'.
    q2 = build_report(cast.plan, [cast.q2])
    assert q2.exceptions and q2.risk_lines == []


def test_an_update_without_progress_text_reads_as_a_sentence(cast):
    QuarterlyUpdate.objects.filter(action=cast.hub, district=cast.south).update(progress="")
    make.update(cast.burglary, cast.q1, UpdateStatus.NOT_STARTED)  # nothing written at all
    text = text_of(render_html(build_report(cast.plan, [cast.q1])))
    assert "no progress text" not in text
    assert "2016/17 Q1 – South: Risks and dependencies: Depends on the library lease" in text
    assert "2016/17 Q1: No progress reported." in text


def test_counts_of_one_are_singular(db):
    partnership = make.partnership(name="Lone CSP")
    plan = make.plan(partnership, title="Lone Plan 2016/17", slug="lone")
    q1, q2 = make.period(plan, 2016, 1), make.period(plan, 2016, 2)
    action = make.action(make.objective(make.priority(plan)), description="The only action")
    make.update(action, q1, UpdateStatus.ON_TRACK)
    make.update(action, q2, UpdateStatus.AT_RISK)
    text = text_of(render_html(build_report(plan, [q2])))
    assert "The status of the plan's one action in 2016/17 Q2" in text
    assert "1 of the 1 action moved status and 0 kept the same status" in text
    assert "1 actions" not in text and "one actions" not in text


def test_the_builder_offers_the_defaults_as_text_to_edit(alice, cast):
    cast.castle.report_committee = "Review Committee"
    cast.castle.report_formats_contact = "01234 511111"
    cast.castle.save()
    page = alice.get(reverse("report-new")).content.decode()
    assert 'name="committee" type="text" value="Review Committee"' in page
    assert 'name="formats_contact" type="text" value="01234 511111"' in page
    assert "Sections 5 to 7 of the Crime and Disorder Act 1998" in page  # statutory background
    assert "That Members note the work and progress of the Castle CSP" in page
    assert "Risk: The risks and dependencies lead agencies reported" in page


def test_the_report_page_warns_before_issuing_with_standard_wording(alice, cast):
    report = draft(cast)
    page = alice.get(reverse("report-detail", args=[report.pk])).content.decode()
    warning = page[page.index('id="standard-wording"') :]
    warning = html.unescape(" ".join(warning[: warning.index("</strong>")].split()))
    assert (
        "The report still has the standard wording for the purpose, the recommendation and "
        "the implications." in warning
    )
    assert "It does not say the committee's name or who to contact for other formats." in warning
    assert reverse("report-edit", args=[report.pk]) in warning

    report.purpose, report.recommendation = "Our purpose.", "That Members note it."
    report.implications = "Financial: None."
    report.committee, report.formats_contact = "Review Committee", "01234 511111"
    report.save()
    page = alice.get(reverse("report-detail", args=[report.pk])).content.decode()
    assert 'id="standard-wording"' not in page
    assert "Issue this report" in page
