"""The Ajax reader's details that the Standard reader shows (layout/message_view.html), in Chromium on the
whole server (conftest.py): the "Sent by … on behalf of" line for a Sender other than From, the Reply-To
line, an image attachment's thumbnail with its type and size, and the plain-text view of an HTML message;
printing the selected messages (the Standard print view in a new tab); and a session ended on the server
(signed out in another page) shown with a notice whose link signs in again and comes back to /ajax/, found
by a JSON route of the interface and by a JMAP call alike."""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect

from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def png(width: int, height: int) -> bytes:
    """A real PNG (grey pixels), so the browser decodes it to a picture of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def detailed(to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@outside.test>"
    message["Sender"] = "Assistant <assistant@outside.test>"
    message["Reply-To"] = "Replies <replies@outside.test>"
    message["To"] = to
    message["Subject"] = "Holiday photo"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    message.set_content("The PLAIN version of the text.")
    message.add_alternative(
        "<html><body><p>The <b>HTML</b> version of the text.</p></body></html>", subtype="html"
    )
    message.add_attachment(png(40, 30), maintype="image", subtype="png", filename="beach.png")
    return message.as_bytes()


def test_sender_reply_to_thumbnail_and_plain_text(world: World, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    me = world.account("details")
    store = world.store()
    try:
        store.mail.deliver(detailed(me), [me])
    finally:
        store.close()

    sign_in_to_ajax(page, world.url, me)
    page.locator(".ax-row:has-text('Holiday photo')").click()
    reader = page.locator(".ax-reader")
    expect(reader.locator("dt.ax-h-sender")).to_have_text("Sent by")
    expect(reader.locator("dd.ax-h-sender")).to_have_text(
        "Assistant <assistant@outside.test>, on behalf of the sender above"
    )
    expect(reader.locator("dt.ax-h-reply-to")).to_have_text("Reply to")
    expect(reader.locator("dd.ax-h-reply-to")).to_have_text("Replies <replies@outside.test>")
    # the lines in the Standard reader's order: From, Sent by, To, Reply to, Date
    expect(reader.locator(".ax-headers dt")).to_have_text(["From", "Sent by", "To", "Reply to", "Date"])

    item = reader.locator(".ax-attachment")
    expect(item.locator(".ax-attachment-name")).to_have_text("beach.png")
    expect(item.locator(".ax-attachment-meta")).to_contain_text("image/png")
    thumb = item.locator("img.ax-attachment-thumb")
    expect(thumb).to_have_attribute("alt", "beach.png")
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.ax-attachment-thumb')?.naturalWidth === 40", timeout=15_000
    )

    # the HTML body first; "Plain text" shows the text part, "Formatted text" the HTML again
    body = page.frame_locator(".ax-reader iframe.ax-body").first.locator("body")
    expect(body).to_contain_text("The HTML version of the text.")
    reader.get_by_role("button", name="Plain text").click()
    expect(body).to_contain_text("The PLAIN version of the text.")
    expect(reader.locator("iframe.ax-body").first).to_have_attribute("src", re.compile(r"view=text"))
    reader.get_by_role("button", name="Formatted text").click()
    expect(body).to_contain_text("The HTML version of the text.")
    assert errors == []


def test_printing_the_selected_messages(world: World, page: Page) -> None:
    me = world.account("printer", ("First to print", "Second to print", "Not printed"))
    sign_in_to_ajax(page, world.url, me)
    page.locator(".ax-row:has-text('First to print')").click()
    page.locator(".ax-row:has-text('Second to print')").click(modifiers=["Control"])
    page.locator(".ax-row:has-text('Second to print')").click(button="right")
    with page.context.expect_page() as opened:
        page.get_by_role("menuitem", name="Print", exact=True).click()
    printed = opened.value
    expect(printed).to_have_url(re.compile(r"/print\?"))  # a new tab may show about:blank first
    # the Standard print view, with both selected messages and not the third
    body = printed.locator("body")
    expect(body).to_contain_text("First to print")
    expect(body).to_contain_text("The text of Second to print.")
    expect(body).not_to_contain_text("Not printed")
    printed.close()


def sign_out_elsewhere(page: Page, url: str) -> None:
    """Sign out in another page of the same browser context: the session ends on the server. The other
    page is a Standard one, which sends nothing of its own: an Ajax page's requests, answered after the
    sign-out, could bring the session cookie back (webmail/sessions.py)."""
    other = page.context.new_page()
    other.goto(f"{url}/mail/settings/")
    other.get_by_role("button", name="Sign out").click()
    expect(other).to_have_url(re.compile(r"/login"))
    other.close()


def test_an_ended_session_offers_to_sign_in_again(world: World, page: Page) -> None:
    me = world.account("expiry", ("Second message",))
    store = world.store()
    try:
        store.mail.deliver(detailed(me), [me])
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    page.locator(".ax-row:has-text('Holiday photo')").click()
    reader = page.locator(".ax-reader")
    expect(reader.get_by_role("button", name="Plain text")).to_be_visible()
    body = page.frame_locator(".ax-reader iframe.ax-body").first.locator("body")
    expect(body).to_contain_text("The HTML version of the text.")  # the message's requests answered
    notice = page.locator(".ax-signed-out")
    expect(notice).to_have_count(0)

    # a JSON route of the interface (the reader's /ajax/read, which a page would send to the sign-in page)
    sign_out_elsewhere(page, world.url)
    reader.get_by_role("button", name="Plain text").click()
    expect(notice).to_have_text("Your session has ended. Please sign in again. Sign in again")
    expect(page.get_by_role("alert")).to_be_visible()
    notice.get_by_role("link", name="Sign in again").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/ajax/$"))
    page.fill("#username", me)
    page.fill("#password", PASSWORD)
    page.check("input[name=interface][value=ajax]")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ajax/$"))
    expect(page.locator(".ax-row:has-text('Second message')")).to_be_visible()
    expect(notice).to_have_count(0)

    # a JMAP call (opening a message: Email/get answers 401)
    sign_out_elsewhere(page, world.url)
    page.locator(".ax-row:has-text('Second message')").click()
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link", name="Sign in again")).to_have_attribute("href", "/login?next=/ajax/")
