"""A committee clerk builds, edits and reads a scrutiny report in headless Chromium, and every
page passes axe-core, the draft's preview included (issue 11, item 9): it is a page of the site,
with the site's header and a main landmark, and its wide tables scroll in their own boxes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")

from playwright.sync_api import expect

from csp.models import Plan, ScrutinyReport
from tests.browser.audit import AXE, DESKTOP, PASSWORD, Audit

if not AXE.exists():
    pytest.skip(f"{AXE} is missing: run `npm ci` (or `make install`)", allow_module_level=True)


@pytest.mark.usefixtures("demo")
def test_a_clerk_builds_edits_and_reads_a_report(live_server: Any, chromium: Any) -> None:
    audit = Audit()
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": DESKTOP, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto("/accounts/sign-in/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    # The builder: the partnership's own committee and formats line, ready to edit.
    page.goto("/reports/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Build a scrutiny report")
    expect(page.get_by_label("Committee", exact=True)).to_have_value("Review Committee")
    audit.check(page, "report-builder")
    page.get_by_label("2016/17 Q1").check()
    page.get_by_label("Highlights (optional)").fill(
        "Crucial Crew\nOver 400 Year 6 pupils took part."
    )
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    expect(page.get_by_text("The report still has the standard wording")).to_be_visible()
    audit.check(page, "report-draft")
    report = ScrutinyReport.objects.get()

    # Edit it, as a clerk would before the meeting.
    page.get_by_role("link", name="Edit this draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the draft report")
    audit.check(page, "report-edit")
    page.get_by_label("Recommendation").fill("That the Committee notes the partnership's work.")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url(re.compile(rf"/reports/{report.pk}/$"))

    # The preview is a page of the site, in each of its forms.
    for query, name in (
        ("", "preview"),
        ("?print=large", "preview-large"),
        ("?version=public", "preview-public"),
    ):
        page.goto(f"/reports/{report.pk}/preview/{query}")
        expect(page.locator("header.govuk-generic-header")).to_be_visible()
        expect(page.get_by_role("main")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Partnership Plan 2016/17")
        expect(
            page.get_by_role("img", name=re.compile("Chart of actions by status"))
        ).to_be_visible()
        expect(page.get_by_text("Draft – not for publication").first).to_be_visible()
        audit.check(page, f"report-{name}")
    context.close()

    audit.assert_clean()
    assert blocked == [], "the Content Security Policy blocked:\n" + "\n".join(blocked)
    assert Plan.objects.filter(slug="castle-point-rochford-2016-17").exists()
