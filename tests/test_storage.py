"""Every file the app keeps goes through Django's storage API (``default_storage``), never a path
on the app server's disk, so any backend serves several app servers: S3-compatible storage by
``FILE_STORAGE``, or here Django's in-memory storage with no path at all (``path()`` raises),
standing in for it. Nothing is written under ``MEDIA_ROOT`` meanwhile.
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import pytest
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.management import call_command
from django.utils import timezone

from csp.models import Action, ImportJob, Plan
from csp.models.jobs import JobState
from csp.tasks import import_spreadsheet
from tests.test_import_jobs import press_import, sheet
from tests.test_import_jobs import upload as upload_long
from tests.test_import_web import send, upload

pytestmark = pytest.mark.django_db


class PathlessStorage(InMemoryStorage):
    """Object storage as S3's is: files by name, no path on this machine."""

    def path(self, name: str) -> str:
        # Django's in-memory storage works out its own names with it; nobody else may.
        if not sys._getframe(1).f_globals["__name__"].startswith("django.core.files.storage"):
            raise NotImplementedError("This backend doesn't support absolute paths.")
        return super().path(name)


@pytest.fixture
def object_storage(settings, tmp_path):
    """Files in memory only; ``MEDIA_ROOT`` an empty folder that must stay empty."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_storage.PathlessStorage"},
    }
    with pytest.raises(NotImplementedError):
        default_storage.path("imports/x.csv")
    yield
    assert not os.path.exists(settings.MEDIA_ROOT) or not any(Path(settings.MEDIA_ROOT).iterdir())


def uploads() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_an_import_keeps_its_upload_in_storage_and_removes_it_once_imported(
    alice, cast, object_storage
):
    location = upload(alice, cast)["Location"]
    assert len(uploads()) == 1
    assert "Check the import" in alice.get(location).content.decode()
    send(alice, location)
    plan = Plan.objects.get(title="Imported plan")
    assert Action.objects.in_plan(plan).count() == 2
    assert uploads() == []


def test_the_worker_reads_a_long_import_from_storage(alice, cast, object_storage, settings):
    settings.IMPORT_INLINE_MAX_ROWS = 5
    location = upload_long(alice, cast, sheet(12))
    press_import(alice, location)
    job = ImportJob.objects.get()
    import_spreadsheet.call(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.error
    assert Action.objects.in_plan(Plan.objects.get(title="Long plan")).count() == 12
    assert uploads() == []


def test_clean_imports_clears_old_uploads_from_storage(alice, cast, object_storage, monkeypatch):
    upload(alice, cast)
    call_command("clean_imports", "--hours", "1")
    assert len(uploads()) == 1  # not old yet
    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("clean_imports", "--hours", "1")
    assert uploads() == []


def test_evidence_is_kept_and_downloaded_through_storage(alice, cast, object_storage):
    from django.core.files.base import ContentFile
    from django.urls import reverse

    from csp.models import Evidence

    update = cast.hub.updates.filter(period__quarter=1).first()
    item = Evidence.objects.create(
        update=update,
        file=ContentFile(b"%PDF-1.4 minutes of the hub", name="minutes.pdf"),
        name="minutes.pdf",
        kind="pdf",
        size=27,
    )
    assert default_storage.exists(item.file.name)
    response = alice.get(reverse("evidence", args=[item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 minutes of the hub"
