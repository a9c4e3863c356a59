"""Importing from the web: coordinators only, a preview first, then one confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from csp.models import Action, Organisation, PartnershipRole, Plan, Role
from tests import factories as make
from tests.html import submitted_form

pytestmark = pytest.mark.django_db

CSV = (
    "Priority,Strategic objective,Action,Lead,Period,Status,Update\n"
    "Safer streets,Cut burglary,Visit victims,Shire Police,2016/17 Q1,Green,12 visits\n"
    ",,Mark property,Castle Council,,,\n"
)


def send(client, location, changes=None):
    """Press Import on the check page, with the form as the page drew it (and ``changes``)."""
    page = client.get(location)
    return client.post(location, submitted_form(page, {"action": "import", **(changes or {})}))


def upload(client, cast, text=CSV, **fields):
    data = {"plan": "", "title": "Imported plan", "first_year": "2016"} | fields
    data["file"] = SimpleUploadedFile("plan.csv", text.encode(), content_type="text/csv")
    return client.post(f"/partnerships/{cast.castle.slug}/import/", data)


def test_a_coordinator_previews_then_imports(alice, cast):
    response = upload(alice, cast)
    assert response.status_code == 302
    preview = alice.get(response["Location"])
    html = preview.content.decode()
    assert "Check the import" in html
    assert "A new plan: Imported plan" in html
    assert not Plan.objects.filter(title="Imported plan").exists()
    done = send(alice, response["Location"])
    plan = Plan.objects.get(title="Imported plan")
    assert done["Location"] == f"/plans/{plan.slug}/"
    assert set(Action.objects.in_plan(plan).values_list("description", flat=True)) == {
        "Visit victims",
        "Mark property",
    }
    assert (
        "Imported 2 actions and 1 update into Imported plan."
        in alice.get(done["Location"]).content.decode()
    )


def test_problems_are_shown_and_nothing_can_be_imported(alice, cast):
    response = upload(alice, cast, CSV.replace("Green", "Purple"))
    html = alice.get(response["Location"]).content.decode()
    assert "1 problem to fix before importing" in html
    assert "Row 2, column F “Status”" in html
    assert "correct the spreadsheet and upload it again" in html
    send(alice, response["Location"])
    assert not Plan.objects.filter(title="Imported plan").exists()


def test_new_organisations_need_the_box_ticked(alice, cast):
    response = upload(alice, cast, CSV.replace("Castle Council", "Victim Support"))
    assert "Victim Support" in alice.get(response["Location"]).content.decode()
    send(alice, response["Location"])
    assert not Plan.objects.filter(title="Imported plan").exists()
    send(alice, response["Location"], {"confirm_new_organisations": "yes"})
    assert Organisation.objects.filter(name="Victim Support").exists()
    assert Plan.objects.filter(title="Imported plan").exists()


def test_an_unreadable_file_is_refused_on_the_form(alice, cast):
    data = {"plan": "", "title": "x", "file": SimpleUploadedFile("plan.pdf", b"%PDF-1.7")}
    response = alice.post(f"/partnerships/{cast.castle.slug}/import/", data)
    assert response.status_code == 200
    assert "We can&#x27;t read .pdf" in response.content.decode()


def test_a_new_plan_needs_a_title(alice, cast):
    response = upload(alice, cast, title="")
    assert "Give the new plan a title" in response.content.decode()


def test_importing_into_an_existing_plan_adds_to_it(alice, cast):
    response = upload(alice, cast, plan=cast.plan.slug, title="")
    send(alice, response["Location"])
    assert Action.objects.in_plan(cast.plan).filter(description="Visit victims").exists()


def test_only_coordinators_may_import(client, cast):
    client.force_login(cast.bob)  # a viewer of Castle
    assert client.get(f"/partnerships/{cast.castle.slug}/import/").status_code == 403
    client.force_login(cast.charlie)  # another partnership
    assert client.get(f"/partnerships/{cast.castle.slug}/import/").status_code == 404
    client.logout()
    assert client.get(f"/partnerships/{cast.castle.slug}/import/").status_code == 302


def test_the_preview_belongs_to_the_session_that_uploaded(alice, cast):
    location = upload(alice, cast)["Location"]
    another_session = Client()
    another_session.force_login(cast.alice)
    assert another_session.get(location).status_code == 404
    other = make.partnership()
    PartnershipRole.objects.create(user=cast.alice, partnership=other, role=Role.COORDINATOR)
    assert alice.get(location.replace("/castle/", f"/{other.slug}/")).status_code == 404


def test_coordinators_see_the_way_in(alice, client, cast):
    assert f"/partnerships/{cast.castle.slug}/import/" in alice.get("/").content.decode()
    assert (
        f"/partnerships/{cast.castle.slug}/import/"
        in alice.get(f"/plans/{cast.plan.slug}/").content.decode()
    )
    client.force_login(cast.bob)
    assert "/import/" not in client.get(f"/plans/{cast.plan.slug}/").content.decode()


def test_pressing_import_twice_imports_once_and_says_so(alice, cast):
    location = upload(alice, cast)["Location"]
    page = alice.get(location)
    form = submitted_form(page, {"action": "import"})
    first = alice.post(location, form)
    second = alice.post(location, form)  # the same form, sent again
    plan = Plan.objects.get(title="Imported plan")
    assert first["Location"] == second["Location"] == f"/plans/{plan.slug}/"
    assert Action.objects.in_plan(plan).count() == 2
    assert "has been imported already" in alice.get(second["Location"]).content.decode()


def test_changing_a_column_then_pressing_import_shows_the_change_first(alice, cast):
    location = upload(alice, cast)["Location"]
    page = alice.get(location)
    form = submitted_form(page, {"action": "import", "col-6-field": "risks"})
    response = alice.post(location, form)
    assert not Plan.objects.filter(title="Imported plan").exists()
    page = alice.get(response["Location"])
    assert "Your changes are now in the preview below" in page.content.decode()
    send(alice, location)
    visit = Action.objects.get(description="Visit victims")
    assert visit.updates.get().risks == "12 visits"


def test_a_forged_fingerprint_writes_nothing(alice, cast):
    location = upload(alice, cast, plan=cast.plan.slug, title="")
    location = location["Location"]
    send(alice, location, {"fingerprint": "1:not-a-number"})
    assert not Action.objects.in_plan(cast.plan).filter(description="Visit victims").exists()
