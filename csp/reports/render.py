"""Render a scrutiny report (``ReportContent``) to HTML and, with WeasyPrint, to a tagged PDF.

The HTML is the PDF's own: ``templates/reports/report.html`` with the print stylesheet
``templates/reports/print.css`` inlined, so the preview and the PDF cannot drift apart. Text is set
in Liberation Sans (Debian fonts-liberation, installed by scripts/install-system-packages), so
the PDF is the same on every machine that has the project's system packages.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import weasyprint
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from csp.reports.context import ReportContent
from csp.reports.fetcher import StaticOnlyFetcher

PDF_VARIANT = "pdf/ua-1"  # tagged: structure tree, title shown, language, alt texts

# WeasyPrint logs every layout step at INFO; keep its warnings and errors only.
_weasyprint_progress = logging.getLogger("weasyprint.progress")
_weasyprint_progress.setLevel(logging.WARNING)


def _chart_image(content: ReportContent) -> str:
    """The shared status chart (``includes/status_chart.svg``) as a data: URI for an <img>.

    An <img> with ``alt`` is tagged as a Figure with that alternative text in the PDF; the
    include's own HTML legend is left out, the report draws its own beside the table.
    """
    svg = render_to_string(
        "includes/status_chart.svg",
        {
            "chart": content.chart,
            "chart_id": "report-chart",
            "chart_title": "Actions by status for each priority",
        },
    )
    svg = svg[: svg.index("</svg>") + len("</svg>")]
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def render_html(content: ReportContent) -> str:
    css = render_to_string("reports/print.css")
    return render_to_string(
        "reports/report.html",
        {"r": content, "css": mark_safe(css), "chart_src": _chart_image(content)},
    )


def html_to_pdf(html: str, progress: Callable[[int, str], None] | None = None) -> bytes:
    """The tagged PDF of ``html``.

    ``progress(step, text)``, if given, hears how far WeasyPrint has got, as the progress pages
    number the steps: 2 setting out the document, 3 laying out pages ("Laying out pages: page
    12"), 4 writing the PDF.
    """

    def write() -> bytes:
        return weasyprint.HTML(
            string=html, base_url=None, url_fetcher=StaticOnlyFetcher()
        ).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)

    if progress is None:
        return write()
    pages = 0

    def heard(step: str, what: str, page: int | None) -> None:
        nonlocal pages
        number = 3 if step == "5" else 4 if step in {"6", "7"} else 2
        if page and page > pages:
            pages = page
            what = f"{what}: page {page}"
        elif page:  # WeasyPrint goes through them again to settle the page numbers
            what = f"Checking the page numbers: page {page} of {pages}"
        progress(number, what)

    with pdf_progress(heard):
        return write()


def render_pdf(content: ReportContent) -> bytes:
    return html_to_pdf(render_html(content))


# -- progress -------------------------------------------------------------------------------
#
# WeasyPrint has no progress callback, but it logs each step ("Step 5 - Creating layout - Page
# 212") to the ``weasyprint.progress`` logger. ``pdf_progress`` listens there, for the current
# thread only, while a long render runs in the background worker.

WEASYPRINT_STEPS = {
    "1": "Reading the document",
    "2": "Reading the document",
    "3": "Applying the print styles",
    "4": "Setting out the document",
    "5": "Laying out pages",
    "6": "Writing the PDF",
    "7": "Writing the PDF",
}
_PAGE = re.compile(r"Step 5 - Creating layout - Page (\d+)")
ProgressCallback = Callable[[str, str, int | None], None]


class _ProgressFilter(logging.Filter):
    """Hands each listening thread its INFO steps; lets warnings through as before."""

    def __init__(self) -> None:
        super().__init__()
        self.listeners: dict[int, ProgressCallback] = {}
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        callback = self.listeners.get(threading.get_ident())
        if callback is not None:
            message = record.getMessage()
            step = message.removeprefix("Step ")[:1]
            page = _PAGE.match(message)
            callback(step, WEASYPRINT_STEPS.get(step, ""), int(page[1]) if page else None)
        return False  # INFO stays out of the logs, as when nobody listens


_progress_filter = _ProgressFilter()
_weasyprint_progress.addFilter(_progress_filter)


@contextmanager
def pdf_progress(callback: ProgressCallback) -> Iterator[None]:
    """Call ``callback(step, what, page)`` as WeasyPrint works through a render in this thread.

    ``step`` is WeasyPrint's step number ("1" to "7"), ``what`` says it in words and ``page``
    is the page being laid out during step 5 (``None`` otherwise). The callback is called for
    every page, so it should be cheap or throttle itself.
    """
    thread = threading.get_ident()
    with _progress_filter.lock:
        _progress_filter.listeners[thread] = callback
        _weasyprint_progress.setLevel(logging.INFO)
    try:
        yield
    finally:
        with _progress_filter.lock:
            del _progress_filter.listeners[thread]
            if not _progress_filter.listeners:
                _weasyprint_progress.setLevel(logging.WARNING)
