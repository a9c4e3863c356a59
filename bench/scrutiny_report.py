"""Benchmark: the scrutiny report, each measure beside its baseline in the same run.

The demo plan's report (2016/17 Q1), on a database with the demo loaded:

    rm -f /tmp/r.db
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python manage.py migrate -v0
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python manage.py load_demo
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python bench/scrutiny_report.py
    DATABASE_URL=sqlite:////tmp/r.db .venv/bin/python bench/scrutiny_report.py --cli

The first times, in one process, the app's render (``build_report`` + ``render_pdf``) of the
standard and large print beside bare WeasyPrint on the same HTML with the same tagging, and the
Word document (target: at most 1 s). ``--cli`` times cold processes: ``manage.py
scrutiny_report --out report.pdf`` beside the bare ``weasyprint`` command on the same HTML with
the same tagging (``--pdf-variant pdf/ua-1 --pdf-tags``), after one warm-up round, interleaved
(target: at most 1.5 times), and ``--out report.docx``.

    .venv/bin/python bench/scrutiny_report.py --generated

builds a scratch SQLite database in a temporary directory (migrated, then ``generate_county
--partnerships 1 --actions 500 --updates 2000``: a plan of 500 actions with updates in each of
2016/17 Q1 to Q4) and makes the report covering those four quarters with the app's command
(``call_command("scrutiny_report", …)``) in a fresh process, beside bare WeasyPrint on the HTML
the app made, with the same PDF variant, in another fresh process, ``--rounds`` times each,
interleaved: wall time, CPU time and peak RSS (``ru_maxrss``), min and median, and pages per
second. Bare WeasyPrint tags the PDF its own way (``pdf/ua-1`` sets ``pdf_tags``), without the
app's completions (``csp/reports/tagging.py``). Target: the app at most 1.05 times bare
WeasyPrint in both. ``--baseline-html FILE`` times bare WeasyPrint on another HTML of the same
plan in the same rounds, such as main's (issue 14, item 6: the app at most 0.7 times bare
WeasyPrint on the HTML before it):

    git archive main | tar -x -C /tmp/main-src   # then, there, with this .venv:
    manage.py migrate; manage.py generate_county --partnerships 1 --actions 500 \
        --updates 2000 --prefix gen
    manage.py scrutiny_report --plan gen-plan-01 --period 2016-17-q1 --period 2016-17-q2 \
        --period 2016-17-q3 --period 2016-17-q4 --html --out /tmp/main500.html
    .venv/bin/python bench/scrutiny_report.py --generated --baseline-html /tmp/main500.html

``--word`` times only the Word document, in one process (wall and CPU time).

On a shared machine the wall clock measures the other users' load as much as ours: each figure
is given with the CPU time its process used too, which is steadier.

Every process runs without PYTHONDONTWRITEBYTECODE, so imports are read from compiled bytecode
as they are in production; the first round of ``--cli`` warms the bytecode and the disk cache.
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

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WEASYPRINT = str(Path(sys.executable).with_name("weasyprint"))
GENERATED_PREFIX = "gen"
GENERATED_PLAN = f"{GENERATED_PREFIX}-plan-01"
GENERATED_PERIODS = ["2016-17-q1", "2016-17-q2", "2016-17-q3", "2016-17-q4"]
CLI_TARGET, DOCX_TARGET, GENERATED_TARGET = 1.5, 1.0, 1.05


def environment() -> dict[str, str]:
    """This process's environment for a child, without PYTHONDONTWRITEBYTECODE, with the
    settings a production command line has."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("SECRET_KEY", "benchmark-only")
    env.setdefault("DJANGO_SETTINGS_MODULE", "csp.settings")
    return env


def summary(values: list[float], unit: str, digits: int = 2) -> str:
    return (
        f"min {min(values):.{digits}f} {unit}, median {statistics.median(values):.{digits}f} {unit}"
    )


def ratios(app: list[float], bare: list[float]) -> str:
    return (
        f"app/bare: {min(app) / min(bare):.2f} (min), "
        f"{statistics.median(app) / statistics.median(bare):.2f} (median)"
    )


