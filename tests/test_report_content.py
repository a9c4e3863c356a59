"""What a committee asks for in the report (issue 11, item 4): the plan's introduction and area
profile, highlights, consultation, background papers, the measures' figures, the trend over the
plan's quarters, each action's status history, and every update's risks and dependencies.

These tests read ``build_report``'s data and ``render_html``'s HTML: no PDF is rendered.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from csp.models import Measure, MeasureFigure, QuarterlyUpdate, ReportSection, UpdateStatus
from csp.reports.context import build_report, highlights_of, text_blocks
from csp.reports.render import render_html
from tests import factories as make


def headings(html: str) -> list[str]:
    return re.findall(r"<h2 id=\"[^\"]+\">(\d+\. [^<]+)</h2>", html)


def text_of(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


INTRODUCTION = """The purpose of the Community Safety Partnership is to provide a strategy.

Partnership Working

- To improve the efficiency and effectiveness of the CSP working arrangements.
- To work together where we have a shared commitment."""


def test_plain_text_reads_as_paragraphs_lists_and_headings():
    blocks = text_blocks(INTRODUCTION)
    assert [(b.kind, b.text, b.items) for b in blocks] == [
        (
            "paragraph",
            "The purpose of the Community Safety Partnership is to provide a strategy.",
            [],
        ),
        ("heading", "Partnership Working", []),
        (
            "list",
            "",
            [
                "To improve the efficiency and effectiveness of the CSP working arrangements.",
                "To work together where we have a shared commitment.",
            ],
        ),
    ]
    assert [b.kind for b in text_blocks("A last short line")] == ["paragraph"]
    found = highlights_of(
        "Taxi marshalling scheme (extended)\nFewer assaults.\nTaxis came back.\n\n- Crucial Crew"
    )
    assert [(h.title, h.text) for h in found] == [
        ("Taxi marshalling scheme (extended)", "Fewer assaults. Taxis came back."),
        ("", "Crucial Crew"),
    ]


def test_the_plans_introduction_and_area_profile_are_printed_and_switchable(cast):
    cast.plan.introduction = INTRODUCTION
    cast.plan.save()
    cast.castle.area_description = "Castle covers the coast."
    cast.castle.save()
    cast.north.description = "North has 88,011 people."
    cast.north.save()
    cast.plan.refresh_from_db()
    html = render_html(build_report(cast.plan, [cast.q1]))
    assert "<h3>Partnership Working</h3>" in html
    assert "<li>To work together where we have a shared commitment.</li>" in html
    assert "4. The plan's introduction" in headings(html)
    assert "5. Area profile" in headings(html)
    text = text_of(html)
    assert "Partnership area Castle covers the coast. North North has 88,011 people." in text
    assert "South" not in text[text.index("Area profile") : text.index("Priorities and how")]

    left_out = [s for s in ReportSection.values if s not in ("introduction", "area_profile")]
    html = render_html(build_report(cast.plan, [cast.q1], sections=left_out))
    assert "Partnership Working" not in html and "Castle covers the coast" not in html
    assert "4. Priorities and how they were agreed" in headings(html)


def test_highlights_consultation_and_background_papers(cast):
    report = build_report(
        cast.plan,
        [cast.q1],
        highlights="Crucial Crew\nOver 400 Year 6 pupils took part.\n\nTasking briefings (new)",
        consultation="All partners were consulted through the Strategic Assessment.",
        background_papers="Strategic Assessment 2016\n\nPartnership Plan 2016/17",
    )
    html = render_html(report)
    assert "<strong>Crucial Crew</strong><br>Over 400 Year 6 pupils took part.</li>" in html
    assert "<li>Tasking briefings (new)</li>" in html
    assert f"<p>{report.numbers['consultation']}.1 All partners were consulted" in html
    assert "<li>Strategic Assessment 2016</li><li>Partnership Plan 2016/17</li>" in html
    assert report.numbers["highlights"] == report.numbers["priorities"] + 1
    # Nothing written: no heading with nothing under it, the numbering without a gap, and the
    # background papers say "None." as committee papers do.
    plain = build_report(cast.plan, [cast.q1])
    assert "highlights" not in plain.sections and "consultation" not in plain.sections
    html = render_html(plain)
    numbers = [int(h.split(".")[0]) for h in headings(html)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert "<h3>Background papers</h3>\n  <p>None.</p>" in html


@pytest.fixture
def measured(cast):
    """The patrols action measured against a target of 80%, with figures in Q1 and Q2."""
    measure = Measure.objects.create(
        action=cast.patrols,
        description="residents who feel safer",
        target_value=Decimal("80"),
        unit="%",
        target_text="80% of residents feel safer",
    )
    q1 = QuarterlyUpdate.objects.get(action=cast.patrols, period=cast.q1)
    MeasureFigure.objects.create(measure=measure, update=q1, value=Decimal("85"))
    q2 = make.update(cast.patrols, cast.q2, UpdateStatus.AT_RISK, cast.north, progress="Fewer")
    MeasureFigure.objects.create(measure=measure, update=q2, value=Decimal("72.50"))
    hidden = make.update(
        cast.patrols, cast.q2, UpdateStatus.OFF_TRACK, None, is_restricted=True, progress="Secret"
    )
    MeasureFigure.objects.create(measure=measure, update=hidden, value=Decimal("10"))
    return measure


def test_the_figures_officers_typed_reach_the_paper(cast, measured):
    report = build_report(cast.plan, [cast.q2], public=True)
    assert [p.label for p in report.trend_periods] == ["2016/17 Q1", "2016/17 Q2"]
    [table] = report.measures
    [row] = table.rows
    assert (row.reference, row.measure, row.target) == ("1.1.1", "residents who feel safer", "80%")
    assert row.figures == ["North 85%", "North 72.5%"]  # the restricted 10% is left out
    html = render_html(report)
    assert "2016/17 Q2 (this quarter)</th>" in html
    patrols = report.priorities[0].objectives[0].actions[0]
    [line] = [u for u in patrols.updates if u.district == "North"]
    assert line.figures == ["residents who feel safer: 72.5% (target 80%)"]
    # The committee's version counts the restricted figure, marked in its update.
    full = build_report(cast.plan, [cast.q2])
    assert full.measures[0].rows[0].figures == ["North 85%", "10%; North 72.5%"]


def test_the_trend_and_each_actions_status_history(cast):
    report = build_report(cast.plan, [cast.q2], public=True)
    assert "trend" in report.sections
    rows = [(r.priority.number, r.period_label, r.total, r.first) for r in report.trend_rows]
    assert rows == [
        (1, "2016/17 Q1", 3, True),
        (1, "2016/17 Q2", 3, False),
        (2, "2016/17 Q1", 1, True),
        (2, "2016/17 Q2", 1, False),
    ]
    counts = {
        (r.priority.number, r.period_label): dict(
            zip([s for s, _, _ in report.trend_statuses], r.counts, strict=True)
        )
        for r in report.trend_rows
    }
    assert counts[(1, "2016/17 Q1")] == {
        UpdateStatus.OFF_TRACK: 1,  # the hub: South off track, the worst district
        UpdateStatus.ON_TRACK: 1,
        UpdateStatus.COMPLETE: 1,
        None: 0,
    }
    assert counts[(1, "2016/17 Q2")][None] == 2  # only the leaflets have a Q2 update
    # The restricted Q2 update of the burglary action does not count in public.
    assert counts[(2, "2016/17 Q2")] == {
        UpdateStatus.OFF_TRACK: 0,
        UpdateStatus.ON_TRACK: 0,
        UpdateStatus.COMPLETE: 0,
        None: 1,
    }
    leaflets = report.priorities[0].objectives[1].actions[0]
    assert [(h.period_label, h.label) for h in leaflets.history] == [
        ("2016/17 Q1", "Complete"),
        ("2016/17 Q2", "On track"),
    ]
    assert report.trend_chart is not None and report.trend_chart.bars[0].label == "1. 2016/17 Q1"
    html = render_html(report)
    assert 'alt="Chart of actions by status for each priority and quarter.' in html
    assert '<span class="history">2016/17 Q1: Complete; 2016/17 Q2: On track</span>' in html
    # A report of the first quarter has no trend to show.
    assert "trend" not in build_report(cast.plan, [cast.q1]).sections


def test_the_exceptions_list_every_updates_risks_and_dependencies(cast):
    make.update(
        cast.burglary,
        cast.q1,
        UpdateStatus.ON_TRACK,
        progress="Locks fitted",
        risks="Depends on the locksmith's contract",
    )
    report = build_report(cast.plan, [cast.q1], public=True)
    assert [a.reference for _, a in report.exceptions] == ["1.1.2"]  # off track or at risk
    lines = [
        (line.action.reference, line.update.heading, line.update.risks)
        for line in report.risk_lines
    ]
    assert lines == [
        ("1.1.2", "2016/17 Q1 – South", "Depends on the library lease"),
        ("2.1.2", "2016/17 Q1", "Depends on the locksmith's contract"),  # on track, all the same
    ]
    html = render_html(report)
    assert "Risks and dependencies reported" in html and "locksmith" in html
