"""mailflow.outbox on real storage (SQLite and PostgreSQL): identities, limits, send through the queue,
the copy in Sent, drafts in Drafts. What is asserted is what the user and the recipients observe: the
queued message and envelope, the folders' contents, the error text."""

from __future__ import annotations

import json

import pytest

from mailflow import outbox
from mailflow.compose import Attachment, ComposeError, Draft
from tests.storage.conftest import Demo

ORIGIN = outbox.webmail_origin(
    peer_ip="198.51.100.4", peer_port=51000, hostname="mail.example.test", session_id="W1", tls=True
)


def folder_raw(demo: Demo, address: str, path: str) -> list[tuple[bytes, frozenset[str]]]:
    return [(raw, flags) for _uid, raw, _d, flags in demo.store.mail.iter_raw(address, path)]


def head(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode()


def test_identities_are_own_address_aliases_and_send_as_grants_with_signatures(demo: Demo) -> None:
    store = demo.store
    store.accounts.add_alias("alice@example.test", "al@example.test")
    store.acl.grant("bob@example.test", "", "alice@example.test", "0")
    store.acl.grant("carol@example.test", "", "alice@example.test", "lr")  # reading is not sending as
    store.settings.set(
        "webmail.signatures",
        json.dumps({"*": "-- \nAlice", "bob@example.test": "-- \nBob's desk"}),
        account="alice@example.test",
    )
    alice = store.accounts.by_id(demo.alice.id)
    assert [(i.address, i.signature) for i in outbox.identities(store, alice)] == [
        ("alice@example.test", "-- \nAlice"),
        ("al@example.test", "-- \nAlice"),
        ("bob@example.test", "-- \nBob's desk"),
    ]
    store.acl.grant("bob@example.test", "", "alice@example.test", "0", allow=False)  # a deny wins
    assert [i.address for i in outbox.identities(store, alice)] == ["alice@example.test", "al@example.test"]


def test_send_queues_without_bcc_and_files_the_copy_with_bcc_in_sent(demo: Demo) -> None:
    draft = Draft(
        "alice@example.test",
        to=("Bob <bob@example.test>",),
        bcc=("carol@example.test",),
        subject="Hi",
        text="Hello Bob",
    )
    sent = outbox.send(demo.store, demo.alice, draft, ORIGIN)
    queued = demo.store.queue.get(sent.queue_id)
    assert queued.sender == "alice@example.test"
    assert [r.address for r in queued.recipients] == ["bob@example.test", "carol@example.test"]
    assert (queued.origin["listener"], queued.origin["auth"]) == ("webmail", "alice@example.test")
    text = head(demo.store.queue.raw(sent.queue_id))
    assert "Bcc" not in text and "carol" not in text
    assert "(authenticated as alice@example.test)" in text and "with HTTPS id W1." in text
    assert f"Message-ID: {sent.message_id}" in text
    ((copy, flags),) = folder_raw(demo, "alice@example.test", "Sent")
    assert "Bcc: carol@example.test" in head(copy) and f"Message-ID: {sent.message_id}" in head(copy)
    assert "\\Seen" in flags and sent.sent_uid is not None and sent.filing_error == ""


def test_sending_as_someone_else_is_refused_until_granted(demo: Demo) -> None:
    draft = Draft("bob@example.test", to=("carol@example.test",), text="x")
    with pytest.raises(ComposeError, match="you may not send as bob@example.test"):
        outbox.send(demo.store, demo.alice, draft, ORIGIN)
    assert demo.store.queue.list() == [] and folder_raw(demo, "alice@example.test", "Sent") == []
    demo.store.acl.grant("bob@example.test", "", "alice@example.test", "0")
    sent = outbox.send(demo.store, demo.alice, draft, ORIGIN)
    assert demo.store.queue.get(sent.queue_id).sender == "bob@example.test"
    assert len(folder_raw(demo, "alice@example.test", "Sent")) == 1  # filed in the sender's own Sent


@pytest.mark.parametrize(
    ("setting", "value", "draft", "message"),
    [
        ("mail.max_recipients", 2, Draft("alice@example.test", to=("a@x.test", "b@x.test"), cc=("c@x.test",)),
         "the message has 3 recipients; at most 2 are allowed"),
        ("webmail.max_attachment_bytes", 2048,
         Draft("alice@example.test", to=("bob@example.test",), attachments=(Attachment("big.bin", "application/octet-stream", b"x" * 3000),)),
         "the attachment big.bin is 2.9 KB; attachments may be at most 2 KB"),
        ("mail.max_message_bytes", 4096,
         Draft("alice@example.test", to=("bob@example.test",), attachments=(Attachment("a.bin", "application/octet-stream", b"x" * 4000),)),
         "messages may be at most 4 KB"),
        ("mail.max_recipients", 10, Draft("alice@example.test", subject="nobody"), "add at least one recipient"),
        ("mail.max_recipients", 10, Draft("alice@example.test", to=("bob",)), "not an e-mail address: bob"),
    ],
)  # fmt: skip
def test_limits_give_clear_errors_before_anything_is_queued(
    demo: Demo, setting: str, value: int, draft: Draft, message: str
) -> None:
    demo.store.settings.set(setting, value, account="alice@example.test")
    with pytest.raises(ComposeError, match=message):
        outbox.send(demo.store, demo.alice, draft, ORIGIN)
    assert demo.store.queue.list() == [] and folder_raw(demo, "alice@example.test", "Sent") == []


def test_drafts_are_saved_replaced_read_back_and_removed_when_sent(demo: Demo) -> None:
    store, alice = demo.store, demo.alice
    uid, draft = outbox.save_draft(store, alice, Draft("alice@example.test", to=("bo",), subject="Plan"))
    upload = Attachment("notes.txt", "text/plain", b"remember\n")
    draft = Draft(**{**draft.__dict__, "to": ("bob@example.test",), "attachments": (upload,)})
    uid2, draft2 = outbox.save_draft(store, alice, draft, replaces=uid)
    ((saved, flags),) = folder_raw(demo, "alice@example.test", "Drafts")  # the first version is gone
    assert {"\\Draft", "\\Seen"} <= flags
    back = outbox.load_draft(store, alice, uid2)
    assert back.to == ("bob@example.test",) and back.attachments == (upload,)
    assert back.message_id == draft2.message_id == draft.message_id
    store.settings.set("webmail.max_attachment_bytes", 1024, account="alice@example.test")
    too_big = Draft(**{**back.__dict__, "attachments": (Attachment("big", "text/plain", b"x" * 2000),)})
    with pytest.raises(ComposeError, match="attachments may be at most 1 KB"):
        outbox.save_draft(store, alice, too_big, replaces=uid2)
    sent = outbox.send(store, alice, back, ORIGIN, draft_uid=uid2)
    assert folder_raw(demo, "alice@example.test", "Drafts") == []
    assert sent.message_id == draft.message_id


def test_sent_folder_is_found_by_its_role_after_a_rename(demo: Demo) -> None:
    demo.store.for_user(demo.alice.id).rename_folder("alice@example.test", "Sent", "Sent Items")
    outbox.send(
        demo.store, demo.alice, Draft("alice@example.test", to=("bob@example.test",), text="x"), ORIGIN
    )
    assert len(folder_raw(demo, "alice@example.test", "Sent Items")) == 1


def test_no_sent_folder_still_sends_and_says_so(demo: Demo) -> None:
    demo.store.for_user(demo.alice.id).delete_folder("alice@example.test", "Sent")
    sent = outbox.send(
        demo.store, demo.alice, Draft("alice@example.test", to=("bob@example.test",), text="x"), ORIGIN
    )
    assert demo.store.queue.get(sent.queue_id) is not None
    assert sent.sent_uid is None and "no copy was filed in Sent" in sent.filing_error
