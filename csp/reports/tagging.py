"""Completes WeasyPrint's PDF/UA tagging where WeasyPrint 70 stops short, for every PDF we make.

WeasyPrint builds the structure tree page by page from its layout boxes. Left as it is:

- a header cell (TH) has no ``/Scope``, so which cells it heads is not machine-determinable;
- the running header and footer (the page margins) are marked content mapped to structure
  elements that hang outside the tree, where they must be artifacts;
- an element laid out over several pages (a long table, the section around it) becomes one
  structure element per page, and a table's header row, repeated at the top of each page, is
  tagged again on every page as if it were new content.

``install`` hooks two functions of WeasyPrint's tagging (``weasyprint.pdf.add_tags`` and the
``_build_box_tree`` it calls for every box) to note, for each structure element, the HTML
element it was made from, and then, on WeasyPrint's own objects before the PDF is written:
gives each TH its scope (the HTML ``scope``: ``row`` or else ``col``, as WeasyPrint reads it for
``/Headers``); turns the margins' marked content into ``/Artifact /Pagination``; merges the page
fragments of one HTML element into one structure element; and turns a repeated header row into
an artifact, pointing the cells that named its header cells at the first page's. Decorative
swatches are CSS backgrounds, which WeasyPrint paints as artifacts already.

Done in memory, during WeasyPrint's own write, it costs next to nothing beside the layout
(reading and writing the finished file again would cost seconds on a 300-page report). The
hooks are exact: the tests (``tests/test_report_tagging.py``) read the structure tree of the
PDFs made, and fail if a WeasyPrint upgrade changes what they rely on.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pydyf

logger = logging.getLogger(__name__)

SUPPORTED = ("70.",)  # WeasyPrint versions whose tagging these hooks were written against

# WeasyPrint's own, kept by ``install`` (WeasyPrint is slow to import: only renders need it).
_original_add_tags: Any = None
_original_build_box_tree: Any = None
_margin_box: type = type(None)
_local = threading.local()


@dataclass
class _Tagging:
    """What the hooks note during one PDF's tagging."""

    # id(structure element) → (HTML element, structure type): fragments of one element have
    # the same. The HTML element itself, not its id: an id is only unique among live objects,
    # and holding the element keeps it live while the tagging compares them. The structure
    # elements' ids are safe as keys: the PDF holds every one of them (``pdf.add_object``).
    sources: dict[int, tuple[Any, str]] = field(default_factory=dict)
    margins: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def _build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):  # type: ignore[no-untyped-def]
    """WeasyPrint's ``_build_box_tree``, noting where each structure element comes from."""
    state: _Tagging | None = getattr(_local, "state", None)
    if state is None:
        yield from _original_build_box_tree(box, parent, pdf, page_number, nums, annotations, tags)
        return
    if isinstance(box, _margin_box):
        before = set(nums)
        yield from _original_build_box_tree(box, parent, pdf, page_number, nums, annotations, tags)
        state.margins[page_number] |= set(nums) - before
        return
    source = box.element
    for element in _original_build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
        # The page, html and body boxes pass their children's elements through: an element is
        # noted by the innermost call, the one for the box it was made from.
        if source is not None and id(element) not in state.sources:
            state.sources[id(element)] = (source, element["S"])
            if element["S"] == "/TH" and "A" in element:
                scope = (source.get("scope") or "").lower()
                element["A"]["Scope"] = "/Row" if scope in ("row", "rowgroup") else "/Column"
        yield element


# WeasyPrint asks pydyf for the list of page references for every structure element it makes
# (``pdf.page_references[page_number]``), and pydyf builds that list afresh each time: tagging
# takes time in pages times elements, 50 s of a 700-page report's 85 s. Every page has been added
# by the time tagging starts, so while it runs the list is worked out once.
_fixed_pages: dict[type, type] = {}


def _with_fixed_pages(pdf: pydyf.PDF) -> type:
    """Give ``pdf`` the page references it has now, once; returns its own class, to restore."""
    own = type(pdf)
    fixed = _fixed_pages.get(own)
    if fixed is None:
        fixed = _fixed_pages[own] = type(
            f"{own.__name__}WithFixedPages",
            (own,),
            {"page_references": property(lambda self: self._csp_page_references)},
        )
    pdf._csp_page_references = own.page_references.fget(pdf)  # type: ignore[attr-defined]
    pdf.__class__ = fixed
    return own


