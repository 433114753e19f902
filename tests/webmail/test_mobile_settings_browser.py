"""The Mobile settings pages in Chromium at 360 px (a phone's width): every page fits, and a rule is made,
turned off and deleted with the plain forms (the pages need no JavaScript)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.live import LiveServer, shot, sign_in

pytestmark = pytest.mark.slow

PAGES = ("General", "Out of office", "Rules", "Senders", "Temporary addresses", "Password")


def test_mobile_settings_fit_360_px_and_make_a_rule(
    mobile_page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    page = mobile_page
    sign_in(page, live_server, "bob@example.test")
    page.get_by_role("link", name="Settings", exact=True).click()
    for name in PAGES:
        page.locator(".m-links").get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state()  # this page's, with its stylesheet: the previous page had an h1 too
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
        shot(page, artifacts, "webmail-mobile-settings-" + name.lower().replace(" ", "-"))

    page.locator(".m-links").get_by_role("link", name="Rules", exact=True).click()
    page.get_by_role("link", name="New rule").click()
    page.fill("input[name=name]", "Newsletters")
    page.fill("input[name=value_1]", "news@")
    page.select_option("select[name=action]", "flag")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".rules li")).to_contain_text("Newsletters")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Turn off").click()
    expect(page.locator(".rules li")).to_contain_text("off")
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".empty")).to_be_visible()
