"""A long spreadsheet is written by the background worker, with a progress page.

Pressing Import on a sheet over ``IMPORT_INLINE_MAX_ROWS`` rows queues an ``ImportJob`` (the
tests' task backend records it; a test runs it by calling the task). The job works the import
out again in the worker and writes all of it or nothing: a sheet that changed, an update saved
meanwhile, a worker that died or a job given up while it wrote leave the plan as it was.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from csp.models import Action, ImportJob, Plan, QuarterlyUpdate
from csp.models.jobs import JobState
from csp.tasks import import_spreadsheet
from tests.html import submitted_form

pytestmark = pytest.mark.django_db

HEAD = "Priority,Strategic objective,Action,Lead,Period,Status,Update\n"


def sheet(n: int) -> str:
    return HEAD + "".join(
        f"Safer streets,Cut burglary,Action {i},Shire Police,2016/17 Q1,Green,Done {i}\n"
        for i in range(n)
    )


@pytest.fixture
def long_sheets(settings):
    settings.IMPORT_INLINE_MAX_ROWS = 5


def upload(client, cast, text, **fields):
    data = {"plan": "", "title": "Long plan", "first_year": "2016"} | fields
    data["file"] = SimpleUploadedFile("plan.csv", text.encode(), content_type="text/csv")
    return client.post(f"/partnerships/{cast.castle.slug}/import/", data)["Location"]


def press_import(client, location):
    page = client.get(location)
    assert "the background worker writes it" in page.content.decode()
    return client.post(location, submitted_form(page, {"action": "import"}))


def test_a_long_sheet_is_written_by_the_worker_and_its_page_follows_it(alice, cast, long_sheets):
    location = upload(alice, cast, sheet(12))
    response = press_import(alice, location)
    assert response["Location"] == location + "job/"
    job = ImportJob.objects.get()
    assert job.state == JobState.QUEUED and job.requested_by == cast.alice
    page = alice.get(response["Location"]).content.decode()
    assert "Importing the spreadsheet" in page
    assert 'data-csp-refresh="3"' in page
    assert not Plan.objects.filter(title="Long plan").exists()

    import_spreadsheet.call(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    plan = Plan.objects.get(title="Long plan")
    assert job.plan == plan
    assert Action.objects.in_plan(plan).count() == 12
    assert QuarterlyUpdate.objects.filter(period__plan=plan).count() == 12
    page = alice.get(response["Location"]).content.decode()
    assert "Spreadsheet imported" in page
    assert "12 actions and 12 updates into Long plan" in page
    assert "data-csp-refresh" not in page
    # The check page now leads to the plan; the upload is gone from storage.
    assert alice.get(location)["Location"] == f"/plans/{plan.slug}/"


def test_pressing_import_twice_joins_the_job_under_way(alice, cast, long_sheets):
    location = upload(alice, cast, sheet(8))
    press_import(alice, location)
    press_import(alice, location)
    assert ImportJob.objects.count() == 1


def test_an_update_saved_after_the_check_stops_the_job_and_nothing_is_written(
    alice, cast, long_sheets
):
    rows = (
        "Priority,Strategic objective,Action,Lead,District,Period,Status,Update\n"
        + f"{cast.patrols.objective.priority.title},{cast.patrols.objective.title},"
        + f"{cast.patrols.description},Shire Police,North,2016/17 Q1,Red,From the sheet\n"
        + "".join(
            f"Safer streets,Cut burglary,Action {i},Shire Police,,2016/17 Q1,Green,Done\n"
            for i in range(6)
        )
    )
    location = upload(alice, cast, rows, plan=cast.plan.slug, title="")
    press_import(alice, location)
    job = ImportJob.objects.get()
    before = Action.objects.in_plan(cast.plan).count()
    update = QuarterlyUpdate.objects.filter(
        action=cast.patrols, period__year=2016, period__quarter=1
    )
    stored = update.filter(district=None).first() or update.first()
    assert QuarterlyUpdate.objects.claim_version(stored.pk, stored.version)  # an officer saves

    import_spreadsheet.call(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "changed after you checked the import" in job.error
    assert Action.objects.in_plan(cast.plan).count() == before
    page = alice.get(location + "job/").content.decode()
    assert "The spreadsheet was not imported" in page
    assert "Nothing was written" in page


def test_a_job_whose_worker_died_is_shown_failed_and_wrote_nothing(alice, cast, long_sheets):
    location = upload(alice, cast, sheet(8))
    press_import(alice, location)
    job = ImportJob.objects.get()
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=long_ago, heartbeat_at=long_ago, worker="elsewhere 1 x"
    )
    page = alice.get(location + "job/").content.decode()
    assert "The background worker stopped while importing the spreadsheet" in page
    assert not Plan.objects.filter(title="Long plan").exists()
    # Pressing Import again starts a fresh job rather than joining the dead one.
    press_import(alice, location)
    assert ImportJob.objects.filter(state=JobState.QUEUED).count() == 1


def test_a_job_given_up_while_it_writes_keeps_nothing(alice, cast, long_sheets, monkeypatch):
    location = upload(alice, cast, sheet(8))
    press_import(alice, location)
    job = ImportJob.objects.get()
    # Given up (its worker taken for dead) just before its last write: finish() finds it so.
    monkeypatch.setattr(ImportJob, "finish", lambda self, **values: False)
    import_spreadsheet.call(job.pk)
    assert not Plan.objects.filter(title="Long plan").exists()


def test_a_job_for_an_upload_cleared_away_fails_with_a_reason(alice, cast, long_sheets):
    from django.core.files.storage import default_storage

    location = upload(alice, cast, sheet(8))
    press_import(alice, location)
    job = ImportJob.objects.get()
    default_storage.delete(job.options["path"])
    import_spreadsheet.call(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "no longer kept" in job.error


def test_a_short_sheet_is_still_written_while_the_browser_waits(alice, cast, long_sheets):
    location = upload(alice, cast, sheet(3))
    page = alice.get(location)
    assert "the background worker writes it" not in page.content.decode()
    alice.post(location, submitted_form(page, {"action": "import"}))
    assert not ImportJob.objects.exists()
    assert Plan.objects.filter(title="Long plan").exists()


def test_the_job_page_belongs_to_the_session_that_uploaded(alice, cast, long_sheets):
    location = upload(alice, cast, sheet(8))
    press_import(alice, location)
    another = Client()
    another.force_login(cast.alice)  # the same coordinator, another browser
    assert another.get(location + "job/").status_code == 404
