"""Benchmark: a 13,430-row plan imported from the web, written by the background worker.

    env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/long_import.py [--rows 13430]
    DATABASE_URL=postgres://… (same)

On a scratch database (SQLite unless DATABASE_URL is set): the sheet is uploaded, checked and
imported through the web pages (Django's test client, in this process), which queue the import
for ``manage.py db_worker`` (started here); the progress page is polled until it says done. As
the baseline, in the same run, ``manage.py import_plan`` imports the same file into another
partnership in one process. Prints each step's time and the ratio of the two.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import time

if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/long-import.sqlite3"
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="csp-long-import-media-"))

from common import ROOT
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook

from csp.models import Organisation, Partnership, PartnershipRole, Role
from tests.html import submitted_form


def build(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Plan")
    sheet.append(["Workstream", "Goal", "Actions", "Lead", "Quarter", "RAG", "Progress"])
    for n in range(rows):
        sheet.append(
            [
                f"Workstream {n % 5 + 1}",
                f"Goal {n % 40 + 1}",
                f"Action {n // 4}: visits, patrols and awareness work in the area",
                "Bench Police" if n % 3 else "Bench Council",
                f"2020/21 Q{n % 4 + 1}",
                ("Green", "Amber", "Red")[n % 3],
                "Progress this quarter: " + "residents visited, partners met. " * 3,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def partnership(slug: str) -> Partnership:
    found, _ = Partnership.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    for org_slug, name in (("bench-police", "Bench Police"), ("bench-council", "Bench Council")):
        organisation, _ = Organisation.objects.get_or_create(slug=org_slug, defaults={"name": name})
        found.organisations.add(organisation)
    return found


def through_the_web(user: User, web: Partnership, data: bytes) -> tuple[str, list[float]]:
    """Upload, check and import as a coordinator would; the last page and when each step ended."""
    client = Client()
    client.force_login(user)
    times = [time.perf_counter()]
    response = client.post(
        f"/partnerships/{web.slug}/import/",
        {
            "file": SimpleUploadedFile("plan.xlsx", data),
            "title": "Long plan",
            "plan": "",
            "first_year": "2020",
        },
    )
    location = response["Location"]
    times.append(time.perf_counter())
    page = client.get(location)
    times.append(time.perf_counter())
    assert "the background worker writes it" in page.content.decode(), "not long?"
    form = submitted_form(page, {"action": "import", "confirm_new_organisations": "yes"})
    job_page = client.post(location, form)["Location"]
    times.append(time.perf_counter())
    while True:
        html = client.get(job_page).content.decode()
        if "Spreadsheet imported" in html or "was not imported" in html:
            break
        time.sleep(0.5)
    times.append(time.perf_counter())
    return html, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=13_430)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    data = build(args.rows)
    web = partnership("bench-web")
    user, _ = User.objects.get_or_create(username="bench-importer")
    PartnershipRole.objects.get_or_create(user=user, partnership=web, role=Role.COORDINATOR)
    print(
        f"{args.rows:,} rows, {len(data) / 1024:.0f} KB; "
        f"database {os.environ['DATABASE_URL'].split(':')[0]}"
    )

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' manifest
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        html, (started, uploaded, checked, queued, done) = through_the_web(user, web, data)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if "was not imported" in html:
        raise SystemExit(re.sub(r"\s+", " ", html)[:2000])
    print(f"upload (read and kept)       {uploaded - started:6.2f} s")
    print(f"check page (mapping, preview) {checked - uploaded:6.2f} s")
    print(f"Import pressed (queued)      {queued - checked:6.2f} s")
    print(f"worker, until the page said done {done - queued:6.2f} s")
    web_total = done - started

    path = os.path.join(tempfile.mkdtemp(), "plan.xlsx")
    with open(path, "wb") as handle:
        handle.write(data)
    partnership("bench-cli")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_plan",
            path,
            "--partnership",
            "bench-cli",
            "--plan",
            "bench-cli-plan",
            "--title",
            "CLI",
            "--year",
            "2020",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cli = time.perf_counter() - started
    print(f"baseline: import_plan in one process {cli:6.2f} s")
    print(f"web, from upload to done: {web_total:6.2f} s ({web_total / cli:.2f}x the command)")


if __name__ == "__main__":
    main()
