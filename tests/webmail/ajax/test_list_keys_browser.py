"""The Ajax message actions without the mouse, in Chromium on the whole server (conftest.py): keyboard
multi-select, the message menu opened and worked by keys, the u / s / v shortcuts; the reader's Mark
unread / Flag / Move to… buttons; the list's marks (attachment, answered) and its message count."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"
UNREAD = ".ax-folder[data-role=inbox] .ax-unread"


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the server never showed the change"
        time.sleep(0.2)


def deliver(world: World, address: str, subject: str, *, attachment: bool = False) -> None:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@outside.test>"
    message["To"] = address
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    message.set_content(f"The text of {subject}.")
    if attachment:
        message.add_attachment(
            b"%PDF-1.4 minutes", maintype="application", subtype="pdf", filename="minutes.pdf"
        )
    store = world.store()
    try:
        store.mail.deliver(message.as_bytes(), [address])
    finally:
        store.close()


def focused_text(page: Page) -> str:
    return str(page.evaluate("document.activeElement.textContent"))


def focused_item(page: Page) -> Locator:
    """The menu's entry that has the focus (an assertion on it waits for the focus to move there)."""
    return page.locator(".ax-menu button:focus")


def test_two_messages_moved_by_keyboard_only(world: World, page: Page, artifacts: Path) -> None:
    me = world.account("kbmove", ("Alpha note", "Beta note", "Gamma note"))
    store = world.store()
    try:
        store.folders.create(me, "Projects")
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(3)
    expect(page.locator(".ax-count")).to_have_text("Messages: 3")
    expect(page.locator(".ax-rows")).to_be_focused()

    page.keyboard.press("j")  # the first message, opened
    page.keyboard.press("Shift+ArrowDown")  # the second one added to the selection
    expect(page.locator(f"{ROW}[aria-selected=true]")).to_have_count(2)
    page.keyboard.press("Shift+J")  # and the third
    expect(page.locator(f"{ROW}[aria-selected=true]")).to_have_count(3)
    page.keyboard.press("x")  # the cursor's (third) left out again
    expect(page.locator(f"{ROW}[aria-selected=true]")).to_have_count(2)
    chosen = page.locator(f"{ROW}[aria-selected=true] .ax-subject").all_inner_texts()

    # the menu by the ContextMenu key: arrows move, Escape closes and the list has the focus again
    page.keyboard.press("Shift+F10")
    menu = page.locator(".ax-menu")
    expect(menu).to_be_visible()
    expect(focused_item(page)).to_have_text("Mark as read")
    page.keyboard.press("ArrowDown")
    expect(focused_item(page)).to_have_text("Mark as unread")
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(page.locator(".ax-rows")).to_be_focused()
    expect(page.locator(f"{ROW}[aria-selected=true]")).to_have_count(2)

    page.keyboard.press("ContextMenu")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)

    # v: the menu's Move to, the focus on its first folder; down to Projects, Enter
    page.keyboard.press("v")
    expect(menu).to_be_visible()
    expect(page.locator(".ax-menu [data-group=move_to] button:focus")).to_have_count(1)  # the first folder
    for _ in range(20):
        if focused_text(page) == "Projects":
            break
        page.keyboard.press("ArrowDown")
    expect(focused_item(page)).to_have_text("Projects")
    shot(page, artifacts, "webmail-ajax-move-by-keyboard")
    page.keyboard.press("Enter")
    expect(page.locator(ROW)).to_have_count(1)
    expect(page.locator(".ax-count")).to_have_text("Messages: 1")
    assert world.count(me, "Projects") == 2
    left = page.locator(f"{ROW} .ax-subject").inner_text()
    assert left not in chosen
    expect(page.locator(".ax-rows")).to_be_focused()