def _add_tags(pdf, document, pdf_version, page_streams):  # type: ignore[no-untyped-def]
    """WeasyPrint's ``add_tags``, then the completions the module docstring lists."""
    state = _Tagging()
    _local.state = state
    own = _with_fixed_pages(pdf)
    try:
        _original_add_tags(pdf, document, pdf_version, page_streams)
        _Completion(pdf, page_streams, state).run()
    finally:
        _local.state = None
        pdf.__class__ = own
    if getattr(_local, "release_layout", False):
        # The pages are drawn and tagged: nothing after this needs their layout boxes, the bulk
        # of the memory a render takes. Let go of them before the PDF is written out, so writing
        # it reuses their memory instead of adding to it (45 MB of a 700-page report's 670).
        for page in document.pages:
            page._page_box = None
        gc.collect()  # the boxes refer to each other: only the cycle collector frees them


@contextmanager
def releasing_layout() -> Iterator[None]:
    """Within this, a document's layout is let go of once its PDF is tagged: for a caller that
    writes the document once and drops it (``render.html_to_pdf``). Anyone else's document
    (written twice, its pages looked at afterwards) keeps its layout."""
    _local.release_layout = True
    try:
        yield
    finally:
        _local.release_layout = False


class _Completion:
    def __init__(self, pdf: pydyf.PDF, page_streams: list[Any], state: _Tagging) -> None:
        self.pdf = pdf
        self.page_streams = page_streams
        self.state = state
        root = self._object(pdf.catalog["StructTreeRoot"])
        self.parent_tree = self._object(root["ParentTree"])["Nums"]
        self.document = self._object(root["K"][0])
        # Marked content to turn into artifacts: page number → MCIDs.
        self.artifacts: dict[int, set[int]] = defaultdict(set)
        self.page_numbers = {ref: n for n, ref in enumerate(pdf.page_references)}
        # A repeated header cell's ID → the ID of the cell it repeats.
        self.same_header: dict[bytes, bytes] = {}

    def _object(self, reference: Any) -> Any:
        if isinstance(reference, pydyf.Object):
            return reference
        return self.pdf.objects[int(bytes(reference).split()[0])]

    def _element(self, kid: Any) -> pydyf.Dictionary | None:
        """A kid of a structure element, if it is a structure element (not an MCID or OBJR)."""
        if isinstance(kid, int) or not isinstance(kid, bytes | pydyf.Object):
            return None
        element = self._object(kid)
        return element if element.get("Type") == "/StructElem" else None

    def _key(self, element: pydyf.Dictionary) -> tuple[Any, str] | None:
        return self.state.sources.get(id(element))

    def run(self) -> None:
        for page, mcids in self.state.margins.items():
            self.artifacts[page] |= mcids
        self.document["K"] = pydyf.Array(self._merged(list(self.document["K"]), self.document))
        if self.same_header:
            self._repoint_headers(self.document)
        self._mark_artifacts()

    # -- one structure element per HTML element ---------------------------------------------

    def _merged(self, kids: list[Any], parent: pydyf.Dictionary) -> list[Any]:
        """``kids`` with each run of fragments of one HTML element made one element."""
        result: list[Any] = []
        for kid in kids:
            element = self._element(kid)
            previous = self._element(result[-1]) if result else None
            key = self._key(element) if element is not None else None
            if previous is not None and key is not None and key == self._key(previous):
                self._absorb(previous, element)
            else:
                result.append(kid)
        return result

    def _absorb(self, first: pydyf.Dictionary, later: pydyf.Dictionary) -> None:
        """Move ``later``'s kids (the same element, on a later page) into ``first``."""
        existing = list(first["K"])
        incoming = list(later["K"])
        if first["S"] == "/Table":
            incoming = self._without_repeated_headers(existing, incoming)
        for n, kid in enumerate(incoming):
            if isinstance(kid, int):
                # Marked content of another page than the element's own: named with its page,
                # and mapped back to the element it now belongs to.
                incoming[n] = self._content_reference(kid, later["Pg"])
                self.parent_tree[2 * self._page_index(later["Pg"]) + 1][kid] = first.reference
                continue
            element = self._element(kid)
            if element is not None:
                element["P"] = first.reference
        # Where the two meet, the last kid of one page and the first of the next may be one
        # element too (the table inside the section, the row group inside the table).
        first["K"] = pydyf.Array(self._merged(existing + incoming, first))

    def _content_reference(self, mcid: int, page: Any) -> bytes:
        reference = pydyf.Dictionary({"Type": "/MCR", "Pg": page, "MCID": mcid})
        self.pdf.add_object(reference)
        return reference.reference

    def _without_repeated_headers(self, existing: list[Any], incoming: list[Any]) -> list[Any]:
        """Drop the header rows a table repeats at the top of a later page, as artifacts."""
        seen = {self._key(e): e for e in filter(None, map(self._element, existing))}
        kept = []
        for kid in incoming:
            element = self._element(kid)
            original = seen.get(self._key(element)) if element is not None else None
            if element is not None and element["S"] == "/THead" and original is not None:
                self._note_header_ids(original, element)
                self._to_artifact(element)
            else:
                kept.append(kid)
        return kept

    def _note_header_ids(self, original: pydyf.Dictionary, repeat: pydyf.Dictionary) -> None:
        firsts = {self._key(e): e.get("ID") for e in self._walk(original) if e["S"] == "/TH"}
        for cell in self._walk(repeat):
            if cell["S"] == "/TH" and cell.get("ID") is not None:
                first = firsts.get(self._key(cell))
                if first is not None:
                    self.same_header[bytes(cell["ID"].data)] = first

    def _repoint_headers(self, element: pydyf.Dictionary) -> None:
        """Cells that named a repeated header cell name the first page's instead."""
        for cell in self._walk(element):
            headers = cell.get("A", {}).get("Headers") if cell["S"] == "/TD" else None
            if headers:
                cell["A"]["Headers"] = pydyf.Array(
                    self.same_header.get(bytes(h.data), h) for h in headers
                )

    def _walk(self, element: pydyf.Dictionary):  # type: ignore[no-untyped-def]
        yield element
        for kid in element["K"]:
            child = self._element(kid)
            if child is not None:
                yield from self._walk(child)

    # -- artifacts --------------------------------------------------------------------------

    def _to_artifact(self, element: pydyf.Dictionary) -> None:
        """Note the marked content under ``element`` to become an artifact."""
        for node in self._walk(element):
            page = self._page_index(node["Pg"])
            for kid in node["K"]:
                if isinstance(kid, int):
                    self.artifacts[page].add(kid)

    def _page_index(self, reference: Any) -> int:
        return self.page_numbers[bytes(reference)]

    def _mark_artifacts(self) -> None:
        for page, mcids in self.artifacts.items():
            stream = self.page_streams[page].stream
            left = set(mcids)
            for index, item in enumerate(stream):
                if isinstance(item, pydyf.Dictionary) and item.get("MCID") in left:
                    left.discard(item["MCID"])
                    stream[index - 1] = "/Artifact"
                    stream[index] = pydyf.Dictionary({"Type": "/Pagination"})
                    if not left:
                        break
            if left:
                logger.warning("Marked content %s of page %s not found", sorted(left), page)
            mapping = self.parent_tree[2 * page + 1]
            for mcid in mcids - left:
                mapping[mcid] = b"null"


def install() -> None:
    """Hook the completions into WeasyPrint, once. Refused, with a warning, for a WeasyPrint
    whose tagging they were not written against: the PDF is then WeasyPrint's own."""
    global _original_add_tags, _original_build_box_tree, _margin_box
    import weasyprint
    import weasyprint.pdf
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf import tags as weasyprint_tags

    if weasyprint.pdf.add_tags is _add_tags:
        return
    if not weasyprint.__version__.startswith(SUPPORTED):
        logger.warning(
            "WeasyPrint %s: the PDF/UA completions in %s are not installed",
            weasyprint.__version__,
            __name__,
        )
        return
    _original_add_tags = weasyprint.pdf.add_tags
    _original_build_box_tree = weasyprint_tags._build_box_tree
    _margin_box = boxes.MarginBox
    weasyprint_tags._build_box_tree = _build_box_tree
    weasyprint.pdf.add_tags = _add_tags


def installed() -> bool:
    import weasyprint.pdf

    return weasyprint.pdf.add_tags is _add_tags
