"""Browser tests: headless Chromium from Debian, driven by Playwright's sync API.

They run against pytest-django's ``live_server``. Playwright's sync API keeps an asyncio event
loop running in the test's thread while the browser is open, so Django's guard against
synchronous database calls from async code is lifted for as long as the browser is: only
during these tests, never for the rest of the suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium for one test module; each test opens its own browser contexts."""
    from playwright.sync_api import sync_playwright

    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The demo partnerships, with the demo sign-ins (created only when DEBUG is on)."""
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
