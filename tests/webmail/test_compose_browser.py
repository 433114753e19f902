"""Compose in a real browser: alice signs in to the Standard interface in Chromium (Playwright), writes
an HTML message with the editor's toolbar, attaches a file, sends; the processing worker delivers it and
bob reads it over IMAP from a real IMAP service process. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from sidecars.processing.worker import Worker
from tests.sidecars.imap.conftest import PASSWORD, ImapService, imap_service  # noqa: F401  (fixture)
from webmail import create_app


@pytest.fixture
def webmail_url(imap_service: ImapService) -> Iterator[str]:  # noqa: F811
    """WebMail on the IMAP service's data, served by werkzeug on a free loopback port."""
    app = create_app({"STORE": imap_service.store, "SECRET_KEY": "browser-test-key"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def test_compose_with_attachment_send_and_read_over_imap(
    imap_service: ImapService,  # noqa: F811
    webmail_url: str,
    tmp_path: Path,
    browser: Browser,
) -> None:
    alice, bob = imap_service.new_account("alice"), imap_service.new_account("bob")
    upload = tmp_path / "Plan für Q1.txt"
    upload.write_bytes(b"step one\nstep two\n")
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(f"{webmail_url}/login")
        page.fill("#username", alice)
        page.fill("#password", PASSWORD)
        standard = page.locator("input[name=interface][value=standard]")
        if standard.count():
            standard.check()
        page.click("button[type=submit]")
        # the sign-in must finish (its cookie set) before the next navigation, or goto() aborts it
        page.wait_for_url(f"{webmail_url}/mail/**")
        page.goto(f"{webmail_url}/mail/compose")
        page.fill("#field-to", bob)
        page.fill("#subject", "Plan for Q1")
        page.check("input[name=format_to][value=html]")  # the script switches the format
        page.wait_for_selector(".editor-area")
        editor = page.locator(".editor-area")
        editor.click()
        page.keyboard.type("Hello Bob, ")
        page.click("button[data-command=bold]")
        page.keyboard.type("read this")
        page.click("button[data-command=bold]")
        page.keyboard.type(" today.")
        page.set_input_files("#attachments", str(upload))
        page.screenshot(path=str(tmp_path / "compose.png"), full_page=True)
        page.click("#send-button")
        # not wait_for_url("/mail/**"): the compose page's own address matches it before the answer
        expect(page.locator("body")).to_contain_text("Your message was sent.")
        page.screenshot(path=str(tmp_path / "sent.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
    finally:
        context.close()

    assert Worker(imap_service.store, hostname="mail.example.test").run_once() == 1
    client = imap_service.imaplib(bob)
    try:
        assert client.select("INBOX", readonly=True)[0] == "OK"
        typ, data = client.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "OK"
    finally:
        client.logout()
    (raw,) = [part[1] for part in data if isinstance(part, tuple)]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Plan for Q1"
    assert alice in message["From"]
    html = message.get_body(("html",)).get_content()
    assert "<b>read this</b>" in html and "Hello Bob," in html
    assert "Hello Bob, read this today." in message.get_body(("plain",)).get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "Plan für Q1.txt"
    assert attachment.get_payload(decode=True) == b"step one\nstep two\n"


def test_mobile_compose_fits_a_phone(
    imap_service: ImapService,  # noqa: F811
    webmail_url: str,
    tmp_path: Path,
    browser: Browser,
) -> None:
    """At 360 px wide the Mobile compose page needs no sideways scrolling and every field is reachable."""
    alice = imap_service.new_account("alice")
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{webmail_url}/login")
        page.fill("#username", alice)
        page.fill("#password", PASSWORD)
        mobile = page.locator("input[name=interface][value=mobile]")
        if mobile.count():
            mobile.check()
        page.click("button[type=submit]")
        page.wait_for_url(f"{webmail_url}/m/**")
        page.goto(f"{webmail_url}/m/compose")
        page.screenshot(path=str(tmp_path / "mobile-compose.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        for selector in ("#field-to", "#subject", "#body_text", "#send-button"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    finally:
        context.close()
