"""Two-step sign-in in a real browser (Chromium through Playwright, the web service as the supervisor runs
it): a user sets it up from the Standard settings -- the QR code must be drawn (the CSP allows the data:
image), the key read from the page gives the first code -- sees the recovery codes once, signs out, and
signs in again with the password and then a code; then makes an app password. Screenshots go to the
artifacts directory (tests/webmail/live.py)."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from storage import totp
from tests.webmail.live import PASSWORD, LiveServer, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_enrol_and_sign_in_with_a_code(live_server: LiveServer, page: Page, artifacts: Path) -> None:
    me = f"twostep-{uuid.uuid4().hex[:8]}@example.test"  # an account of its own: the server is shared
    account = live_server.store.accounts.add(me, PASSWORD)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, me)
    page.goto(f"{live_server.url}/mail/settings/two-step")
    page.click("#two-step-start")
    # a data: image decodes after the element is in the page: wait for it (a QR never drawn times out)
    page.wait_for_function(
        "() => { const img = document.querySelector('#two-step-qr');"
        " return Boolean(img && img.complete && img.naturalWidth > 100); }"
    )
    secret = page.inner_text("#two-step-secret").strip()
    shot(page, artifacts, "two-step-setup")
    page.fill("#code", totp.code_at(secret, time.time()))
    page.click("button[type=submit].primary")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    expect(page.locator("#two-step-state")).to_contain_text("is on since")
    shot(page, artifacts, "two-step-recovery-codes")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.endswith("/login"))
    page.fill("#username", me)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/login/code"))
    shot(page, artifacts, "two-step-code")
    page.fill("#code", totp.code_at(secret, time.time() + totp.STEP_SECONDS))  # the step after set-up's
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)

    page.goto(f"{live_server.url}/mail/settings/app-passwords")
    page.fill("#name", "Thunderbird")
    page.click("button[type=submit].primary")
    expect(page.locator("#new-app-password")).to_have_text(re.compile(r"\S"))
    made = page.inner_text("#new-app-password").strip()
    shot(page, artifacts, "two-step-app-password")
    assert live_server.store.auth.verify(me, made, service="imap").id == account.id
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
