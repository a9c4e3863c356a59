"""A reported period's locks hold on every path.

Locks: no update, figure or 4 Ps summary moves into or out of a reported period, nor changes
its place (action, period, district), by a model save, a queryset update, bulk_update,
bulk_create or delete, or a cascade from what it hangs on; a reported period itself changes by
none of them. The admin answers each such attempt with a form error or a message, never a 500,
and changes nothing.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.db.models import Case, Value, When
from django.urls import reverse

from csp.models import (
    Amendment,
    Measure,
    MeasureFigure,
    PeriodLocked,
    PeriodStatus,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateStatus,
)
from tests import factories as make

pytestmark = pytest.mark.django_db


def report(period: ReportingPeriod) -> None:
    """Mark ``period`` reported, as issuing a scrutiny report does."""
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.REPORTED)
    period.refresh_from_db()


def stored(record):
    return type(record).objects.get(pk=record.pk)


@pytest.fixture
def reported(cast):
    """The cast with Q1 reported: the patrols' Q1 North update is locked."""
    report(cast.q1)
    return cast


@pytest.fixture
def root(client):
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "pw"))
    return client


@pytest.fixture
def coordinator(client, cast):
    """alice, Castle's coordinator, as staff with the app's permissions (as the demo makes her)."""
    cast.alice.is_staff = True
    cast.alice.save()
    cast.alice.user_permissions.set(Permission.objects.filter(content_type__app_label="csp"))
    client.force_login(cast.alice)
    return client


def q1_patrols(cast) -> QuarterlyUpdate:
    return QuarterlyUpdate.objects.get(action=cast.patrols, period=cast.q1)


def change_url(record) -> str:
    return reverse(f"admin:csp_{record._meta.model_name}_change", args=[record.pk])


class _Form(HTMLParser):
    """What a browser posts for a page's form: no disabled fields, checkboxes only if ticked,
    the chosen options of each select (a list for a multiple one)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "option" and self._select is not None and "selected" in a:
            if isinstance(self.fields[self._select], list):
                self.fields[self._select].append(a.get("value", ""))
            else:
                self.fields[self._select] = a.get("value", "")
        name = a.get("name")
        if not name or "disabled" in a or "__prefix__" in name or name == "csrfmiddlewaretoken":
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "image"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value") or "on"
            else:
                self.fields[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
            self.fields[name] = [] if "multiple" in a else ""
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            text = self.fields[self._textarea] + data
            # A browser drops the one newline Django writes after the opening tag.
            self.fields[self._textarea] = text.removeprefix("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def posted_back(client, url: str, **changes: Any) -> dict:
    """What a change page posts when its form is sent as drawn, with ``changes``."""
    form = _Form()
    form.feed(client.get(url).content.decode())
    return form.fields | changes


def row_of(fields: dict, prefix: str, record) -> str:
    """The form prefix (``updates-2``) of ``record``'s row in an inline posted as ``fields``."""
    return next(
        name.removesuffix("-id")
        for name, value in fields.items()
        if name.startswith(f"{prefix}-") and name.endswith("-id") and value == str(record.pk)
    )


# -- the model: both sides of every write --------------------------------------------------


def test_an_update_cannot_be_moved_out_of_a_reported_period(reported):
    update = q1_patrols(reported)
    update.period = reported.q2
    with pytest.raises(PeriodLocked, match="nothing can be moved into it or out of it"):
        update.save()
    assert stored(update).period == reported.q1


def test_an_update_cannot_be_moved_into_a_reported_period(reported):
    update = QuarterlyUpdate.objects.get(action=reported.leaflets, period=reported.q2)
    update.district = reported.north
    update.period = reported.q1
    with pytest.raises(PeriodLocked):
        update.save()
    assert stored(update).period == reported.q2


def test_an_amendment_lets_the_text_change_but_never_the_place(reported):
    update = q1_patrols(reported)
    Amendment.objects.create(update=update, reason="The count was wrong")
    update.progress = "Patrols every Friday and Saturday"
    update.save()  # the amendment's purpose
    update.district = reported.south
    with pytest.raises(PeriodLocked, match="not even during an amendment"):
        update.save()
    update.district = reported.north
    update.action = reported.hub
    with pytest.raises(PeriodLocked):
        update.save()
    assert (stored(update).district, stored(update).action) == (reported.north, reported.patrols)


def test_a_queryset_update_moves_nothing_out_of_or_into_a_reported_period(reported):
    update = q1_patrols(reported)
    with pytest.raises(PeriodLocked):
        QuarterlyUpdate.objects.filter(pk=update.pk).update(period=reported.q2)
    assert stored(update).period == reported.q1

    open_one = QuarterlyUpdate.objects.get(action=reported.leaflets, period=reported.q2)
    with pytest.raises(PeriodLocked), transaction.atomic():
        # An expression: where it lands is known only once applied, and is rolled back.
        QuarterlyUpdate.objects.filter(pk=open_one.pk).update(
            period_id=Case(When(pk=open_one.pk, then=Value(reported.q1.pk))),
            district=reported.south,
        )
    assert (stored(open_one).period, stored(open_one).district) == (reported.q2, None)


def test_bulk_update_moves_nothing_into_a_reported_period(reported):
    update = make.update(reported.hub, reported.q2, UpdateStatus.ON_TRACK, reported.north)
    update.period = reported.q1
    update.district = None
    with pytest.raises(PeriodLocked), transaction.atomic():
        QuarterlyUpdate.objects.bulk_update([update], ["period", "district"])
    assert stored(update).period == reported.q2