def timed(fn, repeat: int) -> tuple[list[float], object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """This process's CPU time: on a machine others load, steadier than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the demo, in one process ------------------------------------------------------------------


def in_process(plan_slug: str, period: str, repeat: int, word_only: bool) -> None:
    import common  # noqa: F401  (sets Django up)
    import weasyprint
    from pypdf import PdfReader

    from csp.models import Plan
    from csp.reports.context import build_report
    from csp.reports.render import PDF_VARIANT, render_html, render_pdf
    from csp.reports.word import render_docx

    plan = Plan.objects.select_related("partnership").get(slug=plan_slug)
    periods = [p for p in plan.periods.all() if p.slug == period]
    render_pdf(build_report(plan, periods))  # warm up: imports, fonts, templates
    render_docx(build_report(plan, periods))

    for large in () if word_only else (False, True):
        name = "large print" if large else "standard"
        html = render_html(build_report(plan, periods), large_print=large)
        app, pdf = timed(
            lambda large=large: render_pdf(build_report(plan, periods), large_print=large), repeat
        )
        bare, _ = timed(
            lambda html=html: weasyprint.HTML(string=html).write_pdf(
                pdf_variant=PDF_VARIANT, pdf_tags=True
            ),
            repeat,
        )
        pages = len(PdfReader(io.BytesIO(pdf)).pages)  # type: ignore[arg-type]
        print(
            f"{name:<12} app {summary(app, 's')}; bare WeasyPrint, same HTML and tagging, "
            f"{summary(bare, 's')}; {ratios(app, bare)}; {pages} pages"
        )
    cpu: list[float] = []

    def word() -> bytes:
        start = time.process_time()
        data = render_docx(build_report(plan, periods))
        cpu.append(time.process_time() - start)
        return data

    docx, data = timed(word, repeat)
    verdict = "within" if statistics.median(docx) <= DOCX_TARGET else "OVER"
    print(
        f"Word         app {summary(docx, 's')} (build_report and the .docx), CPU "
        f"{summary(cpu, 's')}, {len(data) // 1024} KiB -> {verdict} the target "  # type: ignore[arg-type]
        f"({DOCX_TARGET} s, median wall time)"
    )


# -- the demo, cold processes ---------------------------------------------------------------------


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], cpu: list[float] | None = None) -> float:
    """Wall time of ``command`` in a fresh process; its CPU time appended to ``cpu``."""
    start, used = time.perf_counter(), children_cpu_seconds()
    subprocess.run(command, check=True, capture_output=True, env=environment(), cwd=ROOT)
    if cpu is not None:
        cpu.append(children_cpu_seconds() - used)
    return time.perf_counter() - start


def cli(plan_slug: str, period: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as scratch:
        manage = [PYTHON, "manage.py", "scrutiny_report", f"--plan={plan_slug}"]
        manage.append(f"--period={period}")
        html, pdf, bare_pdf = f"{scratch}/r.html", f"{scratch}/r.pdf", f"{scratch}/bare.pdf"
        docx = f"{scratch}/r.docx"
        run([*manage, f"--out={html}"])
        commands = {
            "app": [*manage, f"--out={pdf}"],
            "bare": [WEASYPRINT, "--pdf-variant", "pdf/ua-1", "--pdf-tags", html, bare_pdf],
            "docx": [*manage, f"--out={docx}"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(rounds + 1):  # the first round warms bytecode and caches
            for name, command in commands.items():
                used: list[float] = []
                seconds = run(command, used)
                if round_:
                    times[name].append(seconds)
                    cpu[name].extend(used)
        ratio = statistics.median(times["app"]) / statistics.median(times["bare"])
        print(
            f"demo report, cold command line, {rounds} rounds: app (manage.py scrutiny_report "
            f"--out .pdf) {summary(times['app'], 's')}; bare weasyprint command, same HTML and "
            f"tagging, {summary(times['bare'], 's')}; {ratios(times['app'], times['bare'])} -> "
            f"{'within' if ratio <= CLI_TARGET else 'OVER'} the target ({CLI_TARGET})"
        )
        print(f"demo report, cold command line, --out .docx: {summary(times['docx'], 's')}")
        print(
            f"  CPU time: app {summary(cpu['app'], 's')}; bare {summary(cpu['bare'], 's')}; "
            f"{ratios(cpu['app'], cpu['bare'])}; .docx {summary(cpu['docx'], 's')}"
        )


# -- 500 actions over four quarters --------------------------------------------------------------


def render_child(plan_slug: str, period_slugs: list[str], out: str) -> None:
    """In a fresh process: the app's command makes the report's PDF, timed, with peak RSS."""
    import common  # noqa: F401  (sets Django up)
    from django.core.management import call_command

    arguments = [f"--plan={plan_slug}", *(f"--period={p}" for p in period_slugs)]
    start, cpu = time.perf_counter(), cpu_seconds()
    call_command("scrutiny_report", *arguments, f"--out={out}", stdout=io.StringIO())
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    peak = peak_rss_mb()
    call_command("scrutiny_report", *arguments, f"--out={out}.html", stdout=io.StringIO())
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak}))


def bare_child(html_in: str, pdf_variant: str, pdf_out: str) -> None:
    """In a fresh process: the same HTML with bare WeasyPrint and the app's PDF variant (which
    tags the PDF: ``pdf/ua-1`` sets ``pdf_tags``), without the app's tagging hooks."""
    start, cpu = time.perf_counter(), cpu_seconds()
    import weasyprint

    weasyprint.HTML(string=Path(html_in).read_text()).write_pdf(pdf_out, pdf_variant=pdf_variant)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_rss_mb()}))


