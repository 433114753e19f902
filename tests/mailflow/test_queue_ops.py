"""mailflow.queue_ops on real storage: what the operator's list/show/retry/delete/bounce do to the queue
and what the sender of a bounced message receives."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest

from mailflow import queue_ops
from storage.errors import NotFound
from storage.names import utcnow
from tests.storage.conftest import Demo, build_message

HOST = "mail.example.test"


def queue(demo: Demo, sender: str, recipients: list[str], **kw: object) -> int:
    raw = build_message(subject="Quarterly figures", sender=sender or "daemon@far.test", to=recipients[0])
    return demo.store.queue.enqueue(raw, sender, recipients, **kw)  # type: ignore[arg-type]


def inbox(demo: Demo, address: str) -> list[bytes]:
    return [raw for _uid, raw, _date, _flags in demo.store.mail.iter_raw(address, "INBOX")]


def test_list_filters_by_sender_recipient_size_and_failure_text(demo: Demo) -> None:
    first = queue(demo, "alice@example.test", ["x@far.test"])
    second = queue(demo, "bob@example.test", ["y@elsewhere.test", "z@far.test"])
    demo.store.queue.set_recipient(second, "z@far.test", "send-failure", "451 4.4.1 connection refused")
    ids = lambda **kw: [m.id for m in queue_ops.list_messages(demo.store, **kw)]  # noqa: E731
    assert ids() == [first, second]
    assert ids(sender="bob@") == [second]
    assert ids(recipient="x@far") == [first]
    assert ids(failure="CONNECTION REFUSED") == [second]
    assert ids(failure="timed out") == []
    assert ids(min_size=10**9) == []
    assert ids(states=["received"]) == [first, second]


def test_show_gives_the_row_and_the_header_block(demo: Demo) -> None:
    qid = queue(demo, "alice@example.test", ["x@far.test"])
    shown = queue_ops.show(demo.store, qid)
    assert shown.message.id == qid and shown.message.sender == "alice@example.test"
    assert "Subject: Quarterly figures" in shown.header.splitlines()
    assert "Hi there" not in shown.header  # the body is not shown
    with pytest.raises(NotFound):
        queue_ops.show(demo.store, qid + 1)


def test_retry_makes_messages_due_now_but_not_one_being_processed(demo: Demo) -> None:
    later = utcnow() + timedelta(hours=2)
    one = queue(demo, "alice@example.test", ["x@far.test"])
    two = queue(demo, "bob@example.test", ["y@far.test"])
    demo.store.queue.defer(one, later, error="451 try later")
    demo.store.queue.defer(two, later)
    now = utcnow()
    assert queue_ops.retry(demo.store, one, now=now) == 1
    m = demo.store.queue.get(one)
    assert m.next_attempt_at <= now + timedelta(seconds=1) and m.last_error == "451 try later"
    assert demo.store.queue.get(two).next_attempt_at > now + timedelta(hours=1)
    assert queue_ops.retry(demo.store, None, now=now) == 2
    assert [m.id for m in demo.store.queue.claim(limit=10)] == [one, two]  # due, and now held by a worker
    with pytest.raises(queue_ops.Busy):
        queue_ops.retry(demo.store, one)
    assert queue_ops.retry(demo.store, None) == 0  # --all leaves processed messages alone
    with pytest.raises(NotFound):
        queue_ops.retry(demo.store, two + 1)


def test_delete_removes_without_a_report(demo: Demo) -> None:
    qid = queue(demo, "alice@example.test", ["x@far.test"])
    queue_ops.delete(demo.store, qid)
    assert demo.store.queue.list() == []
    assert inbox(demo, "alice@example.test") == []
    with pytest.raises(NotFound):
        queue_ops.delete(demo.store, qid)


def test_bounce_reports_pending_recipients_to_a_local_sender(demo: Demo) -> None:
    qid = queue(
        demo,
        "alice@example.test",
        ["x@far.test", "y@far.test"],
        dsn={"x@far.test": {"orcpt": "rfc822;X@far.test"}},
    )
    demo.store.queue.set_recipient(qid, "x@far.test", "send-failure", "451 4.4.1 no answer")
    demo.store.queue.set_recipient(qid, "y@far.test", "sent")  # done: not reported
    assert queue_ops.bounce(demo.store, qid, hostname=HOST) == 1
    assert demo.store.queue.list() == []
    (report,) = inbox(demo, "alice@example.test")
    msg = email.message_from_bytes(report, policy=email.policy.default)
    assert msg["Return-Path"] == "<>"
    assert msg.get_content_type() == "multipart/report"
    assert msg["Subject"] == "Undeliverable: Quarterly figures"
    text = report.decode()
    assert "Reporting-MTA: dns; mail.example.test" in text
    assert "Original-Recipient: rfc822;X@far.test" in text
    assert "Final-Recipient: rfc822; x@far.test\r\nAction: failed\r\nStatus: 5.0.0" in text
    assert "returned to the sender by the postmaster; last error: 451 4.4.1 no answer" in text
    assert "y@far.test" not in text


def test_bounce_to_a_remote_sender_is_queued_with_the_null_sender(demo: Demo) -> None:
    qid = queue(demo, "someone@far.test", ["alice@example.test"])
    assert queue_ops.bounce(demo.store, qid, hostname=HOST, reason="stuck") == 1
    (report,) = demo.store.queue.list()
    assert report.sender == "" and [r.address for r in report.recipients] == ["someone@far.test"]
    assert report.origin == {"report_for": qid}
    assert b"stuck; last error: none" in demo.store.queue.raw(report.id)


def test_bounce_of_a_message_with_the_null_sender_reports_to_nobody(demo: Demo) -> None:
    qid = queue(demo, "", ["x@far.test"])
    assert queue_ops.bounce(demo.store, qid, hostname=HOST) == 1
    assert demo.store.queue.list() == []
    with pytest.raises(NotFound):
        queue_ops.bounce(demo.store, qid, hostname=HOST)
