"""The period page in headless Chromium at desktop and phone widths: tabbing through the form,
the field that has focus is never under the sticky bar of buttons (WCAG 2.4.11), the bar is
slim on a phone, a link skips the contents, and leaving with unsaved changes warns first."""

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

from tests.browser.audit import AXE, DESKTOP, PASSWORD, PHONE

if not AXE.exists():
    pytest.skip(f"{AXE} is missing: run `npm ci` (or `make install`)", allow_module_level=True)

# Where the focused element and the bar are, in the viewport, after the browser scrolled.
FOCUS_AND_BAR = """() => {
  const focused = document.activeElement;
  const bar = document.querySelector('.csp-sticky-actions');
  const f = focused.getBoundingClientRect();
  const b = bar.getBoundingClientRect();
  return {
    tag: focused.tagName, id: focused.id, inBar: bar.contains(focused),
    top: f.top, bottom: f.bottom, barTop: b.top, barHeight: b.height,
    viewport: window.innerHeight,
  };
}"""


def open_period_page(chromium: Any, live_server: Any, width: int) -> Page:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 844}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/sign-in/")
    page.fill("#id_username", "rochford-officer")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/updates/")
    page.get_by_role("link", name=re.compile("Write your updates")).click()
    page.wait_for_url(re.compile(r"/updates/\d+/$"))
    return page


def covered(page: Page, steps: int) -> tuple[list[str], int]:
    """Tab ``steps`` times from the top; name each focused field the bar covered."""
    hidden: list[str] = []
    fields = 0
    page.locator("body").focus()
    for _ in range(steps):
        page.keyboard.press("Tab")
        # What a person sees once the page has drawn the next frame.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        where = page.evaluate(FOCUS_AND_BAR)
        if where["inBar"] or where["tag"] not in ("INPUT", "SELECT", "TEXTAREA", "BUTTON"):
            continue
        fields += 1
        if where["bottom"] > where["barTop"] + 0.5 or where["top"] < 0:
            hidden.append(f"{where['tag']}#{where['id']} {where}")
    return hidden, fields


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_focused_field_is_never_under_the_sticky_bar(
    live_server: Any, chromium: Any, width: int
) -> None:
    page = open_period_page(chromium, live_server, width)
    hidden, fields = covered(page, 160)
    assert fields > 40  # the tabbing really went through the updates' fields
    assert hidden == [], "fields under the sticky bar:\n" + "\n".join(hidden)
    if width == PHONE:
        # The issue measured 117px of 844; with the "not saved yet" note showing, a line more.
        page.locator("textarea").nth(3).focus()
        height = page.evaluate(FOCUS_AND_BAR)["barHeight"]
        assert height <= 60, f"the bar takes {height}px of a phone's 844"
        page.locator("textarea").nth(3).fill("Typed")
        height = page.evaluate(FOCUS_AND_BAR)["barHeight"]
        assert height <= 84, f"with its note, the bar takes {height}px of a phone's 844"
        hidden, _ = covered(page, 160)
        assert hidden == [], "with the note showing, fields under the bar:\n" + "\n".join(hidden)
    page.context.close()


@pytest.mark.usefixtures("demo")
def test_a_link_skips_the_contents_to_the_first_update(live_server: Any, chromium: Any) -> None:
    page = open_period_page(chromium, live_server, DESKTOP)
    skip = page.get_by_role("link", name="Skip the contents to the first update to write")
    contents = page.get_by_role("table").filter(has_text="Contents")
    # The skip link comes before the contents' links in the page's order.
    assert skip.evaluate(
        "(link, table) => !!(link.compareDocumentPosition(table) "
        "& Node.DOCUMENT_POSITION_FOLLOWING)",
        contents.element_handle(),
    )
    skip.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused.endswith("-status"), focused
    page.context.close()


@pytest.mark.usefixtures("demo")
def test_leaving_with_unsaved_changes_asks_first(live_server: Any, chromium: Any) -> None:
    page = open_period_page(chromium, live_server, DESKTOP)
    # Unchanged: leaving asks nothing.
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="My updates").first.click()
    page.wait_for_url("**/updates/")
    assert asked == []
    page.go_back()
    expect(page.get_by_text("You have changes that are not saved yet.")).to_be_hidden()
    field = page.locator("textarea").first
    field.fill("Typed and not saved")
    expect(page.get_by_text("You have changes that are not saved yet.")).to_be_visible()
    page.get_by_role("link", name="My updates").first.click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert re.search(r"/updates/\d+/$", page.url)  # dismissed: still on the page
    expect(field).to_have_value("Typed and not saved")
    # Saving is not leaving.
    page.get_by_role("button", name="Save as draft").last.click()
    expect(page.get_by_text("1 update saved as a draft.")).to_be_visible()
    assert asked == ["beforeunload"]
    page.context.close()


@pytest.mark.usefixtures("demo")
def test_drafts_save_themselves_and_then_leaving_asks_nothing(
    live_server: Any, chromium: Any
) -> None:
    from csp.models import QuarterlyUpdate

    page = open_period_page(chromium, live_server, DESKTOP)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    progress = page.get_by_label("Progress this quarter for 1.1.2 Rochford")
    progress.fill("Autosaved text")
    expect(page.get_by_text("You have changes that are not saved yet.")).to_be_visible()
    # What the timer does every 30 seconds, now.
    page.locator("form[data-csp-autosave]").dispatch_event("csp:autosave")
    expect(
        page.get_by_text(re.compile(r"Draft saved automatically at \d\d:\d\d\."))
    ).to_be_visible()
    expect(page.get_by_text("You have changes that are not saved yet.")).to_be_hidden()
    assert (
        QuarterlyUpdate.objects.get(
            period__year=2016,
            period__quarter=2,
            action__objective__priority__number=1,
            action__objective__number=1,
            action__number=2,
            district__slug="rochford",
        ).progress
        == "Autosaved text"
    )
    # A save by hand afterwards is no conflict: the form took the new version.
    progress.fill("Changed again by hand")
    page.get_by_role("button", name="Save as draft").last.click()
    expect(page.get_by_text("1 update saved as a draft.")).to_be_visible()
    page.get_by_role("link", name="My updates").first.click()
    page.wait_for_url("**/updates/")
    assert asked == []
    page.context.close()
