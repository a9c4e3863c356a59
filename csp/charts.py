"""Server-side SVG charts: status counts per priority as horizontal stacked bars.

The geometry is computed here and drawn by ``templates/includes/status_chart.svg``, so the web
page and the PDF report draw the same chart. Every chart comes with a text alternative and is
always shown next to a table of the same numbers.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from csp.models import UpdateStatus

# Status order along each bar, and fills on which the white 14px counts keep at least 4.5:1.
BAR_ORDER: list[str | None] = [
    UpdateStatus.OFF_TRACK,
    UpdateStatus.AT_RISK,
    UpdateStatus.NOT_STARTED,
    UpdateStatus.ON_TRACK,
    UpdateStatus.COMPLETE,
    UpdateStatus.NO_LONGER_REQUIRED,
    UpdateStatus.NOT_GIVEN,
    None,
]
FILLS = {
    UpdateStatus.OFF_TRACK: "#aa2a16",
    UpdateStatus.AT_RISK: "#8a4a00",
    UpdateStatus.NOT_STARTED: "#505a5f",
    UpdateStatus.ON_TRACK: "#0f7a52",
    UpdateStatus.COMPLETE: "#1d70b8",
    UpdateStatus.NO_LONGER_REQUIRED: "#54319f",
    UpdateStatus.NOT_GIVEN: "#006f6b",
    None: "#6f777b",
}


def status_label(status: str | None) -> str:
    return UpdateStatus(status).label if status else "No update"


@dataclass
class Segment:
    status: str | None
    label: str
    count: int
    x: float
    width: float
    fill: str

    @property
    def text_x(self) -> float:
        return self.x + 6

    @property
    def shows_count(self) -> bool:
        """Only where the number fits inside the segment; the table always has it."""
        return self.width >= 10 + 9 * len(str(self.count))


@dataclass
class Bar:
    label: str
    total: int
    y: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def label_y(self) -> float:
        return self.y - 6

    @property
    def count_y(self) -> float:
        return self.y + 19


@dataclass
class StatusChart:
    bars: list[Bar]
    legend: list[tuple[str, str]]
    width: int
    height: int
    label_width: int
    bar_height: int
    description: str


def status_chart(rows: list[tuple[str, dict[str | None, int]]], width: int = 640) -> StatusChart:
    """``rows`` is one (priority label, {status: count}) pair per bar, in display order."""
    label_width, bar_height, gap, top = 0, 28, 44, 8
    plot_width = width - 60
    largest = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    bars: list[Bar] = []
    used: set[str | None] = set()
    for index, (label, counts) in enumerate(rows):
        bar = Bar(label=label, total=sum(counts.values()), y=top + index * (bar_height + gap) + 18)
        x = float(label_width)
        for status in BAR_ORDER:
            count = counts.get(status, 0)
            if not count:
                continue
            segment_width = plot_width * count / largest
            bar.segments.append(
                Segment(status, status_label(status), count, x, segment_width, FILLS[status])
            )
            used.add(status)
            x += segment_width
        bars.append(bar)
    legend = [(status_label(s), FILLS[s]) for s in BAR_ORDER if s in used]
    description = "; ".join(
        f"{bar.label}: " + ", ".join(f"{s.count} {s.label.lower()}" for s in bar.segments)
        if bar.segments
        else f"{bar.label}: no actions"
        for bar in bars
    )
    height = top + len(rows) * (bar_height + gap) + 10
    return StatusChart(bars, legend, width, height, label_width, bar_height, description)


@dataclass
class StatusCounts:
    """How many actions have each status, per group (priority, organisation): table and chart."""

    counts: dict[Any, dict[str | None, int]]

    @classmethod
    def of(cls, actions: QuerySet[Any], group: str) -> StatusCounts:
        """Count ``actions`` (annotated by ``with_status``) per value of ``group``, in one query."""
        counts: dict[Any, dict[str | None, int]] = defaultdict(dict)
        rows = (
            actions.values_list(group, "current_status")
            .annotate(n=Count("pk", distinct=True))
            .order_by()
        )
        for key, status, n in rows:
            counts[key][status] = counts[key].get(status, 0) + n
        return cls(counts)

    @property
    def statuses(self) -> list[str | None]:
        """The statuses that occur, in the bars' order."""
        return sorted({s for c in self.counts.values() for s in c}, key=BAR_ORDER.index)

    def row(self, key: Any) -> list[int]:
        return [self.counts[key].get(s, 0) for s in self.statuses]

    def total(self, key: Any) -> int:
        return sum(self.counts[key].values())

    def of_key(self, key: Any) -> dict[str | None, int]:
        return self.counts[key]


# -- the same chart as a PNG, for documents that cannot take SVG (Word) ---------------------------

FONT_FILES = {
    False: "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    True: "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
}


def _font(size: int, bold: bool = False) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONT_FILES[bold], size)
    except OSError:  # the fonts are a system package (fonts-liberation); draw without them
        return ImageFont.load_default(size)


def chart_png(chart: StatusChart, scale: int = 2) -> bytes:
    """``chart`` drawn as a PNG from the geometry the SVG (``includes/status_chart.svg``) uses,
    ``scale`` times its size, so that it stays sharp when printed."""
    from PIL import Image, ImageDraw  # here: only the Word document draws a PNG

    image = Image.new("RGB", (chart.width * scale, chart.height * scale), "white")
    draw = ImageDraw.Draw(image)
    label_font, count_font = _font(14 * scale, bold=True), _font(14 * scale)
    for bar in chart.bars:
        draw.text(
            (0, bar.label_y * scale),
            f"{bar.label} ({bar.total})",
            fill="#0b0c0c",
            font=label_font,
            anchor="ls",
        )
        for segment in bar.segments:
            box = (
                segment.x * scale,
                bar.y * scale,
                (segment.x + segment.width) * scale,
                (bar.y + chart.bar_height) * scale,
            )
            draw.rectangle(box, fill=segment.fill, outline="white", width=scale)
            if segment.shows_count:
                draw.text(
                    (segment.text_x * scale, bar.count_y * scale),
                    str(segment.count),
                    fill="white",
                    font=count_font,
                    anchor="ls",
                )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
