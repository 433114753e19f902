"""Identity confirmation records (storage.confirmations), on SQLite and PostgreSQL.

What the filter engine relies on: one challenge per sender and interval, even from racing processes;
a code confirms exactly its sender; confirmed senders never expire, pending ones do.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from storage.confirmations import CONFIRMED, PENDING
from storage.errors import InvalidInput, NotFound
from storage.store import open_store
from tests.storage.conftest import DOMAIN, Demo

ALICE = f"alice@{DOMAIN}"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_first_message_gets_a_challenge_then_none_within_the_interval(demo: Demo) -> None:
    c = demo.store.confirmations
    aid = demo.alice.id
    token = c.challenge_due(aid, "Stranger@Far.TEST", WEEK, now=T0)
    assert token is not None and len(token) == 32
    assert c.challenge_due(aid, "stranger@far.test", WEEK, now=T0 + timedelta(days=6)) is None
    again = c.challenge_due(aid, "stranger@far.test", WEEK, now=T0 + timedelta(days=7, seconds=1))
    assert again == token  # the same code: the first challenge keeps working
    record = c.get(aid, "STRANGER@far.test")
    assert record is not None and record.state == PENDING and record.sender == "stranger@far.test"
    assert record.created_at == T0 and record.updated_at == T0 + timedelta(days=7, seconds=1)
    assert not c.is_confirmed(aid, "stranger@far.test")


def test_records_are_per_account(demo: Demo) -> None:
    c = demo.store.confirmations
    a = c.challenge_due(demo.alice.id, "x@far.test", WEEK, now=T0)
    b = c.challenge_due(demo.bob.id, "x@far.test", WEEK, now=T0)
    assert a and b and a != b
    c.confirm_token(a)
    assert c.is_confirmed(demo.alice.id, "x@far.test")
    assert not c.is_confirmed(demo.bob.id, "x@far.test")


def test_confirm_token_confirms_its_sender_and_is_idempotent(demo: Demo) -> None:
    c = demo.store.confirmations
    token = c.challenge_due(demo.alice.id, "s@far.test", WEEK, now=T0)
    assert token is not None
    record = c.confirm_token(token.upper(), now=T0 + timedelta(hours=1))
    assert (record.account_id, record.sender, record.state) == (demo.alice.id, "s@far.test", CONFIRMED)
    assert c.confirm_token(token).state == CONFIRMED
    assert c.is_confirmed(demo.alice.id, "S@far.test")
    # a confirmed sender is never challenged again
    assert c.challenge_due(demo.alice.id, "s@far.test", timedelta(0), now=T0 + timedelta(days=400)) is None


@pytest.mark.parametrize("token", ["", "nothex" * 6, "0" * 32, "../../etc/passwd", "a" * 33])
def test_unknown_or_malformed_codes_are_not_found(demo: Demo, token: str) -> None:
    with pytest.raises(NotFound):
        demo.store.confirmations.confirm_token(token)


def test_confirm_without_challenge_and_forget(demo: Demo) -> None:
    c = demo.store.confirmations
    c.challenge_due(demo.alice.id, "p@far.test", WEEK, now=T0)
    assert c.confirm(demo.alice.id, "p@far.test").state == CONFIRMED  # pending -> confirmed
    assert c.confirm(demo.alice.id, "new@far.test").state == CONFIRMED
    assert [r.sender for r in c.list(demo.alice.id, CONFIRMED)] == ["new@far.test", "p@far.test"]
    assert c.list(demo.alice.id, PENDING) == []
    assert c.forget(demo.alice.id, "p@far.test") is True
    assert c.forget(demo.alice.id, "p@far.test") is False
    assert c.get(demo.alice.id, "p@far.test") is None


def test_expiry_forgets_pending_only(demo: Demo) -> None:
    c = demo.store.confirmations
    old = c.challenge_due(demo.alice.id, "old@far.test", WEEK, now=T0)
    c.challenge_due(demo.alice.id, "recent@far.test", WEEK, now=T0 + timedelta(days=25))
    c.confirm(demo.alice.id, "friend@far.test", now=T0)
    assert c.expire_pending(timedelta(days=30), now=T0 + timedelta(days=31)) == 1
    assert [r.sender for r in c.list(demo.alice.id)] == ["friend@far.test", "recent@far.test"]
    with pytest.raises(NotFound):
        c.by_token(old or "")


@pytest.mark.parametrize("sender", ["", "no-at-sign", "@far.test", "x@", "a" * 320 + "@far.test"])
def test_bad_senders_are_refused(demo: Demo, sender: str) -> None:
    with pytest.raises(InvalidInput):
        demo.store.confirmations.challenge_due(demo.alice.id, sender, WEEK)
    assert demo.store.confirmations.is_confirmed(demo.alice.id, sender) is False


def test_unknown_account_and_bad_arguments(demo: Demo) -> None:
    c = demo.store.confirmations
    with pytest.raises(NotFound):
        c.challenge_due(999_999, "x@far.test", WEEK)
    with pytest.raises(NotFound):
        c.confirm(999_999, "x@far.test")
    with pytest.raises(InvalidInput):
        c.challenge_due(demo.alice.id, "x@far.test", timedelta(days=-1))
    with pytest.raises(InvalidInput):
        c.list(demo.alice.id, "maybe")


def test_deleting_the_account_deletes_its_records(demo: Demo) -> None:
    c = demo.store.confirmations
    token = c.challenge_due(demo.carol.id, "x@far.test", WEEK)
    demo.store.accounts.delete(demo.carol.address)
    with pytest.raises(NotFound):
        c.by_token(token or "")


def test_racing_processes_send_one_challenge(demo: Demo, store_url: str, blob_dir) -> None:
    """Several stores (as separate processes would have) ask at once: exactly one gets the code."""
    stores = [open_store(store_url, blob_dir) for _ in range(4)]
    results: list[str | None] = []
    barrier = threading.Barrier(len(stores))

    def ask(st) -> None:
        barrier.wait(timeout=30)
        results.append(st.confirmations.challenge_due(demo.alice.id, "race@far.test", WEEK, now=T0))

    threads = [threading.Thread(target=ask, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for st in stores:
        st.close()
    assert len(results) == 4 and sum(r is not None for r in results) == 1
