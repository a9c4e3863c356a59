"""The scrutiny report as a Word document (python-docx), from the same ``ReportContent`` as the
PDF: council committee systems take a paper as a .docx into their own template.

What makes it a real Word document rather than a picture of one: the headings are Word's own
Heading styles (the navigation pane and the council's template both use them), every table has
its header row marked to repeat on each page, the charts are images with alternative text, the
action plan is a landscape section, and the running header says whether it is a draft.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from csp.charts import StatusChart, chart_png
from csp.reports.context import ActionRow, Block, ReportContent, UpdateLine

FONT = "Arial"  # in every council's Word; the PDF's Liberation Sans has the same metrics
DRAFT_RED = RGBColor(0x94, 0x25, 0x14)
GREY = RGBColor(0x50, 0x5A, 0x5F)


def render_docx(r: ReportContent) -> bytes:
    """The report as a .docx file's bytes."""
    doc = Document()
    _styles(doc)
    properties = doc.core_properties
    properties.title = r.title
    properties.author = r.author or r.partnership_name
    properties.subject = f"Scrutiny report to the {r.committee}: {r.plan.title}"
    properties.comments = r.status_line
    properties.language = "en-GB"
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(18))
    _furniture(section, r)

    _cover(doc, r)
    _contents(doc, r)
    for key in r.sections:
        write = SECTIONS.get(key)
        if write is not None:
            write(doc, r)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- styles and page furniture ----------------------------------------------------------------


def _styles(doc: DocumentObject) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    # The language of the text, for spelling and for screen readers.
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-GB")
    rpr.append(lang)
    for name, size in (("Title", 24), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
        # python-docx sets the Latin font only; the theme's heading font would win otherwise.
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attribute), FONT)
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(theme), None)


def _field(paragraph: Paragraph, instruction: str, size: float = 8) -> None:
    """A Word field (PAGE, NUMPAGES) in ``paragraph``."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        run = paragraph.add_run()
        run.font.size = Pt(size)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = f" {text} "
            run._r.append(code)
        if kind == "separate":
            paragraph.add_run("1").font.size = Pt(size)


def _furniture(section, r: ReportContent) -> None:  # type: ignore[no-untyped-def]
    header = section.header.paragraphs[0]
    header.text = ""
    if r.is_draft:
        run = header.add_run("Draft – not for publication")
        run.bold = True
        run.font.color.rgb = DRAFT_RED
        header.add_run(f"\t\t{r.running_label}").font.color.rgb = GREY
    else:
        header.add_run(f"{r.partnership_name}\t\t{r.running_label}").font.color.rgb = GREY
    if r.public:
        header.add_run(" · Public version").font.color.rgb = GREY
    for run in header.runs:
        run.font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.text = ""
    footer.add_run(f"{r.status_line}\t\tPage ").font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(8)
    _field(footer, "NUMPAGES")


# -- building blocks --------------------------------------------------------------------------


def _heading(doc: DocumentObject, text: str, level: int) -> Paragraph:
    heading = doc.add_heading(text, level=level)
    heading.paragraph_format.keep_with_next = True
    return heading


def _section_heading(doc: DocumentObject, r: ReportContent, key: str, words: str) -> None:
    _heading(doc, f"{r.numbers[key]}. {words}", 1)


def _para(doc: DocumentObject, text: str = "", *, bold_lead: str = "", style: str | None = None):  # type: ignore[no-untyped-def]
    paragraph = doc.add_paragraph(style=style)
    if bold_lead:
        paragraph.add_run(bold_lead).bold = True
    if text:
        paragraph.add_run(text)
    return paragraph


def _bullets(doc: DocumentObject, items: Iterable[str]) -> None:
    for item in items:
        doc.add_paragraph(item, style="List Bullet")


def _blocks(doc: DocumentObject, blocks: list[Block], level: int = 2) -> None:
    for block in blocks:
        if block.kind == "heading":
            _heading(doc, block.text, level)
        elif block.kind == "list":
            _bullets(doc, block.items)
        else:
            _para(doc, block.text)


def _repeat_header(row: _Row) -> None:
    """Mark ``row`` as the table's header row, repeated at the top of each page."""
    properties = row._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _no_split(row: _Row) -> None:
    properties = row._tr.get_or_add_trPr()
    marker = OxmlElement("w:cantSplit")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _table(
    doc: DocumentObject,
    headings: list[str],
    widths_mm: list[float],
    caption: str = "",
    size: float = 10,
) -> Table:
    if caption:
        label = _para(doc, bold_lead=caption)
        label.paragraph_format.keep_with_next = True
        label.paragraph_format.space_before = Pt(8)
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.autofit = False
    # The grid's widths are what LibreOffice and the council's template go by; each cell's
    # are what Word goes by.
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    header = table.rows[0]
    _repeat_header(header)
    for cell, text, width in zip(header.cells, headings, widths_mm, strict=True):
        cell.width = Mm(width)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "DEE0E2")
        cell._tc.get_or_add_tcPr().append(shading)
        # A header row is never left alone at the foot of a page.
        cell.paragraphs[0].paragraph_format.keep_with_next = True
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(size)
    table._csp_widths = widths_mm  # type: ignore[attr-defined]
    table._csp_size = size  # type: ignore[attr-defined]
    return table


