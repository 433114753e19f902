"""The Ajax interface in Chromium (Playwright) against the real web service (alice's demo account): the
login choice, the three panes with the folder pane from JMAP, the splitters and the shortcut help.
test_jmap_browser.py drives the mail itself on a whole server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.live import PASSWORD, LiveServer, shot

pytestmark = pytest.mark.slow


def sign_in_to_ajax(page: Page, url: str, address: str = "alice@example.test") -> None:
    """Sign in through the login form, choosing Ajax (WebMail at ``url``)."""
    page.goto(f"{url}/login")
    page.fill("#username", address)
    page.fill("#password", PASSWORD)
    page.check("input[name=interface][value=ajax]")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ajax/$"))


def test_login_choosing_ajax_shows_the_panes_and_the_help(
    page: Page, live_server: LiveServer, artifacts: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_ajax(page, live_server.url)
    for name in ("Folders", "Messages", "Message"):
        expect(page.get_by_label(name, exact=True).first).to_be_visible()
    # the folder pane from JMAP's Mailbox/get: the special folders under their names, unread counts
    inbox = page.locator(".ax-folder[data-role=inbox]")
    expect(inbox).to_contain_text("Inbox")
    expect(inbox.locator(".ax-unread")).to_have_text(re.compile(r"^[1-9]\d*$"))
    for role in ("drafts", "sent", "trash"):
        expect(page.locator(f".ax-folder[data-role={role}]")).to_be_visible()

    folders = page.locator(".ax-folders")
    before = folders.bounding_box()
    assert before is not None
    splitter = page.locator("[data-splitter=folders]").bounding_box()
    assert splitter is not None
    page.mouse.move(splitter["x"] + 2, splitter["y"] + 100)
    page.mouse.down()
    page.mouse.move(splitter["x"] + 102, splitter["y"] + 100, steps=5)
    page.mouse.up()
    after = folders.bounding_box()
    assert after is not None and after["width"] > before["width"] + 80
    page.reload()  # the width is remembered in this browser
    kept = page.locator(".ax-folders").bounding_box()
    assert kept is not None and abs(kept["width"] - after["width"]) < 2

    page.locator("body").press("?")
    help_box = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("Next message")
    shot(page, artifacts, "webmail-ajax-help")
    page.keyboard.press("Escape")
    expect(help_box).to_have_count(0)
    assert not errors, errors
