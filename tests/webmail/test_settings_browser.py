"""Settings in a real browser: alice signs in to the Standard interface in Chromium (Playwright), picks
another skin (the next page is drawn with it), and sets an out-of-office reply with a date range; then a
message from bob, delivered by the processing worker, is answered with her text. Screenshots go to the
artifacts directory (tests/webmail/live.py)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from filters.user_rules import UserFilters
from sidecars.processing.worker import Worker
from storage.names import utcnow
from tests.webmail.live import PASSWORD, LiveServer, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

BOB = "bob@example.test"


def test_change_skin_and_set_out_of_office(live_server: LiveServer, page: Page, artifacts: Path) -> None:
    store = live_server.store
    me = f"prefs-{uuid.uuid4().hex[:8]}@example.test"  # an account of its own: the server is shared
    account = store.accounts.add(me, PASSWORD)
    today = utcnow().date()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, me)
    page.click("#settings-link")
    expect(page.locator("body")).to_have_class(re.compile(r"\bskin-classic\b"))
    page.select_option("#skin", "webreflection")
    page.click("button[type=submit].primary")
    page.wait_for_selector("body.skin-webreflection")
    expect(page.locator("body")).to_contain_text("Your settings were saved.")  # the body may be half parsed
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.href)")
    assert any("webreflection" in href for href in stylesheets)
    shot(page, artifacts, "settings-skin")

    page.click("text=Out of office")
    page.check("#enabled")
    page.fill("#subject", "Away this week")
    page.fill("#internal_text", "Colleagues: I am away, ask Carol.")
    page.fill("#external_text", "I am away until next week.")
    page.fill("#start", (today - timedelta(days=1)).isoformat())
    page.fill("#end", (today + timedelta(days=6)).isoformat())
    page.click("#save-ooo")
    page.wait_for_selector("text=Your automatic reply was saved.")
    expect(page.locator("#subject")).to_have_value("Away this week")
    shot(page, artifacts, "settings-out-of-office")
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors

    assert store.settings.get("webmail.skin", account=me) == "webreflection"
    assert UserFilters(store.for_user(account.id)).state().in_force
    mid = f"<{uuid.uuid4().hex}@example.test>"
    raw = f"From: {BOB}\r\nTo: {me}\r\nSubject: Lunch?\r\nMessage-ID: {mid}\r\n\r\nHi\r\n"
    store.queue.enqueue(raw.encode(), BOB, [me])
    worker = Worker(store, hostname="mail.example.test")
    worker.run_once()
    worker.run_once()  # the reply, queued by the first run, is delivered to bob
    replies = [
        r for _u, r, _d, _f in store.mail.iter_raw(BOB, "INBOX") if mid.encode() in r and b"auto-replied" in r
    ]
    assert len(replies) == 1 and b"ask Carol" in replies[0] and b"Subject: Away this week" in replies[0]
