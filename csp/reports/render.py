"""Render a scrutiny report (``ReportContent``) to HTML and, with WeasyPrint, to a tagged PDF.

The HTML is the PDF's own: ``templates/reports/report.html`` with the print stylesheet
``templates/reports/print.css`` inlined, so the preview and the PDF cannot drift apart. Text is set
in Liberation Sans (Debian fonts-liberation, installed by scripts/install-system-packages), so
the PDF is the same on every machine that has the project's system packages.
"""

from __future__ import annotations

import base64
import logging

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from csp.reports.context import ReportContent

PDF_VARIANT = "pdf/ua-1"  # tagged: structure tree, title shown, language, alt texts

# WeasyPrint logs every layout step at INFO; keep its warnings and errors only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


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


def html_to_pdf(html: str) -> bytes:
    import weasyprint  # imported here: it is slow to import and only reports need it

    return weasyprint.HTML(string=html, base_url=None).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=True
    )


def render_pdf(content: ReportContent) -> bytes:
    return html_to_pdf(render_html(content))
