"""Importing a partnership's own spreadsheet in headless Chromium, as a coordinator would.

The demo coordinator uploads a plan laid out its own way (a title above the table, "Workstream"
and "Goal" levels, two update columns), says what the "Background" column means, resolves two
lead names (an abbreviation of a member, and a new body whose name is corrected), checks the
preview and imports. Every page passes axe-core and is screenshotted to /tmp/screens/.
"""

from __future__ import annotations

from typing import Any

import pytest
from openpyxl import Workbook

from tests.browser.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")

from playwright.sync_api import expect

from csp.models import Action, Organisation, Plan
from tests.browser.audit import AXE, Audit
from tests.browser.test_update_cycle import sign_in

if not AXE.exists():
    pytest.skip(f"{AXE} is missing: run `npm ci` (or `make install`)", allow_module_level=True)


def workbook(path: Any) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Delivery plan"
    sheet.append(["Rayleigh and Rochford – community safety delivery plan"])
    sheet.append([])
    sheet.append(
        [
            "Workstream",
            "Goal",
            "Actions",
            "Lead",
            "Timescale",
            "Background",
            "Latest position (Sept 2016)",
        ]
    )
    sheet.append(
        [
            "Safer town centres",
            "Fewer shop thefts",
            "Shop watch radio scheme",
            "Rochford DC",
            "Q3",
            "Radios bought",
            "12 shops signed up",
        ]
    )
    sheet.append(
        [
            "Safer town centres",
            "Fewer shop thefts",
            "Business crime surgery",
            "Rayleigh Chamber of Trade",
            "Ongoing",
            "",
            "First surgery held",
        ]
    )
    book.save(path)


@pytest.mark.usefixtures("demo")
def test_a_coordinator_imports_a_plan_laid_out_their_own_way(
    live_server: Any, chromium: Any, tmp_path: Any
) -> None:
    audit = Audit()
    blocked: list[str] = []
    path = tmp_path / "delivery-plan.xlsx"
    workbook(path)

    page = sign_in(chromium, live_server, "coordinator", blocked)
    page.goto("/partnerships/castle-point-rochford/import/")
    audit.check(page, "import-upload")
    page.set_input_files("input[type=file]", str(path))
    page.fill("#id_title", "Delivery Plan 2016/17")
    page.fill("#id_first_year", "2016")
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.get_by_text("Row 3 was taken as the headings")).to_be_visible()
    expect(page.get_by_text("Holds data, ignored")).to_be_visible()
    audit.check(page, "import-check-first")

    # Column F, "Background", is the quarter before the latest position.
    page.select_option("#col-5-field", "update")
    page.select_option("#col-5-period", "2016/17 Q1")
    # "Rochford DC" is the member Rochford District Council; the chamber is new, renamed.
    rochford = page.get_by_role("group", name="“Rochford DC”")
    rochford.get_by_label("One of the partnership's organisations").check()
    rochford.get_by_label("Which of the partnership's organisations").select_option(
        "rochford-district-council"
    )
    chamber = page.get_by_role("group", name="“Rayleigh Chamber of Trade”")
    chamber.get_by_label("A new organisation").check()
    chamber.get_by_label("Name", exact=True).fill("Rayleigh and District Chamber of Trade")
    chamber.get_by_label("Short name").fill("RDCT")
    page.get_by_role("button", name="Update the preview").click()

    expect(page.locator("#col-5-period")).to_have_value("2016/17 Q1")
    page.get_by_text("1. Safer town centres (2 actions)").click()
    preview = page.locator(".csp-preview-table")
    expect(preview).to_contain_text("Rochford District Council")
    expect(preview).to_contain_text("Rayleigh and District Chamber of Trade (new)")
    expect(preview).to_contain_text("2016/17 Q1: No status given")
    expect(preview).to_contain_text("2016/17 Q2: No status given")
    audit.check(page, "import-check-adjusted")

    page.get_by_label("Add this organisation").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_text("Imported 2 actions and 3 updates into Delivery Plan 2016/17.")
    ).to_be_visible()
    audit.check(page, "import-done")

    plan = Plan.objects.get(title="Delivery Plan 2016/17")
    radio = Action.objects.in_plan(plan).get(description="Shop watch radio scheme")
    assert radio.leads.get().organisation.slug == "rochford-district-council"
    assert sorted(radio.updates.values_list("period__quarter", "progress")) == [
        (1, "Radios bought"),
        (2, "12 shops signed up"),
    ]
    chamber_org = Organisation.objects.get(name="Rayleigh and District Chamber of Trade")
    assert chamber_org.short_name == "RDCT"
    assert plan.partnership.organisations.filter(pk=chamber_org.pk).exists()
    assert not blocked, blocked
    audit.assert_clean()
