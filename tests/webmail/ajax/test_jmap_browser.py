"""The Ajax interface over the real JMAP API in Chromium, on the whole server (conftest.py): reading by
keyboard (j/k/Enter), the body in the sandboxed frame, unread counts following."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
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
    shot(page, artifacts, "webmail-ajax-reading")
