"""WebAdmin's operations pages in Chromium, on the web service as the supervisor runs it
(tests/webmail/live.py): look at a stuck message and retry it, find one session's lines in a service log,
read the storage report, make a domain's DKIM key and read the records to publish. Screenshots go to the
artifacts directory (docs/images/ keeps copies for docs/webadmin-operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from filters import dkim_sign
from tests.webmail.live import LiveServer, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "adminpass1"  # tests/support/service.py: init --demo --admin-password
RAW = (
    b"From: bob@example.test\r\nTo: someone@remote.test\r\nSubject: Quarterly figures\r\n"
    b"Message-ID: <ops-browser@example.test>\r\n\r\nSee attached.\r\n"
)
LOG = "".join(
    f"12-07 03:{n:02d}:00 +0000 08 mail.example.test SMTP:{'0000c0de' if n % 4 == 0 else '0000beef'}: "
    f"{'connect from 192.0.2.' + str(n) if n % 4 else 'AUTH PLAIN bob@example.test accepted'}\n"
    for n in range(40)
)


def admin_sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.admin_url}/login")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_queue_logs_report_and_dkim(live_server: LiveServer, page: Page, artifacts: Path) -> None:
    store = live_server.store
    qid = store.queue.enqueue(RAW, "bob@example.test", ["someone@remote.test"])
    store.queue.set_recipient(qid, "someone@remote.test", "send-failure", "451 4.7.1 greylisted, try later")
    (live_server.config.log_dir / "smtp.log").write_text(LOG)
    try:
        admin_sign_in(page, live_server)

        page.click("nav.side >> text=Mail queue")
        page.fill("#recipient", "remote.test")
        page.click("#queue-filter button")
        page.click(f"#queue >> text={qid}")
        expect(page.locator("#recipients")).to_contain_text("451 4.7.1 greylisted")
        expect(page.locator("#header")).to_contain_text("Subject: Quarterly figures")
        shot(page, artifacts, "webadmin-queue-message")
        page.click("button:has-text('Retry now')")
        expect(page.locator(".flash.success")).to_contain_text("due for delivery now")

        page.click("nav.side >> text=Service logs")
        page.select_option("#service", "smtp")
        page.fill("#session", "c0de")
        page.click("#log-filter button")
        lines = page.locator("#log-lines tbody tr")
        expect(lines).to_have_count(10)  # the filtered page (count() would read the one before)
        expect(lines.first).to_contain_text("AUTH PLAIN")
        shot(page, artifacts, "webadmin-logs")

        page.click("nav.side >> text=Storage report")
        page.click("#domain-usage >> text=example.test")
        expect(page.locator("#account-usage")).to_contain_text("alice@example.test")
        shot(page, artifacts, "webadmin-storage-report")

        page.click("nav.side >> text=DKIM keys")
        page.click("#dkim-domains >> text=example.test")
        page.click("#dkim-generate button")
        expect(page.locator(".flash.success")).to_contain_text("publish its record")
        expect(page.locator("#record-dkim")).to_contain_text("v=DKIM1; k=rsa; p=")
        shot(page, artifacts, "webadmin-dkim")
    finally:
        if qid in [m.id for m in store.queue.list()]:
            store.queue.finish(qid)
        selector = str(store.settings.get("dkim.selector", domain="example.test"))
        dkim_sign.key_path(store, "example.test", selector).unlink(
            missing_ok=True
        )  # the live server is shared
