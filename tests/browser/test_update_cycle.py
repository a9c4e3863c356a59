"""The quarterly cycle in headless Chromium, on the demo: an officer writes, a partner without an
account writes through a personal link, a coordinator reviews.

The Rochford officer fills two updates on the period page and mistypes a figure ("one"): the
other update is saved, the mistyped one kept with its error, and once corrected both are
submitted. The coordinator makes Neighbourhood Watch's contact a personal link, through which
the partner submits an update (no sign-in; the focused field never under the sticky bar). The
coordinator returns one update with a comment, accepts all the others shown (after a page
naming how many) and chases one organisation with "Send a reminder now"; the officer sees the
comment. Every page on the way passes axe-core at 1280 and 390 px and is screenshotted to
/tmp/screens/ for review.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")

from django.utils import timezone
from playwright.sync_api import Page, expect

from csp.models import PersonalLink, QuarterlyUpdate, ReportingPeriod, UpdateState, UpdateStatus
from tests.browser.audit import AXE, DESKTOP, PASSWORD, PHONE, Audit
from tests.browser.test_period_page_focus import covered

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
    return rochford_updates(reference).get()


def rochford_updates(reference: str):  # type: ignore[no-untyped-def]
    number = [int(part) for part in reference.split(".")]
    return QuarterlyUpdate.objects.filter(
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

    # Two updates, saved as a draft first; the officer types the figure in words by mistake.
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
    campaigns = officer.get_by_label("DA campaigns promoted within the year for 1.2.1 Rochford")
    campaigns.fill("one")
    officer.get_by_role("button", name="Save as draft").last.click()
    # The other update is saved; this one is kept as typed, its error naming it.
    expect(officer.get_by_text("1 update saved as a draft. 1 update was not saved")).to_be_visible()
    expect(
        officer.locator(".govuk-error-summary").get_by_role(
            "link",
            name="Enter DA campaigns promoted within the year for 1.2.1 (Rochford) as a number, "
            "like 85, 85% or 1,200",
        )
    ).to_be_visible()
    assert rochford_update("1.1.2").state == UpdateState.DRAFT
    assert not rochford_updates("1.2.1").exists()
    expect(officer.get_by_label("Progress this quarter for 1.2.1 Rochford")).to_have_value(
        "White Ribbon campaign planned for November."
    )
    audit.check(officer, "cycle-period-page-error")
    # Corrected as people write it, and saved.
    campaigns.fill("1")
    officer.get_by_role("button", name="Save as draft").last.click()
    expect(officer.get_by_text("1 update saved as a draft.")).to_be_visible()
    assert {rochford_update(r).state for r in ("1.1.2", "1.2.1")} == {UpdateState.DRAFT}
    assert rochford_update("1.2.1").figures.get().value == 1
    expect(officer.get_by_label("Progress this quarter for 1.2.1 Rochford")).to_have_value(
        "White Ribbon campaign planned for November."
    )
    audit.check(officer, "cycle-period-page")

    # Then submitted, all at once.
    officer.get_by_role("button", name="Submit all").click()
    expect(officer.get_by_text("2 updates submitted to the coordinator.")).to_be_visible()
    assert {rochford_update(r).state for r in ("1.1.2", "1.2.1")} == {UpdateState.SUBMITTED}

    # The coordinator sends Neighbourhood Watch, which has no sign-in, a personal link. (The
    # demo's deadline is in 2016: moved, as a coordinator would, for the link to work today.)
    coordinator = sign_in(chromium, live_server, "coordinator", blocked)
    period = ReportingPeriod.objects.get(
        plan__slug="castle-point-rochford-2016-17", year=2016, quarter=2
    )
    ReportingPeriod.objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() + timedelta(days=14)
    )
    coordinator.goto(f"/periods/{period.pk}/")
    coordinator.get_by_role("link", name="Personal links for partners without an account").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Personal links")
    coordinator.get_by_label("Organisation").select_option(label="Neighbourhood Watch (NHW)")
    coordinator.get_by_label("Their name").fill("Nina Watson")
    coordinator.get_by_label("Their e-mail address").fill("nina@watch.example")
    coordinator.get_by_label("Days after the deadline it still works").fill("7")
    coordinator.get_by_role("button", name="Make the link and e-mail it").click()
    expect(coordinator.get_by_role("heading", name="Link made for Nina Watson")).to_be_visible()
    address = coordinator.get_by_label("The link for Nina Watson").input_value()
    audit.check(coordinator, "cycle-personal-links")

    # The partner opens it, signed in nowhere, and submits an update.
    partner_context = chromium.new_context(viewport={"width": PHONE, "height": 844})
    partner_context.set_default_timeout(10_000)
    partner = partner_context.new_page()
    partner.goto(address)
    expect(partner.get_by_role("heading", level=1)).to_have_text(
        "Neighbourhood Watch's updates for 2016/17 Q2"
    )
    expect(partner.get_by_text("You are writing as Nina Watson")).to_be_visible()
    hidden, fields = covered(partner, 60)
    assert fields > 10 and hidden == [], "fields under the sticky bar:\n" + "\n".join(hidden)
    first = partner.locator("section.csp-update-block").filter(has=partner.locator("select")).first
    reference = first.get_by_role("heading", level=2).inner_text().split()[0]
    first.locator("select").first.select_option("on_track")
    first.locator("textarea").first.fill("Two new Good Neighbour volunteers in Hullbridge.")
    first.get_by_role("button", name=re.compile("^Submit this update")).click()
    expect(partner.get_by_text("1 update submitted to the coordinator.")).to_be_visible()
    link = PersonalLink.objects.get()
    written = QuarterlyUpdate.objects.get(author=link.user)
    assert (written.state, written.organisation.name) == (
        UpdateState.SUBMITTED,
        "Neighbourhood Watch",
    )
    assert written.history.latest().history_change_reason == (
        "Through the personal link of Nina Watson <nina@watch.example>"
    )
    audit.check(partner, "cycle-partner-link")
    partner_context.close()

    # The coordinator reviews from the plan's dashboard.
    coordinator.goto("/plans/castle-point-rochford-2016-17/")
    coordinator.get_by_role("link", name=re.compile(r"Review updates.*2016.17 Q2")).click()
    coordinator.wait_for_url(re.compile(r"/periods/\d+/$"))
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("2016/17 Q2")
    expect(coordinator.get_by_role("heading", name="Awaiting review (3)")).to_be_visible()
    audit.check(coordinator, "cycle-review")

    sanctuary = coordinator.locator(".govuk-summary-card").filter(has_text="1.1.2")
    sanctuary.get_by_label("Or return it with a comment").fill(COMMENT)
    sanctuary.get_by_role("button", name=re.compile("^Return")).click()
    expect(coordinator.get_by_role("heading", name="Awaiting review (2)")).to_be_visible()
    # The result is shown where the coordinator was, not at the top of the page.
    expect(coordinator.locator("#review-result")).to_contain_text("Returned 1.1.2 Rochford")

    # Accept all the others shown, once the page says how many.
    coordinator.get_by_role("button", name="Accept all 2 shown").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Accept 2 updates?")
    expect(coordinator.locator(".govuk-list--bullet li")).to_have_count(2)
    expect(coordinator.locator(".govuk-list--bullet")).to_contain_text(f"{reference} ")
    audit.check(coordinator, "cycle-accept-all")
    coordinator.get_by_role("button", name="Accept 2 updates").click()
    expect(coordinator.get_by_role("heading", name="Awaiting review (0)")).to_be_visible()
    expect(coordinator.get_by_text("Accepted 2 updates.")).to_be_visible()
    returned, accepted = rochford_update("1.1.2"), rochford_update("1.2.1")
    assert (returned.state, returned.return_comment) == (UpdateState.RETURNED, COMMENT)
    assert (accepted.state, accepted.status) == (UpdateState.ACCEPTED, UpdateStatus.AT_RISK)
    written.refresh_from_db()
    assert written.state == UpdateState.ACCEPTED

    # Chase one organisation now, from its row.
    coordinator.get_by_role("button", name="Send a reminder now to Essex Police").click()
    expect(
        coordinator.get_by_text("Reminder sent to Emma Clark (police-officer@example.invalid).")
    ).to_be_visible()
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
