"""The Ajax composer doing what the Standard composer does, in Chromium on the whole server (conftest.py):
the From menu offers every identity (own address, an alias, a mailbox sending on behalf of) and the
signature follows the choice; a reply comes from the address the original was sent to; what is sent
reaches the recipient with the From (and, on behalf, the Sender) the Standard composer writes; a grant
withdrawn while writing is refused in the composer with the message kept; a forward as attachment
carries the original's octets in a message/rfc822 part; a read receipt request, a priority and a
plain-text body arrive as headers and a text/plain message, and a draft keeps them."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from playwright.sync_api import Page, expect

from tests.interop.conftest import wait_for
from tests.webmail.ajax.conftest import World
from tests.webmail.ajax.test_browser import sign_in_to_ajax

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROW = ".ax-row"


def received(world: World, address: str, subject: str) -> bytes | None:
    """The raw message with ``subject`` in ``address``'s Inbox, as delivered (None: not there yet)."""
    store = world.store()
    try:
        inbox = store.folders.get(address, "INBOX")
        for uid in reversed(store.mail.uids(inbox.id)):
            raw = bytes(store.mail.raw(inbox.id, uid))
            if subject.encode() in raw:
                return raw
        return None
    finally:
        store.close()


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def open_row(page: Page, subject: str) -> None:
    """Open a message from the list; the click is made again once if the pushed refresh that follows a
    send redrew the row under it (the row is then a new element)."""
    row, heading = page.locator(f"{ROW}:has-text('{subject}')"), page.locator(".ax-reader .ax-message h2")
    row.click()
    try:
        expect(heading).to_have_text(subject, timeout=5_000)
    except AssertionError:
        row.click()
        expect(heading).to_have_text(subject)


def send(page: Page) -> None:
    """Send and wait for the answer: the composer closes (an earlier send's "Message sent." may still
    be in the status line)."""
    page.locator(".ax-composer").get_by_role("button", name="Send").click()
    expect(page.locator(".ax-composer")).to_have_count(0, timeout=30_000)
    expect(page.locator(".ax-status")).to_have_text("Message sent.")


