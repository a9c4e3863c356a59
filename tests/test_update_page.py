"""My updates and the period page where officers write their updates: drafts, submitting,
validation, figures, the 4 Ps, locking, and two people editing the same update."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from csp.models import (
    ActionStatus,
    Amendment,
    Measure,
    MeasureFigure,
    PartnershipRole,
    PeriodStatus,
    PrioritySummary,
    QuarterlyUpdate,
    Role,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make
from tests.html import form_fields, submitted_form, text_of


def page_url(cast):
    return reverse("period-updates", args=[cast.q2.pk])


def key(action, district=None):
    return f"s{action.pk}-{district.pk if district else 'all'}"


def signed_in(client, user):
    client.force_login(user)
    return client


def post(client, cast, intent="draft", **changes):
    """Post the page back as drawn for this user, with ``changes`` (``s12-3-progress=…``)."""
    fields = form_fields(client.get(page_url(cast)))
    fields |= {k.replace("__", "-"): v for k, v in changes.items()}
    return client.post(page_url(cast), fields | {"intent": intent})


def field(action, district, name):
    return f"{key(action, district)}__{name}"


@pytest.fixture
def olive(client, cast):
    return signed_in(client, cast.olive)


# My updates


def test_my_updates_lists_the_officers_actions_for_the_open_period(olive, cast):
    response = olive.get(reverse("my-updates"))
    assert response.status_code == 200
    text = text_of(response)
    assert "2016/17 Q2" in text
    assert "Castle Council" in text
    # Olive's council leads the hub (both districts) and the burglary work; not the patrols.
    assert "Open a community safety hub" in text
    assert "Target hardening for repeat victims" in text
    assert "Evening patrols" not in text
    # The leaflets (all partners) finished in Q1 but have an accepted Q2 update all the same.
    assert "2 missing, 2 accepted" in text
    assert reverse("period-updates", args=[cast.q2.pk]) in response.content.decode()


def test_my_updates_says_why_there_is_nothing_for_a_viewer(client, cast):
    response = signed_in(client, cast.bob).get(reverse("my-updates"))
    assert "Your role does not include writing quarterly updates" in text_of(response)


def test_my_updates_says_when_a_sign_in_is_not_linked_to_an_organisation(client, cast):
    cast.olive.officers.update(user=None)
    response = signed_in(client, cast.olive).get(reverse("my-updates"))
    assert "not linked to an officer of any organisation" in text_of(response)


def test_my_updates_needs_sign_in(client, cast):
    response = client.get(reverse("my-updates"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_updates_marks_an_overdue_period(olive, cast):
    cast.q2.deadline = cast.q2.financial_quarter.end
    cast.q2.save()
    assert "Overdue" in text_of(olive.get(reverse("my-updates")))


# The period page


def test_the_page_has_a_form_for_each_of_the_officers_updates_and_last_quarters_text(olive, cast):
    response = olive.get(page_url(cast))
    assert response.status_code == 200
    fields = form_fields(response)
    assert field(cast.hub, cast.north, "progress").replace("__", "-") in fields
    assert field(cast.hub, cast.south, "progress").replace("__", "-") in fields
    assert not any(name.startswith(key(cast.patrols, cast.north)) for name in fields)
    text = text_of(response)
    assert "Last quarter (2016/17 Q1)" in text
    assert "Venue found" in text  # Q1 north
    assert "No venue yet" in text  # Q1 south


def test_saving_a_draft_keeps_only_what_was_changed(olive, cast):
    response = post(
        olive,
        cast,
        **{
            field(cast.hub, cast.north, "status"): UpdateStatus.ON_TRACK,
            field(cast.hub, cast.north, "progress"): "Lease signed for the library room",
        },
    )
    assert response.status_code == 302
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (update.state, update.status, update.progress) == (
        UpdateState.DRAFT,
        UpdateStatus.ON_TRACK,
        "Lease signed for the library room",
    )
    assert (update.author, update.organisation, update.version) == (cast.olive, cast.council, 1)
    assert not QuarterlyUpdate.objects.filter(
        action=cast.hub, period=cast.q2, district=cast.south
    ).exists()
    # A draft does not count towards the action's status.
    assert not ActionStatus.objects.filter(action=cast.hub, period=cast.q2).exists()
    assert "1 update saved as a draft" in text_of(olive.get(page_url(cast)))


def test_submitting_sends_every_filled_update_and_sets_the_status(olive, cast):
    response = post(
        olive,
        cast,
        intent="submit",
        **{
            field(cast.hub, cast.north, "status"): UpdateStatus.ON_TRACK,
            field(cast.hub, cast.north, "progress"): "Lease signed",
            field(cast.hub, cast.south, "status"): UpdateStatus.AT_RISK,
            field(cast.hub, cast.south, "progress"): "Still looking",
        },
    )
    assert response.status_code == 302
    updates = QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2)
    assert {u.state for u in updates} == {UpdateState.SUBMITTED}
    assert all(u.submitted_at for u in updates)
    assert ActionStatus.objects.get(action=cast.hub, period=cast.q2).status == UpdateStatus.AT_RISK


def test_submitting_saves_the_complete_updates_and_keeps_an_incomplete_one_as_typed(olive, cast):
    # Issue 12 changed this rule: one incomplete update used to refuse the whole page.
    response = post(
        olive,
        cast,
        intent="submit",
        **{
            field(cast.hub, cast.north, "status"): UpdateStatus.ON_TRACK,
            field(cast.hub, cast.north, "progress"): "Lease signed",
            field(cast.hub, cast.south, "progress"): "Still looking",
        },
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "There is a problem" in text
    assert "Choose a status for 1.1.2 (South)" in text
    assert "1 update submitted to the coordinator. 1 update was not saved" in text
    north = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (north.state, north.progress) == (UpdateState.SUBMITTED, "Lease signed")
    assert not QuarterlyUpdate.objects.filter(
        action=cast.hub, period=cast.q2, district=cast.south
    ).exists()
    # What was typed for South is still in its form; North is shown as submitted.
    fields = form_fields(response)
    assert fields[f"{key(cast.hub, cast.south)}-progress"] == "Still looking"
    assert f"{key(cast.hub, cast.north)}-progress" not in fields


def test_a_draft_can_be_saved_without_a_status(olive, cast):
    post(olive, cast, **{field(cast.hub, cast.south, "progress"): "Half written"})
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.south)
    assert (update.status, update.state) == (UpdateStatus.NOT_GIVEN, UpdateState.DRAFT)


def test_figures_for_measures_are_saved_and_a_bad_figure_is_refused(olive, cast):
    measure = Measure.objects.create(
        action=cast.hub,
        number=1,
        description="Residents visiting the hub",
        target_value=Decimal(200),
    )
    bad = post(olive, cast, **{field(cast.hub, cast.north, f"m{measure.pk}"): "lots"})
    assert bad.status_code == 400
    assert (
        "Enter Residents visiting the hub for 1.1.2 (North) as a number, like 85, 85% or 1,200"
        in text_of(bad)
    )
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()

    post(olive, cast, **{field(cast.hub, cast.north, f"m{measure.pk}"): "42.5"})
    figure = MeasureFigure.objects.get(measure=measure)
    assert figure.value == Decimal("42.5")
    assert figure.update.district == cast.north
    assert "Target: 200" in text_of(olive.get(page_url(cast)))

    post(olive, cast, **{field(cast.hub, cast.north, f"m{measure.pk}"): ""})
    assert not MeasureFigure.objects.filter(measure=measure).exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("85%", "85"),
        ("85 %", "85"),
        ("1,200", "1200"),
        (" 12.5 ", "12.5"),
        ("£1,200.50", "1200.50"),
        ("-3", "-3"),
    ],
)
def test_figures_are_read_as_people_type_them(olive, cast, typed, stored):
    measure = Measure.objects.create(action=cast.hub, number=1, description="Residents")
    response = post(olive, cast, **{field(cast.hub, cast.north, f"m{measure.pk}"): typed})
    assert response.status_code == 302
    assert MeasureFigure.objects.get(measure=measure).value == Decimal(stored)


@pytest.mark.parametrize("typed", ["one", "1,20", "1.2.3", "12 000 000 000 000", "85 percent"])
def test_what_is_not_a_figure_is_refused_by_name(olive, cast, typed):
    measure = Measure.objects.create(action=cast.hub, number=1, description="Residents")
    response = post(olive, cast, **{field(cast.hub, cast.south, f"m{measure.pk}"): typed})
    assert response.status_code == 400
    assert "Enter Residents for 1.1.2 (South) as a number" in text_of(response)
    assert form_fields(response)[f"{key(cast.hub, cast.south)}-m{measure.pk}"] == typed


def test_a_stored_figure_typed_again_with_a_comma_is_no_change(olive, cast):
    measure = Measure.objects.create(action=cast.hub, number=1, description="Residents")
    post(olive, cast, **{field(cast.hub, cast.north, f"m{measure.pk}"): "1200"})
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    drawn = form_fields(olive.get(page_url(cast)))
    assert drawn[f"{key(cast.hub, cast.north)}-m{measure.pk}"] == "1,200"
    response = post(olive, cast)
    assert "Nothing to save" in text_of(response)
    update.refresh_from_db()
    assert update.version == 1


def test_one_bad_figure_keeps_its_update_and_saves_every_other(olive, cast):
    """The issue's probe: "85%" and "one" refused the whole page, naming neither update."""
    measure = Measure.objects.create(action=cast.hub, number=1, description="Sessions held")
    cctv = make.action(cast.hub.objective, description="CCTV review", lead=cast.council)
    response = post(
        olive,
        cast,
        **{
            field(cast.hub, cast.north, "progress"): "North text",
            field(cast.hub, cast.north, f"m{measure.pk}"): "85%",
            field(cast.hub, cast.south, "progress"): "South text",
            field(cast.hub, cast.south, f"m{measure.pk}"): "one",
            field(cctv, cast.north, "progress"): "CCTV text",
        },
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "Enter Sessions held for 1.1.2 (South) as a number" in text
    assert "2 updates saved as a draft. 1 update was not saved" in text
    north = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (north.progress, north.figures.get().value) == ("North text", Decimal(85))
    assert QuarterlyUpdate.objects.get(action=cctv, district=cast.north).progress == "CCTV text"
    assert not QuarterlyUpdate.objects.filter(district=cast.south, period=cast.q2).exists()
    fields = form_fields(response)
    assert fields[f"{key(cast.hub, cast.south)}-progress"] == "South text"
    assert fields[f"{key(cast.hub, cast.south)}-m{measure.pk}"] == "one"
    # The saved ones are drawn from what is stored, at their new versions, so saving the page
    # again (after fixing South) is no conflict.
    assert fields[f"{key(cast.hub, cast.north)}-version"] == "1"
    again = olive.post(
        page_url(cast),
        submitted_form(response, {f"{key(cast.hub, cast.south)}-m{measure.pk}": "1"})
        | {"intent": "draft"},
    )
    assert again.status_code == 302
    south = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.south)
    assert (south.progress, south.figures.get().value) == ("South text", Decimal(1))


