"""Print quality of the demo report (issue 11, item 7), read from its PDFs.

Table text at least 9 pt; no word broken mid-word to fit a column; the "continued" cells pass
contrast; every page of the action plan names the objectives whose actions it shows; in large
print no page ends on a label whose content is overleaf, and the heading of a chart is on the
chart's page; money and years never wrap. The demo report is rendered once for the module, in
standard and large print.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from pypdf import PdfReader

from csp.models import Plan
from csp.reports.context import build_report
from csp.reports.render import html_to_pdf, render_html

DEMO_PLAN = "castle-point-rochford-2016-17"
LABELS = {
    "Strategic Objective",
    "Actions",
    "Outcomes / Measures",
    "Lead Agency / Officer",
    "Timescales / Updates",
}
PRINT_CSS = Path(__file__).resolve().parent.parent / "templates" / "reports" / "print.css"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        plan = Plan.objects.select_related("partnership").get(slug=DEMO_PLAN)
        content = build_report(plan, [plan.periods.get(year=2016, quarter=1)])
        html = render_html(content)
        large_html = render_html(content, large_print=True)
        result = {
            "content": content,
            "html": html,
            "large_html": large_html,
            "pdf": html_to_pdf(html),
            "large_pdf": html_to_pdf(large_html),
        }
        transaction.set_rollback(True)
    return result


FURNITURE = re.compile(
    r"Draft – not for publication|Partnership Plan 2016/17, Quarter 1|"
    r"Draft of version 1( · large print)?|Page \d+ of \d+"
)


def furniture(text: str) -> bool:
    """The running header and footer."""
    return not FURNITURE.sub("", text).strip()


def body_lines(lines: list[str]) -> list[str]:
    """A page's lines without the running header and footer (which pypdf may put on one line)."""
    return [line for line in (FURNITURE.sub("", line).strip() for line in lines) if line]


def runs(data: bytes) -> list[tuple[int, str, float]]:
    """(page, text, effective size) of each run of text, the running header and footer left out."""
    found: list[tuple[int, str, float]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, start=1):

        def visit(text, cm, tm, font_dict, font_size, number=number):  # type: ignore[no-untyped-def]
            if text.strip() and not furniture(text):
                scale = (tm[3] ** 2 + tm[1] ** 2) ** 0.5 * (cm[3] ** 2 + cm[1] ** 2) ** 0.5
                found.append((number, text, round(font_size * scale, 1)))

        page.extract_text(visitor_text=visit)
    return found


def page_lines(data: bytes) -> list[list[str]]:
    return [
        [line.strip() for line in page.extract_text().split("\n") if line.strip()]
        for page in PdfReader(io.BytesIO(data)).pages
    ]


def test_all_text_is_at_least_9pt_and_large_print_16pt(demo):
    small = [(page, text, size) for page, text, size in runs(demo["pdf"]) if size < 8.95]
    assert small == []
    large = [(p, t, s) for p, t, s in runs(demo["large_pdf"]) if s < 15.95]
    assert large == []


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1}


def test_no_word_is_broken_to_fit_a_column(demo):
    source = re.sub(r"<style>.*?</style>", " ", demo["html"] + demo["large_html"], flags=re.DOTALL)
    source = re.sub(r"<[^>]+>", " ", source).replace("&#x27;", "'").replace("&amp;", "&")
    known = words(source) | words("Page of Draft not for publication version large print")
    for name in ("pdf", "large_pdf"):
        for number, page in enumerate(page_lines(demo[name]), start=1):
            broken = words(" ".join(page)) - known
            assert not broken, f"{name} page {number}: {sorted(broken)}"


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_text_colour_passes_contrast_on_every_background():
    """Coloured text stands on white or on the objective cells' #f3f2f1; the header cells'
    #dee0e2 holds only the body's near-black."""
    css = PRINT_CSS.read_text()
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css))
    backgrounds = {"#ffffff", "#f3f2f1"}
    assert "#505a5f" in colours  # the continued cells'
    assert re.search(r"thead th \{ background: #dee0e2; \}", css)
    assert contrast("#0b0c0c", "#dee0e2") >= 4.5
    failing = [
        (c, b, round(contrast(c, b), 2))
        for c in colours
        for b in backgrounds
        if contrast(c, b) < 4.5
    ]
    assert failing == []
    repeat = re.search(r"th\.objective--repeat \{ color: (#\w+); \}", css)
    assert repeat and contrast(repeat[1], "#f3f2f1") >= 4.5