def test_from_identity_signature_alias_and_on_behalf(world: World, page: Page) -> None:
    me = world.account("delegate")
    owner = world.account("owner")
    reader = world.account("reader")
    alias = f"sales-{uuid.uuid4().hex[:6]}@example.test"
    store = world.store()
    try:
        store.accounts.add_alias(me, alias)
        mine = store.for_user(store.accounts.get(me).id)
        mine.preferences.set_signature(alias, "Sales desk\nExt. 42")
        store.for_user(store.accounts.get(owner).id).sharing.set_delegate(
            me, send_as=False, send_on_behalf=True, free_busy=False
        )
        to_alias = EmailMessage()
        to_alias["From"] = f"Reader <{reader}>"
        to_alias["To"] = alias
        to_alias["Subject"] = "Price list"
        to_alias["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
        to_alias.set_content("Could you send the price list?")
        store.mail.deliver(to_alias.as_bytes(), [me])
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(1)

    # a new message: the account's own address first; every identity offered, on behalf as Standard says
    page.keyboard.press("c")
    composer = page.locator(".ax-composer")
    choice = composer.locator("select[name=from]")
    expect(choice.locator("option")).to_have_count(3)
    expect(choice.locator("option:checked")).to_have_text(me)
    behalf = f"{owner} (sent by {me} on their behalf)"
    expect(choice.locator("option")).to_have_text([me, alias, behalf])
    editor = composer.locator(".ax-editor")
    expect(editor.locator(".ax-signature")).to_have_count(0)
    choice.select_option(label=alias)
    expect(editor.locator(".ax-signature")).to_contain_text("Sales desk")
    expect(editor.locator(".ax-signature")).to_contain_text("Ext. 42")
    choice.select_option(label=me)
    expect(editor.locator(".ax-signature")).to_have_count(0)
    choice.select_option(label=alias)
    composer.locator("input[name=to]").fill(reader)
    composer.locator("input[name=subject]").fill("As the alias")
    editor.click()
    page.keyboard.type("From the sales address. ")
    composer.locator("select[name=fontSize]").select_option("5")  # the Standard editor's sizes
    page.keyboard.type("Big news.")
    send(page)
    got = parsed(wait_for(lambda: received(world, reader, "As the alias"), 60, "the alias's message"))
    assert got["From"].addresses[0].addr_spec == alias and got["Sender"] is None
    assert "Sales desk" in got.get_body(("plain",)).get_content()
    assert '<font size="5">Big news.</font>' in got.get_body(("html",)).get_content()

    # on behalf: From the owner, Sender me, as the Standard composer writes it
    page.keyboard.press("c")
    choice.select_option(label=behalf)
    composer.locator("input[name=to]").fill(reader)
    composer.locator("input[name=subject]").fill("On the owner's behalf")
    editor.click()
    page.keyboard.type("Written for the owner.")
    composer.get_by_role("button", name="Save draft").click()  # a draft keeps the choice
    expect(composer.locator(".ax-compose-status")).to_contain_text("Draft saved")
    page.keyboard.press("Escape")
    page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=drafts]").click()
    page.locator(f"{ROW}:has-text('On the owner')").click()
    expect(choice.locator("option:checked")).to_have_text(behalf)
    send(page)
    page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=inbox]").click()
    got = parsed(wait_for(lambda: received(world, reader, "On the owner's behalf"), 60, "the on-behalf one"))
    assert [a.addr_spec for a in got["From"].addresses] == [owner]
    assert [a.addr_spec for a in got["Sender"].addresses] == [me]

    # a reply to one's own sent message goes to its recipients (as Standard)
    page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=sent]").click()
    open_row(page, "As the alias")
    page.keyboard.press("r")
    expect(composer.locator("input[name=to]")).to_have_value(reader)
    composer.get_by_role("button", name="Discard").click()
    page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=inbox]").click()

    # a reply to mail sent to the alias comes from the alias, with its signature
    open_row(page, "Price list")
    page.keyboard.press("r")
    expect(choice.locator("option:checked")).to_have_text(alias)
    expect(editor.locator(".ax-signature")).to_contain_text("Sales desk")
    page.keyboard.type("Here it is.")  # the caret stands above the signature and the quote
    expect(editor.locator("p").first).to_have_text("Here it is.")
    expect(editor.locator("blockquote")).not_to_contain_text("Here it is.")
    composer.get_by_role("button", name="Discard").click()

    # the owner withdraws the grant while a message on their behalf is written: refused, nothing lost
    page.keyboard.press("c")
    choice.select_option(label=behalf)
    composer.locator("input[name=to]").fill(reader)
    composer.locator("input[name=subject]").fill("Too late")
    store = world.store()
    try:
        store.for_user(store.accounts.get(owner).id).sharing.set_delegate(
            me, send_as=False, send_on_behalf=False, free_busy=False
        )
    finally:
        store.close()
    composer.get_by_role("button", name="Send").click()
    expect(composer.locator(".ax-compose-status")).to_contain_text(f"You may not send as {behalf}.")
    expect(composer.locator("input[name=subject]")).to_have_value("Too late")
    assert received(world, reader, "Too late") is None


