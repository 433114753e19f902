"""The Ajax interface finds out by itself that its session ended, in Chromium on the whole server
(conftest.py): nothing is clicked on the Ajax page, yet once the user changes the password in another
browser, the push channel is ended by the server (webmail/jmap/push.py checks the sign-in while a stream
runs), its reconnection is refused, and the page puts up "Your session has ended" with its sign-in link
(jmap.js listen, session.js checkSession)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.webmail.ajax.conftest import World, raw
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import PASSWORD, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

NEW_PASSWORD = "a-new-secret-9"


def change_password_elsewhere(browser: Browser, url: str, address: str) -> None:
    """Sign in to the Standard interface in another browser (its own cookies: the user's phone, say) and
    change the password there; every other session of the account ends."""
    context = browser.new_context(locale="en-GB")
    try:
        other = context.new_page()
        other.goto(f"{url}/login")
        other.fill("#username", address)
        other.fill("#password", PASSWORD)
        other.check("input[name=interface][value=standard]")
        other.click("button[type=submit]")
        expect(other).to_have_url(re.compile(r"/mail/"))
        other.goto(f"{url}/mail/settings/password")
        other.fill("input[name=current]", PASSWORD)
        other.fill("input[name=new]", NEW_PASSWORD)
        other.fill("input[name=confirm]", NEW_PASSWORD)
        other.locator("form:has(input[name=confirm]) button[type=submit]").click()
        expect(other.locator("body")).to_contain_text("Your password was changed.")
    finally:
        context.close()


def test_the_push_channel_finds_the_session_ended_without_a_click(
    world: World, page: Page, browser: Browser, artifacts: Path
) -> None:
    me = world.account("pushend", ("Before the change",))
    streams: list[int] = []

    def watch(response: Response) -> None:
        if "/jmap/eventsource" in response.url:
            streams.append(response.status)

    page.on("response", watch)
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-row:has-text('Before the change')")).to_be_visible()
    # the push channel is up: a message delivered now shows without a reload
    store = world.store()
    try:
        store.mail.deliver(raw("Pushed in", "Live.", me), [me])
    finally:
        store.close()
    expect(page.locator(".ax-row:has-text('Pushed in')")).to_be_visible()
    notice = page.locator(".ax-signed-out")
    expect(notice).to_have_count(0)

    change_password_elsewhere(browser, world.url, me)
    # no action on the Ajax page: the server ends the stream within its check interval (30 s), the
    # EventSource's reconnection is refused and the notice comes up
    expect(notice).to_have_text("Your session has ended. Please sign in again. Sign in again", timeout=90_000)
    expect(notice.get_by_role("link", name="Sign in again")).to_have_attribute("href", "/login?next=/ajax/")
    assert streams[0] == 200 and 401 in streams  # the stream was refused on reconnecting
    shot(page, artifacts, "ajax-session-ended-by-push")

    notice.get_by_role("link", name="Sign in again").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/ajax/$"))
    page.fill("#username", me)
    page.fill("#password", NEW_PASSWORD)
    page.check("input[name=interface][value=ajax]")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ajax/$"))
    expect(page.locator(".ax-row:has-text('Pushed in')")).to_be_visible()
    expect(notice).to_have_count(0)
