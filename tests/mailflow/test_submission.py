"""mailflow.submission.submit: what a submitted message becomes in the queue, and what it refuses.

Contract tests on real storage: an accepted message is in the queue (read back through ``store.queue``)
with the trace fields and envelope it was given; a refused one left nothing behind."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from mailflow import submission
from mailflow.submission import Accepted, Envelope, Origin, Refusal, Refused
from storage.models import Account
from tests.storage.conftest import Demo, build_message

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def origin(protocol: str = "ESMTPSA") -> Origin:
    return Origin(
        peer_ip="192.0.2.7",
        peer_port=40001,
        hostname="mail.example.test",
        listener="submission",
        session_id="S1",
        trace_id="S1.1",
        protocol=protocol,
        tls=True,
        helo="laptop.example.net",
    )


def submit(demo: Demo, account: Account | None, sender: str, raw: bytes, **kw: object) -> Accepted | Refused:
    envelope = Envelope(sender=sender, recipients=("friend@far.test",), **kw)  # type: ignore[arg-type]
    return submission.submit(demo.store, account, envelope, raw, origin(), now=NOW)


def queued_count(demo: Demo) -> int:
    return len(demo.store.queue.list())


def test_accepted_message_is_queued_with_trace_fields_and_envelope(demo: Demo) -> None:
    raw = build_message(sender="Alice <alice@example.test>", to="friend@far.test")
    result = submission.submit(
        demo.store,
        demo.alice,
        Envelope(
            "alice@example.test",
            ("friend@far.test",),
            dsn={"friend@far.test": {"notify": ["FAILURE"]}},
            body="8BITMIME",
            envid="env-1",
            ret="HDRS",
        ),
        raw,
        origin(),
        added=[("Authentication-Results", "mail.example.test; auth=pass")],
        now=NOW,
    )
    assert isinstance(result, Accepted)
    queued = demo.store.queue.get(result.queue_id)
    text = demo.store.queue.raw(result.queue_id)
    assert len(text) == result.size == queued.size
    assert queued.sender == "alice@example.test"
    assert [(r.address, r.dsn) for r in queued.recipients] == [("friend@far.test", {"notify": ["FAILURE"]})]
    assert queued.origin["auth"] == "alice@example.test"
    assert (queued.origin["body"], queued.origin["envid"], queued.origin["ret"]) == (
        "8BITMIME",
        "env-1",
        "HDRS",
    )
    assert (queued.origin["listener"], queued.origin["protocol"]) == ("submission", "ESMTPSA")
    head = text.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith(
        "Return-Path: <alice@example.test>\r\n"
        "Received: from laptop.example.net ([192.0.2.7])\r\n"
        "\t(authenticated as alice@example.test)\r\n"
        "\tby mail.example.test (Fieldpost) with ESMTPSA id S1.1\r\n"
        "\tfor <friend@far.test>; Sun, 06 Dec 2026 21:00:00 +0000\r\n"
        "Authentication-Results: mail.example.test; auth=pass\r\n"
        "From: Alice <alice@example.test>\r\n"
    )
    assert text.endswith(raw.split(b"\r\n\r\n", 1)[1])


def test_header_is_repaired_and_scanner_fields_a_sender_brought_are_removed(demo: Demo) -> None:
    raw = (
        b"From: alice@example.test\r\nX-Fieldpost-Spam-Level: 9\r\nSubject: a subject\r\nbroken by a mailer\r\n"
        b"\r\nbody\r\n"
    )
    result = submit(demo, demo.alice, "alice@example.test", raw)
    assert isinstance(result, Accepted)
    text = demo.store.queue.raw(result.queue_id)
    assert b"X-Fieldpost-Spam-Level" not in text
    assert b"Subject: a subject\r\n broken by a mailer\r\n\r\nbody\r\n" in text


def test_envelope_sender_not_owned_is_refused_and_nothing_is_queued(demo: Demo) -> None:
    raw = build_message(sender="bob@example.test")
    result = submit(demo, demo.alice, "bob@example.test", raw)
    assert result == Refused(Refusal.SENDER_NOT_OWNED, "bob@example.test")
    assert not result.reason.temporary
    assert queued_count(demo) == 0


def test_from_header_not_owned_is_refused_until_send_as_is_granted(demo: Demo) -> None:
    raw = build_message(sender="Bob <bob@example.test>")
    assert submit(demo, demo.alice, "alice@example.test", raw) == Refused(
        Refusal.FROM_NOT_OWNED, "bob@example.test"
    )
    assert queued_count(demo) == 0
    demo.store.acl.grant("bob@example.test", "", "alice@example.test", "0")  # "send as"
    assert isinstance(submit(demo, demo.alice, "alice@example.test", raw), Accepted)
    assert isinstance(submit(demo, demo.alice, "bob@example.test", raw), Accepted)


def test_send_on_behalf_needs_sender_and_keeps_the_envelope_own(demo: Demo) -> None:
    """Bob grants alice "send on behalf" (the "2" right on his mailbox root): From: bob passes when
    Sender: names alice; the envelope sender stays alice's."""
    on_behalf = build_message(
        sender="Bob <bob@example.test>", headers={"Sender": "Alice <alice@example.test>"}
    )
    no_sender = build_message(sender="Bob <bob@example.test>")
    assert submit(demo, demo.alice, "alice@example.test", on_behalf) == Refused(
        Refusal.FROM_NOT_OWNED, "bob@example.test"
    )
    demo.store.acl.grant("bob@example.test", "", "alice@example.test", "2")
    result = submit(demo, demo.alice, "alice@example.test", on_behalf)
    assert isinstance(result, Accepted)
    assert b"\r\nSender: Alice <alice@example.test>\r\n" in demo.store.queue.raw(result.queue_id)
    assert submit(demo, demo.alice, "alice@example.test", no_sender) == Refused(
        Refusal.FROM_NOT_OWNED, "bob@example.test"
    )
    assert submit(demo, demo.alice, "bob@example.test", on_behalf) == Refused(
        Refusal.SENDER_NOT_OWNED, "bob@example.test"
    )
    forged = build_message(sender="alice@example.test", headers={"Sender": "carol@example.test"})
    assert submit(demo, demo.alice, "alice@example.test", forged) == Refused(
        Refusal.FROM_NOT_OWNED, "carol@example.test"
    )
    assert queued_count(demo) == 1


