"""A reported period's locks hold on every path, the admin's included, and the admin saves an
update only from the version its page was drawn from.

Locks: no update, figure or 4 Ps summary moves into or out of a reported period, nor changes
its place (action, period, district), by a model save, a queryset update, bulk_update,
bulk_create or delete, or a cascade from what it hangs on; a reported period itself changes by
none of them. The admin answers each such attempt with a form error or a message, never a 500,
and changes nothing.
"""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal
from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.urls import reverse

from csp import cycle
from csp.models import (
    Amendment,
    Measure,
    MeasureFigure,
    PeriodLocked,
    PeriodStatus,
    Plan,
    Priority,
    PrioritySummary,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make
from tests.cast import build_cast
from tests.html import form_fields, text_of

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


# -- the admin: the update's change page ---------------------------------------------------


def test_the_admin_refuses_moving_an_update_out_of_a_reported_period(root, reported):
    update = q1_patrols(reported)
    url = change_url(update)
    response = root.post(url, posted_back(root, url, period=str(reported.q2.pk)))
    assert response.status_code == 200
    assert "nothing can be moved into it or out of it" in text_of(response)
    assert stored(update).period == reported.q1


def test_the_admin_refuses_moving_an_update_into_a_reported_period(root, reported):
    update = make.update(reported.hub, reported.q2, UpdateStatus.ON_TRACK, reported.north)
    url = change_url(update)
    response = root.post(url, posted_back(root, url, period=str(reported.q1.pk), district=""))
    assert response.status_code == 200
    assert "has been reported and is locked" in text_of(response)
    assert stored(update).period == reported.q2


def test_saving_a_reported_update_unchanged_is_a_form_error_too(root, reported):
    update = q1_patrols(reported)
    url = change_url(update)
    page = root.get(url)
    assert "can be changed only once a coordinator re-opens it" in text_of(page)
    response = root.post(url, posted_back(root, url))
    assert response.status_code == 200
    assert "has been reported and is locked" in text_of(response)
    assert stored(update).version == update.version


def test_a_reported_update_has_no_history_revert(root, reported):
    update = q1_patrols(reported)
    record = update.history.earliest()
    url = reverse("admin:csp_quarterlyupdate_simple_history", args=[update.pk, record.pk])
    assert root.get(url).status_code == 200
    fields = posted_back(root, url, progress="Reverted over the report")
    assert root.post(url, fields).status_code == 403
    assert stored(update).progress == "Patrols every Friday"


def test_no_history_revert_steps_round_the_version_lock(root, cast):
    update = QuarterlyUpdate.objects.get(action=cast.leaflets, period=cast.q2)
    update.progress = "Newer text"
    update.save()
    record = update.history.earliest()
    url = reverse("admin:csp_quarterlyupdate_simple_history", args=[update.pk, record.pk])
    assert root.post(url, posted_back(root, url)).status_code == 403
    assert stored(update).progress == "Newer text"


# -- the admin: inlines --------------------------------------------------------------------


def test_the_plan_page_shows_a_reported_period_but_changes_nothing_of_it(coordinator, reported):
    url = change_url(reported.plan)
    fields = posted_back(coordinator, url)
    q1_row = row_of(fields, "periods", reported.q1)
    page = coordinator.get(url).content.decode()
    assert re.search(rf'<select name="{q1_row}-quarter"[^>]*disabled', page)
    changed = fields | {
        f"{q1_row}-quarter": "3",
        f"{q1_row}-year": "2016",
        f"{q1_row}-deadline": "2016-12-31",
        f"{q1_row}-DELETE": "on",
        "title": "Castle Plan 2016/17 (amended title)",
    }
    response = coordinator.post(url, changed)
    assert response.status_code == 302, text_of(response)
    period = stored(reported.q1)
    assert (period.quarter, period.deadline, period.status) == (1, None, PeriodStatus.REPORTED)
    assert stored(reported.plan).title == "Castle Plan 2016/17 (amended title)"


def test_an_action_with_a_reported_update_saves_with_its_rows_left_alone(coordinator, reported):
    url = change_url(reported.patrols)
    response = coordinator.post(url, posted_back(coordinator, url, timescale="Q1-4 2016/17"))
    assert response.status_code == 302, text_of(response)
    assert stored(reported.patrols).timescale == "Q1-4 2016/17"


def test_an_action_with_a_reported_update_can_still_be_saved(coordinator, reported):
    url = change_url(reported.patrols)
    fields = posted_back(coordinator, url)
    row = row_of(fields, "updates", q1_patrols(reported))
    response = coordinator.post(
        url,
        fields
        | {
            "timescale": "Q1-4 2016/17",
            f"{row}-progress": "Rewritten after the report",
            f"{row}-period": str(reported.q2.pk),
        },
    )
    assert response.status_code == 302, text_of(response)
    assert stored(reported.patrols).timescale == "Q1-4 2016/17"
    update = q1_patrols(reported)
    assert (update.progress, update.period) == ("Patrols every Friday", reported.q1)


def test_an_inline_cannot_move_an_open_update_into_a_reported_period(coordinator, reported):
    update = make.update(reported.patrols, reported.q2, UpdateStatus.ON_TRACK, reported.north)
    url = change_url(reported.patrols)
    fields = posted_back(coordinator, url)
    row = row_of(fields, "updates", update)
    response = coordinator.post(
        url, fields | {f"{row}-period": str(reported.q1.pk), f"{row}-district": ""}
    )
    assert response.status_code == 200
    assert "has been reported and is locked" in text_of(response)
    assert stored(update).period == reported.q2


def test_an_inline_adds_no_update_to_a_reported_period(coordinator, reported):
    url = change_url(reported.burglary)
    fields = posted_back(coordinator, url)
    row = f"updates-{fields['updates-TOTAL_FORMS']}"
    new_row = {
        "updates-TOTAL_FORMS": str(int(fields["updates-TOTAL_FORMS"]) + 1),
        f"{row}-period": str(reported.q1.pk),
        f"{row}-status": UpdateStatus.ON_TRACK,
        f"{row}-state": UpdateState.ACCEPTED,
        f"{row}-progress": "Slipped in after the report",
    }
    response = coordinator.post(url, fields | new_row)
    assert response.status_code == 200
    assert "has been reported and is locked" in text_of(response)
    assert not QuarterlyUpdate.objects.filter(action=reported.burglary, period=reported.q1).exists()


def test_deleting_a_measure_inline_keeps_its_reported_figures(coordinator, cast, figures):
    measure, q1_figure, _ = figures
    url = change_url(cast.patrols)
    fields = posted_back(coordinator, url)
    row = row_of(fields, "measures", measure)
    response = coordinator.post(url, fields | {f"{row}-DELETE": "on"})
    assert response.status_code == 200
    assert "Nothing was deleted: 2016/17 Q1 has been reported and is locked." in text_of(response)
    assert Measure.objects.filter(pk=measure.pk).exists()
    assert MeasureFigure.objects.filter(pk=q1_figure.pk).exists()


def test_a_reported_updates_figures_stay_until_an_amendment_opens_them(root, cast, figures):
    _, q1_figure, _ = figures
    update = q1_figure.update
    url = change_url(update)
    assert re.search(r'<input[^>]*name="figures-0-value"[^>]*disabled', root.get(url).text)
    forged = posted_back(root, url) | {"figures-0-value": "99"}
    assert root.post(url, forged).status_code == 200
    assert stored(q1_figure).value == 12

    Amendment.objects.create(update=update, reason="Check the count")
    fields = posted_back(root, url)
    response = root.post(url, fields | {"figures-0-value": "99", "progress": "Amended"})
    assert response.status_code == 302, text_of(response)
    assert stored(q1_figure).value == Decimal("99")


# -- the admin: deleting -------------------------------------------------------------------


def delete_url(record) -> str:
    return reverse(f"admin:csp_{record._meta.model_name}_delete", args=[record.pk])


def changelist(model) -> str:
    return reverse(f"admin:csp_{model._meta.model_name}_changelist")


def test_deleting_a_reported_update_is_refused_with_a_message(coordinator, reported):
    update = q1_patrols(reported)
    page = coordinator.get(delete_url(update))
    assert page.status_code == 200
    assert "2016/17 Q1 has been reported and is locked" in text_of(page)
    response = coordinator.post(delete_url(update), {"post": "yes"})
    assert response.status_code == 200
    assert "Nothing was deleted" in text_of(response)
    assert QuarterlyUpdate.objects.filter(pk=update.pk).exists()


def test_delete_selected_refuses_reported_updates_and_deletes_none(coordinator, reported):
    update = q1_patrols(reported)
    deletable = make.update(reported.hub, reported.q2, UpdateStatus.ON_TRACK, reported.north)
    response = coordinator.post(
        changelist(QuarterlyUpdate),
        {"action": "delete_selected", "_selected_action": [update.pk, deletable.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "Nothing was deleted" in text_of(response)
    assert QuarterlyUpdate.objects.filter(pk__in=[update.pk, deletable.pk]).count() == 2


def test_deleting_a_reported_summary_is_refused_with_a_message(coordinator, summary):
    for response in (
        coordinator.post(delete_url(summary), {"post": "yes"}),
        coordinator.post(
            changelist(PrioritySummary),
            {"action": "delete_selected", "_selected_action": [summary.pk], "post": "yes"},
        ),
        coordinator.post(delete_url(summary.priority), {"post": "yes"}),
    ):
        assert response.status_code == 200
        assert "Nothing was deleted" in text_of(response)
    assert PrioritySummary.objects.filter(pk=summary.pk).exists()


def test_deleting_a_reported_period_or_its_plan_is_refused_with_a_message(coordinator, cast):
    plan = make.plan(cast.castle, title="Empty plan", slug="empty")
    period = make.period(plan, 2016, 1, status=PeriodStatus.REPORTED)
    for response in (
        coordinator.post(delete_url(period), {"post": "yes"}),
        coordinator.post(delete_url(plan), {"post": "yes"}),
        coordinator.post(
            changelist(Plan),
            {"action": "delete_selected", "_selected_action": [plan.pk], "post": "yes"},
        ),
    ):
        assert response.status_code == 200
        assert "Nothing was deleted" in text_of(response)
    assert ReportingPeriod.objects.filter(pk=period.pk).exists()


def test_deleting_a_plan_with_reported_updates_changes_nothing(coordinator, reported):
    updates = QuarterlyUpdate.objects.filter(period=reported.q1).count()
    response = coordinator.post(delete_url(reported.plan), {"post": "yes"})
    assert response.status_code == 200
    assert Plan.objects.filter(pk=reported.plan.pk).exists()
    assert QuarterlyUpdate.objects.filter(period=reported.q1).count() == updates


# -- the admin: a reported period's own page -------------------------------------------------


def test_a_reported_periods_page_is_read_only(coordinator, reported):
    url = change_url(reported.q1)
    page = coordinator.get(url)
    assert "2016/17 Q1 has been reported and is locked: it cannot be changed." in text_of(page)
    assert 'name="deadline"' not in page.content.decode()
    response = coordinator.post(url, {"deadline": "2016-07-31"})
    assert response.status_code == 403
    assert stored(reported.q1).deadline is None


def test_saving_a_reported_summary_is_a_form_error(coordinator, summary):
    url = change_url(summary)
    for changes in ({}, {"pursue": "Rewritten"}, {"period": str(summary.period_id + 1)}):
        response = coordinator.post(url, posted_back(coordinator, url, **changes))
        assert response.status_code == 200
        assert "has been reported and is locked" in text_of(response)
    assert stored(summary).pursue == "Op Raptor"


# -- the admin's saves go through the version lock -------------------------------------------


@pytest.fixture
def officer(cast):
    """olive, at Castle Council, signed in on a client of her own."""
    from django.test import Client

    client = Client()
    client.force_login(cast.olive)
    return client


def officer_saves(officer, cast, update, progress):
    """olive writes ``progress`` into ``update`` on her period page, as a draft."""
    url = reverse("period-updates", args=[update.period_id])
    key = f"s{update.action_id}-{update.district_id or 'all'}"
    fields = form_fields(officer.get(url)) | {f"{key}-progress": progress, "intent": "draft"}
    response = officer.post(url, fields)
    assert response.status_code in (200, 302)
    assert stored(update).progress == progress, text_of(response)


@pytest.fixture
def draft(cast):
    cast.olive.first_name, cast.olive.last_name = "Olive", "Oakes"
    cast.olive.save()
    return make.update(
        cast.hub,
        cast.q2,
        UpdateStatus.ON_TRACK,
        cast.north,
        state=UpdateState.DRAFT,
        progress="Venue viewing booked",
    )


def test_an_admin_save_from_a_page_drawn_before_an_officers_save_is_refused(
    coordinator, officer, cast, draft
):
    url = change_url(draft)
    drawn = posted_back(coordinator, url)  # the coordinator opens the update
    officer_saves(officer, cast, draft, "Venue signed for, opening in September")
    response = coordinator.post(url, drawn | {"progress": "Venue viewing done"})
    assert response.status_code == 200
    text = text_of(response)
    assert "This quarterly update was changed by Olive Oakes on" in text
    assert "Venue signed for, opening in September" in text
    kept = stored(draft)
    assert kept.progress == "Venue signed for, opening in September"
    assert kept.version == draft.version + 1  # the officer's save, and no more


def test_an_action_page_drawn_before_an_officers_save_does_not_overwrite_it(
    coordinator, officer, cast, draft
):
    url = change_url(cast.hub)
    drawn = posted_back(coordinator, url)
    officer_saves(officer, cast, draft, "Venue signed for")
    # The coordinator changes only the action; the update's row goes back as it was drawn.
    response = coordinator.post(url, drawn | {"timescale": "Q2 - Sept 16 (revised)"})
    assert response.status_code == 200
    assert "This quarterly update was changed by Olive Oakes" in text_of(response)
    assert stored(draft).progress == "Venue signed for"
    assert stored(cast.hub).timescale == "Q2 - Sept 16"


def test_an_officers_page_drawn_before_an_admin_save_is_refused(coordinator, officer, cast, draft):
    url = reverse("period-updates", args=[cast.q2.pk])
    officer_page = form_fields(officer.get(url))
    change = change_url(draft)
    response = coordinator.post(change, posted_back(coordinator, change, progress="By the admin"))
    assert response.status_code == 302
    key = f"s{cast.hub.pk}-{cast.north.pk}"
    officer.post(url, officer_page | {f"{key}-progress": "By the officer", "intent": "draft"})
    assert stored(draft).progress == "By the admin"


def test_an_unchanged_inline_row_is_saved_without_claiming_its_version(coordinator, cast, draft):
    url = change_url(cast.hub)
    response = coordinator.post(url, posted_back(coordinator, url, timescale="Revised"))
    assert response.status_code == 302
    assert stored(draft).version == draft.version
    assert stored(cast.hub).timescale == "Revised"


def test_a_post_without_the_drawn_version_saves_nothing(root, cast, draft):
    url = change_url(draft)
    fields = posted_back(root, url, progress="No version")
    del fields["drawn_version"]
    response = root.post(url, fields)
    assert response.status_code == 200
    assert "did not say which version it was drawn from" in text_of(response)
    assert stored(draft).progress == "Venue viewing booked"


def test_a_summary_saved_meanwhile_is_not_overwritten_by_the_admin(coordinator, cast):
    priority = Priority.objects.create(plan=cast.plan, number=3, title="Serious violence")
    summary = PrioritySummary.objects.create(
        priority=priority, period=cast.q2, organisation=cast.police, pursue="Op Raptor"
    )
    url = change_url(summary)
    drawn = posted_back(coordinator, url)
    summary.pursue, summary.version = "Op Raptor: 12 arrests", summary.version + 1
    summary.save()  # as the officers' page saves it
    response = coordinator.post(url, drawn | {"pursue": "Op Raptor (checked)"})
    assert response.status_code == 200
    assert "This priority summary was changed" in text_of(response)
    assert stored(summary).pursue == "Op Raptor: 12 arrests"


# -- under a real race (PostgreSQL) ------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two concurrent write transactions need PostgreSQL; run with DATABASE_URL",
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_admins_check_holds_the_version_until_its_save():
    """The admin checks the version when it validates and saves a moment later; an officer's
    save in between waits for it, then is refused, rather than being overwritten unseen."""
    cast = build_cast()
    update = make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, progress="Start")
    held, officer_started = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}
    errors: list[BaseException] = []

    def admin_saves() -> None:
        try:
            with transaction.atomic():
                drawn = QuarterlyUpdate.objects.get(pk=update.pk)
                assert QuarterlyUpdate.objects.hold_version(drawn.pk, drawn.version)
                held.set()
                officer_started.wait(timeout=10)
                time.sleep(0.5)  # the officer's claim is waiting on the row meanwhile
                drawn.progress, drawn.version = "The admin's", drawn.version + 1
                drawn.save()
            outcome["admin"] = "saved"
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def officer_saves() -> None:
        try:
            held.wait(timeout=10)
            slot = cycle.PeriodSlots(cast.q2).find(cast.hub.pk, cast.north.pk)
            officer_started.set()
            with transaction.atomic():
                cycle.save_update(
                    slot,
                    cycle.UpdateInput(UpdateStatus.AT_RISK, "The officer's", "", {}, 1),
                    user=cast.olive,
                    submit=False,
                )
            outcome["officer"] = "saved"
        except cycle.EditConflict:
            outcome["officer"] = "refused"
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=admin_saves), threading.Thread(target=officer_saves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert outcome == {"admin": "saved", "officer": "refused"}
    assert (stored(update).progress, stored(update).version) == ("The admin's", 2)


def test_loading_the_demo_again_does_not_un_report_a_period():
    """The demo's Castle Point Q1 is closed in its file; once a report has locked it, loading
    the demo again is refused as a whole rather than reopening what the committee saw."""
    call_command("load_demo", stdout=StringIO())
    period = ReportingPeriod.objects.get(
        plan__partnership__slug="castle-point-rochford", year=2016, quarter=1
    )
    report(period)
    with pytest.raises(CommandError, match="2016/17 Q1 has been reported and is locked"):
        call_command("load_demo", stdout=StringIO())
    assert stored(period).status == PeriodStatus.REPORTED