def _row(table: Table, values: list[object], *, bold_first: bool = True) -> list:  # type: ignore[type-arg]
    """Add a row; each value is a string, or a list of (text, bold) runs per paragraph."""
    row = table.add_row()
    _no_split(row)
    cells = row.cells
    size = Pt(table._csp_size)  # type: ignore[attr-defined]
    for n, (cell, value, width) in enumerate(
        zip(cells, values, table._csp_widths, strict=True)  # type: ignore[attr-defined]
    ):
        cell.width = Mm(width)
        paragraphs = value if isinstance(value, list) else [[(str(value), n == 0 and bold_first)]]
        first = True
        for runs in paragraphs:
            paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(2)
            first = False
            for text, bold in runs:
                run = paragraph.add_run(text)
                run.bold = bold
                run.font.size = size
    return cells


def _picture(doc: DocumentObject, chart: StatusChart, alt: str, width_mm: float) -> None:
    doc.add_picture(io.BytesIO(chart_png(chart)), width=Mm(width_mm))
    picture = doc.paragraphs[-1]
    picture.paragraph_format.keep_with_next = True
    properties = doc.inline_shapes[-1]._inline.docPr
    properties.set("descr", alt)
    properties.set("title", alt.split(".")[0])


def _landscape(doc: DocumentObject, r: ReportContent, landscape: bool) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.page_width, section.page_height = width, height


# -- the sections -----------------------------------------------------------------------------


def _cover(doc: DocumentObject, r: ReportContent) -> None:
    _para(doc, bold_lead=r.partnership_name)
    _para(doc, f"Report to the {r.committee}")
    if r.meeting_date:
        _para(doc, f"Meeting date: {r.meeting_date.day} {r.meeting_date:%B %Y}")
    doc.add_paragraph(r.title, style="Title")
    _para(doc, bold_lead=r.status_line)
    _para(
        doc,
        f"{r.plan.title}" + (f" ({r.plan.version_label})" if r.plan.version_label else ""),
        bold_lead="Plan: ",
    )
    _para(doc, r.periods_label, bold_lead="Period covered: ")
    if r.author:
        _para(doc, r.author, bold_lead="Report of: ")
    if r.contact:
        _para(doc, r.contact, bold_lead="Contact: ")
    if r.is_draft:
        notice = _para(
            doc,
            " This report has not been issued: what it says may still change.",
            bold_lead="Draft – not for publication.",
        )
        notice.runs[0].font.color.rgb = DRAFT_RED
    if r.public:
        left = (
            f"It leaves out {r.left_out.text} marked restricted, which the Committee's version "
            "includes."
            if r.left_out.total
            else "Nothing in the report is restricted: it is the same as the Committee's version."
        )
        _para(doc, f" {left}", bold_lead="Public version.")
    elif r.restricted_shown:
        count = r.restricted_shown
        _para(
            doc,
            f" This version includes {count} restricted item{'s' if count != 1 else ''}, each "
            "marked “Restricted”. Publish the public version instead.",
            bold_lead="Not for publication in full.",
        )
    doc.add_page_break()


def _contents(doc: DocumentObject, r: ReportContent) -> None:
    _heading(doc, "Contents", 1)
    for number, key, _anchor, heading in r.toc:
        _para(doc, f"{number}\t{heading}")
        if key == "action_plan":
            for p in r.priorities:
                item = _para(doc, f"\t{p.label}")
                item.paragraph_format.left_indent = Mm(8)
    doc.add_page_break()


def _purpose(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "purpose", "Purpose of the report and recommendation")
    n = r.numbers["purpose"]
    for i, text in enumerate(r.purpose, start=1):
        _para(doc, f"{n}.{i} {text}")
    _para(doc, f" {r.recommendation}", bold_lead="Recommendation:")


def _background(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "statutory_background", "Statutory background")
    n = r.numbers["statutory_background"]
    for i, text in enumerate(r.background, start=1):
        _para(doc, f"{n}.{i} {text}")


