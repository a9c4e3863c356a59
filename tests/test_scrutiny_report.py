"""The scrutiny report (issue 6, first slice): content, PDF text and tags, large print, command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from pypdf import PdfReader

from csp.models import Action, Plan
from csp.reports.context import build_report
from csp.reports.render import render_html, render_pdf

DEMO_PLAN = "castle-point-rochford-2016-17"
# Marked, so that the test database exists before the module's fixture loads the demo, however
# few of its tests are chosen (-k).
pytestmark = pytest.mark.django_db
HEADINGS = [
    "Strategic Objective",
    "Actions",
    "Outcomes / Measures",
    "Lead Agency / Officer",
    "Timescales / Updates",
]


def normalise(text: str) -> str:
    """Join words hyphenated across lines, fold every run of white space into one space."""
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", text)
    return " ".join(text.replace("\u00ad", "").split())


def pdf_text(data: bytes) -> str:
    return normalise("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def body_font_sizes(data: bytes, first_page: int = 2) -> list[float]:
    """The effective size (font size times the matrices' scale) of each run of text."""
    sizes: list[float] = []

    def visit(text, cm, tm, font_dict, font_size):  # type: ignore[no-untyped-def]
        if text.strip():
            scale = (tm[3] ** 2 + tm[1] ** 2) ** 0.5 * (cm[3] ** 2 + cm[1] ** 2) ** 0.5
            sizes.append(round(font_size * scale, 1))

    for page in PdfReader(io.BytesIO(data)).pages[first_page:]:
        page.extract_text(visitor_text=visit)
    return sizes


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo plan's 2016/17 Q1 report, standard and large print, rendered once per module."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        plan = Plan.objects.select_related("partnership").get(slug=DEMO_PLAN)
        period = plan.periods.get(year=2016, quarter=1)
        descriptions = list(
            Action.objects.in_plan(plan)
            .filter(is_restricted=False)
            .values_list("description", flat=True)
        )
        standard = build_report(plan, [period])
        large = build_report(plan, [period], large_print=True)
        result = {
            "descriptions": descriptions,
            "html": render_html(standard),
            "pdf": render_pdf(standard),
            "large_html": render_html(large),
            "large_pdf": render_pdf(large),
        }
        transaction.set_rollback(True)
    return result


def test_every_action_and_the_five_headings_are_in_the_pdf(demo):
    text = pdf_text(demo["pdf"])
    assert len(demo["descriptions"]) == 50
    missing = [d for d in demo["descriptions"] if normalise(d)[:40] not in text]
    assert not missing
    for heading in HEADINGS:
        assert heading in text
    assert "Page 1 of" in text
    assert (
        "If you would like this report in large print, Braille or another language please "
        "contact 01702 318111." in text  # the council's formats line, not an officer's number
    )
    assert "Report to the Review Committee" in text  # the partnership's own committee
    assert "2016/17 Q1 – Rochford:" in text  # updates by quarter and district


def test_the_pdf_is_tagged_with_a_title_and_language(demo):
    reader = PdfReader(io.BytesIO(demo["pdf"]))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en-GB"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title.startswith("Castle Point and Rochford Community Safety")


def test_the_html_is_accessible(demo):
    html = demo["html"]
    assert '<html lang="en-GB">' in html
    assert html.count("<h1") == 1
    assert '<th scope="col">Strategic Objective</th>' in html
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="Chart of actions', html)
    assert "table-layout: fixed" in html
    assert "display: table-header-group" in html


def test_large_print_body_text_is_at_least_16pt(demo):
    sizes = body_font_sizes(demo["large_pdf"])
    # Everything but the running header and footer (12–14 pt, in the page margins).
    body = [s for s in sizes if s not in (12.0, 14.0)]
    assert body and min(body) >= 15.95  # 16 pt, give or take the PDF's rounding
    # the standard print is smaller, so the check can tell them apart
    assert min(body_font_sizes(demo["pdf"])) < 16
    text = pdf_text(demo["large_pdf"])
    for heading in HEADINGS:
        assert heading in text
    assert "large-print" in demo["large_html"]


def test_content_exceptions_updates_and_restricted_items(cast):
    """The public version leaves restricted items out (issue 6); the committee's full version
    shows them, each marked restricted, and says on its cover not to publish it (issue 11)."""
    public = build_report(cast.plan, [cast.q1], public=True)
    rows = {a.reference: a for p in public.priorities for o in p.objectives for a in o.actions}
    assert "2.1.1" not in rows  # restricted: the public version is for the website
    assert [a.reference for _, a in public.exceptions] == ["1.1.2"]
    hub = rows["1.1.2"]
    assert [u.heading for u in hub.updates] == ["2016/17 Q1 – North", "2016/17 Q1 – South"]
    assert [u.risks for u in hub.risks] == ["Depends on the library lease"]
    assert [p.total for p in public.priorities] == [3, 1]
    assert (public.left_out.actions, public.left_out.updates) == (1, 0)
    html = render_html(public)
    assert "Depends on the library lease" in html
    assert "Covert operation" not in html
    assert "It leaves out 1 action marked restricted" in html
    assert "That Members note" in html
    assert "Police and Justice Act 2006" in html

    full = build_report(cast.plan, [cast.q1])
    rows = {a.reference: a for p in full.priorities for o in p.objectives for a in o.actions}
    assert rows["2.1.1"].restricted and rows["2.1.1"].status == "off_track"
    assert [a.reference for _, a in full.exceptions] == ["1.1.2", "2.1.1"]
    assert [p.total for p in full.priorities] == [3, 2]
    assert full.restricted_shown == 1
    html = render_html(full)
    assert "Covert operation" in html
    assert '<span class="restricted">Restricted</span>' in html
    assert "Not for publication in full." in html


def test_two_periods_show_updates_of_both(cast):
    report = build_report(cast.plan, [cast.q2, cast.q1])
    assert report.periods_label == "2016/17 Q1 and 2016/17 Q2"
    leaflets = report.priorities[0].objectives[1].actions[0]
    assert [u.heading for u in leaflets.updates] == ["2016/17 Q1", "2016/17 Q2"]
    assert leaflets.status == "on_track"  # the latest period's status


def test_command_writes_a_pdf(cast, tmp_path):
    out = tmp_path / "report.pdf"
    call_command(
        "scrutiny_report",
        "--plan=castle-2016-17",
        "--period=2016-17-q1",
        "--large-print",
        f"--out={out}",
        stdout=io.StringIO(),
    )
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert "Evening patrols in the town centre" in pdf_text(data)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan=nope", "--period=2016-17-q1"], "No plan 'nope'"),
        (["--plan=castle-2016-17", "--period=2017-18-q1"], "has no period 2017/18 Q1"),
        (["--plan=castle-2016-17", "--period=soon"], "is not a financial quarter"),
    ],
)
def test_command_refuses_bad_input(cast, tmp_path, args, message):
    out = tmp_path / "report.pdf"
    with pytest.raises(CommandError, match=message):
        call_command("scrutiny_report", *args, f"--out={out}")
    assert not Path(out).exists()
