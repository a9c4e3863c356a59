"""Searching update texts: the same answers through the full-text index as without it."""

import pytest
from django.db import connection

from csp.models import QuarterlyUpdate, UpdateStatus
from tests import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def updates():
    action = make.action()
    q1 = make.period(action.plan, 2016, 1)
    q2 = make.period(action.plan, 2016, 2)
    first = make.update(
        action, q1, UpdateStatus.ON_TRACK, progress="Operation Nightjar: cuckooing visits"
    )
    second = make.update(
        action, q2, UpdateStatus.ON_TRACK, progress="100% of schools; 5_000 leaflets"
    )
    return first, second


def found(text: str) -> set[int]:
    return set(QuarterlyUpdate.objects.with_progress_containing(text).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("text", "which"),
    [
        ("nightjar", {0}),
        ("CUCKOO", {0}),
        ("ing vis", {0}),
        ("of", {1}),
        ("100%", {1}),
        ("5_0", {1}),
        ("leaflets", {1}),
        ("o", {0, 1}),
        ("absent", set()),
    ],
)
def test_it_finds_what_icontains_finds(updates, text, which):
    assert found(text) == {updates[i].pk for i in which}
    plain = set(
        QuarterlyUpdate.objects.filter(progress__icontains=text).values_list("pk", flat=True)
    )
    assert found(text) == plain


def test_the_index_follows_edits_and_deletes(updates):
    first, second = updates
    first.progress = "Street Pastors patrol"
    first.save()
    assert found("nightjar") == set()
    assert found("pastors") == {first.pk}
    QuarterlyUpdate.objects.filter(pk=second.pk).update(progress="Pastors again")
    assert found("pastors") == {first.pk, second.pk}
    second.delete()
    assert found("pastors") == {first.pk}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_the_sqlite_triggers_survive_the_migrations():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master "
            "WHERE type = 'trigger' AND name LIKE 'csp_quarterlyupdate_fts_%'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "csp_quarterlyupdate_fts_insert",
        "csp_quarterlyupdate_fts_delete",
        "csp_quarterlyupdate_fts_update",
    }