def test_an_amended_update_is_not_deleted_by_a_queryset_either(reported):
    update = q1_patrols(reported)
    Amendment.objects.create(update=update, reason="The count was wrong")
    QuarterlyUpdate.objects.filter(pk=update.pk).update(progress="Amended text")  # allowed
    with pytest.raises(PeriodLocked, match="cannot be deleted"):
        QuarterlyUpdate.objects.filter(pk=update.pk).delete()
    assert stored(update).progress == "Amended text"


def test_deleting_goes_by_where_the_update_is_stored_not_by_the_copy(reported):
    update = q1_patrols(reported)
    update.period = reported.q2  # a copy changed in memory, never saved
    with pytest.raises(PeriodLocked):
        update.delete()
    assert QuarterlyUpdate.objects.filter(pk=update.pk).exists()


@pytest.fixture
def figures(cast):
    """A measure on the patrols with a figure in Q1 (about to be reported) and one in Q2."""
    measure = Measure.objects.create(action=cast.patrols, description="Patrols", unit="patrols")
    q2 = make.update(cast.patrols, cast.q2, UpdateStatus.ON_TRACK, cast.north)
    q1_figure = MeasureFigure.objects.create(measure=measure, update=q1_patrols(cast), value=12)
    q2_figure = MeasureFigure.objects.create(measure=measure, update=q2, value=14)
    report(cast.q1)
    return measure, q1_figure, q2_figure


def test_a_figure_cannot_be_moved_out_of_or_into_a_reported_period(cast, figures):
    _, q1_figure, q2_figure = figures
    q2_update = q2_figure.update
    q2_figure.delete()
    q1_figure.update = q2_update
    with pytest.raises(PeriodLocked):
        q1_figure.save()
    with pytest.raises(PeriodLocked):
        MeasureFigure.objects.filter(pk=q1_figure.pk).update(update=q2_update)
    with pytest.raises(PeriodLocked):
        MeasureFigure.objects.filter(pk=q1_figure.pk).update(value=1)
    assert (stored(q1_figure).update, stored(q1_figure).value) == (q1_patrols(cast), 12)


def test_a_figure_cannot_be_added_to_a_reported_update_in_bulk(cast, figures):
    other = Measure.objects.create(action=cast.patrols, number=2, description="Arrests")
    with pytest.raises(PeriodLocked):
        MeasureFigure.objects.bulk_create(
            [MeasureFigure(measure=other, update=q1_patrols(cast), value=3)]
        )
    assert not MeasureFigure.objects.filter(measure=other).exists()


def test_deleting_a_measure_does_not_take_a_reported_figure_with_it(cast, figures):
    measure, q1_figure, _ = figures
    with pytest.raises(PeriodLocked), transaction.atomic():
        measure.delete()
    with pytest.raises(PeriodLocked), transaction.atomic():
        Measure.objects.filter(pk=measure.pk).delete()
    assert MeasureFigure.objects.filter(pk=q1_figure.pk).exists()


@pytest.fixture
def summary(cast):
    """Shire Police's 4 Ps summary of a priority without actions, in Q1, then reported."""
    priority = Priority.objects.create(plan=cast.plan, number=3, title="Serious violence")
    made = PrioritySummary.objects.create(
        priority=priority, period=cast.q1, organisation=cast.police, pursue="Op Raptor"
    )
    report(cast.q1)
    return made


def test_a_summary_cannot_be_moved_out_of_a_reported_period(cast, summary):
    summary.period = cast.q2
    with pytest.raises(PeriodLocked):
        summary.save()
    with pytest.raises(PeriodLocked):
        PrioritySummary.objects.filter(pk=summary.pk).update(period=cast.q2)
    with pytest.raises(PeriodLocked):
        PrioritySummary.objects.filter(pk=summary.pk).update(pursue="Rewritten")
    assert (stored(summary).period, stored(summary).pursue) == (cast.q1, "Op Raptor")


def test_deleting_a_priority_does_not_take_a_reported_summary_with_it(cast, summary):
    with pytest.raises(PeriodLocked), transaction.atomic():
        summary.priority.delete()
    assert PrioritySummary.objects.filter(pk=summary.pk).exists()


def test_a_reported_period_changes_by_no_path(reported):
    period = ReportingPeriod.objects.get(pk=reported.q1.pk)
    period.quarter = 3
    with pytest.raises(PeriodLocked, match="it cannot be changed"):
        period.save()
    with pytest.raises(PeriodLocked):
        ReportingPeriod.objects.filter(pk=period.pk).update(deadline="2016-07-31")
    with pytest.raises(PeriodLocked):
        ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.OPEN)
    # Marked reported again (a second report of the same quarter): nothing changes.
    ReportingPeriod.objects.filter(pk=period.pk).update(status=PeriodStatus.REPORTED)
    assert stored(period).quarter == 1 and stored(period).deadline is None


def test_a_reported_period_and_its_plan_are_not_deleted(cast):
    plan = make.plan(cast.castle, title="Empty plan", slug="empty")
    period = make.period(plan, 2016, 1, status=PeriodStatus.REPORTED)
    with pytest.raises(PeriodLocked), transaction.atomic():
        period.delete()
    with pytest.raises(PeriodLocked), transaction.atomic():
        ReportingPeriod.objects.filter(pk=period.pk).delete()
    with pytest.raises(PeriodLocked), transaction.atomic():
        plan.delete()
    assert ReportingPeriod.objects.filter(pk=period.pk).exists()