def test_u_and_s_mark_unread_and_flag(world: World, page: Page) -> None:
    me = world.account("kbflag", ("Minutes of Tuesday", "Parking permit"))
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(UNREAD).last).to_have_text("2")
    expect(page.locator(f"{ROW}.ax-unseen")).to_have_count(2)  # the rows drawn: j has one to go to
    page.keyboard.press("j")
    heading = page.locator(".ax-reader .ax-message h2")
    expect(heading).to_have_text(re.compile(r"^(Minutes of Tuesday|Parking permit)$"))  # the message shown
    subject = heading.inner_text()
    expect(page.locator(UNREAD).last).to_have_text("1")  # reading marked it seen

    page.keyboard.press("u")
    expect(page.locator(UNREAD).last).to_have_text("2")
    expect(page.locator(f"{ROW}.ax-unseen")).to_have_count(2)
    eventually(lambda: "\\seen" not in world.flags(me, subject))
    page.keyboard.press("u")  # and back
    expect(page.locator(UNREAD).last).to_have_text("1")

    page.keyboard.press("s")
    expect(page.locator(f"{ROW}.ax-flagged")).to_have_count(1)
    eventually(lambda: "\\flagged" in world.flags(me, subject))
    page.keyboard.press("s")
    expect(page.locator(f"{ROW}.ax-flagged")).to_have_count(0)
    eventually(lambda: "\\flagged" not in world.flags(me, subject))

    page.keyboard.press("?")
    for words in ("Mark read or unread", "Flag or remove the flag", "Move to a folder", "Shift+F10"):
        expect(page.locator(".ax-help")).to_contain_text(words)


def test_reader_buttons_flag_unread_and_move(world: World, page: Page, artifacts: Path) -> None:
    me = world.account("rdflag", ("Quarterly figures",))
    store = world.store()
    try:
        store.folders.create(me, "Finance")
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    page.locator(ROW).first.click()
    toolbar = page.locator(".ax-reader .ax-toolbar")
    flag = toolbar.locator("[data-action=flag]")
    expect(flag).to_have_text("Flag")

    flag.click()
    expect(flag).to_have_text("Remove flag")
    eventually(lambda: "\\flagged" in world.flags(me, "Quarterly figures"))
    expect(page.locator(f"{ROW}.ax-flagged")).to_have_count(1)

    unread = toolbar.locator("[data-action=unread]")
    expect(unread).to_have_text("Mark as unread")
    unread.click()
    expect(unread).to_have_text("Mark as read")
    expect(page.locator(UNREAD).last).to_have_text("1")
    eventually(lambda: "\\seen" not in world.flags(me, "Quarterly figures"))
    shot(page, artifacts, "webmail-ajax-reader-flag")

    toolbar.locator("[data-action=move]").click()
    expect(page.locator(".ax-menu")).to_be_visible()
    page.locator(".ax-menu [data-group=move_to] button", has_text="Finance").click()
    expect(page.locator(ROW)).to_have_count(0)
    assert world.count(me, "Finance") == 1


def test_attachment_and_answered_marks_follow_the_row(world: World, page: Page) -> None:
    me = world.account("marks")
    deliver(world, me, "Plain words")
    deliver(world, me, "Minutes attached", attachment=True)
    store = world.store()
    try:  # set-up: "Plain words" was answered in another client
        inbox = store.folders.get(me, "INBOX")
        for uid in store.mail.uids(inbox.id):
            if b"Plain words" in bytes(store.mail.raw(inbox.id, uid)):
                store.mail.set_flags(inbox.id, [uid], ["\\Answered"])
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    attached = page.locator(ROW, has_text="Minutes attached")
    plain = page.locator(ROW, has_text="Plain words")
    expect(attached.locator(".ax-mark-attachment")).to_be_visible()
    expect(attached).to_have_class(re.compile(r"\bax-attached\b"))
    expect(plain.locator(".ax-mark-attachment")).to_have_count(0)
    expect(plain.locator(".ax-mark-answered")).to_be_visible()
    expect(attached.locator(".ax-mark-answered")).to_have_count(0)
    expect(plain.locator(".ax-size")).to_have_text("1 KB")  # the Standard list's size

    # the row element that showed the attachment shows the plain message once the first is gone
    position = attached.get_attribute("data-position")
    other = plain.get_attribute("data-position")
    handle = page.locator(f"{ROW}[data-position='{position}']").element_handle()
    page.locator(f"{ROW}[data-position='{position}']").click()
    page.keyboard.press("Delete")
    expect(page.locator(ROW)).to_have_count(1)
    expect(page.locator(".ax-count")).to_have_text("Messages: 1")
    row = page.locator(ROW)
    expect(row).to_contain_text("Plain words")
    expect(row.locator(".ax-mark-attachment")).to_have_count(0)
    expect(row).not_to_have_class(re.compile(r"\bax-attached\b"))
    if position == "0" and other == "1":  # the same element now shows the other message
        assert handle is not None and handle.evaluate(
            "(e) => e.isConnected && e.textContent.includes('Plain')"
        )

    # a search shows how many it found
    page.fill("#ax-search", "Plain")
    page.keyboard.press("Enter")
    expect(page.locator(".ax-count")).to_have_text("Found: 1")