def test_a_forged_version_is_an_error_naming_the_update(olive, cast):
    response = post(olive, cast, **{field(cast.hub, cast.north, "version"): "x"})
    assert response.status_code == 400
    assert "The form for 1.1.2 (North) was out of date" in text_of(response)
    html = response.content.decode()
    assert f'href="#id_{key(cast.hub, cast.north)}-status"' in html


def test_a_status_not_in_the_list_is_refused_by_name(olive, cast):
    response = post(olive, cast, **{field(cast.hub, cast.north, "status"): "splendid"})
    assert response.status_code == 400
    assert "Choose a status from the list for 1.1.2 (North)" in text_of(response)


def test_a_submitted_update_is_shown_but_not_editable(olive, cast):
    post(
        olive,
        cast,
        intent="submit",
        **{
            field(cast.hub, cast.north, "status"): UpdateStatus.ON_TRACK,
            field(cast.hub, cast.north, "progress"): "Lease signed",
        },
    )
    response = olive.get(page_url(cast))
    assert field(cast.hub, cast.north, "progress").replace("__", "-") not in form_fields(response)
    assert "Lease signed" in text_of(response)


def test_a_returned_update_shows_the_comment_and_can_be_resubmitted(olive, cast):
    update = QuarterlyUpdate.objects.create(
        action=cast.hub,
        period=cast.q2,
        district=cast.north,
        status=UpdateStatus.ON_TRACK,
        progress="Fine",
        state=UpdateState.RETURNED,
        return_comment="Please say when the hub opens",
    )
    response = olive.get(page_url(cast))
    assert "Returned by the coordinator: Please say when the hub opens" in text_of(response)
    post(olive, cast, **{field(cast.hub, cast.north, "progress"): "Opens 3 October"})
    update.refresh_from_db()
    assert update.state == UpdateState.RETURNED  # a draft of a returned update stays returned
    post(olive, cast, intent="submit")
    update.refresh_from_db()
    assert (update.state, update.progress) == (UpdateState.SUBMITTED, "Opens 3 October")