def test_every_page_of_the_action_plan_names_its_objectives(demo):
    objectives = {
        o.reference: " ".join(o.title.split())[:30]
        for p in demo["content"].priorities
        for o in p.objectives
    }
    for number, lines in enumerate(page_lines(demo["pdf"]), start=1):
        text = " ".join(" ".join(lines).split())
        if "Strategic Objective Actions" not in text:
            continue
        shown = {ref.rsplit(".", 1)[0] for ref in re.findall(r"\b(\d+\.\d+\.\d+) ", text)}
        for reference in shown & set(objectives):
            assert objectives[reference] in text, f"page {number} does not name {reference}"


def test_large_print_keeps_labels_with_their_content_and_headings_with_charts(demo):
    for number, lines in enumerate(page_lines(demo["large_pdf"]), start=1):
        body = body_lines(lines)
        assert body and body[-1] not in LABELS, f"page {number} ends on the label {body[-1]!r}"
    # The chart (a drawing whose bar labels are text) is on the page of its heading.
    bar = f"1. {demo['content'].priorities[0].title} ("
    for number, lines in enumerate(page_lines(demo["large_pdf"]), start=1):
        if any(re.fullmatch(r"\d+\. Progress at a glance", line) for line in lines):
            assert any(line.startswith(bar) for line in lines), f"no chart on page {number}"
            break
    else:
        pytest.fail("no page has the heading Progress at a glance")


def test_money_and_years_never_wrap(demo):
    for name in ("pdf", "large_pdf"):
        text = "\n".join("\n".join(lines) for lines in page_lines(demo[name]))
        assert "£14,019.00" in text
        assert not re.search(r"£[\d,]*\s*\n\s*[\d,.]", text), name
        assert not re.search(r"\b20\d\d/\s*\n\s*\d\d\b", text), name


def texts_of(html: str, pattern: str) -> list[str]:
    import html as markup

    return [
        " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", found)).split())
        for found in re.findall(pattern, html, flags=re.DOTALL)
    ]


def test_no_page_ends_on_a_caption_or_a_lead_in(demo):
    """A table's caption was left at the foot of a page with its table overleaf (large print),
    and the plan's introduction's lead-in with the introduction overleaf (standard print)."""
    for name, html in (("pdf", demo["html"]), ("large_pdf", demo["large_html"])):
        leads = texts_of(html, r"<caption>(.*?)</caption>")
        leads += texts_of(html, r'<p class="lead-in">(.*?)</p>')
        assert leads
        for number, lines in enumerate(page_lines(demo[name]), start=1):
            last = " ".join(body_lines(lines)[-1].split())
            assert not any(lead.endswith(last) for lead in leads), f"{name} page {number}"


def test_large_print_starts_each_page_of_the_action_plan_with_a_whole_action(demo):
    """No page begins halfway through an action without saying which, and no objective is left
    at the foot of a page with its action overleaf."""
    pages = [body_lines(lines) for lines in page_lines(demo["large_pdf"])]
    start = next(n for n, body in enumerate(pages) if "Progress on the action plan" in body[0])
    checked = 0
    for number, body in enumerate(pages[start + 1 :], start=start + 2):
        if re.match(r"\d+\. ", body[0]):  # the next section
            break
        assert body[0] == "Strategic Objective" or body[0].startswith("Priority "), number
        checked += 1
    assert checked > 20
