"""End to end: a message written for alice in WebMail's builder and sent through ``outbox.send`` is
processed like any queued message (the processing worker: filters, local delivery) and bob reads it
with imaplib from a real IMAP service process, attachment and all; alice's copy is in her Sent."""

from __future__ import annotations

import email
import imaplib
from email import policy

from mailflow import outbox
from mailflow.compose import Attachment, Draft
from sidecars.processing.worker import Worker
from tests.sidecars.imap.conftest import ImapService, imap_service  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def fetch_all(client: imaplib.IMAP4_SSL, folder: str) -> list[bytes]:
    assert client.select(folder, readonly=True)[0] == "OK"
    typ, data = client.uid("SEARCH", "ALL")
    assert typ == "OK"
    out = []
    for uid in data[0].split():
        typ, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
        assert typ == "OK"
        out += [p[1] for p in parts if isinstance(p, tuple)]
    return out


def test_sent_from_webmail_is_delivered_and_read_over_imap(imap_service: ImapService) -> None:  # noqa: F811
    store = imap_service.store
    alice_address, bob_address = imap_service.new_account("alice"), imap_service.new_account("bob")
    alice = store.accounts.get(alice_address)
    draft = Draft(
        alice_address,
        sender_name="Alice Ädler",
        to=(f"Bob <{bob_address}>",),
        subject="Quarterly report — Q4",
        html="<p>Hi Bob,</p><p>the <b>report</b> is attached.</p>",
        attachments=(Attachment("Bericht Q4 (endgültig).pdf", "application/pdf", PDF),),
        receipt=True,
    )
    origin = outbox.webmail_origin(
        peer_ip="127.0.0.1", peer_port=50000, hostname="mail.example.test", session_id="E2E", tls=True
    )
    sent = outbox.send(store, alice, draft, origin)
    assert Worker(store, hostname="mail.example.test").run_once() == 1

    client = imap_service.imaplib(bob_address)
    try:
        (raw,) = fetch_all(client, "INBOX")
    finally:
        client.logout()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Message-ID"] == sent.message_id
    assert message["Subject"] == "Quarterly report — Q4"
    assert message["From"].addresses[0].display_name == "Alice Ädler"
    assert message["Disposition-Notification-To"] == message["From"]
    assert f"authenticated as {alice_address}" in message["Received"]
    assert message.get_body(("html",)).get_content().count("<b>report</b>") == 1
    assert "report is attached" in message.get_body(("plain",)).get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "Bericht Q4 (endgültig).pdf"
    assert attachment.get_content() == PDF

    client = imap_service.imaplib(alice_address)
    try:
        (copy,) = fetch_all(client, "Sent")
    finally:
        client.logout()
    assert email.message_from_bytes(copy, policy=policy.default)["Message-ID"] == sent.message_id