def test_nothing_changed_saves_nothing(olive, cast):
    response = post(olive, cast)
    assert response.status_code == 200
    assert "Nothing to save" in text_of(response)
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()


def test_an_officer_cannot_write_another_organisations_update(client, cast):
    dave = signed_in(client, cast.dave)
    fields = form_fields(dave.get(page_url(cast)))
    assert not any(name.startswith(key(cast.hub, cast.north)) for name in fields)
    # Forged fields for the council's action are ignored.
    forged = {
        f"{key(cast.hub, cast.north)}-version": "0",
        f"{key(cast.hub, cast.north)}-status": UpdateStatus.COMPLETE,
        f"{key(cast.hub, cast.north)}-progress": "Forged",
    }
    dave.post(page_url(cast), fields | forged | {"intent": "submit"})
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("clara", 403), ("charlie", 404)])
def test_who_may_not_open_the_page(client, cast, who, status):
    assert signed_in(client, getattr(cast, who)).get(page_url(cast)).status_code == status


def test_the_page_needs_sign_in(client, cast):
    response = client.get(page_url(cast))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_intent_is_refused(olive, cast):
    assert olive.post(page_url(cast), {"intent": "publish"}).status_code == 400


# Periods that are closed or reported


@pytest.mark.parametrize("status", [PeriodStatus.CLOSED, PeriodStatus.REPORTED])
def test_a_closed_or_reported_period_cannot_be_written_through_the_page(olive, cast, status):
    fields = form_fields(olive.get(page_url(cast)))
    cast.q2.status = status
    cast.q2.save()
    response = olive.get(page_url(cast))
    assert field(cast.hub, cast.north, "progress").replace("__", "-") not in form_fields(response)
    assert f"This period is {status.label.lower()}" in text_of(response)
    olive.post(
        page_url(cast),
        fields
        | {
            f"{key(cast.hub, cast.north)}-status": UpdateStatus.ON_TRACK,
            f"{key(cast.hub, cast.north)}-progress": "Too late",
            "intent": "submit",
        },
    )
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()
    burglary = QuarterlyUpdate.objects.get(action=cast.burglary, period=cast.q2)
    assert burglary.progress == "Secret informant briefing"