def test_mail_from_another_server_is_not_checked_and_names_no_account(demo: Demo) -> None:
    raw = build_message(sender="Bob <bob@example.test>")
    result = submit(demo, None, "someone@far.test", raw)
    assert isinstance(result, Accepted)
    queued = demo.store.queue.get(result.queue_id)
    assert queued.origin["auth"] is None
    assert b"authenticated as" not in demo.store.queue.raw(result.queue_id)


def test_null_sender_passes_the_envelope_check(demo: Demo) -> None:
    raw = build_message(sender="alice@example.test")
    assert isinstance(submit(demo, demo.alice, "", raw), Accepted)


def test_storage_failure_is_a_temporary_refusal(demo: Demo) -> None:
    """Whatever storage raises while queueing, the caller gets UNAVAILABLE (SMTP: 451) and nothing was
    queued: the blob directory is replaced by a file, so the fsync'd write cannot happen."""
    raw = build_message(sender="alice@example.test")
    shutil.rmtree(demo.store.blobs.root)
    demo.store.blobs.root.write_bytes(b"not a directory")
    result = submit(demo, demo.alice, "alice@example.test", raw)
    assert result == Refused(Refusal.UNAVAILABLE)
    assert result.reason.temporary
    assert queued_count(demo) == 0


def test_header_from_addresses() -> None:
    headers = [("From", '"Alice, A." <Alice@Example.Test>, bob@example.test'), ("To", "x@y.test")]
    assert submission.header_from_addresses(headers) == ["alice@example.test", "bob@example.test"]
    assert submission.header_from_addresses([("From", "undisclosed:;")]) == []
