"""JMAP submission records (storage.submissions): kept per account, changes counted by the account's own
modseq, destroyed ones reported until their tombstones expire, and a state older than what is kept
refused. Runs on SQLite and PostgreSQL; the schema matches migration 0013 (the subscriptions suite
compares the whole schema)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.errors import InvalidInput, NotFound
from storage.names import utcnow
from storage.submissions import RETENTION, ChangesTooOld
from tests.storage.conftest import Demo

ENVELOPE = {"mailFrom": {"email": "alice@example.test"}, "rcptTo": [{"email": "bob@example.test"}]}


def add(records, email: str, **kw):  # type: ignore[no-untyped-def]
    return records.add(
        identity_id="i1", email_id=email, thread_id="t1", envelope=ENVELOPE, queue_id=None, **kw
    )


def test_records_changes_and_destroy(demo: Demo) -> None:
    records = demo.store.for_user(demo.alice.id).submissions
    assert records.state() == 0
    one, two = add(records, "e1_1"), add(records, "e1_2")
    state, found = records.get()
    assert state == 2 and [r.email_id for r in found] == ["e1_1", "e1_2"]
    assert found[0].envelope == ENVELOPE and found[0].delivery is None
    assert records.changes(0).created == [one.id, two.id]
    assert records.destroy([one.id, 999_999]) == [one.id]
    assert records.destroy([one.id]) == []  # already gone
    since = records.changes(2)
    assert (since.created, since.updated, since.destroyed, since.new_state) == ([], [], [one.id], 3)
    assert [r.id for r in records.get([one.id, two.id])[1]] == [two.id]
    # another account sees nothing of alice's and cannot destroy it
    bobs = demo.store.for_user(demo.bob.id).submissions
    assert bobs.get([two.id])[1] == [] and bobs.destroy([two.id]) == [] and bobs.state() == 0
    with pytest.raises(ChangesTooOld):
        records.changes(4)  # a state this account never had


def test_expiry_tombstones_then_forgets_with_a_horizon(demo: Demo) -> None:
    records = demo.store.for_user(demo.alice.id).submissions
    now = utcnow()
    a = add(records, "e1_1", now=now - RETENTION - timedelta(days=10))
    b = add(records, "e1_2", now=now - RETENTION - timedelta(days=10))
    assert records.state() == 2
    fresh = add(records, "e1_3", now=now)  # expiry runs first: a and b become tombstones (3, 4)
    state, found = records.get()
    assert [r.id for r in found] == [fresh.id] and state == 5
    assert records.changes(2).destroyed == [a.id, b.id]
    assert records.changes(0).created == [fresh.id]  # made and destroyed since 0: not reported at all
    # two retention periods on, every one of them is gone for good: older states cannot be answered
    later = add(records, "e1_4", now=now + 2 * RETENTION + timedelta(days=1))
    assert [r.id for r in records.get()[1]] == [later.id]
    with pytest.raises(ChangesTooOld):
        records.changes(5)
    horizon = records.state() - 1
    assert records.changes(horizon).created == [later.id]


def test_bad_input(demo: Demo) -> None:
    records = demo.store.for_user(demo.alice.id).submissions
    with pytest.raises(InvalidInput):
        records.add(identity_id="i" * 65, email_id="e1_1", thread_id="t", envelope={}, queue_id=None)
    with pytest.raises(InvalidInput):
        records.add(
            identity_id="i", email_id="e1_1", thread_id="t", envelope={"x": "y" * 70_000}, queue_id=None
        )
    with pytest.raises(NotFound):
        demo.store.for_user(999_999).submissions.state()
