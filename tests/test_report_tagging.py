"""PDF/UA in earnest (issue 11, item 8): the reports' structure trees, read with pikepdf.

The ``pdfua`` package (PyPI, built on pikepdf) checks the machine-checkable subset it covers
and must find nothing; it does not check what the issue names, so the rest is checked here over
the structure tree: every TH has its scope; the running header and footer are artifacts, so all
marked content on the pages is in the tree; decorative swatches are no figures; one Table per
HTML table, its repeated header rows artifacts and its cells' headers pointing at cells that
exist.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pikepdf
import pydyf
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from pdfua import validate
from pdfua.model import Severity

from csp.models import Plan
from csp.reports import tagging
from csp.reports.agency import build_agency_report, render_agency_html
from csp.reports.context import build_report
from csp.reports.render import html_to_pdf, render_html

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker):
    """The demo report in both prints, its public version over two quarters, and an agency
    report: (HTML, PDF) each."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        plan = Plan.objects.select_related("partnership").get(slug="castle-point-rochford-2016-17")
        content = build_report(plan, [plan.periods.get(year=2016, quarter=1)])
        htmls = {
            "standard": render_html(content),
            "large print": render_html(content, large_print=True),
        }
        police = plan.partnership.organisations.get(slug="essex-police")
        everyone = User.objects.create_superuser("tagging", "tagging@example.invalid", "pw")
        htmls["agency"] = render_agency_html(build_agency_report(police, everyone))
        made = {name: (html, html_to_pdf(html)) for name, html in htmls.items()}
        transaction.set_rollback(True)
    return made


NAMES = ["standard", "large print", "agency"]


def elements(pdf: pikepdf.Pdf):  # type: ignore[no-untyped-def]
    """Every structure element reachable from the root, depth first."""
    stack = [pdf.Root.StructTreeRoot.K]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(reversed(list(node)))
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            yield node
            kids = node.get("/K")
            if kids is not None:
                stack.append(kids)


def test_the_completions_are_installed_by_the_first_render(documents):
    assert tagging.installed()


@pytest.mark.parametrize("name", NAMES)
def test_the_pdfua_checker_finds_nothing(documents, name, tmp_path):
    path = Path(tmp_path / "report.pdf")
    path.write_bytes(documents[name][1])
    report = validate(str(path))
    findings = [(f.rule_id, f.message) for f in report.findings if f.severity >= Severity.WARNING]
    assert findings == []


@pytest.mark.parametrize("name", NAMES)
def test_every_header_cell_has_its_scope(documents, name):
    with pikepdf.open(io.BytesIO(documents[name][1])) as pdf:
        scopes = Counter()
        for element in elements(pdf):
            if element.S == "/TH":
                assert "/A" in element and "/Scope" in element.A
                scopes[str(element.A.Scope)] += 1
        assert scopes["/Column"] and scopes["/Row"]
        # A row header (an objective, a priority) is a TH of a body row; a column header, of
        # the header row.
        for element in elements(pdf):
            if element.S in ("/THead", "/TBody"):
                for row in element.K if isinstance(element.K, pikepdf.Array) else [element.K]:
                    cells = [c for c in row.K if isinstance(c, pikepdf.Dictionary)]
                    for cell in cells:
                        if cell.S == "/TH":
                            want = "/Column" if element.S == "/THead" else "/Row"
                            assert str(cell.A.Scope) == want


