"""Benchmark: the action list and its CSV export on a county-scale data set.

Build the data set first (20 partnerships, 20,000 actions, 100,000 updates), then run:

    DATABASE_URL=sqlite:////tmp/county.sqlite3 .venv/bin/python manage.py generate_county
    DATABASE_URL=sqlite:////tmp/county.sqlite3 .venv/bin/python bench/action_list.py

It signs in as a user with a role in every partnership (so all 20,000 actions are visible),
requests the list with each filter combination below (50 rows a page) ``--repeat`` times through
Django's test client, and prints the median and 95th-percentile server time and the number of
SQL queries. Then it times the CSV export of every action and measures the peak resident memory
of a fresh process exporting 2,000 and then 20,000 actions, to show whether memory stays flat.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import bench_client
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from csp.models import Action, Organisation, Partnership

HERE = Path(__file__).resolve().parent


def scenarios() -> list[tuple[str, str]]:
    plan = (
        Action.objects.select_related("objective__priority__plan").first().objective.priority.plan
    )
    lead = Organisation.objects.filter(action_leads__isnull=False).first()
    other = Organisation.objects.filter(action_leads__isnull=False).exclude(pk=lead.pk).first()
    district = plan.partnership.districts.first()
    return [
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


def time_list(client: Client, query: str, repeat: int) -> tuple[float, float, int]:
    client.get(f"/actions/?{query}")  # warm caches
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(f"/actions/?{query}")
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, len(queries)


def export_in_fresh_process(query: str) -> tuple[float, int, float]:
    """Run one CSV export in a new interpreter: (seconds, rows, peak RSS in MB)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "export_child.py"), query],
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
    args = parser.parse_args()

    # As in production: hashed static files (the pages' {% static %} tags need the manifest).
    call_command("collectstatic", interactive=False, verbosity=0)
    db = connection.settings_dict
    total = Action.objects.count()
    print(
        f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}; {total:,} actions, "
        f"{Partnership.objects.count()} partnerships"
    )
    client = bench_client()
    print(f"\nAction list, 50 rows a page, {args.repeat} requests each")
    print(f"{'filters':<32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    medians = []
    for name, query in scenarios():
        median, p95, queries = time_list(client, query, args.repeat)
        medians.append(median)
        print(f"{name:<32} {median:>10.1f} {p95:>8.1f} {queries:>8}")
    print(f"{'worst median':<32} {max(medians):>10.1f}")

    print("\nCSV export in a fresh process")
    plan = (
        Action.objects.select_related("objective__priority__plan").first().objective.priority.plan
    )
    for label, query in (("one plan", f"plan={plan.slug}"), ("everything", "")):
        seconds, rows, rss = export_in_fresh_process(query)
        print(f"{label:<12} {rows:>7,} rows  {seconds:6.2f} s  peak RSS {rss:6.1f} MB")
    print(
        f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}"
        " MB)"
    )


if __name__ == "__main__":
    main()
