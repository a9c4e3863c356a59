"""A viewer browses the demo in headless Chromium, and every page passes axe-core.

The journey: sign in, the list of plans, a plan's dashboard, the action list filtered through
its filter panel, an action, the lead agencies and one agency; other partnerships' dashboards
are 404 to this viewer until one of them is made public. Each page is checked with axe-core
(WCAG 2.0, 2.1 and 2.2, A and AA) at desktop and phone widths, and screenshotted for people to
review in /tmp/screens/.
"""

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

from playwright.sync_api import Page, expect

from csp.models import Partnership
from tests.browser.audit import AXE, DESKTOP, PASSWORD, Audit

CASTLE_POINT = "/plans/castle-point-rochford-2016-17/"
MEDWAY = "/plans/medway-2020-24/"
MALDON = "/plans/maldon-2017-18/"

if not AXE.exists():
    pytest.skip(f"{AXE} is missing: run `npm ci` (or `make install`)", allow_module_level=True)


def result_count(page: Page) -> int:
    text = page.locator("#result-count").inner_text()
    match = re.match(r"\s*([\d,]+) action", text)
    assert match, f"no count in {text!r}"
    return int(match.group(1).replace(",", ""))


@pytest.mark.usefixtures("demo")
def test_a_viewer_browses_the_demo(live_server: Any, chromium: Any) -> None:
    audit = Audit()
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": DESKTOP, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Anything the Content Security Policy blocks (an inline script or style) is a bug.
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    # Sign in as the viewer of Castle Point and Rochford.
    page.goto("/accounts/sign-in/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    audit.check(page, "sign-in")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    # The list of plans: the viewer's own partnership only.
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership plans")
    expect(page.get_by_role("link", name="Partnership Plan 2016/17")).to_be_visible()
    expect(page.get_by_text("Medway")).to_have_count(0)
    audit.check(page, "home")

    # The plan's dashboard, with its chart and the table of the same numbers.
    page.get_by_role("link", name="Partnership Plan 2016/17").click()
    page.wait_for_url(f"**{CASTLE_POINT}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership Plan 2016/17")
    expect(page.locator("svg.csp-chart")).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="Actions by status")).to_be_visible()
    audit.check(page, "dashboard")

    # The action list, filtered through the filter panel as a person would.
    page.goto("/actions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Actions")
    everything = result_count(page)
    assert 50 < everything <= 100, "the demo plan fills two pages of 50 actions"
    audit.check(page, "actions")
    page.get_by_role("link", name="Next page").click()
    # Next starts from the last row shown (keyset pages, issue 14): page 2 and its cursor.
    page.wait_for_url(re.compile(r"/actions/\?page=2&after=[\w=-]+$"))
    expect(page.locator("table.csp-action-table tbody tr")).to_have_count(everything - 50)
    page.goto("/actions/")
    panel = page.locator("form.csp-filter-panel")
    panel.get_by_role("group", name="Lead agency").get_by_label("Essex Police", exact=True).check()
    panel.get_by_role("button", name="Apply filters").first.click()
    page.wait_for_url(re.compile(r"/actions/\?.*lead=essex-police"))
    filtered = result_count(page)
    assert 0 < filtered < everything
    expect(
        panel.get_by_role("group", name="Lead agency").get_by_label("Essex Police", exact=True)
    ).to_be_checked()
    audit.check(page, "actions-essex-police")
    page.locator("table.csp-action-table thead").get_by_role(
        "link", name=re.compile(r"^Action")
    ).click()
    page.wait_for_url(re.compile(r"/actions/\?.*sort=description"))
    assert "lead=essex-police" in page.url
    assert result_count(page) == filtered

    # An action from the table.
    first = page.locator("table.csp-action-table tbody a.govuk-link").first
    description = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/actions/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(description.rstrip("…").strip())
    expect(page.get_by_role("heading", name="Updates", level=2)).to_be_visible()
    audit.check(page, "action")

    # The lead agencies, and one of them.
    page.goto("/agencies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lead agencies")
    audit.check(page, "agencies")
    page.get_by_role("link", name="Essex Police", exact=True).click()
    page.wait_for_url("**/agencies/essex-police/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Essex Police")
    expect(
        page.get_by_role("heading", name=re.compile(r"Actions it leads \(\d+\)"))
    ).to_be_visible()
    audit.check(page, "agency")

    # Other partnerships' dashboards do not exist for this viewer.
    for name, path in (("medway", MEDWAY), ("maldon", MALDON)):
        response = page.goto(path)
        assert response is not None and response.status == 404, (
            f"{path} should be 404 for the viewer"
        )
        audit.check(page, f"{name}-404")

    # Once Medway opens its public view, a visitor who is not signed in can read its dashboard.
    Partnership.objects.filter(slug="medway").update(is_public=True)
    visitor = chromium.new_context(
        base_url=live_server.url, viewport={"width": DESKTOP, "height": 900}
    )
    visitor.set_default_timeout(10_000)
    public_page = visitor.new_page()
    response = public_page.goto(MEDWAY)
    assert response is not None and response.status == 200
    expect(public_page.get_by_role("heading", level=1)).to_have_text(
        "Community Safety Plan 2020 to 2024"
    )
    expect(public_page.get_by_role("link", name="Sign in")).to_be_visible()
    audit.check(public_page, "medway-public")
    visitor.close()
    context.close()

    audit.assert_clean()
    assert blocked == [], "the Content Security Policy blocked:\n" + "\n".join(blocked)