def _partnership(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "partnership", "The partnership")
    _para(
        doc,
        f"The {r.partnership_name} brings together the following organisations. The responsible "
        "authorities under section 5 of the Crime and Disorder Act 1998 are marked.",
    )
    _bullets(
        doc,
        [
            m.name + (" (responsible authority)" if m.is_responsible_authority else "")
            for m in r.members
        ]
        or ["No member organisations are recorded."],
    )
    if r.districts:
        names = [name for name, _ in r.districts]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
        _para(doc, f"It covers {listed}.")


def _introduction(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "introduction", "The plan's introduction")
    version = f" ({r.plan.version_label})" if r.plan.version_label else ""
    _para(doc, f"From the {r.plan.title}{version}:")
    _blocks(doc, r.introduction)


def _area_profile(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "area_profile", "Area profile")
    _blocks(doc, r.area_profile)


def _priorities(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "priorities", "Priorities and how they were agreed")
    _para(doc, r.plan.priorities_agreed_sentence)
    for p in r.priorities:
        item = doc.add_paragraph(style="List Number")
        item.add_run(p.title).bold = True
        if p.themes:
            item.add_run(": " + ", ".join(p.themes))
        if p.description:
            item.add_run(f". {p.description}")


def _highlights(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "highlights", "Highlights")
    for h in r.highlights:
        item = doc.add_paragraph(style="List Bullet")
        if h.title:
            item.add_run(h.title).bold = True
            item.add_run().add_break()
        item.add_run(h.text)


def _counts_table(doc: DocumentObject, r: ReportContent, caption: str) -> None:
    labels = [label for _, label, _ in r.statuses]
    width = 100 / (len(labels) + 1)
    table = _table(
        doc, ["Priority", *labels, "Total"], [70, *[width] * len(labels), width], caption
    )
    for p in r.priorities:
        _row(table, [p.label, *[str(n) for n in p.counts], str(p.total)])


def _at_a_glance(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "at_a_glance", "Progress at a glance")
    count = r.action_count
    what = "the plan's one action" if count == 1 else f"each of the plan's {count} actions"
    _para(
        doc,
        f"The status of {what} in {r.latest_period.label}: the worst status reported for it in "
        "any district. The chart and the table show the same numbers.",
    )
    _picture(
        doc,
        r.standard_chart,
        f"Chart of actions by status for each priority in {r.latest_period.label}. "
        f"{r.standard_chart.description}.",
        170,
    )
    _counts_table(doc, r, f"Actions by status for each priority, {r.latest_period.label}")


def _trend(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "trend", "Trend over the plan's quarters")
    first, last = r.trend_periods[0].label, r.latest_period.label
    joiner = " to " if len(r.trend_periods) > 2 else " and "
    _para(
        doc,
        f"How many of each priority's actions had each status in {first}{joiner}{last}. The "
        "chart and the table show the same numbers.",
    )
    assert r.standard_trend_chart is not None
    _picture(
        doc,
        r.standard_trend_chart,
        "Chart of actions by status for each priority and quarter. "
        f"{r.standard_trend_chart.description}.",
        170,
    )
    labels = [label for _, label, _ in r.trend_statuses]
    width = 90 / (len(labels) + 1)
    table = _table(
        doc,
        ["Priority", "Quarter", *labels, "Total"],
        [55, 25, *[width] * len(labels), width],
        "Actions by status for each priority and quarter",
    )
    for row in r.trend_rows:
        _row(table, [row.priority.label, row.period_label, *map(str, row.counts), str(row.total)])


def _changes(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "changes", "What changed since the last report")
    c = r.changes
    if c.previous is None:
        _para(
            doc,
            f"There is no earlier reporting period of the {r.plan.title} before "
            f"{r.periods[0].label} to compare with, so no changes are shown.",
        )
        return
    count = r.action_count
    _para(
        doc,
        f"Each action's status in {r.latest_period.label} compared with {c.previous.label}, the "
        f"previous reporting period: {len(c.moved)} of the {count} action"
        f"{'s' if count != 1 else ''} moved status and {c.unchanged} kept the same status.",
    )
    _heading(doc, "Actions that moved status", 2)
    if c.moved:
        table = _table(
            doc,
            ["Ref.", "Action and lead", f"Status: {c.previous.label} → {r.latest_period.label}"],
            [18, 100, 56],
        )
        for m in c.moved:
            _row(table, [m.action.reference, _action_and_lead(m.action), m.text])
    else:
        _para(doc, "No action moved status.")
    for heading, items, none in (
        ("Actions completed", c.completed, "No action was completed."),
        ("Actions newly off track (red)", c.newly_off_track, "No action became off track."),
        ("Actions newly at risk (amber)", c.newly_at_risk, "No action became at risk."),
    ):
        _heading(doc, heading, 2)
        if items:
            _bullets(
                doc,
                [
                    f"{m.action.reference} {m.action.description} (was {m.before_label})"
                    for m in items
                ],
            )
        else:
            _para(doc, none)


