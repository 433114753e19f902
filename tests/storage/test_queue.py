"""The queue primitives the SMTP service builds on: durable enqueue, leased claims, finish."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.errors import InvalidInput, NotFound
from storage.names import utcnow

RAW = b"From: a@outside.test\r\nTo: alice@example.test\r\nSubject: queued\r\n\r\nhello\r\n"


def test_enqueue_is_readable_and_holds_one_body_reference(store):
    qid = store.queue.enqueue(
        RAW, "a@outside.test", ["alice@example.test", "x@far.test"], origin={"ip": "127.0.0.1"}
    )
    msg = store.queue.get(qid)
    assert msg.sender == "a@outside.test"
    assert [r.address for r in msg.recipients] == ["alice@example.test", "x@far.test"]
    assert msg.origin == {"ip": "127.0.0.1"}
    assert store.queue.raw(qid) == RAW
    assert store.stats()["queued"] == 1
    assert store.check().ok


def test_enqueue_leaves_the_blob_directory_fsync_to_the_group_commit(store):
    """The queued blob's directory is fsync'd by the commit group, right before the COMMIT that makes
    the envelope visible (shared by the group's messages), not by each caller on its own."""
    committer = store.db.committer
    if committer is None:
        pytest.skip("PostgreSQL: Database.write fsyncs the directories before its own COMMIT")
    before = committer.dir_syncs
    qid = store.queue.enqueue(RAW + b"directory\r\n", "a@outside.test", ["alice@example.test"])
    assert committer.dir_syncs > before
    assert store.queue.raw(qid) == RAW + b"directory\r\n"


def test_claim_leases_and_finish_releases(store):
    qid = store.queue.enqueue(RAW, "", ["bob@far.test"])
    claimed = store.queue.claim(limit=5, lease=timedelta(minutes=5))
    assert [m.id for m in claimed] == [qid]
    assert claimed[0].state == "processing" and claimed[0].attempts == 1
    assert store.queue.claim() == []  # leased: nobody else gets it
    store.queue.defer(qid, utcnow() - timedelta(seconds=1), error="451 try later")
    again = store.queue.claim()
    assert [m.id for m in again] == [qid] and again[0].attempts == 2
    store.queue.finish(qid)
    with pytest.raises(NotFound):
        store.queue.get(qid)
    store.mail.collect_garbage()
    assert store.stats()["blobs"] == 0
    assert store.check().ok


def test_finish_in_a_unit_keeps_the_text_until_the_commit(store):
    """A delivery's unit removes the queue row and its last body reference; the file must outlive the
    transaction (a reader may still see the row) and go once it has committed."""
    qid = store.queue.enqueue(RAW + b"unit\r\n", "", ["bob@far.test"])
    sha = store.queue.get(qid).sha256
    with store.db.write() as conn:
        store.queue.finish_in(conn, qid)
        assert store.blobs.read(sha) == RAW + b"unit\r\n"  # not committed yet: the text is still there
    assert not store.blobs.exists(sha)
    with pytest.raises(NotFound):
        store.queue.get(qid)
    assert store.stats()["blobs"] == 0  # collected at the commit, no collect_garbage needed
    assert store.check().ok


def test_finish_in_a_unit_that_fails_loses_nothing(store):
    """A unit that raises after finishing the message rolls back: the message is queued again, text and
    all (before, its file was unlinked inside the transaction and the row came back without it)."""
    qid = store.queue.enqueue(RAW + b"rolled back\r\n", "", ["bob@far.test"])

    class Failed(Exception):
        pass

    with pytest.raises(Failed), store.db.write() as conn:
        store.queue.finish_in(conn, qid)
        raise Failed
    assert store.queue.raw(qid) == RAW + b"rolled back\r\n"
    assert store.check().ok


def test_queue_list_filters(store):
    a = store.queue.enqueue(RAW, "one@x.test", ["r1@y.test"])
    b = store.queue.enqueue(RAW + b"more", "two@x.test", ["r2@y.test"])
    assert [m.id for m in store.queue.list(sender="one@")] == [a]
    assert [m.id for m in store.queue.list(recipient="r2@")] == [b]
    assert [m.id for m in store.queue.list(min_size=len(RAW) + 1)] == [b]
    with pytest.raises(InvalidInput):
        store.queue.list(states=["bogus"])


def test_enqueue_without_recipients_is_refused(store):
    with pytest.raises(InvalidInput):
        store.queue.enqueue(RAW, "a@b.test", [])


def test_local_delivery_marks_queue_recipients_in_the_same_transaction(store):
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", None)
    store.accounts.add("bob@example.test", None)
    qid = store.queue.enqueue(
        RAW, "a@outside.test", ["alice@example.test", "bob@example.test", "nobody@example.test"]
    )
    result = store.mail.deliver(
        RAW,
        ["alice@example.test", "bob@example.test", "nobody@example.test"],
        queue_id=qid,
        mark_sent=["alice@example.test", "nobody@example.test"],
    )
    assert set(result.delivered) == {"alice@example.test", "bob@example.test"}
    states = {r.address: r.state for r in store.queue.get(qid).recipients}
    # alice: delivered and marked; bob: delivered, not asked to mark; nobody: failed, never marked
    assert states == {
        "alice@example.test": "sent",
        "bob@example.test": "received",
        "nobody@example.test": "received",
    }


def test_finish_collects_the_queued_body(store):
    qid = store.queue.enqueue(RAW + b"finish", "a@outside.test", ["x@far.test"])
    store.queue.finish(qid)  # no explicit collection: the body goes with its last reference
    assert store.stats()["blobs"] == 0
    assert list(store.blobs) == []
    assert store.check().ok


def test_raw_of_a_message_finished_while_it_is_read_is_not_found(store, monkeypatch):
    """The processing service finishes (and collects) a message between raw()'s lookup and its read."""
    qid = store.queue.enqueue(RAW + b"race", "a@outside.test", ["x@far.test"])
    read = store.blobs.read

    def finished_meanwhile(sha, *args):
        store.queue.finish(qid)
        return read(sha, *args)

    monkeypatch.setattr(store.blobs, "read", finished_meanwhile)
    with pytest.raises(NotFound):
        store.queue.raw(qid)


def test_release_claims_makes_a_dead_workers_messages_due(store):
    qid = store.queue.enqueue(RAW, "", ["bob@far.test"])
    assert [m.id for m in store.queue.claim(lease=timedelta(minutes=10))] == [qid]
    assert store.queue.claim() == []
    assert store.queue.release_claims() == 1
    assert [m.id for m in store.queue.claim()] == [qid]
