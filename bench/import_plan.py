"""Benchmark: importing a 2,000-row plan spreadsheet, preview and commit.

    .venv/bin/python bench/import_plan.py            # a scratch SQLite database
    DATABASE_URL=postgres://… .venv/bin/python bench/import_plan.py

It builds a realistic sheet (4 priorities, 20 objectives, 500 actions, each with four quarterly
updates: 2,000 rows, as an XLSX file), then times reading it, the preview and the commit into
an empty partnership. The database is migrated first and the imported plan deleted after.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/import-bench.sqlite3"

from common import ROOT  # noqa: F401  (sets up Django)
from django.core.management import call_command
from django.db import connection, models, transaction
from openpyxl import Workbook

from csp.importers.columns import COLUMNS
from csp.importers.mapping import guess_mapping
from csp.importers.plan_import import PlanImport
from csp.importers.reader import read_rows
from csp.models import ActionStatus, District, Organisation, Partnership, Plan, QuarterlyUpdate

WORDS = [
    "residents",
    "victims",
    "partners",
    "safeguarding",
    "burglary",
    "patrols",
    "awareness",
    "training",
    "campaign",
    "licensed",
    "premises",
    "schools",
    "young",
    "people",
    "referrals",
    "hotspot",
    "community",
    "reassurance",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build_sheet(rows_wanted: int = 2000) -> bytes:
    rng = random.Random(7)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Plan"
    sheet.append([column.heading for column in COLUMNS])
    statuses = ["Green", "Amber", "Red", "Complete", "On track", "G", "A"]
    leads = ["Bench Police", "Bench Council", "Bench Fire – Ann Officer", "All partners", "BC / BP"]
    keys = [column.key for column in COLUMNS]
    actions = rows_wanted // 4
    for a in range(actions):
        p, o = a % 4 + 1, a % 20 + 1
        base = {
            "priority": f"Priority {p}",
            "objective": f"Objective {o} of priority {p}",
            "action": f"Action {a}: {sentence(rng, 14)}",
            "outcomes": sentence(rng, 10),
            "lead": rng.choice(leads),
            "timescale": rng.choice(["Q1-4", "Q2 - Sept 16", "Ongoing", "Q3 – Oct 16"]),
        }
        for quarter in range(1, 5):
            row = base | {
                "period": f"2016/17 Q{quarter}",
                "status": rng.choice(statuses),
                "update": sentence(rng, rng.randint(20, 80)),
                "risks": sentence(rng, 8) if rng.random() < 0.2 else "",
            }
            sheet.append([row.get(key, "") for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def baseline(partnership, rows) -> float:  # type: ignore[no-untyped-def]
    """The floor: the same plan written with plain bulk_create, no checks and no history."""
    from csp.models import Action, Priority, ReportingPeriod, StrategicObjective

    start = time.perf_counter()
    with transaction.atomic():
        plan = Plan.objects.create(
            partnership=partnership,
            slug="bench-baseline",
            title="Baseline",
            first_year=2016,
            last_year=2016,
        )
        priorities, objectives, actions, updates = {}, {}, {}, []
        periods = {
            q: ReportingPeriod.objects.create(plan=plan, year=2016, quarter=q, status="closed")
            for q in range(1, 5)
        }
        for row in rows[1:]:
            p = row[1]
            if p not in priorities:
                priorities[p] = Priority(plan=plan, number=len(priorities) + 1, title=p)
        Priority.objects.bulk_create(priorities.values())
        for row in rows[1:]:
            key = (row[1], row[3])
            if key not in objectives:
                objectives[key] = StrategicObjective(
                    priority=priorities[row[1]], number=len(objectives) + 1, title=row[3]
                )
        StrategicObjective.objects.bulk_create(objectives.values())
        for row in rows[1:]:
            key = (row[1], row[3], row[4])
            if key not in actions:
                actions[key] = Action(
                    objective=objectives[key[:2]], number=len(actions) + 1, description=row[4]
                )
        Action.objects.bulk_create(actions.values())
        for row in rows[1:]:
            quarter = int(row[11][-1])
            updates.append(
                QuarterlyUpdate(
                    action=actions[(row[1], row[3], row[4])],
                    period=periods[quarter],
                    progress=row[13],
                    state="accepted",
                )
            )
        models.QuerySet.bulk_create(QuarterlyUpdate.objects.all(), updates)
    elapsed = time.perf_counter() - start
    return elapsed


def drop_baseline() -> None:
    plan = Plan.objects.get(slug="bench-baseline")
    QuarterlyUpdate.objects.filter(period__plan=plan).delete()
    plan.delete()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    partnership, _ = Partnership.objects.get_or_create(
        slug="bench-import", defaults={"name": "Bench import CSP"}
    )
    District.objects.get_or_create(
        partnership=partnership, slug="north", defaults={"name": "North"}
    )
    for slug, name, short in (
        ("bench-police", "Bench Police", "BP"),
        ("bench-council", "Bench Council", "BC"),
        ("bench-fire", "Bench Fire", "BF"),
    ):
        organisation, _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "short_name": short}
        )
        partnership.organisations.add(organisation)
    fire = Organisation.objects.get(slug="bench-fire")
    fire.officers.get_or_create(name="Ann Officer", defaults={"initials": "AO"})

    data = build_sheet()
    timings: dict[str, list[float]] = {}
    queries: dict[str, int] = {}

    def timed(name, function):  # type: ignore[no-untyped-def]
        count = [0]

        def counted(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            start = time.perf_counter()
            result = function()
            timings.setdefault(name, []).append(time.perf_counter() - start)
        queries[name] = count[0]
        return result

    for n in range(args.repeat + 1):  # the first round warms up
        if n == 1:
            timings.clear()
        rows = timed("read the file", lambda: read_rows("bench.xlsx", data))
        timed("guess the mapping", lambda rows=rows: guess_mapping(rows, districts=["North"]))
        plan_import = timed(
            "preview",
            lambda rows=rows: PlanImport(
                partnership,
                rows,
                plan_slug="bench-import-plan",
                plan_title="Bench",
                first_year=2016,
            ),
        )
        assert plan_import.ok, [str(p) for p in plan_import.problems[:5]]
        plan = timed("commit", plan_import.commit)
        changed = [rows[0], *([*row[:13], row[13] + " More.", *row[14:]] for row in rows[1:])]
        again = timed(
            "re-import preview",
            lambda changed=changed, slug=plan.slug: PlanImport(
                partnership, changed, plan_slug=slug
            ),
        )
        timed("re-import commit", again.commit)
        timed("baseline: bulk_create", lambda rows=rows: baseline(partnership, rows))
        drop_baseline()
        QuarterlyUpdate.objects.filter(period__plan=plan).delete()
        ActionStatus.objects.filter(action__objective__priority__plan=plan).delete()
        Plan.objects.filter(pk=plan.pk).delete()

    db = os.environ["DATABASE_URL"].split(":", 1)[0]
    print(
        f"Database: {db}; {len(rows) - 1:,} rows, {len(data) / 1024:.0f} KB XLSX, "
        f"{args.repeat} runs after a warm-up"
    )
    print(f"{'step':24} {'min':>7} {'median':>7}  queries")
    for name, values in timings.items():
        print(f"{name:24} {min(values):7.2f} {statistics.median(values):7.2f}  {queries[name]:>7}")
    first = ["guess the mapping", "preview", "commit"]
    total = [sum(timings[k][i] for k in first) for i in range(args.repeat)]
    floor = timings["baseline: bulk_create"]
    print(f"{'guess + preview + commit':24} {min(total):7.2f} {statistics.median(total):7.2f}")
    print(
        f"commit / baseline: {statistics.median(timings['commit']) / statistics.median(floor):.1f}x"
    )


if __name__ == "__main__":
    sys.exit(main())
