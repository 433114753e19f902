"""The Ajax interface answering mail in Chromium, on the whole server (conftest.py): reply, reply to all
and forward open the composer filled in (recipients, Re:/Fwd: subject, the original quoted) and what
is sent reaches the recipient threaded; a remote image in an HTML message is not fetched until "Show
images" is clicked, and shown at once from a sender trusted with "Always show images" (a real HTTP
server on 127.0.0.1 counts the fetches); the new-mail notification
opt-in asks the browser's permission; a draft opened in Drafts goes back into the composer."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"
BOB = "bob@example.test"
# a 1x1 transparent PNG
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def deliver(world: World, to: str, message: EmailMessage) -> None:
    store = world.store()
    try:
        store.mail.deliver(message.as_bytes(), [to])
    finally:
        store.close()


def from_bob(me: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Bob <{BOB}>"
    message["To"] = me
    message["Cc"] = f"carol@example.test, Bob <{BOB}>"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    message.set_content(text)
    return message


def received_by_bob(world: World, subject: str) -> bytes | None:
    store = world.store()
    try:
        inbox = store.folders.get(BOB, "INBOX")
        for uid in reversed(store.mail.uids(inbox.id)):
            text = bytes(store.mail.raw(inbox.id, uid))
            if subject.encode() in text:
                return text
        return None
    finally:
        store.close()


def test_a_draft_opened_in_drafts_is_written_on_and_sent(world: World, page: Page) -> None:
    me = world.account("draft")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=drafts]").last).to_be_visible()
    page.keyboard.press("c")
    composer = page.locator(".ax-composer")
    composer.locator("input[name=to]").fill(BOB)
    subject = f"Half written {uuid.uuid4().hex[:6]}"
    composer.locator("input[name=subject]").fill(subject)
    composer.locator(".ax-editor").click()
    page.keyboard.type("First thoughts.")
    composer.get_by_role("button", name="Save draft").click()
    expect(composer.locator(".ax-compose-status")).to_contain_text("Draft saved")
    page.keyboard.press("Escape")
    expect(composer).to_have_count(0)

    page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=drafts]").click()
    page.locator(f"{ROW}:has-text('{subject}')").click()
    expect(composer.locator("input[name=to]")).to_have_value(BOB)
    expect(composer.locator("input[name=subject]")).to_have_value(subject)
    expect(composer.locator(".ax-editor")).to_contain_text("First thoughts.")
    composer.locator(".ax-editor").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Second thoughts.")
    composer.get_by_role("button", name="Send").click()
    expect(page.locator(".ax-status")).to_have_text("Message sent.", timeout=30_000)
    sent = wait_for(lambda: received_by_bob(world, subject), 60, "the draft in bob's Inbox")
    assert b"First thoughts." in sent and b"Second thoughts." in sent
    wait_for(lambda: world.count(me, "Drafts") == 0, 30, "Drafts emptied")
    assert world.count(me, "Sent") == 1


def test_reply_reply_all_and_forward_fill_the_composer_and_arrive(world: World, page: Page) -> None:
    me = world.account("reply")
    subject = f"Budget {uuid.uuid4().hex[:6]}"
    original = from_bob(me, subject, "Can you check the figures by Friday?")
    original.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="figures.csv")
    deliver(world, me, original)
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(1)
    page.keyboard.press("j")
    expect(page.locator(".ax-reader .ax-message h2")).to_have_text(subject)

    composer = page.locator(".ax-composer")
    page.get_by_role("button", name="Reply to all").click()
    expect(composer.locator("input[name=to]")).to_have_value(f"Bob <{BOB}>")
    expect(composer.locator("input[name=cc]")).to_have_value("carol@example.test")  # not me, bob once
    composer.get_by_role("button", name="Discard").click()
    expect(composer).to_have_count(0)

    page.keyboard.press("r")
    expect(composer.locator("input[name=to]")).to_have_value(f"Bob <{BOB}>")
    expect(composer.locator("input[name=cc]")).to_have_value("")
    expect(composer.locator("input[name=subject]")).to_have_value(f"Re: {subject}")
    quote = composer.locator(".ax-editor blockquote")
    expect(quote).to_contain_text("Bob <bob@example.test> wrote:")
    expect(quote).to_contain_text("Can you check the figures by Friday?")
    page.keyboard.type("Checked, they add up.")  # the editor has the focus, above the quote
    composer.get_by_role("button", name="Send").click()
    expect(page.locator(".ax-status")).to_have_text("Message sent.", timeout=30_000)
    reply = wait_for(lambda: received_by_bob(world, f"Re: {subject}"), 60, "the reply in bob's Inbox")
    assert f"In-Reply-To: {original['Message-ID']}".encode() in reply
    assert b"Checked, they add up." in reply
    assert b"Can you check the figures by Friday?" in reply
    assert "\\answered" in world.flags(me, subject)

    expect(page.locator(".ax-reader .ax-placeholder")).to_be_visible()
    page.keyboard.press("k")  # the cursor is still on the original: open it again
    expect(page.locator(".ax-reader .ax-message h2")).to_have_text(subject)
    page.keyboard.press("f")
    expect(composer.locator("input[name=subject]")).to_have_value(f"Fwd: {subject}")
    to = composer.locator("input[name=to]")
    expect(to).to_have_value("")
    expect(to).to_be_focused()
    expect(composer.locator(".ax-editor blockquote")).to_contain_text("Can you check the figures by Friday?")
    expect(composer.locator(".ax-files li .ax-file")).to_have_text("figures.csv (1 KB)")  # carried over
    to.fill(BOB)
    composer.get_by_role("button", name="Send").click()
    expect(composer).to_have_count(0, timeout=30_000)  # answered (the reply's "Message sent." may still show)
    expect(page.locator(".ax-status")).to_have_text("Message sent.")
    forwarded = wait_for(lambda: received_by_bob(world, f"Fwd: {subject}"), 60, "the forward in bob's Inbox")
    assert b"Can you check the figures by Friday?" in forwarded
    assert b'filename="figures.csv"' in forwarded or b"filename=figures.csv" in forwarded
    assert "$forwarded" in world.flags(me, subject)  # keywords are lower case
    assert world.count(me, "Sent") == 2


class _Pixels(BaseHTTPRequestHandler):
    fetched: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).fetched.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PIXEL)))
        self.end_headers()
        self.wfile.write(PIXEL)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pixel_server() -> Iterator[tuple[str, list[str]]]:
    """A tracking-pixel server: its URL and the paths fetched from it."""
    fetched: list[str] = []
    handler = type("Pixels", (_Pixels,), {"fetched": fetched})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fetched
    finally:
        server.shutdown()
        server.server_close()


def test_remote_images_wait_for_show_images(
    world: World, page: Page, pixel_server: tuple[str, list[str]]
) -> None:
    url, fetched = pixel_server
    me = world.account("images")
    token = uuid.uuid4().hex
    message = from_bob(me, "Our newsletter", "Plain form.")
    message.add_alternative(f'<p>Hello</p><img src="{url}/open/{token}.png" alt="logo">', subtype="html")
    deliver(world, me, message)
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(1)
    page.keyboard.press("j")
    notice = page.locator(".ax-blocked")
    expect(notice).to_contain_text("1 remote images were blocked.")
    frame = page.frame_locator(".ax-body")
    expect(frame.locator("body")).to_contain_text("Hello")
    # the picture settled (the blocked stand-in drawn): a fetch of the tracker would have been made by now
    expect(frame.locator("img").first).to_have_js_property("complete", True)
    expect(frame.locator(f"img[src^='{url}']")).to_have_count(0)
    assert f"/open/{token}.png" not in fetched

    notice.get_by_role("button", name="Show images", exact=True).click()
    expect(notice).to_have_count(0)
    expect(frame.locator("img").first).to_have_js_property("naturalWidth", 1)
    assert f"/open/{token}.png" in fetched

    # a second message from bob: trusted once, then a third one shows its image at once
    for n in (2, 3):
        more = from_bob(me, f"Newsletter {n}", "Plain form.")
        more.add_alternative(
            f'<p>Issue {n}</p><img src="{url}/open/{token}-{n}.png" alt="logo">', subtype="html"
        )
        deliver(world, me, more)
    expect(page.locator(ROW)).to_have_count(3)
    page.locator(f"{ROW}:has-text('Newsletter 2')").click()
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Always show images from this sender").click()
    expect(notice).to_have_count(0)
    expect(frame.locator("img").first).to_have_js_property("naturalWidth", 1)
    assert f"/open/{token}-2.png" in fetched
    page.locator(f"{ROW}:has-text('Newsletter 3')").click()
    expect(frame.locator("body")).to_contain_text("Issue 3")
    expect(frame.locator("img").first).to_have_js_property("naturalWidth", 1)
    expect(notice).to_have_count(0)
    assert f"/open/{token}-3.png" in fetched
    page.locator(f"{ROW}:has-text('Our newsletter')").click()  # the source link below is this one's
    expect(page.locator(".ax-reader .ax-message h2")).to_have_text("Our newsletter")

    with page.expect_popup() as opened:  # the Standard reader's source page, in a new tab
        page.get_by_role("link", name="Source").click()
    expect(opened.value.locator("body")).to_contain_text("Subject: Our newsletter")
    opened.value.close()


def test_the_notification_opt_in_asks_the_browser_once(world: World, page: Page) -> None:
    me = world.account("notify")
    sign_in_to_ajax(page, world.url, me)
    ask = page.get_by_role("button", name="Notify me of new mail")
    expect(ask).to_be_visible()  # the browser has not been asked yet
    ask.click()
    expect(ask).to_have_count(0)
    assert page.evaluate("Notification.permission") != "default"  # asked, and the browser answered
    page.context.grant_permissions(["notifications"])
    page.reload()
    expect(page.locator(".ax-folder[data-role=inbox]").last).to_be_visible()
    expect(ask).to_have_count(0)  # allowed: nothing more to ask