def test_forward_as_attachment_carries_the_original_unchanged(world: World, page: Page) -> None:
    me = world.account("fwd")
    reader = world.account("fwdreader")
    subject = f"Quarterly figures {uuid.uuid4().hex[:6]}"
    original = EmailMessage()
    original["From"] = "Bob <bob@example.test>"
    original["To"] = me
    original["Subject"] = subject
    original["Message-ID"] = f"<{uuid.uuid4().hex}@example.test>"
    original.set_content("The figures are attached.")
    original.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="figures.csv")
    store = world.store()
    try:
        store.mail.deliver(original.as_bytes(), [me])
        inbox = store.folders.get(me, "INBOX")
        stored = bytes(store.mail.raw(inbox.id, store.mail.uids(inbox.id)[0]))
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(ROW)).to_have_count(1)

    # the Forward button's composer switches between inline and as attachment
    page.keyboard.press("j")
    expect(page.locator(".ax-reader .ax-message h2")).to_have_text(subject)
    page.keyboard.press("f")
    composer = page.locator(".ax-composer")
    files = composer.locator(".ax-files li")
    expect(files).to_have_count(1)
    expect(files).to_contain_text("figures.csv")
    quote = composer.locator(".ax-editor blockquote")
    expect(quote).to_have_count(1)
    expect(quote).to_contain_text("From: Bob <bob@example.test>")  # the Standard forward's summary
    expect(quote).to_contain_text(f"Subject: {subject}")
    expect(quote).to_contain_text(f"To: {me}")
    composer.get_by_label("Forward as attachment").check()
    expect(files).to_have_count(1)
    expect(files).to_contain_text(f"{subject}.eml")
    expect(composer.locator(".ax-editor blockquote")).to_have_count(0)
    composer.get_by_label("Forward as attachment").uncheck()
    expect(files).to_contain_text("figures.csv")
    expect(composer.locator(".ax-editor blockquote")).to_have_count(1)
    composer.get_by_role("button", name="Discard").click()

    # the list's menu starts it as an attachment at once
    page.locator(f"{ROW}:has-text('{subject}')").click(button="right")
    page.get_by_role("menuitem", name="Forward as attachment").click()
    expect(composer.get_by_label("Forward as attachment")).to_be_checked()
    expect(files).to_contain_text(f"{subject}.eml")
    composer.locator("input[name=to]").fill(reader)
    composer.locator(".ax-editor").click()
    page.keyboard.type("Have a look at this one.")
    send(page)
    raw = wait_for(lambda: received(world, reader, f"Fwd: {subject}"), 60, "the forward")
    message = parsed(raw)
    parts = [p for p in message.walk() if p.get_content_type() == "message/rfc822"]
    assert len(parts) == 1 and parts[0].get_filename() == f"{subject}.eml"
    assert parts[0]["Content-Transfer-Encoding"] in ("7bit", "8bit")
    assert stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") in raw  # the octets, not re-encoded
    inner = parts[0].get_payload(0)
    assert inner["Message-ID"] == original["Message-ID"]
    assert [a.get_filename() for a in inner.iter_attachments()] == ["figures.csv"]
    assert [p.get_filename() for p in message.iter_attachments()] == [f"{subject}.eml"]
    assert "Have a look at this one." in message.get_body(("plain",)).get_content()


