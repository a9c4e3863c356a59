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

    .venv/bin/python bench/scrutiny_report.py --generated

builds a scratch SQLite database in a temporary directory (its own DATABASE_URL, migrated, then
``generate_county --partnerships 1 --actions 500 --updates 2000``: a plan of 500 actions with
updates in each of 2016/17 Q1 to Q4), and renders the report covering those four quarters
(standard print) in a fresh subprocess, printing its wall time and peak RSS (``ru_maxrss``);
then renders the HTML the app produced with bare ``weasyprint.HTML(string=html).write_pdf()``
(the same PDF variant) in another fresh subprocess and prints the ratio app / bare. Targets:
at most 45 s and 600 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATED_PREFIX = "gen"
GENERATED_PLAN = f"{GENERATED_PREFIX}-plan-01"
GENERATED_PERIODS = ["2016-17-q1", "2016-17-q2", "2016-17-q3", "2016-17-q4"]
TARGET_SECONDS, TARGET_MB = 45, 600


def timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def render_child(plan_slug: str, period_slugs: list[str], html_out: str) -> None:
    """In a fresh process: the app's render of the report, timed, with the process's peak RSS."""
    import common  # noqa: F401  (sets Django up)
    from pypdf import PdfReader

    from csp.models import Plan
    from csp.reports.context import build_report
    from csp.reports.render import html_to_pdf, render_html

    start = time.perf_counter()
    plan = Plan.objects.select_related("partnership").get(slug=plan_slug)
    periods = [p for p in plan.periods.all() if p.slug in period_slugs]
    content = build_report(plan, periods)
    built = time.perf_counter()
    html = render_html(content)
    pdf = html_to_pdf(html)
    seconds = time.perf_counter() - start
    Path(html_out).write_text(html)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "build_seconds": built - start,
                "peak_mb": peak_rss_mb(),
                "pages": len(PdfReader(io.BytesIO(pdf)).pages),
                "kib": len(pdf) // 1024,
                "actions": content.action_count,
                "moved": len(content.changes.moved),
            }
        )
    )


def bare_child(html_in: str, pdf_variant: str) -> None:
    """In a fresh process: the same HTML with bare WeasyPrint and the app's PDF variant."""
    start = time.perf_counter()
    import weasyprint

    weasyprint.HTML(string=Path(html_in).read_text()).write_pdf(pdf_variant=pdf_variant)
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb()}))


def child(*args: str) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def generated() -> None:
    """The 500-action plan with four quarters of updates, in a scratch SQLite database."""
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as scratch:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.db"
        import common  # noqa: F401  (sets Django up, on the scratch database)
        from django.core.management import call_command
        from django.db.models import Count

        from csp.models import Action, QuarterlyUpdate
        from csp.reports.render import PDF_VARIANT

        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command(
            "generate_county",
            "--partnerships=1",
            "--actions=500",
            "--updates=2000",
            f"--prefix={GENERATED_PREFIX}",
            stdout=io.StringIO(),
        )
        actions = Action.objects.filter(objective__priority__plan__slug=GENERATED_PLAN).count()
        per_period = dict(
            QuarterlyUpdate.objects.reported()
            .filter(period__plan__slug=GENERATED_PLAN, period__year=2016, is_restricted=False)
            .order_by()
            .values_list("period__quarter")
            .annotate(n=Count("pk"))
        )
        assert actions == 500, actions
        assert sorted(per_period) == [1, 2, 3, 4] and all(per_period.values()), per_period
        print(
            f"generated in {time.perf_counter() - start:.1f} s: {actions} actions, reported "
            f"public updates per quarter of 2016/17 {per_period}"
        )
        html = f"{scratch}/report.html"
        app = child("--render-child", GENERATED_PLAN, ",".join(GENERATED_PERIODS), html)
        bare = child("--bare-child", html, PDF_VARIANT)
        ok = app["seconds"] <= TARGET_SECONDS and app["peak_mb"] <= TARGET_MB
        print(
            f"500 actions, 2016/17 Q1 to Q4, standard: app {app['seconds']:.2f} s"
            f" (build_report {app['build_seconds']:.2f} s), peak RSS {app['peak_mb']:.0f} MB;"
            f" bare WeasyPrint {bare['seconds']:.2f} s, peak RSS {bare['peak_mb']:.0f} MB;"
            f" app/bare {app['seconds'] / bare['seconds']:.2f};"
            f" {app['pages']} pages, {app['kib']} KiB, {app['moved']} actions moved status"
            f" -> {'within' if ok else 'OVER'} the target ({TARGET_SECONDS} s, {TARGET_MB} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", default="castle-point-rochford-2016-17")
    parser.add_argument("--period", default="2016-17-q1")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--generated",
        action="store_true",
        help="Benchmark a generated 500-action plan over four quarters in a scratch database.",
    )
    parser.add_argument("--render-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--bare-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_child:
        plan_slug, periods, html_out = args.render_child
        return render_child(plan_slug, periods.split(","), html_out)
    if args.bare_child:
        return bare_child(*args.bare_child)
    if args.generated:
        return generated()

    import common  # noqa: F401  (sets Django up)
    import weasyprint
    from pypdf import PdfReader

    from csp.models import Plan
    from csp.reports.context import build_report
    from csp.reports.render import html_to_pdf, render_html, render_pdf

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
