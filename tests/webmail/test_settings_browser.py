"""Settings in a real browser: alice signs in to the Standard interface in Chromium (Playwright), picks
another skin (the next page is drawn with it), and sets an out-of-office reply with a date range; then a
message from bob, delivered by the processing worker, is answered with her text. Screenshots go to the
test's tmp dir."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from filters.user_rules import UserFilters
from sidecars.processing.worker import Worker
from storage.names import utcnow
from tests.webmail.conftest import Seeded
from tests.webmail.test_compose_browser import ARGS, CHROMIUM

ALICE, BOB = "alice@example.test", "bob@example.test"


@pytest.fixture
def webmail_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def test_change_skin_and_set_out_of_office(webmail_url: str, seeded: Seeded, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    today = utcnow().date()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{webmail_url}/login")
            page.fill("#username", ALICE)
            page.fill("#password", "pass-alice")
            standard = page.locator("input[name=interface][value=standard]")
            if standard.count():
                standard.check()
            page.click("button[type=submit]")
            page.click("#settings-link")
            assert "skin-classic" in (page.get_attribute("body", "class") or "")
            page.select_option("#skin", "webreflection")
            page.click("button[type=submit].primary")
            page.wait_for_selector("body.skin-webreflection")
            assert "Your settings were saved." in page.content()
            stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.href)")
            assert any("webreflection" in href for href in stylesheets)
            page.screenshot(path=str(tmp_path / "settings-skin.png"), full_page=True)

            page.click("text=Out of office")
            page.check("#enabled")
            page.fill("#subject", "Away this week")
            page.fill("#internal_text", "Colleagues: I am away, ask Carol.")
            page.fill("#external_text", "I am away until next week.")
            page.fill("#start", (today - timedelta(days=1)).isoformat())
            page.fill("#end", (today + timedelta(days=6)).isoformat())
            page.click("#save-ooo")
            page.wait_for_selector("text=Your automatic reply was saved.")
            assert page.input_value("#subject") == "Away this week"
            page.screenshot(path=str(tmp_path / "settings-out-of-office.png"), full_page=True)
            assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
        finally:
            browser.close()

    store = seeded.store
    assert store.settings.get("webmail.skin", account=ALICE) == "webreflection"
    assert UserFilters(store.for_user(seeded.alice.id)).state().in_force
    raw = f"From: {BOB}\r\nTo: {ALICE}\r\nSubject: Lunch?\r\nMessage-ID: <l1@example.test>\r\n\r\nHi\r\n"
    store.queue.enqueue(raw.encode(), BOB, [ALICE])
    worker = Worker(store, hostname="mail.example.test")
    worker.run_once()
    worker.run_once()  # the reply, queued by the first run, is delivered to bob
    replies = [r for _u, r, _d, _f in store.mail.iter_raw(BOB, "INBOX") if b"auto-replied" in r]
    assert len(replies) == 1 and b"ask Carol" in replies[0] and b"Subject: Away this week" in replies[0]
