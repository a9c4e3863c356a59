"""Two people editing the same update lose nothing: the later save is refused, not merged over.

The interleaved tests run everywhere. The threaded ones run two real transactions at once,
which only PostgreSQL can do here (SQLite has one writer, and the in-memory test database
refuses a second rather than waiting); there they show the version claim holds under a race.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from csp import cycle
from csp.models import QuarterlyUpdate, UpdateState, UpdateStatus
from tests.cast import build_cast


def text(progress: str, version: int) -> cycle.UpdateInput:
    return cycle.UpdateInput(
        status=UpdateStatus.ON_TRACK, progress=progress, risks="", figures={}, version=version
    )


def slot_of(cast, district):
    """The hub's slot for ``district``, as a fresh page load would draw it."""
    return cycle.PeriodSlots(cast.q2).find(cast.hub.pk, district.pk)


@pytest.mark.django_db
def test_two_editors_of_an_existing_update_the_later_is_refused(cast):
    QuarterlyUpdate.objects.create(
        action=cast.hub, period=cast.q2, district=cast.north, progress="Start", version=3
    )
    olive_sees, dave_sees = slot_of(cast, cast.north), slot_of(cast, cast.north)
    with transaction.atomic():
        cycle.save_update(olive_sees, text("Olive's", 3), user=cast.olive, submit=False)
    with pytest.raises(cycle.EditConflict) as refused, transaction.atomic():
        cycle.save_update(dave_sees, text("Dave's", 3), user=cast.dave, submit=False)
    assert refused.value.current.progress == "Olive's"
    stored = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (stored.progress, stored.version, stored.author) == ("Olive's", 4, cast.olive)


@pytest.mark.django_db
def test_two_editors_of_a_new_update_the_later_is_refused(cast):
    olive_sees, dave_sees = slot_of(cast, cast.south), slot_of(cast, cast.south)
    with transaction.atomic():
        cycle.save_update(olive_sees, text("Olive's", 0), user=cast.olive, submit=True)
    with pytest.raises(cycle.EditConflict), transaction.atomic():
        cycle.save_update(dave_sees, text("Dave's", 0), user=cast.dave, submit=False)
    stored = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.south)
    assert (stored.progress, stored.state) == ("Olive's", UpdateState.SUBMITTED)


def race(cast, district, version: int) -> tuple[list[str], list[str]]:
    """Two threads save the same slot at once from ``version``; returns (saved, refused)."""
    barrier = threading.Barrier(2)
    saved: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def edit(name: str, user) -> None:
        try:
            slot = slot_of(cast, district)
            barrier.wait(timeout=10)
            with transaction.atomic():
                cycle.save_update(slot, text(name, version), user=user, submit=False)
            saved.append(name)
        except cycle.EditConflict:
            refused.append(name)
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=edit, args=("olive", cast.olive)),
        threading.Thread(target=edit, args=("dave", cast.dave)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return saved, refused


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two concurrent write transactions need PostgreSQL; run with DATABASE_URL",
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_race_on_an_existing_update_has_one_winner_and_loses_nothing():
    cast = build_cast()
    for attempt in range(5):
        update, _ = QuarterlyUpdate.objects.update_or_create(
            action=cast.hub, period=cast.q2, district=cast.north, defaults={"progress": "Start"}
        )
        saved, refused = race(cast, cast.north, update.version)
        assert len(saved) == 1 and len(refused) == 1, (attempt, saved, refused)
        stored = QuarterlyUpdate.objects.get(pk=update.pk)
        assert stored.progress == saved[0]
        assert stored.version == update.version + 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_race_to_create_an_update_has_one_winner():
    cast = build_cast()
    saved, refused = race(cast, cast.south, 0)
    assert len(saved) == 1 and len(refused) == 1
    stored = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.south)
    assert stored.progress == saved[0]


@pytest.mark.django_db
def test_a_period_reported_after_the_page_was_drawn_refuses_the_save(cast):
    from csp.models import PeriodLocked, ReportingPeriod

    drawn = slot_of(cast, cast.south)  # the period, loaded while still open
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status="reported")
    with pytest.raises(PeriodLocked), transaction.atomic():
        cycle.save_update(drawn, text("Too late", 0), user=cast.olive, submit=True)
    assert not QuarterlyUpdate.objects.filter(
        action=cast.hub, period=cast.q2, district=cast.south
    ).exists()