def test_an_update_reopened_for_amendment_can_be_changed_in_a_reported_period(olive, cast):
    update = QuarterlyUpdate.objects.get(action=cast.burglary, period=cast.q2)
    cast.q2.status = PeriodStatus.REPORTED
    cast.q2.save()
    Amendment.objects.create(update=update, reason="Wrong figure reported", opened_by=cast.alice)
    QuarterlyUpdate.objects.filter(pk=update.pk).update(state=UpdateState.RETURNED)
    response = olive.get(page_url(cast))
    assert "Re-opened for an amendment: Wrong figure reported" in text_of(response)
    post(
        olive,
        cast,
        intent="submit",
        **{field(cast.burglary, None, "progress"): "Corrected briefing note"},
    )
    update.refresh_from_db()
    assert (update.progress, update.state) == ("Corrected briefing note", UpdateState.SUBMITTED)
    # Everything else in the period stays locked.
    assert field(cast.hub, cast.north, "progress").replace("__", "-") not in form_fields(
        olive.get(page_url(cast))
    )


# Two people editing the same update


def test_the_later_of_two_edits_is_refused_with_both_texts_shown(cast, django_user_model):
    first, second = Client(), Client()
    first.force_login(cast.olive)
    colleague = django_user_model.objects.create_user("oscar", "oscar@example.invalid", "pw")
    make.officer(cast.council, name="Oscar Owen", user=colleague)
    PartnershipRole.objects.create(user=colleague, partnership=cast.castle, role=Role.OFFICER)
    second.force_login(colleague)

    progress = f"{key(cast.hub, cast.north)}-progress"
    status = f"{key(cast.hub, cast.north)}-status"
    first_form = form_fields(first.get(page_url(cast)))
    second_form = form_fields(second.get(page_url(cast)))

    first.post(
        page_url(cast),
        first_form | {progress: "Olive's text", status: "on_track", "intent": "draft"},
    )
    refused = second.post(
        page_url(cast),
        second_form | {progress: "Oscar's text", status: "at_risk", "intent": "draft"},
    )
    assert refused.status_code == 200
    text = text_of(refused)
    assert "Nothing was saved" in text
    assert "saved this update while you were editing" in text
    assert "Olive's text" in text  # theirs, shown
    assert form_fields(refused)[progress] == "Oscar's text"  # his, still in the form
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (update.progress, update.version) == ("Olive's text", 1)

    # Having seen Olive's text, saving again replaces it deliberately.
    again = form_fields(refused)
    assert again[f"{key(cast.hub, cast.north)}-version"] == "1"
    second.post(page_url(cast), again | {"intent": "draft"})
    update.refresh_from_db()
    assert (update.progress, update.version, update.author) == ("Oscar's text", 2, colleague)


def test_a_conflict_on_one_update_saves_none_of_the_page(client, cast):
    olive = signed_in(client, cast.olive)
    stale = form_fields(olive.get(page_url(cast)))
    post(olive, cast, **{field(cast.hub, cast.north, "progress"): "Saved elsewhere"})
    olive.post(
        page_url(cast),
        stale
        | {
            f"{key(cast.hub, cast.north)}-progress": "Stale edit",
            f"{key(cast.hub, cast.south)}-progress": "Fresh edit",
            "intent": "draft",
        },
    )
    assert QuarterlyUpdate.objects.get(
        action=cast.hub, period=cast.q2, district=cast.north
    ).progress == ("Saved elsewhere")
    assert not QuarterlyUpdate.objects.filter(
        action=cast.hub, period=cast.q2, district=cast.south
    ).exists()


# The 4 Ps


def test_a_partnership_reporting_by_the_4ps_gets_a_summary_per_priority(olive, cast):
    cast.castle.reports_by_priority_summary = True
    cast.castle.save()
    response = olive.get(page_url(cast))
    assert "Summary by priority (the 4 Ps)" in text_of(response)
    # Each field says which priority it is for, to screen readers too.
    assert 'Pursue<span class="govuk-visually-hidden"> for Safer communities</span>' in (
        response.content.decode()
    )
    [safer, crime] = cast.plan.priorities.order_by("number")
    post(
        olive,
        cast,
        **{f"p{safer.pk}__pursue": "Two dealers arrested", f"p{safer.pk}__prevent": "Talks"},
    )
    summary = PrioritySummary.objects.get(priority=safer, period=cast.q2)
    assert (summary.organisation, summary.pursue, summary.state, summary.version) == (
        cast.council,
        "Two dealers arrested",
        UpdateState.DRAFT,
        1,
    )
    assert not PrioritySummary.objects.filter(priority=crime).exists()
    post(olive, cast, intent="submit")
    summary.refresh_from_db()
    assert summary.state == UpdateState.SUBMITTED


