"""The Ajax interface and JMAP's push and upload in Chromium, on the whole server (conftest.py): a message
sent over SMTP shows up live through the EventSource; a file dropped on the composer is uploaded and
sent as an attachment."""

from __future__ import annotations

import smtplib
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World, raw
from tests.webmail.ajax.test_browser import sign_in_to_ajax
from tests.webmail.live import shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"


def test_a_message_sent_over_smtp_shows_up_live(world: World, page: Page, artifacts: Path) -> None:
    me = world.account("live", ("Already here",))
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(1)
    subject = f"Arrived {uuid.uuid4().hex[:6]}"
    with smtplib.SMTP("127.0.0.1", world.server.port("smtp"), timeout=30) as client:
        client.ehlo("mx.outside.test")
        client.sendmail("mallory@outside.test", [me], raw(subject, "Fresh.", me))
    expect(page.locator(ROW)).to_have_count(2, timeout=45_000)  # no reload: the EventSource said so
    expect(page.locator(f"{ROW}[data-position='0'] .ax-subject")).to_have_text(subject)
    expect(page.locator(".ax-folder[data-role=inbox] .ax-unread").last).to_have_text("2")
    shot(page, artifacts, "webmail-ajax")


def test_a_file_dropped_on_the_composer_is_sent_as_an_attachment(world: World, page: Page) -> None:
    me = world.account("attach")
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=drafts]").last).to_be_visible()
    page.keyboard.press("c")
    composer = page.locator(".ax-composer")
    composer.locator("input[name=to]").fill("bob@example.test")
    subject = f"Figures {uuid.uuid4().hex[:6]}"
    composer.locator("input[name=subject]").fill(subject)
    composer.locator(".ax-editor").click()
    page.keyboard.type("Attached.")
    page.evaluate(
        """() => {
        const data = new DataTransfer();
        data.items.add(new File(["a,b\\n1,2\\n"], "figures.csv", {type: "text/csv"}));
        const form = document.querySelector(".ax-composer");
        form.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(composer.locator(".ax-files li .ax-file")).to_have_text("figures.csv (1 KB)")
    composer.get_by_role("button", name="Send").click()
    expect(page.locator(".ax-status")).to_have_text("Message sent.", timeout=30_000)

    def delivered() -> bytes | None:
        store = world.store()
        try:
            inbox = store.folders.get("bob@example.test", "INBOX")
            for uid in reversed(store.mail.uids(inbox.id)):
                text = store.mail.raw(inbox.id, uid)
                if subject.encode() in text:
                    return bytes(text)
            return None
        finally:
            store.close()

    text = wait_for(delivered, 60, "the message in bob's Inbox")
    assert b'filename="figures.csv"' in text or b"filename=figures.csv" in text