def child(*args: str) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [PYTHON, __file__, *args], check=True, capture_output=True, text=True, env=environment()
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def pages_per_second(pages: int, seconds: list[float]) -> str:
    return f"{pages / statistics.median(seconds):.1f} pages/s"


def generated(rounds: int, baseline_html: str | None) -> None:
    """The 500-action plan with four quarters of updates, in a scratch SQLite database.

    With ``baseline_html`` (the HTML another version of the app made of the same plan, such as
    main's), bare WeasyPrint on that HTML is timed too, in the same rounds."""
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as scratch:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.db"
        import common  # noqa: F401  (sets Django up, on the scratch database)
        from django.core.management import call_command
        from django.db.models import Count
        from pypdf import PdfReader

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
        pdf, bare_pdf, baseline_pdf = (f"{scratch}/{n}.pdf" for n in ("report", "bare", "base"))
        app: list[dict] = []  # type: ignore[type-arg]
        bare: list[dict] = []  # type: ignore[type-arg]
        baseline: list[dict] = []  # type: ignore[type-arg]
        for _ in range(rounds):
            app.append(child("--render-child", GENERATED_PLAN, ",".join(GENERATED_PERIODS), pdf))
            bare.append(child("--bare-child", f"{pdf}.html", PDF_VARIANT, bare_pdf))
            if baseline_html:
                baseline.append(child("--bare-child", baseline_html, PDF_VARIANT, baseline_pdf))
            print("  round:", *(r[-1] for r in (app, bare, baseline) if r), flush=True)
        pages = len(PdfReader(pdf).pages)
        kib = Path(pdf).stat().st_size // 1024
        seconds = ([a["seconds"] for a in app], [b["seconds"] for b in bare])
        memory = ([a["peak_mb"] for a in app], [b["peak_mb"] for b in bare])
        cpu = ([a["cpu"] for a in app], [b["cpu"] for b in bare])
        worst = max(
            statistics.median(seconds[0]) / statistics.median(seconds[1]),
            statistics.median(memory[0]) / statistics.median(memory[1]),
        )
        print(
            f"500 actions, 2016/17 Q1 to Q4, standard print, {pages} pages, {kib} KiB, "
            f"{rounds} rounds:\n"
            f"  time: app {summary(seconds[0], 's', 1)}; bare WeasyPrint "
            f"{summary(seconds[1], 's', 1)}; {ratios(*seconds)}\n"
            f"  CPU time: app {summary(cpu[0], 's', 1)}; bare WeasyPrint "
            f"{summary(cpu[1], 's', 1)}; {ratios(*cpu)}\n"
            f"  peak RSS: app {summary(memory[0], 'MB', 0)}; bare WeasyPrint "
            f"{summary(memory[1], 'MB', 0)}; {ratios(*memory)}\n"
            f"  -> {'within' if worst <= GENERATED_TARGET else 'OVER'} the target "
            f"({GENERATED_TARGET} times bare WeasyPrint in both)\n"
            f"  pages/s (median): app {pages_per_second(pages, seconds[0])}; bare WeasyPrint, "
            f"same HTML, {pages_per_second(pages, seconds[1])}"
        )
        if baseline:
            base_pages = len(PdfReader(baseline_pdf).pages)
            base_seconds = [b["seconds"] for b in baseline]
            base_memory = [b["peak_mb"] for b in baseline]
            base_cpu = [b["cpu"] for b in baseline]
            print(
                f"  baseline: bare WeasyPrint on {baseline_html}, {base_pages} pages: "
                f"{summary(base_seconds, 's', 1)}, {pages_per_second(base_pages, base_seconds)}, "
                f"peak RSS {summary(base_memory, 'MB', 0)}; app/baseline: "
                f"{min(seconds[0]) / min(base_seconds):.2f} (min), "
                f"{statistics.median(seconds[0]) / statistics.median(base_seconds):.2f} (median); "
                f"CPU {summary(base_cpu, 's', 1)}, app/baseline {ratios(cpu[0], base_cpu)[9:]}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", default="castle-point-rochford-2016-17")
    parser.add_argument("--period", default="2016-17-q1")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="Cold processes, as a person runs it.")
    parser.add_argument(
        "--word", action="store_true", help="In one process: only the Word document."
    )
    parser.add_argument(
        "--generated",
        action="store_true",
        help="A generated 500-action plan over four quarters in a scratch database.",
    )
    parser.add_argument("--render-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline-html",
        help="With --generated: also time bare WeasyPrint on this HTML (e.g. main's, of the same "
        "generated plan), in the same rounds.",
    )
    parser.add_argument("--bare-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_child:
        plan_slug, periods, out = args.render_child
        return render_child(plan_slug, periods.split(","), out)
    if args.bare_child:
        return bare_child(*args.bare_child)
    if args.generated:
        return generated(args.rounds, args.baseline_html)
    if args.cli:
        return cli(args.plan, args.period, args.rounds)
    return in_process(args.plan, args.period, args.repeat, args.word)


if __name__ == "__main__":
    main()
