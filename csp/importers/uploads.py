"""An uploaded plan between its steps: kept in storage, worked out again at every step, and
written either while the coordinator waits or, for a long sheet, by the background worker.

An upload's *entry* is what the web import keeps in the session under the upload's token: the
file's name and storage path, the plan it goes into, and the coordinator's choices on the check
page (the mapping, the lead choices, whether the plan may run longer). ``load`` turns an entry
into the ``PlanImport`` it describes, from the database as it is at that moment; ``run_job`` is
the worker's side of an ``ImportJob``, which carries the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage

from csp import jobs
from csp.importers.leads import LeadChoice
from csp.importers.mapping import Mapping
from csp.importers.plan_import import ImportConflict, PlanImport
from csp.importers.reader import Sheet, SpreadsheetError, read_sheet
from csp.models import ImportJob, ImportSettings, Partnership


class UploadGone(Exception):
    """The upload's file is no longer in storage (imported already, or cleared away)."""


@dataclass
class Loaded:
    plan_import: PlanImport | None
    sheet: Sheet | None
    unreadable: str = ""  # why the file could not be read, for the person who uploaded it


def load(partnership: Partnership, entry: dict[str, Any], user: Any = None) -> Loaded:
    """The import ``entry`` describes, worked out afresh (``UploadGone`` if its file is gone)."""
    try:
        with default_storage.open(entry["path"], "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise UploadGone from None
    try:
        sheet = read_sheet(entry["name"], data, sheet=entry.get("sheet"))
    except SpreadsheetError as error:
        return Loaded(None, None, str(error))
    saved = ImportSettings.objects.filter(partnership=partnership).first()
    mapping = None
    if entry.get("mapping"):
        try:
            mapping = Mapping.from_json(
                entry["mapping"],
                districts=[d.name for d in partnership.districts.all()],
                default_year=entry.get("first_year"),
            )
        except ValueError:
            mapping = None  # a mapping from before a release that no longer reads: guess again
    leads = {}
    for key, value in {**(saved.leads if saved else {}), **entry.get("leads", {})}.items():
        try:
            leads[key] = LeadChoice.from_json(value, key)
        except ValueError:
            continue
    header_row = entry.get("header_row")
    plan_import = PlanImport(
        partnership,
        sheet.rows,
        header_row=header_row - 1 if header_row and mapping is None else None,
        plan_slug=entry["plan_slug"],
        plan_title=entry.get("title", ""),
        first_year=entry.get("first_year"),
        mapping=mapping,
        leads=leads,
        extend_span=entry.get("extend_span", False),
        saved_mapping=saved.columns if saved else None,
        user=user,
    )
    return Loaded(plan_import, sheet)


def is_long(plan_import: PlanImport) -> bool:
    """Too long to write while the browser waits: the background worker writes it."""
    rows = len(plan_import.rows) - plan_import.mapping.header_row - 1
    return rows > settings.IMPORT_INLINE_MAX_ROWS


def run_job(job: ImportJob) -> None:
    """The worker's side of an import: work it out again, then write it or say why not."""
    jobs.run(
        job,
        _write,
        refusals=(ValueError, UploadGone),
        failure_message=lambda error: (
            "The import could not be finished, and nothing was written "
            f"({type(error).__name__}). Try again; if it fails again, ask your system "
            f"administrator to look in the worker's log for import job {job.pk}."
        ),
        claim={"step": 1, "progress": ImportJob.STEPS[0]},
    )


def _write(job: ImportJob) -> dict[str, Any]:
    options = job.options
    job.note(1, ImportJob.STEPS[0])
    try:
        loaded = load(job.partnership, options, job.requested_by)
    except UploadGone:
        raise ValueError(
            "The spreadsheet is no longer kept (it was imported already, or cleared away): "
            "upload it again. Nothing was written."
        ) from None
    if loaded.plan_import is None:
        raise ValueError(f"{loaded.unreadable} Nothing was written.")
    plan_import = loaded.plan_import
    job.note(2, ImportJob.STEPS[1])
    if not plan_import.ok:
        problems = plan_import.problems_that_stop
        raise ValueError(
            f"The sheet now has {len(problems)} problem{'s' if len(problems) != 1 else ''} "
            f"(the first: {problems[0]}). Check the import again. Nothing was written."
        )

    def finished(plan: Any) -> bool:
        # The last write of the import's own transaction: a job given up meanwhile writes
        # nothing. (Nothing else touches the job's row inside it, so the heartbeat, written
        # from its own connection, and the progress page never wait for the import.)
        return job.finish(plan=plan, counts=dict(plan_import.counts))

    actions, updates = plan_import.counts["actions"], plan_import.counts["updates"]
    job.note(3, f"Writing {actions:,} actions and {updates:,} updates")
    try:
        plan_import.commit(
            confirm_new_organisations=options.get("confirm_new_organisations", False),
            fingerprint=options.get("fingerprint"),
            finish=finished,
        )
    except ImportConflict as conflict:
        raise ValueError(str(conflict)) from None
    plan_import.remember_choices()
    default_storage.delete(options["path"])
    return {}
