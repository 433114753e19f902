"""A claimed batch worked on by several threads: every message delivered once, each mailbox in queue order."""

from __future__ import annotations

import re

from sidecars.processing.worker import lanes
from storage.names import utcnow
from storage.queue import QueuedMessage, QueuedRecipient
from tests.sidecars.processing.conftest import inbox

USERS = ["alice", "bob", "carol", "dave", "erin", "frank"]


def message(n: int, *to: str) -> bytes:
    return (
        f"From: s@outside.test\r\nTo: {', '.join(to)}\r\nSubject: number {n}\r\n\r\nbody {n}\r\n"
    ).encode()


def numbers(store, address: str) -> list[int]:
    return [int(re.search(rb"Subject: number (\d+)", raw).group(1)) for raw in inbox(store, address)]


def test_a_batch_on_four_threads_keeps_each_mailbox_in_queue_order(store, worker):
    for u in USERS[2:]:
        store.accounts.add(f"{u}@example.test", None)
    store.settings.set("queue.processing_threads", 4)
    store.settings.set("queue.batch_size", 40)
    expected: dict[str, list[int]] = {f"{u}@example.test": [] for u in USERS}
    for n in range(36):
        # mostly one recipient each, every seventh to two (joining their mailboxes' lanes)
        to = [f"{USERS[n % 6]}@example.test"]
        if n % 7 == 0:
            to.append(f"{USERS[(n + 1) % 6]}@example.test")
        store.queue.enqueue(message(n, *to), "s@outside.test", to)
        for a in to:
            expected[a].append(n)
    assert worker.run_once() == 36
    for address, wanted in expected.items():
        assert numbers(store, address) == wanted, address  # once each, UIDs in queue order
    assert store.queue.list() == []


def _queued(qid: int, *to: str) -> QueuedMessage:
    now = utcnow()
    return QueuedMessage(
        id=qid,
        sha256="0" * 64,
        sender="s@outside.test",
        state="processing",
        size=1,
        received_at=now,
        next_attempt_at=now,
        attempts=1,
        origin={},
        last_error=None,
        recipients=tuple(QueuedRecipient(a, "received", 0, None, {}) for a in to),
    )


def test_lanes_keep_messages_sharing_a_recipient_together_in_order():
    batch = [
        _queued(1, "A@x.test"),
        _queued(2, "b@x.test"),
        _queued(3, "c@x.test", "a@x.test"),
        _queued(4, "d@x.test"),
        _queued(5, "c@x.test"),
        _queued(6, "b@x.test"),
    ]
    got = [[m.id for m in lane] for lane in lanes(batch, 3)]
    assert sorted(got) == [[1, 3, 5], [2, 6], [4]]
    assert [[m.id for m in lane] for lane in lanes(batch, 1)] == [[1, 2, 3, 4, 5, 6]]
    assert lanes([], 4) == []
