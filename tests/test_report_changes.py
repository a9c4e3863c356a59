"""The scrutiny report's "What changed since the last report" (issue 6, item 3).

A constructed plan with two reporting periods and actions whose public statuses go
on track → at risk, at risk → complete, none → off track, off track → off track (not new) and
on track → on track (unchanged); in the public version restricted actions and updates must not
count, in the committee's full version they do (issue 11).
"""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from csp.models import UpdateStatus
from csp.reports.context import build_report
from csp.reports.render import render_html, render_pdf
from tests import factories as make

ON, AMBER, RED, DONE = (
    UpdateStatus.ON_TRACK,
    UpdateStatus.AT_RISK,
    UpdateStatus.OFF_TRACK,
    UpdateStatus.COMPLETE,
)


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", text)
    return " ".join(text.replace("\u00ad", "").split())


# The running header and footer, and the charts' labels (pypdf reads a chart drawn on the
# section's page, an embedded image, after the page's text).
FURNITURE = re.compile(
    r"(1\. (Safer streets|2016/17 Q\d) \(\d\)( \d)+ )*"
    r"Draft – not for publication Harbour Plan 2016/17, Quarter \d · Public version "
    r"Draft of version 1, public version Page \d+ of \d+ "
)


def section_text(text: str) -> str:
    """The section's text in the PDF, from its heading to the next section's, without the
    running header and footer."""
    start = text.index("What changed since the last report", text.index("1. Purpose"))
    start = text.rindex(" ", 0, start - 1) + 1
    end = text.index("Exceptions, risks and dependencies", start)
    return FURNITURE.sub("", text[start : text.rindex(" ", 0, end - 1) + 1])


@pytest.fixture
def two_periods(db):
    partnership = make.partnership(name="Harbour CSP", slug="harbour")
    north = make.district(partnership, "North")
    south = make.district(partnership, "South")
    police = make.organisation(name="Harbour Police", slug="harbour-police")
    plan = make.plan(partnership, title="Harbour Plan 2016/17", slug="harbour-2016-17")
    objective = make.objective(make.priority(plan, title="Safer streets"), title="Less crime")
    q1 = make.period(plan, 2016, 1)
    q2 = make.period(plan, 2016, 2)

    def action(description: str, **kwargs):  # type: ignore[no-untyped-def]
        return make.action(objective, description=description, lead=police, **kwargs)

    patrols = action("Evening patrols")  # 1.1.1 on track -> at risk
    make.update(patrols, q1, ON, north)
    make.update(patrols, q2, ON, north)
    make.update(patrols, q2, AMBER, south, risks="Overtime budget")  # the worst district wins
    hub = action("Open a community hub")  # 1.1.2 at risk -> complete
    make.update(hub, q1, AMBER)
    make.update(hub, q2, DONE)
    talks = action("Cyber crime talks")  # 1.1.3 no update -> off track
    make.update(talks, q2, RED, risks="No speaker")
    dealing = action("Disrupt drug dealing")  # 1.1.4 off track twice: not newly off track
    make.update(dealing, q1, RED)
    make.update(dealing, q2, RED)
    leaflets = action("Leaflet drop")  # 1.1.5 on track twice: unchanged
    make.update(leaflets, q1, ON)
    make.update(leaflets, q2, ON)
    # 1.1.6 on track twice in public; a restricted off track update must not count
    watch = action("Street watch")
    make.update(watch, q1, ON)
    make.update(watch, q2, ON, north)
    make.update(watch, q2, RED, south, is_restricted=True)
    # 1.1.7 restricted: left out of a public report whatever its statuses
    covert = action("Covert operation", is_restricted=True)
    make.update(covert, q1, ON)
    make.update(covert, q2, RED)
    return plan, q1, q2


def summary(changes):  # type: ignore[no-untyped-def]
    return {
        name: [(c.action.reference, c.text) for c in getattr(changes, name)]
        for name in ("moved", "completed", "newly_off_track", "newly_at_risk")
    }


