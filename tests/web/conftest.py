"""The browser for the web page tests (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest
from browser_pages import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: `make system-deps` installs it"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
