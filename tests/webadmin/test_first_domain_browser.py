"""The main flow of issue 12 in Chromium, end to end: the administrator adds a domain and an account with a
mailbox size in WebAdmin (the real web service), and the new user logs in over IMAP (the real IMAP service
on the same data directory) and sees that size as the quota."""

from __future__ import annotations

import imaplib
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.support.service import running
from tests.webadmin.test_directory_browser import admin_sign_in
from tests.webmail.live import LiveServer, shot

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_domain_account_quota_then_imap_login(page: Page, live_server: LiveServer, artifacts: Path) -> None:
    admin_sign_in(page, live_server)
    page.goto(f"{live_server.admin_url}/domains/new")
    page.fill("#name", "firstflow.test")
    page.fill("#password", "postmaster-pass-1")
    page.fill("#confirm", "postmaster-pass-1")
    page.click("button.primary")
    page.wait_for_url(lambda url: url.endswith("/domains/firstflow.test"))
    expect(page.locator("body")).to_contain_text("Domain firstflow.test added.")

    page.goto(f"{live_server.admin_url}/accounts/new?domain=firstflow.test")
    page.fill("#address", "erin")
    page.fill("#display_name", "Erin First")
    page.fill("#password", "erin-password-1")
    page.fill("#quota", "30M")
    shot(page, artifacts, "webadmin-first-account")
    page.click("button.primary")
    page.wait_for_url(lambda url: "/accounts/erin@firstflow.test" in url)
    expect(page.locator("#quota")).to_have_value("30M")

    data = live_server.data
    with running("sidecars.imap", "imap", data) as (offset, _proc):
        context = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))
        with imaplib.IMAP4_SSL("127.0.0.1", 1993 + offset, ssl_context=context, timeout=30) as imap:
            assert imap.login("erin@firstflow.test", "erin-password-1")[0] == "OK"
            typ, answer = imap.getquotaroot("INBOX")
            assert typ == "OK"
            quota = b" ".join(part for part in answer[1] if isinstance(part, bytes))
            assert b"STORAGE 0 30720" in quota, answer  # RFC 9208: units of 1024 octets
