"""The Ajax interface changing mail over JMAP in Chromium, on the whole server (conftest.py): selecting
with Ctrl and Shift, dragging onto a folder, the context menu, Delete; writing (an autosaved draft, then
send: the draft leaves Drafts, a copy lands in Sent, the recipient gets the HTML)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"


def test_select_a_range_drag_it_onto_a_folder_and_use_the_menu(world: World, page: Page) -> None:
    me = world.account("dnd", ("Keep me", "File me away", "File me too"))
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(3)
    keep = page.locator(f"{ROW}:has-text('Keep me')")
    others = [page.locator(f"{ROW}:has-text('{s}')") for s in ("File me away", "File me too")]
    others[0].click(modifiers=["Control"])  # selects without opening (opening would mark it read)
    others[1].click(modifiers=["Control"])
    expect(page.locator(f"{ROW}[aria-selected=true]")).to_have_count(2)
    archive = page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=archive]")
    others[1].drag_to(archive)
    expect(page.locator(ROW)).to_have_count(1)
    expect(keep).to_be_visible()
    wait_for(lambda: world.count(me, "Archive") == 2, 30, "both messages in Archive")
    assert world.count(me, "INBOX") == 1
    expect(archive.locator(".ax-unread")).to_have_text("2")

    keep.click(button="right")
    page.get_by_role("menuitem", name="Mark as read").click()
    expect(page.locator(f"{ROW}.ax-unseen")).to_have_count(0)
    expect(page.locator(".ax-folder[data-role=inbox] .ax-unread")).to_have_count(0)

    archive.click()
    expect(page.locator(ROW)).to_have_count(2)
    first = page.locator(f"{ROW}[data-position='0']")
    first.click()
    first.click(modifiers=["Shift"])  # a range of one, then of two
    page.locator(f"{ROW}[data-position='1']").click(modifiers=["Shift"])
    expect(page.locator(f"{ROW}[aria-selected=true]")).to_have_count(2)
    page.keyboard.press("Delete")
    expect(page.locator(ROW)).to_have_count(0)
    wait_for(lambda: world.count(me, "Trash") == 2, 30, "both messages in Trash")


def test_compose_autosave_and_send(world: World, page: Page, artifacts: Path) -> None:
    me = world.account("write")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=drafts]").last).to_be_visible()
    page.keyboard.press("c")
    composer = page.locator(".ax-composer")
    expect(composer).to_be_visible()
    composer.locator("input[name=to]").fill("bob@example.test")
    subject = f"Plans {uuid.uuid4().hex[:6]}"
    composer.locator("input[name=subject]").fill(subject)
    editor = composer.locator(".ax-editor")
    editor.click()
    page.keyboard.type("See you ")
    page.keyboard.press("Control+b")
    page.keyboard.type("tomorrow")
    expect(composer.locator(".ax-compose-status")).to_contain_text("Draft saved", timeout=30_000)
    assert world.count(me, "Drafts") == 1
    shot(page, artifacts, "webmail-ajax-compose")

    composer.get_by_role("button", name="Send").click()
    expect(page.locator(".ax-status")).to_have_text("Message sent.", timeout=30_000)
    expect(composer).to_have_count(0)
    wait_for(lambda: world.count(me, "Sent") == 1, 30, "the message in Sent")
    assert world.count(me, "Drafts") == 0

    def delivered() -> bytes | None:
        store = world.store()
        try:
            inbox = store.folders.get("bob@example.test", "INBOX")
            for uid in reversed(store.mail.uids(inbox.id)):
                text = store.mail.raw(inbox.id, uid)
                if subject.encode() in text:
                    return bytes(text)
            return None
        finally:
            store.close()

    text = wait_for(delivered, 60, "the message in bob's Inbox")
    assert b"<b>tomorrow</b>" in text or b"<strong>tomorrow</strong>" in text
