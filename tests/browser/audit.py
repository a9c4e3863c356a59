"""Checking pages in the browser tests: axe-core at desktop and phone widths, and screenshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP, PHONE = 1280, 390
SCREENS = Path("/tmp/screens")
PASSWORD = "demo-only-password"


class Audit:
    """axe-core's findings for every page visited; serious and critical ones fail the test.

    So does a page wider than the screen (content must reflow, WCAG 1.4.10): wide tables and the
    chart scroll sideways inside their own boxes instead.
    """

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.to_review: list[str] = []

    def check(self, page: Page, name: str) -> None:
        """Run axe on ``page`` at both widths, and save its screenshots."""
        for width in (DESKTOP, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.failures.append(
                    f"{name} at {width}px: the page is {overflow}px wider than the screen"
                )
            results = run_axe(page)
            for violation in results["violations"]:
                line = describe(f"{name} at {width}px", violation)
                if violation["impact"] in ("serious", "critical"):
                    self.failures.append(line)
                else:
                    self.notes.append(line)
            self.to_review += [
                describe(f"{name} at {width}px", item) for item in results["incomplete"]
            ]
        save_screenshots(page, name)
        page.set_viewport_size({"width": DESKTOP, "height": 900})

    def assert_clean(self) -> None:
        SCREENS.mkdir(parents=True, exist_ok=True)
        report = [
            *self.failures,
            *self.notes,
            "",
            "axe-core could not decide (review by hand):",
            *self.to_review,
        ]
        (SCREENS / "axe-report.txt").write_text("\n".join(report) + "\n")
        if self.notes:
            print("axe-core, moderate and minor:\n" + "\n".join(self.notes))
        assert not self.failures, "axe-core found serious or critical violations:\n" + "\n".join(
            self.failures
        )


def run_axe(page: Page) -> dict[str, Any]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content Security Policy
        # (no inline or foreign scripts) rightly does not let a <script> tag do.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async (tags) => await axe.run(document, {runOnly: {type: "tag", values: tags}})""",
        AXE_TAGS,
    )
    return results


def describe(where: str, violation: dict[str, Any]) -> str:
    targets = [json.dumps(node["target"]) for node in violation["nodes"]]
    shown = ", ".join(targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5 else "")
    return f"{where}: [{violation['impact']}] {violation['id']}: {violation['help']} ({shown})"


def save_screenshots(page: Page, name: str) -> None:
    """Full-page screenshots at desktop and phone widths, for a person to look at; not asserted."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENS / f"{name}-{width}.png"), full_page=True)
