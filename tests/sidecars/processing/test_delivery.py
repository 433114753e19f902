"""Local delivery and relaying of queued messages by the processing worker."""

from __future__ import annotations

import pytest

from storage.errors import NotFound
from tests.sidecars.processing.conftest import inbox

RAW = b"From: Someone <someone@outside.test>\r\nTo: alice@example.test\r\nSubject: hello\r\n\r\nHi Alice.\r\n"


def test_local_delivery_with_return_path(store, worker):
    qid = store.queue.enqueue(RAW, "someone@outside.test", ["alice@example.test", "bob@example.test"])
    assert worker.run_once() == 1
    (got,) = inbox(store, "alice@example.test")
    assert got.startswith(b"Return-Path: <someone@outside.test>\r\n")
    assert got.endswith(RAW)
    assert inbox(store, "bob@example.test") == [got]
    store.mail.collect_garbage()  # the queued copy (no Return-Path yet) is released by finish
    assert store.stats()["blobs"] == 1  # one stored copy for both mailboxes
    with pytest.raises(NotFound):
        store.queue.get(qid)


def test_existing_return_path_is_replaced(store, worker):
    store.queue.enqueue(
        b"Return-Path: <forged@x.test>\r\n" + RAW, "real@outside.test", ["alice@example.test"]
    )
    worker.run_once()
    (got,) = inbox(store, "alice@example.test")
    assert got.count(b"Return-Path:") == 1 and got.startswith(b"Return-Path: <real@outside.test>")


def test_recipient_done_state_is_kept_when_finish_did_not_happen(store, worker, sink):
    """A crash after local delivery but before finish: the next pass must not deliver again. (With a
    relayed recipient too, so the message is finished by its own transaction after the relay step.)"""
    qid = store.queue.enqueue(RAW, "someone@outside.test", ["alice@example.test", "carol@far.test"])

    def crash(_qid):
        raise RuntimeError("killed before finish")

    store.queue.finish = crash
    worker.run_once()
    assert [r.state for r in store.queue.get(qid).recipients] == ["sent", "sent"]
    del store.queue.finish  # back to the class's method
    worker.clock.advance(3600)
    worker.run_once()
    assert len(inbox(store, "alice@example.test")) == 1
    assert len(sink.envelopes) == 1
    with pytest.raises(NotFound):
        store.queue.get(qid)


def test_all_local_delivery_finishes_the_message_in_its_own_commit(store, worker):
    """Every recipient local and delivered: the queued message goes in the delivery's transaction, so
    no separate finish runs (a crash after that commit leaves nothing to do again)."""
    qid = store.queue.enqueue(RAW, "someone@outside.test", ["alice@example.test", "bob@example.test"])

    def crash(_qid):
        raise RuntimeError("finish must not be needed")

    store.queue.finish = crash
    worker.run_once()
    del store.queue.finish
    with pytest.raises(NotFound):
        store.queue.get(qid)
    assert len(inbox(store, "alice@example.test")) == 1 and len(inbox(store, "bob@example.test")) == 1
    assert store.stats()["blobs"] == 1  # the queued copy's body and file went in that commit too


def test_remote_and_local_recipients_of_one_message(store, worker, sink):
    store.queue.enqueue(RAW, "alice@example.test", ["bob@example.test", "carol@far.test", "dan@far.test"])
    worker.run_once()
    assert len(inbox(store, "bob@example.test")) == 1
    (env,) = sink.envelopes
    assert env.mail_from == "alice@example.test"
    assert env.recipients == ["carol@far.test", "dan@far.test"]
    assert b"Return-Path" not in env.data
    assert store.stats()["queued"] == 0


def test_unknown_local_recipient_gets_an_ndr(store, worker):
    store.queue.enqueue(RAW, "alice@example.test", ["nobody@example.test", "bob@example.test"])
    worker.run_once()
    assert len(inbox(store, "bob@example.test")) == 1
    (ndr,) = inbox(store, "alice@example.test")
    assert b"multipart/report" in ndr and b"nobody@example.test" in ndr
    assert b"Status: 5.1.1" in ndr
    assert store.stats()["queued"] == 0


def test_permanent_remote_failure_bounces_at_once(store, worker, sink):
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no such user here"
    store.queue.enqueue(RAW, "alice@example.test", ["nobody@far.test"])
    worker.run_once()
    (ndr,) = inbox(store, "alice@example.test")
    assert ndr.startswith(b"Return-Path: <>")
    assert b"report-type=delivery-status" in ndr
    assert b"Final-Recipient: rfc822; nobody@far.test" in ndr
    assert b"Action: failed" in ndr and b"Status: 5.1.1" in ndr
    assert b"Diagnostic-Code: smtp; 550 5.1.1 no such user here" in ndr
    assert b"Remote-MTA: dns; mx.far.test" in ndr
    assert b"text/rfc822-headers" in ndr and b"Subject: hello" in ndr
    assert b"Subject: Undeliverable: hello" in ndr
    assert store.stats()["queued"] == 0


