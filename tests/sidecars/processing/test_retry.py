"""Retries with a fake clock: growing intervals, giving up with a report, virtual queues, hold rules,
delay warnings."""

from __future__ import annotations

import pytest

from storage.errors import NotFound
from tests.sidecars.processing.conftest import inbox

RAW = b"From: alice@example.test\r\nTo: x@dead.test\r\nSubject: far away\r\n\r\nAnyone there?\r\n"


def wait_of(store, qid, clock) -> int:
    return int((store.queue.get(qid).next_attempt_at - clock.now).total_seconds())


def test_dead_mx_retries_doubling_then_returns_the_message(store, worker, clock):
    store.settings.set("queue.max_lifetime_seconds", "2h")
    qid = store.queue.enqueue(RAW, "alice@example.test", ["x@dead.test"])
    waits = []
    while True:
        worker.run_once()
        try:
            msg = store.queue.get(qid)
        except NotFound:
            break
        assert msg.state == "send-failure" and "Connection refused" in msg.last_error
        waits.append(wait_of(store, qid, clock))
        clock.now = msg.next_attempt_at
        assert inbox(store, "alice@example.test") == []
    assert waits == [60, 120, 240, 480, 960, 1920, 3600]  # doubling up to the 1 h cap; 2 h lifetime
    (ndr,) = inbox(store, "alice@example.test")
    assert b"Final-Recipient: rfc822; x@dead.test" in ndr and b"Action: failed" in ndr
    assert b"Connection refused" in ndr and b"Subject: Undeliverable: far away" in ndr


def test_max_retries(store, worker, clock):
    store.settings.set("queue.max_retries", 3)
    qid = store.queue.enqueue(RAW, "alice@example.test", ["x@dead.test"])
    for _ in range(3):
        worker.run_once()
        clock.advance(3600)
    with pytest.raises(NotFound):
        store.queue.get(qid)
    assert len(inbox(store, "alice@example.test")) == 1


def test_dead_domain_is_not_tried_again_before_its_retry_time(store, worker, clock, sink):
    sink.greeting = "421 4.3.2 not now"  # far.test's MX turns every connection away; its backup is dead
    first = store.queue.enqueue(RAW, "alice@example.test", ["bob@far.test"])
    worker.run_once()
    assert sink.connections == 1 and store.queue.get(first).state == "send-failure"
    clock.advance(10)
    second = store.queue.enqueue(RAW, "alice@example.test", ["carol@far.test"])
    assert worker.run_once() == 1  # taken from the queue...
    assert sink.connections == 1  # ...but far.test was not contacted
    msg = store.queue.get(second)
    assert "waiting for far.test" in msg.last_error
    assert msg.next_attempt_at == store.queue.get(first).next_attempt_at
    assert msg.recipients[0].attempts == 0  # no attempt counted against it
    sink.greeting = "220 back"
    clock.now = msg.next_attempt_at
    assert worker.run_once() == 2
    assert sorted(r for e in sink.envelopes for r in e.recipients) == ["bob@far.test", "carol@far.test"]
    assert store.stats()["queued"] == 0


def test_a_success_releases_the_mail_waiting_for_the_domain(store, worker, clock, sink):
    sink.rcpt_replies["grey@far.test"] = "450 4.2.0 greylisted, come back later"
    waiting = store.queue.enqueue(RAW, "alice@example.test", ["grey@far.test"])
    worker.run_once()
    assert wait_of(store, waiting, clock) == 60
    clock.advance(10)
    sink.rcpt_replies.clear()
    store.queue.enqueue(RAW, "alice@example.test", ["bob@far.test"])
    worker.run_once()  # bob's message goes through and releases the waiting one
    assert store.queue.get(waiting).next_attempt_at == clock.now
    worker.run_once()
    assert store.stats()["queued"] == 0
    assert [e.recipients for e in sink.envelopes] == [["bob@far.test"], ["grey@far.test"]]


def test_delay_warning_once(store, worker, clock):
    store.settings.set("queue.delay_warning_seconds", 100, domain="example.test")
    store.queue.enqueue(RAW, "alice@example.test", ["x@dead.test"])
    for _ in range(5):
        worker.run_once()
        clock.advance(3600)
    (warning,) = inbox(store, "alice@example.test")
    assert b"Action: delayed" in warning and b"Will-Retry-Until:" in warning
    assert b"Subject: Delivery delayed: far away" in warning
    assert store.stats()["queued"] == 1  # still trying


def test_hold_rule_delays_delivery(store, worker, clock):
    store.settings.set("queue.hold_rules", ["sender:*@outside.test:30"])
    qid = store.queue.enqueue(RAW, "news@outside.test", ["alice@example.test"])
    worker.run_once()
    assert inbox(store, "alice@example.test") == []
    assert wait_of(store, qid, clock) == 30 * 60
    clock.advance(30 * 60)
    worker.run_once()
    assert len(inbox(store, "alice@example.test")) == 1


def test_hold_rule_by_size(store, worker, clock):
    store.settings.set("queue.hold_rules", ["size:1K:5"])
    store.queue.enqueue(RAW, "a@outside.test", ["alice@example.test"])
    store.queue.enqueue(RAW + b"x" * 2000, "a@outside.test", ["bob@example.test"])
    worker.run_once()
    assert len(inbox(store, "alice@example.test")) == 1 and inbox(store, "bob@example.test") == []