def _action_and_lead(action: ActionRow) -> list[list[tuple[str, bool]]]:
    restricted = [[("Restricted", True)]] if action.restricted else []
    return [
        [(action.description, False)],
        [(f"Lead: {action.leads or 'not recorded'}", False)],
        *restricted,
    ]


def _exceptions(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "exceptions", "Exceptions, risks and dependencies")
    _heading(doc, "Actions off track or at risk", 2)
    if r.exceptions:
        table = _table(
            doc,
            ["Ref.", "Action and lead", "Status", "Risks and dependencies"],
            [18, 70, 24, 62],
            f"Actions reported off track or at risk in {r.latest_period.label}",
        )
        for _, a in r.exceptions:
            risks = [[(f"{u.heading}: ", True), (u.risks, False)] for u in a.risks]
            _row(
                table, [a.reference, _action_and_lead(a), a.status_label, risks or "None reported."]
            )
    else:
        _para(doc, f"No action was reported off track or at risk in {r.latest_period.label}.")
    _heading(doc, "Risks and dependencies reported", 2)
    if r.risk_lines:
        table = _table(
            doc,
            ["Ref.", "Action and lead", "Reported", "Risks and dependencies"],
            [18, 62, 32, 62],
            f"Every risk and dependency lead agencies reported in {r.periods_label}",
        )
        for line in r.risk_lines:
            mark = " (restricted)" if line.update.restricted or line.action.restricted else ""
            _row(
                table,
                [
                    line.action.reference,
                    _action_and_lead(line.action),
                    f"{line.update.heading}. {line.action.status_label}",
                    line.update.risks + mark,
                ],
            )
    else:
        _para(doc, f"No risks or dependencies were reported in {r.periods_label}.")


def _measures(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "measures", "Measures")
    _para(
        doc,
        "The figures lead agencies reported against each action's measures, by quarter"
        f"{' and district' if r.districts else ''}, beside the target.",
    )
    quarters = [
        p.label + (" (this quarter)" if n == len(r.trend_periods) - 1 else "")
        for n, p in enumerate(r.trend_periods)
    ]
    width = 80 / max(len(quarters), 1)
    for t in r.measures:
        table = _table(
            doc,
            ["Ref.", "Measure", "Target", *quarters],
            [16, 46, 32, *[width] * len(quarters)],
            f"Priority {t.priority.label}: measures",
        )
        for m in t.rows:
            measure = m.measure + (" (restricted)" if m.restricted else "")
            _row(
                table,
                [
                    m.reference,
                    measure,
                    m.target or "Not set",
                    *[f or "None reported" for f in m.figures],
                ],
            )


def _update_paragraphs(updates: list[UpdateLine], none: str) -> list[list[tuple[str, bool]]]:
    paragraphs: list[list[tuple[str, bool]]] = []
    for u in updates:
        runs: list[tuple[str, bool]] = [(f"{u.heading}: ", True)]
        if u.progress:
            runs.append((u.progress, False))
        elif not u.risks and not u.figures:
            runs.append(("No progress reported.", False))
        for figure in u.figures:
            runs.append((f" {figure}.", False))
        if u.risks:
            runs.append((f" Risks and dependencies: {u.risks}", False))
        if u.restricted:
            runs.append((" Restricted", True))
        paragraphs.append(runs)
    return paragraphs or [[(none, False)]]


