"""Benchmark: importing a 2,000-row plan spreadsheet, preview and commit.

    .venv/bin/python bench/import_plan.py            # a scratch SQLite database
    DATABASE_URL=postgres://… .venv/bin/python bench/import_plan.py

It builds a realistic sheet (4 priorities, 20 objectives, 500 actions, each with four quarterly
updates: 2,000 rows, as an XLSX file), then times reading it, the preview and the commit into
an empty partnership. The database is migrated first and the imported plan deleted after.
"""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import time

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/import-bench.sqlite3"

from common import ROOT  # noqa: F401  (sets up Django)
from django.core.management import call_command
from openpyxl import Workbook

from csp.importers.columns import COLUMNS
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


def main() -> None:
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
        Organisation.objects.get_or_create(slug=slug, defaults={"name": name, "short_name": short})
    fire = Organisation.objects.get(slug="bench-fire")
    fire.officers.get_or_create(name="Ann Officer", defaults={"initials": "AO"})

    data = build_sheet()
    start = time.perf_counter()
    rows = read_rows("bench.xlsx", data)
    read = time.perf_counter() - start
    start = time.perf_counter()
    plan_import = PlanImport(
        partnership, rows, plan_slug="bench-import-plan", plan_title="Bench", first_year=2016
    )
    previewed = time.perf_counter() - start
    assert plan_import.ok, [str(p) for p in plan_import.problems[:5]]
    start = time.perf_counter()
    plan = plan_import.commit()
    committed = time.perf_counter() - start
    db = os.environ["DATABASE_URL"].split(":", 1)[0]
    print(f"Database: {db}; {len(rows) - 1:,} rows, {len(data) / 1024:.0f} KB XLSX")
    print(f"read the file   {read:6.2f} s")
    print(f"preview         {previewed:6.2f} s  ({dict(plan_import.counts)})")
    print(f"commit          {committed:6.2f} s")
    print(f"total           {read + previewed + committed:6.2f} s")
    QuarterlyUpdate.objects.filter(period__plan=plan).delete()
    ActionStatus.objects.filter(action__objective__priority__plan=plan).delete()
    Plan.objects.filter(pk=plan.pk).delete()


if __name__ == "__main__":
    sys.exit(main())
