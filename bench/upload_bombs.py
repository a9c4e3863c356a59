"""Benchmark: hostile spreadsheets are refused quickly and in little memory, CLI and web.

    env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/upload_bombs.py [--repeat 5]

Builds, in a temporary folder:
- ``bomb-1gb.xlsx``: about 1 MB on disk, whose shared strings unpack to 1 GB;
- ``row-2m.xlsx``: one row of 2,000,000 empty styled cells (about 200 KB);
- ``cells-20m.xlsx``: 20,000,000 empty cells over 1,250 rows (about 2 MB);
- ``plan.xlsx``: an ordinary 300-row plan, the baseline.

Each is read by ``manage.py import_plan --dry-run`` in a fresh process and posted to the web
upload in a fresh process (Django's test client, production settings, a scratch SQLite
database). For each it prints the wall time and the process's peak RSS, min and median over
the runs, and the peak beside the baseline file's: the extra memory the file cost.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(path: Path, sheet_chunks, strings_chunks=None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
            '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        for name, chunks in (
            ("xl/worksheets/sheet1.xml", sheet_chunks),
            ("xl/sharedStrings.xml", strings_chunks),
        ):
            if chunks is None:
                continue
            with archive.open(name, "w", force_zip64=True) as handle:
                for chunk in chunks:
                    handle.write(chunk)


HEAD = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Priority</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Strategic objective</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>Action</t></is></c></row>'
)


def _sheet(rows):
    yield f'<worksheet xmlns="{MAIN}"><sheetData>{HEAD}'.encode()
    yield from rows
    yield b"</sheetData></worksheet>"


def _chain(first, middle, last):
    yield first
    yield from middle
    yield last


def build(folder: Path) -> dict[str, Path]:
    files = {}
    files["plan.xlsx (baseline)"] = folder / "plan.xlsx"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Priority", "Strategic objective", "Action", "Outcomes"])
    for n in range(300):
        sheet.append([f"Priority {n // 100}", f"Objective {n // 20}", f"Action {n}", "x" * 200])
    buffer = io.BytesIO()
    book.save(buffer)
    files["plan.xlsx (baseline)"].write_bytes(buffer.getvalue())

    files["bomb-1gb.xlsx"] = folder / "bomb-1gb.xlsx"
    item = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    _workbook(
        files["bomb-1gb.xlsx"],
        _sheet([]),
        _chain(f'<sst xmlns="{MAIN}">'.encode(), (item * 1000 for _ in range(1000)), b"</sst>"),
    )
    files["row-2m.xlsx"] = folder / "row-2m.xlsx"
    _workbook(
        files["row-2m.xlsx"], _sheet([b'<row r="2">', *[b'<c s="1"/>' * 100_000] * 20, b"</row>"])
    )
    files["cells-20m.xlsx"] = folder / "cells-20m.xlsx"
    row = b"<row>" + b"<c/>" * 16_000 + b"</row>"
    _workbook(files["cells-20m.xlsx"], _sheet([row] * 1_250))
    return files


SETUP = f"""
import os, sys, tempfile, time

def peak_mb():
    # VmHWM: this process's own peak resident memory (ru_maxrss carries the parent's over).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
sys.path.insert(0, {str(ROOT)!r})
# The test settings: production's, but static files served from their folders (no collectstatic).
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ["DATABASE_URL"] = "sqlite:///" + sys.argv[2]
import django
django.setup()
"""

CLI = (
    SETUP
    + """
from django.core.management import call_command, CommandError
from io import StringIO
started = time.perf_counter()
try:
    call_command("import_plan", sys.argv[1], partnership="bench", plan="bench-plan", year=2024,
                 dry_run=True, stdout=StringIO())
    outcome = "read"
except CommandError as error:
    outcome = str(error)[:70]
print(time.perf_counter() - started, peak_mb(), outcome)
"""
)

WEB = (
    SETUP
    + """
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from csp.models import Partnership, PartnershipRole, Role
user = User.objects.get(username="bench-coordinator")
client = Client()
client.force_login(user)
client.get("/partnerships/bench/import/")
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
response = client.post("/partnerships/bench/import/",
                       {"file": SimpleUploadedFile("plan.xlsx", data), "title": "Bench plan"})
body = response.content.decode()
outcome = "refused" if "govuk-error-message" in body else f"status {response.status_code}"
print(time.perf_counter() - started, peak_mb(), outcome)
"""
)

PREPARE = (
    SETUP
    + """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import User
from csp.models import Partnership, PartnershipRole, Role
partnership, _ = Partnership.objects.get_or_create(slug="bench", defaults={"name": "Bench CSP"})
user, _ = User.objects.get_or_create(username="bench-coordinator")
PartnershipRole.objects.get_or_create(user=user, partnership=partnership, role=Role.COORDINATOR)
"""
)


def run(code: str, path: Path, database: Path) -> tuple[float, int, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(
        [PYTHON, "-c", code, str(path), str(database)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    seconds, rss, outcome = result.stdout.strip().splitlines()[-1].split(" ", 2)
    return float(seconds), int(rss), outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="csp-bombs-"))
    database = folder / "bench.sqlite3"
    started = time.perf_counter()
    files = build(folder)
    print(f"built the files in {time.perf_counter() - started:.1f} s")
    subprocess.run([PYTHON, "-c", PREPARE, "-", str(database)], check=True, cwd=ROOT)
    for label, code in (("CLI import_plan --dry-run", CLI), ("web upload", WEB)):
        print(f"\n{label}: seconds (min / median), peak RSS MB (min / median), extra RSS MB")
        baseline_rss = None
        for name, path in files.items():
            run(code, path, database)  # warm-up
            results = [run(code, path, database) for _ in range(args.repeat)]
            times = [r[0] for r in results]
            rss = [r[1] for r in results]
            median_rss = statistics.median(rss)
            if baseline_rss is None:
                baseline_rss = median_rss
            print(
                f"  {name:22} {path.stat().st_size / 1024:8.0f} KB  "
                f"{min(times):6.3f} / {statistics.median(times):6.3f} s   "
                f"{min(rss):4d} / {median_rss:4.0f} MB   +{median_rss - baseline_rss:4.0f} MB   "
                f"{results[-1][2]}"
            )


if __name__ == "__main__":
    main()