def _action_plan(doc: DocumentObject, r: ReportContent) -> None:
    _landscape(doc, r, True)
    _section_heading(doc, r, "action_plan", "Progress on the action plan")
    _para(
        doc,
        f"Each priority's actions as in the {r.plan.title}, with the updates reported by quarter "
        f"and district. Statuses are for {r.latest_period.label}.",
    )
    for p in r.priorities:
        _heading(doc, f"Priority {p.label}", 2)
        if not p.objectives:
            _para(doc, "This priority has no actions in the plan.")
            continue
        table = _table(
            doc,
            [
                "Strategic Objective",
                "Actions",
                "Outcomes / Measures",
                "Lead Agency / Officer",
                "Timescales / Updates",
            ],
            [44, 68, 47, 31, 71],
            size=9,
        )
        for o in p.objectives:
            for n, a in enumerate(o.actions):
                objective = f"{o.reference} {o.title}" + (
                    " (statutory obligation)" if o.is_statutory else ""
                )
                if n:
                    objective += " (continued)"
                action: list[list[tuple[str, bool]]] = [
                    [(f"{a.reference} ", True), (a.description, False)]
                ]
                if a.restricted:
                    action.append([("Restricted", True)])
                action.append([(a.status_label, True)])
                if a.history:
                    action.append(
                        [("; ".join(f"{h.period_label}: {h.label}" for h in a.history), False)]
                    )
                outcomes = [[(a.outcomes, False)]] + [[(m, False)] for m in a.measures]
                updates = ([[(a.timescale, True)]] if a.timescale else []) + _update_paragraphs(
                    a.updates, f"No update for {r.periods_label}."
                )
                _row(table, [objective, action, outcomes, a.leads, updates], bold_first=False)
    _landscape(doc, r, False)


def _risks(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "risks", "Risk register")
    if not r.risks:
        _para(doc, "The partnership has no risks recorded in its risk register.")
        return
    table = _table(
        doc,
        ["Risk", "Description", "Mitigation", "Rating"],
        [36, 60, 60, 18],
        "The partnership's risk register. Rating: likelihood A (very high) to F (almost "
        "impossible) by impact 1 (catastrophic) to 4 (negligible).",
    )
    for risk in r.risks:
        _row(
            table, [f"{risk.number}. {risk.title}", risk.description, risk.mitigation, risk.rating]
        )


def _funding(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "funding", "Resources")
    if r.funding:
        table = _table(
            doc,
            ["Source", "Year", "Amount", "What it is for"],
            [52, 20, 28, 74],
            "Funding for the partnership's work by source and financial year",
        )
        for f in r.funding:
            source = f.source + (" (top-sliced)" if f.is_top_slice else "")
            purpose = (f"To {f.recipient}. " if f.recipient else "") + f.purpose
            cells = _row(table, [source, f.year, f"£{f.amount:,.2f}", purpose])
            cells[2].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        cells = _row(table, ["Total", "", f"£{r.funding_total:,.2f}", ""])
        cells[2].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    else:
        _para(doc, "No funding is recorded for the plan's years.")
    _para(doc, "Other community safety work is funded by each agency within its own budget.")


def _consultation(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "consultation", "Consultation")
    n = r.numbers["consultation"]
    for i, text in enumerate(r.consultation, start=1):
        _para(doc, f"{n}.{i} {text}")


def _implications(doc: DocumentObject, r: ReportContent) -> None:
    _section_heading(doc, r, "implications", "Implications")
    for heading, text in r.implications:
        if heading:
            _heading(doc, f"{heading} implications", 2)
        _para(doc, text)


def _contacts(doc: DocumentObject, r: ReportContent) -> None:
    start = len(doc.paragraphs)
    _section_heading(doc, r, "contacts", "Contacts, background papers and other formats")
    if r.author:
        _para(doc, r.author)
    if r.contact:
        _para(doc, f"For further information please contact {r.contact}.")
    for c in r.contacts:
        details = "".join(
            [
                f", {c.job_title}" if c.job_title else "",
                f", {c.organisation}",
                f". Phone: {c.phone}" if c.phone else "",
                f". Email: {c.email}" if c.email else "",
            ]
        )
        _para(doc, details, bold_lead=c.name)
    _heading(doc, "Background papers", 2)
    if r.background_papers:
        _bullets(doc, r.background_papers)
    else:
        _para(doc, "None.")
    whom = r.formats_contact or f"the {r.partnership_name}"
    _para(
        doc,
        bold_lead="If you would like this report in large print, Braille or another language "
        f"please contact {whom}.",
    )
    # One page, as in the PDF: the line offering other formats is never a page on its own.
    for paragraph in doc.paragraphs[start:-1]:
        paragraph.paragraph_format.keep_with_next = True


SECTIONS = {
    "purpose": _purpose,
    "statutory_background": _background,
    "partnership": _partnership,
    "introduction": _introduction,
    "area_profile": _area_profile,
    "priorities": _priorities,
    "highlights": _highlights,
    "at_a_glance": _at_a_glance,
    "trend": _trend,
    "changes": _changes,
    "exceptions": _exceptions,
    "measures": _measures,
    "action_plan": _action_plan,
    "risks": _risks,
    "funding": _funding,
    "consultation": _consultation,
    "implications": _implications,
    "contacts": _contacts,
}
