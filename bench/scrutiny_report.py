"""Benchmark: the demo plan's scrutiny report (2016/17 Q1), standard and large print.

    rm -f /tmp/r.db
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python manage.py load_demo
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python bench/scrutiny_report.py

For each variant it times the whole app path (``build_report`` + ``render_pdf``: queries,
templates, WeasyPrint with PDF/UA tags) ``--repeat`` times and prints the median, then renders
the final HTML the app produced with bare ``weasyprint.HTML(string=html).write_pdf()`` and
prints the ratio app / bare (the app's overhead: queries, templates and tagging). Target: the
demo report in at most 3 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import common  # noqa: F401  (sets Django up)
import weasyprint
from pypdf import PdfReader

from csp.models import Plan
from csp.reports.context import build_report
from csp.reports.render import html_to_pdf, render_html, render_pdf


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", default="castle-point-rochford-2016-17")
    parser.add_argument("--period", default="2016-17-q1")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plan = Plan.objects.select_related("partnership").get(slug=args.plan)
    periods = [p for p in plan.periods.all() if p.slug == args.period]
    render_pdf(build_report(plan, periods))  # warm up: imports, fonts, templates

    for large in (False, True):
        name = "large print" if large else "standard"

        def app_render(large: bool = large) -> bytes:
            return render_pdf(build_report(plan, periods, large_print=large))

        app, pdf = timed(app_render, args.repeat)
        html = render_html(build_report(plan, periods, large_print=large))
        bare, _ = timed(lambda html=html: weasyprint.HTML(string=html).write_pdf(), args.repeat)
        tagged, _ = timed(lambda html=html: html_to_pdf(html), args.repeat)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(
            f"{name:<12} app {app:5.2f} s  bare WeasyPrint {bare:5.2f} s"
            f"  app/bare {app / bare:4.2f}"
            f"  (same HTML with the app's PDF/UA tagging {tagged:5.2f} s, app/that"
            f" {app / tagged:4.2f})  {pages} pages, {len(pdf) // 1024} KiB"
        )


if __name__ == "__main__":
    main()