def test_no_summary_forms_where_the_partnership_reports_by_action(olive, cast):
    assert "4 Ps" not in text_of(olive.get(page_url(cast)))


def test_a_refusal_explains_itself_in_the_house_style(client, cast):
    response = signed_in(client, cast.bob).get(page_url(cast))
    assert response.status_code == 403
    text = text_of(response)
    assert "You cannot do that here" in text
    assert "Only the partnership's officers and coordinators write updates." in text


# Pages drawn before something changed


def test_text_typed_for_an_update_a_colleague_submitted_meanwhile_is_kept(olive, cast):
    drawn = form_fields(olive.get(page_url(cast)))
    QuarterlyUpdate.objects.create(
        action=cast.hub,
        period=cast.q2,
        district=cast.north,
        status=UpdateStatus.ON_TRACK,
        progress="Colleague's text",
        state=UpdateState.SUBMITTED,
    )
    response = olive.post(
        page_url(cast),
        drawn
        | {
            f"{key(cast.hub, cast.north)}-progress": "Olive's careful paragraph",
            f"{key(cast.hub, cast.south)}-progress": "South draft",
            "intent": "draft",
        },
    )
    assert response.status_code == 200
    text = text_of(response)
    assert "Nothing was saved: 1.1.2 North can no longer be changed here" in text
    assert "Olive's careful paragraph" in text  # shown back, not dropped
    assert QuarterlyUpdate.objects.get(
        action=cast.hub, period=cast.q2, district=cast.north
    ).progress == ("Colleague's text")
    assert not QuarterlyUpdate.objects.filter(district=cast.south, period=cast.q2).exists()


def test_an_update_returned_meanwhile_is_left_out_of_a_page_that_did_not_draw_it(olive, cast):
    update = QuarterlyUpdate.objects.create(
        action=cast.hub,
        period=cast.q2,
        district=cast.north,
        status=UpdateStatus.ON_TRACK,
        progress="Fine",
        state=UpdateState.SUBMITTED,
    )
    drawn = form_fields(olive.get(page_url(cast)))
    QuarterlyUpdate.objects.filter(pk=update.pk).update(state=UpdateState.RETURNED)
    response = olive.post(
        page_url(cast),
        drawn | {f"{key(cast.hub, cast.south)}-progress": "South", "intent": "draft"},
    )
    assert response.status_code == 302
    assert QuarterlyUpdate.objects.get(district=cast.south, period=cast.q2).progress == "South"


def test_a_forged_version_for_an_update_that_does_not_exist_is_a_conflict_not_an_error(olive, cast):
    drawn = form_fields(olive.get(page_url(cast)))
    response = olive.post(
        page_url(cast),
        drawn
        | {
            f"{key(cast.hub, cast.north)}-version": "7",
            f"{key(cast.hub, cast.north)}-progress": "Text",
            "intent": "draft",
        },
    )
    assert response.status_code == 200
    assert "This update was deleted while you were editing" in text_of(response)
    assert form_fields(response)[f"{key(cast.hub, cast.north)}-version"] == "0"
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()


def test_the_page_reads_last_quarters_updates_in_a_fixed_number_of_queries(
    olive, cast, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as few:
        olive.get(page_url(cast))
    for n in range(10):
        action = make.action(cast.hub.objective, description=f"Extra {n}", lead=cast.council)
        make.update(action, cast.q1, UpdateStatus.ON_TRACK, cast.north, progress="Earlier")
    with django_assert_max_num_queries(len(few) + 12):  # a few per new action's measures
        olive.get(page_url(cast))


def test_the_form_asks_the_browser_to_warn_before_leaving_unsaved_work(olive, cast):
    measure = Measure.objects.create(action=cast.hub, number=1, description="Residents")
    drawn = olive.get(page_url(cast)).content.decode()
    assert (
        '<form method="post" enctype="multipart/form-data" novalidate data-csp-unsaved data'
        in drawn
    )
    assert 'src="/static/js/init.mjs"' in drawn
    # A page drawn again with work kept back counts as unsaved from the start.
    kept = post(olive, cast, **{field(cast.hub, cast.north, f"m{measure.pk}"): "lots"})
    assert 'data-csp-unsaved="kept"' in kept.content.decode()


# Submitting what you mean (issue 12, item 2)


def hub_texts(cast):
    return {
        field(cast.hub, cast.north, "status"): UpdateStatus.ON_TRACK,
        field(cast.hub, cast.north, "progress"): "North text",
        field(cast.hub, cast.south, "status"): UpdateStatus.AT_RISK,
        field(cast.hub, cast.south, "progress"): "South text",
    }


def states(cast):
    return {
        u.district.name: u.state
        for u in QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2)
    }


