"""The everyday flow in a real browser (Chromium through Playwright, the real gunicorn service): a user
searches their Inbox, opens a hit, replies to it, moves another message to Archive; on a phone they find
and read the moved message. The reply is delivered by the processing worker and reaches its recipient
with the threading headers a mail client expects. Screenshots go to the artifacts directory."""

from __future__ import annotations

import email
import re
import uuid
from email import policy
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from sidecars.processing.worker import Worker
from tests.webmail.live import PASSWORD, LiveServer, shot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

BOB = "bob@example.test"


def _deliver(live_server: LiveServer, to: str, subject: str, body: str) -> str:
    """Queue one message from bob to ``to`` and let the processing worker deliver it; its Message-ID."""
    mid = f"<{uuid.uuid4().hex}@example.test>"
    raw = f"From: Bob <{BOB}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n\r\n{body}\r\n"
    store = live_server.store
    store.queue.enqueue(raw.encode(), BOB, [to])
    assert Worker(store, hostname="mail.example.test").run_once() == 1
    return mid


def test_search_reply_and_move(live_server: LiveServer, page: Page, artifacts: Path) -> None:
    store = live_server.store
    me = f"flow-{uuid.uuid4().hex[:8]}@example.test"  # an account of its own: the server is shared
    store.accounts.add(me, PASSWORD)
    invoice_id = _deliver(
        live_server, me, "Invoice 2026-117 for Müller GmbH", "Please find the figures below."
    )
    _deliver(live_server, me, "Team lunch", "Pizza on Thursday?")
    _deliver(live_server, me, "Old newsletter", "Nothing new this week.")

    sign_in(page, live_server, me)
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)

    # Search: the subject field, accents folded ("muller" finds "Müller").
    page.fill("input[name=subject]", "muller")
    page.click("form.list-search button[type=submit]")
    page.wait_for_url("**subject=muller**")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Invoice 2026-117")
    shot(page, artifacts, "flow-search")

    # Open the hit and reply.
    page.click("text=Invoice 2026-117 for Müller GmbH")
    page.wait_for_selector("text=Please find the figures below.")
    page.click("text=Reply")
    page.wait_for_selector("#compose-form")
    expect(page.locator("#field-to")).to_have_value(re.compile(re.escape(BOB)))
    expect(page.locator("#subject")).to_have_value("Re: Invoice 2026-117 for Müller GmbH")
    page.fill("#body_text", "Thanks Bob, paid today.\n\n" + page.input_value("#body_text"))
    shot(page, artifacts, "flow-reply")
    page.click("#send-button")
    page.wait_for_selector("text=Your message was sent.")

    # Move the newsletter to Archive from the list.
    page.click(".sidebar >> text=Inbox")
    newsletter = page.locator("tr", has_text="Old newsletter")
    newsletter.locator("input[name=uid]").check()
    page.select_option("select[name=target]", label="Archive")
    page.click("button[name=action][value=move]")
    page.wait_for_load_state()
    expect(page.locator("tr", has_text="Old newsletter")).to_have_count(0)
    page.click(".sidebar >> text=Archive")
    # count() would read the Archive page while its list is still being parsed (or the Inbox still)
    expect(page.locator("tr", has_text="Old newsletter")).to_have_count(1)
    shot(page, artifacts, "flow-moved")

    # The reply reaches bob, threaded under the original.
    assert Worker(store, hostname="mail.example.test").run_once() == 1
    replies = [
        email.message_from_bytes(raw, policy=policy.default)
        for _uid, raw, _date, _flags in store.mail.iter_raw(BOB, "INBOX")
        if invoice_id.encode() in raw
    ]
    assert len(replies) == 1
    reply = replies[0]
    assert reply["In-Reply-To"] == invoice_id and me in reply["From"]
    assert "Thanks Bob, paid today." in reply.get_body(("plain",)).get_content()


def test_phone_finds_and_reads_a_message(live_server: LiveServer, mobile_page: Page, artifacts: Path) -> None:
    me = f"phone-{uuid.uuid4().hex[:8]}@example.test"
    live_server.store.accounts.add(me, PASSWORD)
    _deliver(live_server, me, "Train times", "The 8:15 is cancelled, take the 8:42.")
    _deliver(live_server, me, "Parking", "The garage is closed on Monday.")

    sign_in(mobile_page, live_server, me)
    assert "/m/" in mobile_page.url
    mobile_page.click("text=Inbox")
    mobile_page.click("details.m-search summary")  # the search form folds away on a phone
    mobile_page.fill("input[name=subject]", "train")
    mobile_page.click("form.list-search button[type=submit]")
    mobile_page.click("text=Train times")
    mobile_page.wait_for_selector("text=The 8:15 is cancelled")
    mobile_page.wait_for_load_state()  # its stylesheet applied: the width measured is the page's as drawn
    assert mobile_page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(mobile_page, artifacts, "flow-phone-read")
