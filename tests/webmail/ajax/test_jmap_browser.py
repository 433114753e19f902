"""The Ajax interface over the real JMAP API in Chromium, on the whole server (conftest.py): reading by
keyboard (j/k/Enter), the body in the sandboxed frame, unread counts following."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World, raw
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"


def subject_at(page: Page, position: int) -> str:
    return page.locator(f"{ROW}[data-position='{position}'] .ax-subject").inner_text()


def test_keyboard_reading(world: World, page: Page, artifacts: Path) -> None:
    me = world.account("keys", ("Agenda for Monday", "Invoice 4411", "Lunch on Friday"))
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(3)
    expect(page.locator(f"{ROW}.ax-unseen")).to_have_count(3)
    expect(page.locator(".ax-folder[data-role=inbox] .ax-unread").last).to_have_text("3")
    first, second = subject_at(page, 0), subject_at(page, 1)

    page.keyboard.press("j")
    heading = page.locator(".ax-reader .ax-message h2")
    expect(heading).to_have_text(first)
    expect(page.frame_locator(".ax-body").locator("body")).to_contain_text(f"The text of {first}.")
    page.keyboard.press("j")
    expect(heading).to_have_text(second)
    page.keyboard.press("k")
    expect(heading).to_have_text(first)
    page.keyboard.press("Enter")
    expect(heading).to_have_text(first)
    # reading marked two seen: the server's push brings the rows and the count up to date
    expect(page.locator(f"{ROW}.ax-unseen")).to_have_count(1)
    expect(page.locator(".ax-folder[data-role=inbox] .ax-unread").last).to_have_text("1")
    expect(page.frame_locator(".ax-body").locator("body")).to_contain_text(f"The text of {first}.")
    shot(page, artifacts, "webmail-ajax-reading")


def test_conversation_view(world: World, page: Page) -> None:
    me = world.account("threads", ("Unrelated",))
    first = raw("Trip to Lisbon", "Shall we go in May?", me)
    root_id = first.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].strip()
    reply = raw("Re: Trip to Lisbon", "May works for me.", me).replace(
        b"Message-ID:", b"In-Reply-To: " + root_id + b"\nReferences: " + root_id + b"\nMessage-ID:", 1
    )
    store = world.store()
    try:
        store.mail.deliver(first, [me])
        store.mail.deliver(reply, [me])
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(3)
    page.get_by_label("Conversations").check()
    expect(page.locator(ROW)).to_have_count(2)  # the two messages of the trip are one row
    page.locator(f"{ROW}:has-text('Lisbon')").click()
    messages = page.locator(".ax-reader .ax-message")
    expect(messages).to_have_count(2)
    expect(messages.nth(0).locator("h2")).to_have_text("Trip to Lisbon")
    expect(messages.nth(1).locator("h2")).to_have_text("Re: Trip to Lisbon")
    page.get_by_label("Conversations").uncheck()
    expect(page.locator(ROW)).to_have_count(3)