def untick(fields):
    return {name: value for name, value in fields.items() if not name.endswith("-send")}


def test_submit_this_update_sends_that_one_and_keeps_the_others_as_drafts(olive, cast):
    response = post(olive, cast, intent=f"submit:{key(cast.hub, cast.south)}", **hub_texts(cast))
    assert response.status_code == 302
    assert states(cast) == {"North": UpdateState.DRAFT, "South": UpdateState.SUBMITTED}
    assert "1 update submitted to the coordinator and 1 saved as a draft." in text_of(
        olive.get(page_url(cast))
    )


def test_submit_this_update_submits_a_stored_draft_unchanged(olive, cast):
    post(olive, cast, **hub_texts(cast))
    post(olive, cast, intent=f"submit:{key(cast.hub, cast.north)}")
    assert states(cast) == {"North": UpdateState.SUBMITTED, "South": UpdateState.DRAFT}


def test_submit_this_update_needs_it_written(olive, cast):
    response = post(olive, cast, intent=f"submit:{key(cast.hub, cast.north)}")
    assert response.status_code == 400
    assert "Choose a status for 1.1.2 (North)" in text_of(response)
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()


def test_submit_ticked_sends_only_the_ticked_ones(olive, cast):
    fields = untick(form_fields(olive.get(page_url(cast))))
    changes = {k.replace("__", "-"): v for k, v in hub_texts(cast).items()}
    olive.post(
        page_url(cast),
        fields | changes | {f"{key(cast.hub, cast.north)}-send": "on", "intent": "submit-ticked"},
    )
    assert states(cast) == {"North": UpdateState.SUBMITTED, "South": UpdateState.DRAFT}


def test_submit_ticked_with_nothing_ticked_submits_nothing_and_keeps_the_drafts(olive, cast):
    fields = untick(form_fields(olive.get(page_url(cast))))
    changes = {k.replace("__", "-"): v for k, v in hub_texts(cast).items()}
    response = olive.post(page_url(cast), fields | changes | {"intent": "submit-ticked"})
    assert response.status_code == 302
    assert states(cast) == {"North": UpdateState.DRAFT, "South": UpdateState.DRAFT}
    text = text_of(olive.get(page_url(cast)))
    assert "No update was ticked, so nothing was submitted." in text
    assert "2 updates saved as a draft." in text


def test_a_tick_alone_is_no_change_to_save(olive, cast):
    fields = untick(form_fields(olive.get(page_url(cast))))
    response = olive.post(
        page_url(cast), fields | {f"{key(cast.hub, cast.north)}-send": "on", "intent": "draft"}
    )
    assert "Nothing to save" in text_of(response)


def test_a_kept_back_tick_stays_ticked(olive, cast):
    fields = untick(form_fields(olive.get(page_url(cast))))
    response = olive.post(
        page_url(cast),
        fields
        | {
            f"{key(cast.hub, cast.north)}-send": "on",
            f"{key(cast.hub, cast.north)}-progress": "No status yet",
            "intent": "submit-ticked",
        },
    )
    assert response.status_code == 400
    assert submitted_form(response)[f"{key(cast.hub, cast.north)}-send"] == "on"


def test_submit_all_still_sends_every_written_update(olive, cast):
    post(olive, cast, intent="submit", **hub_texts(cast))
    assert states(cast) == {"North": UpdateState.SUBMITTED, "South": UpdateState.SUBMITTED}


def test_pressing_enter_in_a_field_saves_a_draft_rather_than_submitting(olive, cast):
    html = olive.get(page_url(cast)).content.decode()
    form = html[
        html.index(
            '<form method="post" enctype="multipart/form-data" novalidate data-csp-unsaved'
        ) :
    ]
    first_button = re.search(r"<button[^>]*>", form)[0]
    assert 'value="draft"' in first_button


def test_submitting_one_of_another_organisations_updates_is_refused(client, cast):
    dave = signed_in(client, cast.dave)
    response = post(dave, cast, intent=f"submit:{key(cast.hub, cast.north)}")
    assert "That update can no longer be submitted here." in text_of(response)
    assert not QuarterlyUpdate.objects.filter(action=cast.hub, period=cast.q2).exists()


