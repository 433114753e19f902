"""The Ajax Out of office tab and the Standard out-of-office page in Chromium, on the whole server
(conftest.py): an internal text and "once in N days" set in Ajax show on the Standard page, and a change
made there shows in Ajax, with nothing the other set lost (one Sieve entry, one writer's code)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.ajax.test_jmap_settings_browser import open_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_internal_text_and_days_both_ways(world: World, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in_to_ajax(page, world.url, world.account("ooo"))
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page, "Out of office")
    away = page.locator(".ax-settings form").nth(0)
    expect(away.get_by_label("Answer each sender at most once in (days)")).to_have_value("7")
    away.get_by_label("Send an out-of-office reply").check()
    away.get_by_label("Reply to senders of my organisation").fill("Ask Bob on extension 12.")
    away.get_by_label("Reply to everyone else").fill("Back on 21 July.")
    away.get_by_label("Answer each sender at most once in (days)").fill("60")  # more than 45: refused
    away.get_by_role("button", name="Save").click()
    expect(away.locator("input[name=days][aria-invalid=true]")).to_be_visible()
    away.get_by_label("Answer each sender at most once in (days)").fill("3")
    away.get_by_role("button", name="Save").click()
    expect(page.locator(".ax-status")).to_have_text("Settings saved.")

    page.goto(f"{world.url}/mail/settings/out-of-office")
    expect(page.locator("textarea[name=internal_text]")).to_have_value("Ask Bob on extension 12.")
    expect(page.locator("textarea[name=external_text]")).to_have_value("Back on 21 July.")
    expect(page.locator("input[name=days]")).to_have_value("3")
    page.locator("textarea[name=internal_text]").fill("Ask Carol now.")
    page.locator("input[name=days]").fill("10")
    page.locator("#save-ooo").click()
    expect(page.locator("body")).to_contain_text("Your automatic reply was saved.")

    page.goto(f"{world.url}/ajax/")
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    open_settings(page, "Out of office")
    away = page.locator(".ax-settings form").nth(0)
    expect(away.get_by_label("Reply to senders of my organisation")).to_have_value("Ask Carol now.")
    expect(away.get_by_label("Reply to everyone else")).to_have_value("Back on 21 July.")
    expect(away.get_by_label("Answer each sender at most once in (days)")).to_have_value("10")
    expect(away.get_by_label("Send an out-of-office reply")).to_be_checked()
    assert errors == []
