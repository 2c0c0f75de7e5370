"""Debian's Chromium driven by Playwright against the real gateway wired to fake Rasa/action servers.

Needs `apt-get install -y chromium` (never `playwright install`: no browser downloads here). Without Chromium or
Playwright the tests are skipped, unless CHIBA_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when pytest runs with --import-mode=importlib
from webchat_stack import Stack, StackThread

CHROMIUM = os.environ.get("CHIBA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed in this environment"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        if os.environ.get("CHIBA_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stack() -> Iterator[Stack]:
    thread = StackThread()
    thread.start()
    assert thread.ready.wait(timeout=30) and thread.url, "gateway stack did not start"
    assert thread.backend is not None and thread.conversations is not None
    yield Stack(url=thread.url, backend=thread.backend, conversations=thread.conversations)
    thread.stop()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(stack.url + "/")
    page.locator("html[data-ui-lang]").wait_for(state="attached")  # the page's words came from /api/ui/{lang}
    yield page
    context.close()