def test_no_report_for_a_null_sender(store, worker, sink):
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no"
    store.queue.enqueue(RAW, "", ["nobody@far.test"])
    worker.run_once()
    assert store.stats()["queued"] == 0
    assert inbox(store, "alice@example.test") == []


def test_report_to_a_remote_sender_is_queued(store, worker, sink):
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no"
    qid = store.queue.enqueue(RAW, "someone@far.test", ["nobody@far.test"])
    worker.run_once()
    (report,) = store.queue.list()
    assert (
        report.id != qid
        and report.sender == ""
        and [r.address for r in report.recipients] == ["someone@far.test"]
    )
    worker.run_once()  # and out it goes, with the null reverse-path
    assert sink.envelopes[-1].mail_from == "" and sink.envelopes[-1].recipients == ["someone@far.test"]


def test_report_to_a_local_sender_that_does_not_exist_is_dropped(store, worker):
    """Storage says the sender's address names nothing (not a matched text): no report is queued."""
    store.queue.enqueue(RAW, "ghost@example.test", ["nobody@example.test"])
    worker.run_once()
    assert store.queue.list() == []
    assert store.stats()["queued"] == 0


def test_report_to_a_local_sender_with_a_full_mailbox_waits_in_the_queue(store, worker):
    """A full mailbox may have room later: the report is queued (null sender), not dropped."""
    store.settings.set("quota.messages", 1, account="alice@example.test")
    assert "alice@example.test" in store.mail.deliver(RAW, ["alice@example.test"]).delivered
    qid = store.queue.enqueue(RAW, "alice@example.test", ["nobody@example.test"])
    worker.run_once()
    (report,) = store.queue.list()
    assert report.id != qid and report.sender == ""
    assert [r.address for r in report.recipients] == ["alice@example.test"]


def test_full_local_mailbox_is_retried_not_returned(store, worker):
    store.settings.set("quota.messages", 1, account="bob@example.test")
    assert "bob@example.test" in store.mail.deliver(RAW, ["bob@example.test"]).delivered
    qid = store.queue.enqueue(RAW, "someone@outside.test", ["bob@example.test"])
    worker.run_once()
    (rcpt,) = store.queue.get(qid).recipients
    assert rcpt.state == "send-failure" and rcpt.last_error.startswith("452 4.2.2 mailbox full")
    assert len(inbox(store, "bob@example.test")) == 1


def test_full_local_mailbox_given_up_is_reported_with_its_own_status_raised_to_permanent(
    store, worker, clock
):
    """The status comes from the failure (4.2.2 mailbox full), not from the reply text: given up, 5.2.2."""
    store.settings.set("queue.max_retries", 2)
    store.settings.set("quota.messages", 1, account="bob@example.test")
    assert "bob@example.test" in store.mail.deliver(RAW, ["bob@example.test"]).delivered
    qid = store.queue.enqueue(RAW, "alice@example.test", ["bob@example.test"])
    for _ in range(2):
        worker.run_once()
        clock.advance(3600)
    with pytest.raises(NotFound):
        store.queue.get(qid)
    (ndr,) = inbox(store, "alice@example.test")
    assert b"Final-Recipient: rfc822; bob@example.test\r\nAction: failed\r\nStatus: 5.2.2" in ndr


def test_custom_report_texts(store, worker, sink):
    store.settings.set("ndr.subject", "Bounced ({subject})", domain="example.test")
    store.settings.set("ndr.text", "Sorry, that did not work.", domain="example.test")
    store.settings.set("ndr.sender", "postmaster@example.test", domain="example.test")
    store.settings.set("ndr.attach", "message")
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no"
    store.queue.enqueue(RAW, "alice@example.test", ["nobody@far.test"])
    worker.run_once()
    (ndr,) = inbox(store, "alice@example.test")
    assert b"Subject: Bounced (hello)" in ndr and b"Sorry, that did not work." in ndr
    assert b"From: postmaster@example.test" in ndr
    assert b"message/rfc822" in ndr and b"Hi Alice." in ndr


def test_dsn_notify_never_suppresses_the_report(store, worker, sink):
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no"
    store.queue.enqueue(
        RAW, "alice@example.test", ["nobody@far.test"], dsn={"nobody@far.test": {"notify": "NEVER"}}
    )
    worker.run_once()
    assert inbox(store, "alice@example.test") == []


def test_mail_stamped_at_receipt_is_delivered_from_the_queued_blob(store, worker, sink):
    """SMTP receiving stamps Return-Path at enqueue: local delivery then stores no second copy, and the
    copy relayed to another server carries no Return-Path."""
    stamped = b"Return-Path: <someone@outside.test>\r\n" + RAW
    store.queue.enqueue(stamped, "someone@outside.test", ["alice@example.test", "carol@far.test"])
    blob_writes_before = store.stats()["blobs"]
    worker.run_once()
    assert inbox(store, "alice@example.test") == [stamped]  # byte for byte the queued message
    assert store.stats()["blobs"] == blob_writes_before == 1  # the mailbox references the queued body
    (env,) = sink.envelopes
    assert b"Return-Path" not in env.data and env.data.rstrip(b"\r\n").endswith(b"Hi Alice.")