def test_an_officer_withdraws_a_submitted_update_to_change_it(olive, cast):
    post(olive, cast, intent="submit", **hub_texts(cast))
    assert ActionStatus.objects.get(action=cast.hub, period=cast.q2).status == UpdateStatus.AT_RISK
    page = olive.get(page_url(cast))
    assert f'value="withdraw:{key(cast.hub, cast.south)}"' in page.content.decode()
    response = olive.post(
        page_url(cast),
        form_fields(page) | {"intent": f"withdraw:{key(cast.hub, cast.south)}"},
    )
    assert response.status_code == 302
    assert states(cast) == {"North": UpdateState.SUBMITTED, "South": UpdateState.DRAFT}
    south = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.south)
    assert (south.submitted_at, south.version) == (None, 2)
    # A draft no longer counts: the status is North's alone now.
    assert ActionStatus.objects.get(action=cast.hub, period=cast.q2).status == UpdateStatus.ON_TRACK
    page = olive.get(page_url(cast))
    assert "1.1.2 South is withdrawn: it is a draft again." in text_of(page)
    assert form_fields(page)[f"{key(cast.hub, cast.south)}-progress"] == "South text"


def test_withdrawing_saves_what_else_was_typed(olive, cast):
    post(olive, cast, intent=f"submit:{key(cast.hub, cast.south)}", **hub_texts(cast))
    fields = form_fields(olive.get(page_url(cast)))
    olive.post(
        page_url(cast),
        fields
        | {
            f"{key(cast.hub, cast.north)}-progress": "Changed North",
            "intent": f"withdraw:{key(cast.hub, cast.south)}",
        },
    )
    assert states(cast) == {"North": UpdateState.DRAFT, "South": UpdateState.DRAFT}
    assert QuarterlyUpdate.objects.get(district=cast.north, period=cast.q2).progress == (
        "Changed North"
    )


def test_an_accepted_update_cannot_be_withdrawn(olive, cast):
    post(olive, cast, intent=f"submit:{key(cast.hub, cast.north)}", **hub_texts(cast))
    fields = form_fields(olive.get(page_url(cast)))
    QuarterlyUpdate.objects.filter(district=cast.north, period=cast.q2).update(
        state=UpdateState.ACCEPTED
    )
    response = olive.post(
        page_url(cast), fields | {"intent": f"withdraw:{key(cast.hub, cast.north)}"}
    )
    assert states(cast)["North"] == UpdateState.ACCEPTED
    assert "only a submitted update that has not been accepted can be withdrawn" in text_of(
        response
    )
    assert f"withdraw:{key(cast.hub, cast.north)}" not in olive.get(page_url(cast)).content.decode()


def test_withdrawing_what_the_coordinator_read_since_is_refused(olive, cast):
    """The version lock: accepted and returned again meanwhile, the page's version is stale."""
    post(olive, cast, intent=f"submit:{key(cast.hub, cast.north)}", **hub_texts(cast))
    fields = form_fields(olive.get(page_url(cast)))
    update = QuarterlyUpdate.objects.get(district=cast.north, period=cast.q2)
    assert QuarterlyUpdate.objects.claim_version(update.pk, update.version)
    response = olive.post(
        page_url(cast), fields | {"intent": f"withdraw:{key(cast.hub, cast.north)}"}
    )
    assert states(cast)["North"] == UpdateState.SUBMITTED
    assert "has changed since you opened the page" in text_of(response)


def test_no_withdrawing_once_the_period_is_closed(olive, cast):
    post(olive, cast, intent=f"submit:{key(cast.hub, cast.north)}", **hub_texts(cast))
    fields = form_fields(olive.get(page_url(cast)))
    cast.q2.status = PeriodStatus.CLOSED
    cast.q2.save()
    assert "withdraw:" not in olive.get(page_url(cast)).content.decode()
    response = olive.post(
        page_url(cast), fields | {"intent": f"withdraw:{key(cast.hub, cast.north)}"}
    )
    assert states(cast)["North"] == UpdateState.SUBMITTED
    assert "Ask the coordinator to return it to you." in text_of(response)


def test_another_organisation_cannot_withdraw_an_update(client, cast):
    update = make.update(
        cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.SUBMITTED
    )
    dave = signed_in(client, cast.dave)
    fields = form_fields(dave.get(page_url(cast)))
    dave.post(
        page_url(cast),
        fields
        | {
            f"{key(cast.hub, cast.north)}-withdraw-version": str(update.version),
            "intent": f"withdraw:{key(cast.hub, cast.north)}",
        },
    )
    update.refresh_from_db()
    assert update.state == UpdateState.SUBMITTED


def test_a_submitted_update_says_when_without_saying_submitted_twice(olive, cast):
    post(olive, cast, intent=f"submit:{key(cast.hub, cast.north)}", **hub_texts(cast))
    text = text_of(olive.get(page_url(cast)))
    assert "Submitted submitted" not in text
    assert re.search(r"Submitted on \d+ \w+ \d{4}, \d\d:\d\d", text)


def test_a_target_of_one_reads_in_the_singular(olive, cast):
    Measure.objects.create(
        action=cast.hub, description="Campaigns", unit="campaigns", target_value=1
    )
    assert "Target: 1 campaign" in text_of(olive.get(page_url(cast)))
    assert "Target: 1 campaigns" not in text_of(olive.get(page_url(cast)))


# Autosave (static/js/autosave.mjs posts intent=autosave)