def test_receipt_priority_and_plain_text_and_a_draft_keeps_them(world: World, page: Page) -> None:
    me = world.account("options")
    reader = world.account("optreader")
    store = world.store()
    try:
        store.settings.set("webmail.max_attachment_bytes", 2048, account=me)
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=drafts]").last).to_be_visible()
    page.keyboard.press("c")
    composer = page.locator(".ax-composer")
    # the Standard composer's attachment limit: told, and a larger file refused before it is uploaded
    expect(composer.locator(".ax-hint")).to_contain_text("Each file may be at most 2.0 KiB")
    composer.locator("input[type=file]").set_input_files([
        {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"x" * 4096},
        {"name": "small.txt", "mimeType": "text/plain", "buffer": b"small enough\n"},
    ])  # fmt: skip
    expect(composer.locator(".ax-files li.ax-refused")).to_have_text(
        "big.bin was not attached: a file may be at most 2.0 KiB."
    )
    expect(composer.locator(".ax-files li .ax-file")).to_have_text("small.txt (1 KB)")
    composer.locator("input[name=to]").fill(f"{reader}, Half Typed <half>")  # not an address yet
    composer.locator("input[name=subject]").fill("Urgent plain")
    composer.locator(".ax-editor").click()
    page.keyboard.type("First line")
    composer.get_by_label("Ask for a read receipt").check()
    composer.get_by_label("Priority").select_option("low")
    composer.get_by_label("Format").select_option("text")
    plain = composer.locator("textarea.ax-plain")
    expect(plain).to_be_visible()
    expect(composer.locator(".ax-editor")).to_be_hidden()
    expect(plain).to_have_value("First line")
    plain.press("End")
    plain.type("\n  indented *as typed*")
    composer.get_by_role("button", name="Save draft").click()
    expect(composer.locator(".ax-compose-status")).to_contain_text("Draft saved")
    page.keyboard.press("Escape")
    expect(composer).to_have_count(0)

    # reopened from Drafts: still plain text, low priority, a receipt asked for
    page.locator(".ax-folders > ul:not(.ax-frequent) .ax-folder[data-role=drafts]").click()
    page.locator(f"{ROW}:has-text('Urgent plain')").click()
    expect(plain).to_have_value("First line\n  indented *as typed*")
    expect(composer.get_by_label("Ask for a read receipt")).to_be_checked()
    expect(composer.get_by_label("Priority")).to_have_value("low")
    expect(composer.locator("input[name=to]")).to_have_value(f"{reader}, Half Typed <half>")
    expect(composer.get_by_label("Format")).to_have_value("text")
    store = world.store()
    try:  # the draft's To holds only the address; the rest is kept as typed, as Standard keeps it
        drafts = store.folders.get(me, "Drafts")
        saved = parsed(bytes(store.mail.raw(drafts.id, store.mail.uids(drafts.id)[-1])))
    finally:
        store.close()
    assert [a.addr_spec for a in saved["To"].addresses] == [reader]
    assert str(saved["X-Fieldpost-Draft-To"]) == "Half Typed <half>"
    composer.get_by_label("Priority").select_option("high")
    page.locator(".ax-composer").get_by_role("button", name="Send").click()
    expect(composer.locator(".ax-compose-status")).to_contain_text("Not an e-mail address: Half Typed <half>")
    composer.locator("input[name=to]").fill(reader)
    send(page)
    got = parsed(wait_for(lambda: received(world, reader, "Urgent plain"), 60, "the plain message"))
    assert [a for _, a in getaddresses([str(got["Disposition-Notification-To"])])] == [me]
    assert got["Importance"] == "high" and got["X-Priority"] == "1 (Highest)"
    assert got.get_content_type() == "multipart/mixed"
    body = got.get_body(("html", "plain"))
    assert body is not None and body.get_content_type() == "text/plain"  # no HTML part in plain text
    assert body.get_content().replace("\r\n", "\n").rstrip("\n") == "First line\n  indented *as typed*"
    assert [p.get_filename() for p in got.iter_attachments()] == ["small.txt"]


def test_without_a_sent_folder_the_message_goes_and_the_user_is_told(world: World, page: Page) -> None:
    me = world.account("nosent")
    reader = world.account("nosentreader")
    store = world.store()
    try:
        store.folders.delete(me, "Sent")
    finally:
        store.close()
    sign_in_to_ajax(page, world.url, me)
    expect(page.locator(".ax-folder[data-role=drafts]").last).to_be_visible()
    page.keyboard.press("c")
    composer = page.locator(".ax-composer")
    composer.locator("input[name=to]").fill(reader)
    composer.locator("input[name=subject]").fill("Nowhere to file")
    composer.get_by_role("button", name="Send").click()
    expect(page.locator(".ax-status")).to_have_text(
        "The message was sent, but no copy could be filed in Sent.", timeout=30_000
    )
    wait_for(lambda: received(world, reader, "Nowhere to file"), 60, "the message at the reader")
    wait_for(lambda: world.count(me, "Drafts") == 0, 30, "the draft removed, as Standard removes it")
