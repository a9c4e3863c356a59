"""A long report's progress page in headless Chromium: it keeps itself up to date by script
(not a meta refresh), passes axe-core while running and when done, and moves focus to the
result so a screen reader hears it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package", allow_module_level=True
    )
pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")

from django.utils import timezone
from playwright.sync_api import expect

from csp.models import Plan, ScrutinyReport
from csp.models.reports import RenderKind, RenderState, ReportRender
from tests.browser.audit import AXE, DESKTOP, PASSWORD, Audit

if not AXE.exists():
    pytest.skip(f"{AXE} is missing: run `npm ci` (or `make install`)", allow_module_level=True)


@pytest.mark.usefixtures("demo")
def test_the_progress_page_follows_a_render_to_its_end(live_server: Any, chromium: Any) -> None:
    plan = Plan.objects.get(slug="castle-point-rochford-2016-17")
    report = ScrutinyReport.objects.create(partnership=plan.partnership, plan=plan)
    report.periods.set(plan.periods.filter(quarter=1))
    render = ReportRender.objects.create(
        report=report,
        kind=RenderKind.DRAFT,
        state=RenderState.RUNNING,
        step=3,
        progress="Laying out pages: page 4",
        started_at=timezone.now(),
    )
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
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"/reports/{report.pk}/renders/{render.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Making a draft PDF")
    expect(page.get_by_text("Laying out pages: page 4")).to_be_visible()
    expect(page.get_by_text("This page checks how it is going every")).to_be_visible()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    audit.check(page, "render-running")

    ReportRender.objects.filter(pk=render.pk).update(
        state=RenderState.DONE, pdf=b"%PDF-1.7\n%%EOF\n", size=14, finished_at=timezone.now()
    )
    ready = page.get_by_role("heading", name="Your draft PDF is ready")
    expect(ready).to_be_visible()  # without a reload: the script put the new state in place
    expect(ready).to_be_focused()
    expect(page.get_by_role("link", name="Download the draft PDF (14 bytes)")).to_be_visible()
    audit.check(page, "render-done")
    context.close()

    audit.assert_clean()
    assert blocked == [], "the Content Security Policy blocked:\n" + "\n".join(blocked)
