"""WebMail in a real browser (Chromium through Playwright) against the real web service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.live import LiveServer, shot, sign_in

pytestmark = pytest.mark.slow


def test_login_folder_tree_skins_and_logout(page: Page, live_server: LiveServer, artifacts: Path) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    shot(page, artifacts, "webmail-login")

    sign_in(page, live_server)
    expect(page).to_have_url(re.compile(r"/mail/folder/\d+$"))
    tree = page.locator("nav.sidebar")
    for name in ("Inbox", "Drafts", "Sent", "Trash"):
        expect(tree.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(tree.locator("li.active .unseen")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("table.message-list tbody tr").first).to_be_visible()
    shot(page, artifacts, "webmail-standard-classic")

    store = live_server.store
    try:
        inbox = page.url
        for skin in ("collwater", "webreflection"):
            page.goto(live_server.url + "/mail/settings/")  # the user's own settings page
            page.select_option("select[name=skin]", skin)
            page.get_by_role("button", name="Save").click()
            expect(page.locator("body")).to_have_class(re.compile(rf"\bskin-{skin}\b"))
            page.goto(inbox)
            expect(page.locator("body")).to_have_class(re.compile(rf"\bskin-{skin}\b"))
            shot(page, artifacts, f"webmail-standard-{skin}")
        dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert dark == "rgb(29, 31, 39)"  # webreflection's own look reached the browser
    finally:
        store.settings.clear("webmail.skin", account="alice@example.test")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(live_server.url + "/mail/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_mobile_view_at_360_px(mobile_page: Page, live_server: LiveServer, artifacts: Path) -> None:
    page = mobile_page
    page.goto(live_server.url + "/login")
    expect(page.locator("input[name=interface][value=mobile]")).to_be_checked()
    sign_in(page, live_server, "bob@example.test")
    expect(page).to_have_url(re.compile(r"/m/$"))
    expect(page.get_by_role("link", name="Inbox", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    shot(page, artifacts, "webmail-mobile-folders")

    page.get_by_role("link", name="Inbox", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Inbox")
    page.wait_for_load_state()  # its stylesheet applied: the width measured is the page's as drawn
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, artifacts, "webmail-mobile-inbox")

    page.get_by_role("link", name="Standard view").click()
    expect(page).to_have_url(re.compile(r"/mail/folder/\d+$"))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_pages_run_no_inline_script(page: Page, live_server: LiveServer) -> None:
    """The CSP is in force in the browser: an inline script injected into the page does not run."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    sign_in(page, live_server)
    # the console message reaches this process after the script's evaluate() returns: wait for it
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
            " document.body.appendChild(s); }"
        )
    assert page.evaluate("window.ran") is None
    assert any("Content Security Policy" in text for text in violations)
