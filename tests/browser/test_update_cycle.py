"""The quarterly cycle in headless Chromium, on the demo: an officer writes, a coordinator reviews.

The Rochford officer fills two updates on the period page, saves a draft, and submits; the
coordinator returns one with a comment and accepts the other; the officer sees the comment.
Every page on the way passes axe-core and is screenshotted to /tmp/screens/ for review.
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

from csp.models import QuarterlyUpdate, UpdateState, UpdateStatus
from tests.browser.audit import AXE, DESKTOP, PASSWORD, Audit

if not AXE.exists():
    pytest.skip(f"{AXE} is missing: run `npm ci` (or `make install`)", allow_module_level=True)

COMMENT = "Please say how many households the scheme helped this quarter."


def sign_in(chromium: Any, live_server: Any, username: str, blocked: list[str]) -> Page:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": DESKTOP, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/accounts/sign-in/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def rochford_update(reference: str) -> QuarterlyUpdate:
    number = [int(part) for part in reference.split(".")]
    return QuarterlyUpdate.objects.get(
        action__objective__priority__plan__slug="castle-point-rochford-2016-17",
        action__objective__priority__number=number[0],
        action__objective__number=number[1],
        action__number=number[2],
        period__year=2016,
        period__quarter=2,
        district__slug="rochford",
    )


@pytest.mark.usefixtures("demo")
def test_an_officer_reports_and_the_coordinator_reviews(live_server: Any, chromium: Any) -> None:
    audit = Audit()
    blocked: list[str] = []

    # The Rochford officer finds what is owed from My updates.
    officer = sign_in(chromium, live_server, "rochford-officer", blocked)
    officer.get_by_role("link", name="My updates").click()
    officer.wait_for_url("**/updates/")
    expect(officer.get_by_role("heading", level=1)).to_have_text("My updates")
    expect(
        officer.get_by_text("Updates for the actions led by Rochford District Council")
    ).to_be_visible()
    audit.check(officer, "cycle-my-updates")
    officer.get_by_role("link", name=re.compile("Write your updates")).click()
    officer.wait_for_url(re.compile(r"/updates/\d+/$"))
    expect(officer.get_by_role("heading", level=1)).to_have_text("Your updates for 2016/17 Q2")
    # Last quarter's text is there for reference.
    expect(officer.get_by_text("On-going support via housing options.")).to_be_visible()

    # Two updates, saved as a draft first.
    officer.get_by_label("Status for 1.1.2 Rochford").select_option("on_track")
    officer.get_by_label("Progress this quarter for 1.1.2 Rochford").fill(
        "Sanctuary scheme continued; referrals through housing options."
    )
    officer.get_by_label("Status for 1.2.1 Rochford").select_option("at_risk")
    officer.get_by_label("Progress this quarter for 1.2.1 Rochford").fill(
        "White Ribbon campaign planned for November."
    )
    officer.get_by_label("Risks and dependencies for 1.2.1 Rochford").fill(
        "Depends on the county's campaign materials arriving in time."
    )
    officer.get_by_role("button", name="Save as draft").click()
    expect(officer.get_by_text("2 updates saved as a draft.")).to_be_visible()
    assert {rochford_update(r).state for r in ("1.1.2", "1.2.1")} == {UpdateState.DRAFT}
    expect(officer.get_by_label("Progress this quarter for 1.2.1 Rochford")).to_have_value(
        "White Ribbon campaign planned for November."
    )
    audit.check(officer, "cycle-period-page")

    # Then submitted.
    officer.get_by_role("button", name="Submit updates").click()
    expect(officer.get_by_text("2 updates submitted to the coordinator.")).to_be_visible()
    assert {rochford_update(r).state for r in ("1.1.2", "1.2.1")} == {UpdateState.SUBMITTED}

    # The coordinator reviews from the plan's dashboard.
    coordinator = sign_in(chromium, live_server, "coordinator", blocked)
    coordinator.goto("/plans/castle-point-rochford-2016-17/")
    coordinator.get_by_role("link", name=re.compile(r"Review updates.*2016.17 Q2")).click()
    coordinator.wait_for_url(re.compile(r"/periods/\d+/$"))
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("2016/17 Q2")
    expect(coordinator.get_by_role("heading", name="Awaiting review (2)")).to_be_visible()
    audit.check(coordinator, "cycle-review")

    sanctuary = coordinator.locator(".govuk-summary-card").filter(has_text="1.1.2")
    sanctuary.get_by_label("Or return it with a comment").fill(COMMENT)
    sanctuary.get_by_role("button", name=re.compile("^Return")).click()
    expect(coordinator.get_by_role("heading", name="Awaiting review (1)")).to_be_visible()
    campaign = coordinator.locator(".govuk-summary-card").filter(has_text="1.2.1")
    campaign.get_by_role("button", name=re.compile("^Accept")).click()
    expect(coordinator.get_by_role("heading", name="Awaiting review (0)")).to_be_visible()
    returned, accepted = rochford_update("1.1.2"), rochford_update("1.2.1")
    assert (returned.state, returned.return_comment) == (UpdateState.RETURNED, COMMENT)
    assert (accepted.state, accepted.status) == (UpdateState.ACCEPTED, UpdateStatus.AT_RISK)
    audit.check(coordinator, "cycle-review-done")

    # The officer sees the comment, on My updates and beside the update.
    officer.goto("/updates/")
    row = officer.get_by_role("row").filter(has_text="1.1.2")
    expect(row).to_contain_text("Returned")
    expect(officer.get_by_role("row").filter(has_text="1.2.1")).to_contain_text("Accepted")
    officer.get_by_role("link", name=re.compile("Write your updates")).click()
    expect(officer.get_by_text(f"Returned by the coordinator: {COMMENT}")).to_be_visible()
    audit.check(officer, "cycle-returned")

    audit.assert_clean()
    assert blocked == [], "the Content Security Policy blocked:\n" + "\n".join(blocked)