@pytest.mark.parametrize("name", NAMES)
def test_the_running_header_and_footer_are_artifacts(documents, name):
    with pikepdf.open(io.BytesIO(documents[name][1])) as pdf:
        in_tree = set()
        for element in elements(pdf):
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, int):
                    in_tree.add((element.Pg.objgen, int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    in_tree.add((kid.Pg.objgen, int(kid.MCID)))
        for number, page in enumerate(pdf.pages, start=1):
            marked, furniture = set(), 0
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator != pikepdf.Operator("BDC"):
                    continue
                if operands[0] == "/Artifact" and operands[1].get("/Type") == "/Pagination":
                    furniture += 1
                elif "/MCID" in operands[1]:
                    marked.add((page.obj.objgen, int(operands[1].MCID)))
            assert marked <= in_tree, f"page {number}: marked content outside the tree"
            # The footer on every page; the header too, but on an issued report's cover.
            assert furniture >= 2, f"page {number}: {furniture} pieces of page furniture"


@pytest.mark.parametrize("name", NAMES)
def test_figures_are_the_charts_with_their_alt_text_and_no_swatch(documents, name):
    html, data = documents[name]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        figures = [e for e in elements(pdf) if e.S == "/Figure"]
    assert len(figures) == html.count("<img ")
    assert all(str(f.Alt).startswith("Chart of actions by status") for f in figures)
    assert 'class="swatch' not in html or '<svg class="swatch' not in html


@pytest.mark.parametrize("name", NAMES)
def test_one_table_per_html_table_with_its_header_once(documents, name):
    html, data = documents[name]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        tables = [e for e in elements(pdf) if e.S == "/Table"]
        assert len(tables) == len(re.findall(r"<table[ >]", html))
        for table in tables:
            kids = [k for k in table.K if isinstance(k, pikepdf.Dictionary)]
            assert [k.S for k in kids].count("/THead") == 1
            ids, named = set(), set()
            stack = list(kids)
            while stack:
                node = stack.pop()
                if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
                    continue
                if node.S == "/TH" and "/ID" in node:
                    ids.add(bytes(node.ID))
                if node.S == "/TD" and "/A" in node and "/Headers" in node.A:
                    named |= {bytes(h) for h in node.A.Headers}
                kids_of = node.get("/K")
                if isinstance(kids_of, pikepdf.Array):
                    stack.extend(kids_of)
            assert named <= ids, "a cell names a header cell that is not in its table"
        # The long tables run over several pages: each is one Table all the same.
        spanning = [t for t in tables if len({row.Pg.objgen for row in rows(t)}) > 1]
        assert spanning or name == "agency"


def rows(table: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    found = []
    for group in table.K:
        if isinstance(group, pikepdf.Dictionary) and group.S in ("/TBody", "/TFoot"):
            kids = group.K if isinstance(group.K, pikepdf.Array) else [group.K]
            found.extend(k for k in kids if isinstance(k, pikepdf.Dictionary) and k.S == "/TR")
    return found


@pytest.mark.parametrize("name", NAMES)
def test_the_marked_content_the_tree_names_is_on_the_page_it_names(documents, name):
    """The page references are worked out once for the whole tagging: every structure element
    still names the page its content is drawn on."""
    with pikepdf.open(io.BytesIO(documents[name][1])) as pdf:
        on_pages = set()
        for page in pdf.pages:
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("BDC") and "/MCID" in operands[1]:
                    on_pages.add((page.obj.objgen, int(operands[1].MCID)))
        named = set()
        for element in elements(pdf):
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, int):
                    named.add((element.Pg.objgen, int(kid)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    named.add((kid.Pg.objgen, int(kid.MCID)))
        assert named and named <= on_pages


def many_pages_html(paragraphs: int = 400) -> str:
    body = "".join(f"<p>Paragraph {n}: <span>in a span</span></p>" for n in range(paragraphs))
    return f'<html lang="en"><head><title>Pages</title></head><body>{body}</body></html>'


def test_tagging_works_the_page_list_out_once_not_per_element(monkeypatch):
    """pydyf builds the list of page references afresh on every call, and WeasyPrint asks for
    it for every structure element: tagging took time in pages times elements (50 s of a
    700-page report's 85 s)."""
    calls = []
    original = pydyf.PDF.page_references

    def counted(pdf):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original.fget(pdf)

    monkeypatch.setattr(pydyf.PDF, "page_references", property(counted))
    data = html_to_pdf(many_pages_html())
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) > 5
        assert sum(1 for _ in elements(pdf)) > 800
    assert 0 < len(calls) <= 5


def test_a_document_written_outside_the_app_keeps_its_layout():
    """The app lets go of the layout once a PDF is tagged, as it writes each document once;
    a document rendered by anyone else in the process can still be written again."""
    import weasyprint

    tagging.install()
    document = weasyprint.HTML(string=many_pages_html(50)).render()
    first = document.write_pdf(pdf_variant="pdf/ua-1")
    second = document.write_pdf(pdf_variant="pdf/ua-1")
    assert all(page._page_box is not None for page in document.pages)
    assert len(first) == len(second)
    with tagging.releasing_layout():
        document.write_pdf(pdf_variant="pdf/ua-1")
    assert all(page._page_box is None for page in document.pages)


def test_fragments_are_matched_by_their_element_not_by_a_reused_id(monkeypatch):
    """Fragments are one element when they come from the same HTML element. An id is unique
    only among live objects: the HTML element must stay alive while it is compared, or a
    freed element's id, given to a new one, would merge two elements into one."""
    from types import SimpleNamespace
    from xml.etree import ElementTree

    tagging.install()

    def stand_in(box, parent, pdf, page_number, nums, annotations, tags):  # type: ignore[no-untyped-def]
        yield box.made

    monkeypatch.setattr(tagging, "_original_build_box_tree", stand_in)
    state = tagging._Tagging()
    monkeypatch.setattr(tagging._local, "state", state, raising=False)
    made = []
    for _ in range(50):
        # Made, tagged and dropped by the caller, as a box's element could be.
        box = SimpleNamespace(element=ElementTree.Element("table"), made=pydyf.Dictionary())
        box.made["S"] = "/Table"
        list(tagging._build_box_tree(box, None, None, 0, {}, [], {}))
        made.append(box.made)
        del box
    keys = [state.sources[id(element)] for element in made]
    assert len(set(keys)) == len(keys)