def test_changes_in_the_report_data(two_periods):
    plan, q1, q2 = two_periods
    report = build_report(plan, [q2], public=True)
    changes = report.changes
    assert changes.previous == q1
    assert summary(changes) == {
        "moved": [
            ("1.1.1", "On track → At risk"),
            ("1.1.2", "At risk → Complete"),
            ("1.1.3", "No update → Off track"),
        ],
        "completed": [("1.1.2", "At risk → Complete")],
        "newly_off_track": [("1.1.3", "No update → Off track")],
        "newly_at_risk": [("1.1.1", "On track → At risk")],
    }
    assert changes.unchanged == 3  # 1.1.4, 1.1.5 and 1.1.6
    assert [c.action.description for c in changes.newly_red_or_amber] == [
        "Cyber crime talks",
        "Evening patrols",
    ]
    # The exceptions list is kept, with its risks and dependencies: off track twice is still one.
    assert [(a.reference, a.status, [u.risks for u in a.risks]) for _, a in report.exceptions] == [
        ("1.1.1", "at_risk", ["Overtime budget"]),
        ("1.1.3", "off_track", ["No speaker"]),
        ("1.1.4", "off_track", []),
    ]


def test_changes_in_the_pdf(two_periods):
    plan, _, q2 = two_periods
    report = build_report(plan, [q2], public=True)
    html = render_html(report)
    assert '<a href="#changes">What changed since the last report</a>' in html
    text = pdf_text(render_pdf(report))
    assert "What changed since the last report" in text[: text.index("1. Purpose")]  # contents
    assert section_text(text) == (
        "7. What changed since the last report "
        "Each action's status in 2016/17 Q2 compared with 2016/17 Q1, the previous reporting "
        "period: 3 of the 6 actions moved status and 3 kept the same status. "
        "Actions that moved status "
        "Actions whose status in 2016/17 Q2 differs from 2016/17 Q1 "
        "Ref. Action and lead Status: 2016/17 Q1 → 2016/17 Q2 "
        "1.1.1 Evening patrols Lead: Harbour Police On track → At risk "
        "1.1.2 Open a community hub Lead: Harbour Police At risk → Complete "
        "1.1.3 Cyber crime talks Lead: Harbour Police No update → Off track "
        "Actions completed "
        "1.1.2 Open a community hub (was At risk) "
        "Actions newly off track (red) "
        "1.1.3 Cyber crime talks (was No update) "
        "Actions newly at risk (amber) "
        "1.1.1 Evening patrols (was On track) "
    )
    assert "Covert operation" not in text


def test_statuses_of_both_quarters_are_read_in_one_query(two_periods):
    plan, _, q2 = two_periods
    with CaptureQueriesContext(connection) as queries:
        build_report(plan, [q2])
    reads = [q["sql"] for q in queries if "quarter_key" in q["sql"] and " IN " in q["sql"]]
    assert len(reads) == 1


def test_a_report_over_several_quarters_compares_with_the_quarter_before_them(two_periods):
    plan, q1, q2 = two_periods
    q3 = make.period(plan, 2016, 3)
    report = build_report(plan, [q3, q2], public=True)
    assert report.changes.previous == q1
    # No update yet in Q3: every action with a status in Q1 moved to "No update".
    assert summary(report.changes)["moved"] == [
        ("1.1.1", "On track → No update"),
        ("1.1.2", "At risk → No update"),
        ("1.1.4", "Off track → No update"),
        ("1.1.5", "On track → No update"),
        ("1.1.6", "On track → No update"),
    ]
    assert report.changes.completed == report.changes.newly_off_track == []
    html = render_html(report)
    assert "the previous reporting period before those this report covers" in html


def test_a_report_with_no_previous_period_says_so(two_periods):
    plan, q1, _ = two_periods
    report = build_report(plan, [q1], public=True)
    assert report.changes.previous is None
    assert summary(report.changes) == {
        "moved": [],
        "completed": [],
        "newly_off_track": [],
        "newly_at_risk": [],
    }
    text = pdf_text(render_pdf(report))
    assert section_text(text) == (
        "6. What changed since the last report "
        "There is no earlier reporting period of the Harbour Plan 2016/17 before 2016/17 Q1 to "
        "compare with, so no changes are shown. "
    )


def test_the_committees_version_counts_restricted_actions_and_updates(two_periods):
    plan, q1, q2 = two_periods
    changes = build_report(plan, [q2]).changes
    assert changes.previous == q1
    assert summary(changes)["moved"] == [
        ("1.1.1", "On track → At risk"),
        ("1.1.2", "At risk → Complete"),
        ("1.1.3", "No update → Off track"),
        ("1.1.6", "On track → Off track"),  # its restricted off track update counts
        ("1.1.7", "On track → Off track"),  # a restricted action
    ]
    assert changes.unchanged == 2