def autosave(client, cast, fields):
    return client.post(page_url(cast), fields | {"intent": "autosave"})


def test_autosave_saves_drafts_and_answers_the_new_versions(olive, cast):
    fields = form_fields(olive.get(page_url(cast)))
    response = autosave(
        olive,
        cast,
        fields
        | {
            f"{key(cast.hub, cast.north)}-progress": "Typed, autosaved",
            f"{key(cast.hub, cast.north)}-comment": "Not a comment to send yet",
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] == [key(cast.hub, cast.north)]
    assert answer["versions"] == {f"{key(cast.hub, cast.north)}-version": 1}
    assert answer["message"].startswith("Draft saved automatically at ")
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (update.state, update.progress) == (UpdateState.DRAFT, "Typed, autosaved")
    assert not update.comments.exists()  # comments go only with the editor's own save
    # Nothing for the next page to say: the script showed it already.
    assert "Draft saved" not in text_of(olive.get(page_url(cast)))
    assert "1 update saved as a draft" not in text_of(olive.get(page_url(cast)))
    # The next save carries the new version: no conflict.
    again = fields | {
        f"{key(cast.hub, cast.north)}-progress": "And again",
        f"{key(cast.hub, cast.north)}-version": "1",
    }
    assert autosave(olive, cast, again).json()["versions"] == {
        f"{key(cast.hub, cast.north)}-version": 2
    }


def test_autosave_never_submits(olive, cast):
    fields = form_fields(olive.get(page_url(cast)))
    autosave(
        olive,
        cast,
        fields
        | {
            f"{key(cast.hub, cast.north)}-status": UpdateStatus.ON_TRACK,
            f"{key(cast.hub, cast.north)}-progress": "Complete enough to submit",
            f"{key(cast.hub, cast.north)}-send": "on",
        },
    )
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert update.state == UpdateState.DRAFT


def test_autosave_leaves_a_form_with_a_problem_for_the_editor(olive, cast):
    measure = Measure.objects.create(action=cast.hub, number=1, description="Visits")
    fields = form_fields(olive.get(page_url(cast)))
    answer = autosave(
        olive,
        cast,
        fields
        | {
            f"{key(cast.hub, cast.north)}-m{measure.pk}": "lots",
            f"{key(cast.hub, cast.south)}-progress": "Fine",
        },
    ).json()
    assert answer["saved"] == [key(cast.hub, cast.south)]
    assert answer["failed"] == [key(cast.hub, cast.north)]
    assert "Some changes could not be saved: use Save as draft to see why." in answer["message"]


def test_autosave_stops_at_someone_elses_change(olive, cast):
    stale = form_fields(olive.get(page_url(cast)))
    post(olive, cast, **{field(cast.hub, cast.north, "progress"): "Saved elsewhere"})
    response = autosave(olive, cast, stale | {f"{key(cast.hub, cast.north)}-progress": "Mine"})
    assert response.status_code == 409
    assert "Nothing was saved: someone else changed" in response.json()["message"]
    assert QuarterlyUpdate.objects.get(
        action=cast.hub, period=cast.q2, district=cast.north
    ).progress == ("Saved elsewhere")


def test_autosave_through_a_personal_link(client, cast):
    from datetime import timedelta

    from django.utils import timezone

    from csp.models import PersonalLink

    cast.q2.deadline = timezone.localdate() + timedelta(days=3)
    cast.q2.save()
    link = PersonalLink.create(
        period=cast.q2,
        organisation=cast.council,
        holder_name="Pat",
        holder_email="pat@example.invalid",
        grace_days=0,
        created_by=cast.alice,
    )
    fields = form_fields(client.get(link.path()))
    answer = client.post(
        link.path(),
        fields | {f"{key(cast.hub, cast.north)}-progress": "Pat's", "intent": "autosave"},
    ).json()
    assert answer["saved"] == [key(cast.hub, cast.north)]
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert update.author == link.user
    assert update.history.latest().history_change_reason.startswith("Through the personal link")


def test_the_form_asks_for_autosave_only_where_there_is_something_to_write(olive, cast):
    assert 'data-csp-autosave="30"' in olive.get(page_url(cast)).content.decode()
    cast.q2.status = PeriodStatus.CLOSED
    cast.q2.save()
    assert "data-csp-autosave" not in olive.get(page_url(cast)).content.decode()


def test_a_page_of_many_updates_saves_whole(olive, cast):
    """An officer owing hundreds of updates posts thousands of fields: Django's default limit
    (1,000) would refuse the whole page, typed work and all."""
    for n in range(160):
        make.action(cast.hub.objective, description=f"Extra {n}", lead=cast.council)
    fields = form_fields(olive.get(page_url(cast)))
    assert len(fields) > 1000
    response = post(olive, cast, **{field(cast.hub, cast.north, "progress"): "Among many"})
    assert response.status_code == 302
    assert QuarterlyUpdate.objects.get(district=cast.north, period=cast.q2, action=cast.hub)
