"""Benchmark: the action list, beside a plain django-tables2 + django-filter list of the same rows,
and its CSV export, beside ``values_list`` + ``csv.writer``.

Build a data set first (20 partnerships, 20,000 actions, 100,000 updates), then run:

    DATABASE_URL=sqlite:////tmp/county.sqlite3 .venv/bin/python manage.py generate_county
    DATABASE_URL=sqlite:////tmp/county.sqlite3 env -u PYTHONDONTWRITEBYTECODE \
        .venv/bin/python bench/action_list.py

It signs in as a user with a role in every partnership (so every action is visible) and, for
each filter combination below, requests the list (50 rows a page) and the baseline
(``bench/baseline.py``, at ``/baseline/actions/``) ``--repeat`` times each, alternately, after
one warm-up, through Django's test client. It prints min, median and 95th percentile server
time and SQL queries for both and the ratio of the medians; "cold" is the list's median when
every request follows a change to the data (the cache's token replaced, so counts and filter
choices are computed afresh). Deep pages are reached as a visitor does, by the Next link of the
page before. The page query's plan (EXPLAIN) is printed for the searches, and with ``--sql``
for every scenario.

Then the CSV export of one plan and of everything, each in a fresh process, beside the
baseline writing the same actions' own columns, with peak memory.
"""

from __future__ import annotations

import argparse
import html
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import bench_client, serve_baseline, stats
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from csp import caching
from csp.models import Action, Organisation, Partnership

HERE = Path(__file__).resolve().parent


def scenarios(client: Client) -> list[tuple[str, str, str]]:
    """(name, the list's query, the baseline's query)."""
    plan = (
        Action.objects.select_related("objective__priority__plan").first().objective.priority.plan
    )
    lead = Organisation.objects.filter(action_leads__isnull=False).first()
    other = Organisation.objects.filter(action_leads__isnull=False).exclude(pk=lead.pk).first()
    district = plan.partnership.districts.first()
    pages = -(-Action.objects.count() // 50)
    deep = max(2, pages // 2)
    same = [
        ("no filter", ""),
        ("sort by status", "sort=-status"),
        ("plan", f"plan={plan.slug}"),
        ("plan + priority + objective", f"plan={plan.slug}&priority=1&objective=1.1"),
        ("two leads", f"lead={lead.slug}&lead={other.slug}"),
        ("district", f"district={district.slug}"),
        ("status in period", "period=2016-17-q2&status=at_risk&status=off_track"),
        ("statutory strand", "statutory=reoffending"),
        ("search, a specific term", "q=cuckooing"),
        ("search, a common word", "q=victims"),
        (
            "lead + status + search + sort",
            f"lead={lead.slug}&status=on_track&q=cuckooing&sort=timescale",
        ),
        ("page 40", "page=40"),
        ("page size 200", "per_page=200"),
    ]
    found = [(name, query, query) for name, query in same]
    found.append((f"page {deep} by Next", next_link(client, deep - 1), f"page={deep}"))
    found.append((f"last page ({pages})", f"page={pages}", f"page={pages}"))
    return found


def next_link(client: Client, page: int) -> str:
    """The query of page ``page``'s Next link (it carries the cursor after its last row)."""
    content = client.get(f"/actions/?page={page}").content.decode()
    found = re.search(r'href="\?([^"]*)" rel="next"', content)
    assert found, "no Next link"
    return html.unescape(found[1])


def timed_get(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries)


def explain(client: Client, url: str) -> str:
    """The plan of the page's id query: the one that reads the index (or sorts)."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    page = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "csp_action"."id" AS "pk"') and "LIMIT" in q["sql"]
    ]
    if not page:
        return "  (no page query)"
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + page[0])
        rows = cursor.fetchall()
    return "\n".join("    " + " ".join(str(c) for c in row) for row in rows)


def export_in_fresh_process(*args: str) -> tuple[float, int, float]:
    """Run one CSV export in a new interpreter: (seconds, rows, peak RSS in MB)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "export_child.py"), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, lines, rss = out.stdout.split()
    return float(seconds), int(lines) - 1, float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sql", action="store_true", help="print each page query's plan")
    parser.add_argument("--no-export", action="store_true", help="skip the CSV export")
    parser.add_argument("--only", help="run only the scenarios whose name contains this")
    args = parser.parse_args()

    serve_baseline()
    # As in production: hashed static files (the pages' {% static %} tags need the manifest).
    call_command("collectstatic", interactive=False, verbosity=0)
    db = connection.settings_dict
    total = Action.objects.count()
    print(
        f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; {total:,} actions, "
        f"{Partnership.objects.count()} partnerships"
    )
    client = bench_client()
    print(
        f"\nAction list, 50 rows a page, {args.repeat} requests each after one warm-up "
        "(ms; list and baseline alternately)"
    )
    print(
        f"{'filters':<32} {'min':>6} {'median':>7} {'p95':>6} {'q':>3} {'cold':>6}"
        f" | {'baseline min':>12} {'median':>7} {'q':>3} | {'ratio':>5}"
    )
    medians, ratios = [], []
    for name, query, base_query in scenarios(client):
        if args.only and args.only not in name:
            continue
        ours_url, base_url = f"/actions/?{query}", f"/baseline/actions/?{base_query}"
        client.get(ours_url), client.get(base_url)  # warm-up
        ours, base = [], []
        for _ in range(args.repeat):
            elapsed, ours_q = timed_get(client, ours_url)
            ours.append(elapsed)
            elapsed, base_q = timed_get(client, base_url)
            base.append(elapsed)
        cold = []
        for _ in range(max(3, args.repeat // 3)):
            caching.new_token()
            cold.append(timed_get(client, ours_url)[0])
        o_min, o_med, o_p95 = stats(ours)
        b_min, b_med, _ = stats(base)
        medians.append(o_med)
        ratios.append(o_med / b_med)
        print(
            f"{name:<32} {o_min:>6.1f} {o_med:>7.1f} {o_p95:>6.1f} {ours_q:>3} "
            f"{stats(cold)[1]:>6.1f} | {b_min:>12.1f} {b_med:>7.1f} {base_q:>3} | "
            f"{o_med / b_med:>5.2f}"
        )
        if args.sql or name.startswith("search"):
            print(explain(client, ours_url))
    print(f"{'worst median':<32} {max(medians):>14.1f}   worst ratio {max(ratios):.2f}")

    if args.no_export:
        return
    print("\nCSV export in a fresh process (seconds, peak RSS), beside values_list + csv.writer")
    plan = (
        Action.objects.select_related("objective__priority__plan").first().objective.priority.plan
    )
    for label, query in (("one plan", f"plan={plan.slug}"), ("everything", "")):
        seconds, rows, rss = export_in_fresh_process(query)
        print(f"{label:<12} {rows:>7,} rows  {seconds:6.2f} s  peak RSS {rss:6.1f} MB")
    seconds_b, rows_b, rss_b = export_in_fresh_process("--baseline")
    print(f"{'baseline':<12} {rows_b:>7,} rows  {seconds_b:6.2f} s  peak RSS {rss_b:6.1f} MB")
    print(f"everything / baseline: {seconds / seconds_b:.2f}x")
    print(
        f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}"
        " MB)"
    )


if __name__ == "__main__":
    main()
