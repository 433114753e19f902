"""Single-instance storage: one message to many mailboxes is one blob file and one body row, released
only when the last mailbox lets go of it."""

from __future__ import annotations

import pytest

from storage.store import Store
from tests.storage.conftest import Demo, build_message, release_holds

ALICE = "alice@example.test"
RECIPIENTS = [f"user{n:03d}@example.test" for n in range(100)]


def blob_files(store: Store) -> list[str]:
    return list(store.blobs)


def assert_clean(store: Store) -> None:
    report = store.check()
    assert report.ok, report.problems


def _with_accounts(store: Store, addresses: list[str]) -> Store:
    store.domains.add("example.test")
    for address in addresses:
        store.accounts.add(address, None)  # no password: argon2 would cost ~50 ms each
    return store


@pytest.fixture
def hundred(store: Store) -> Store:
    return _with_accounts(store, RECIPIENTS)


@pytest.fixture
def fifteen(store: Store) -> Store:
    return _with_accounts(store, RECIPIENTS[:15])


def test_one_message_to_100_recipients_is_one_blob(hundred: Store) -> None:
    store = hundred
    raw = build_message(subject="All staff", body="Quarterly meeting on Friday.\n" * 50)
    result = store.mail.deliver(raw, RECIPIENTS)
    assert not result.failed
    assert set(result.delivered) == set(RECIPIENTS)
    stats = store.stats()
    assert stats["blobs"] == 1
    assert stats["blob_bytes"] == len(raw)
    assert stats["messages"] == 100
    assert blob_files(store) == [result.sha256]
    inboxes = [store.folders.get(a, "INBOX") for a in RECIPIENTS]
    assert all(f.message_count == 1 and f.total_bytes == len(raw) for f in inboxes)
    assert len({result.delivered[a][0] for a in RECIPIENTS}) == 100  # 100 different INBOXes
    assert store.mail.raw(inboxes[42].id, result.delivered[RECIPIENTS[42]][1]) == raw
    assert_clean(store)

    # the same bytes again (a resend) still share the one blob
    store.mail.deliver(raw, RECIPIENTS[:3])
    assert store.stats()["blobs"] == 1 and len(blob_files(store)) == 1
    for address in RECIPIENTS[:3]:
        inbox = store.folders.get(address, "INBOX")
        store.mail.set_flags(inbox.id, store.mail.uids(inbox.id)[1:], ["\\Deleted"])
        store.mail.expunge(inbox.id)
    assert_clean(store)

    # expunge from 99 mailboxes: the blob stays for the last one
    for address in RECIPIENTS[:99]:
        fid, uid = result.delivered[address]
        store.mail.set_flags(fid, [uid], ["\\Deleted"])
        assert store.mail.expunge(fid) == [uid]
    assert store.stats()["messages"] == 1
    assert store.stats()["blobs"] == 1
    assert blob_files(store) == [result.sha256]
    assert store.mail.collect_garbage() == 0  # still referenced
    last_fid, last_uid = result.delivered[RECIPIENTS[99]]
    assert store.mail.raw(last_fid, last_uid) == raw
    assert_clean(store)

    # the last one goes: row and file are removed with it
    store.mail.set_flags(last_fid, [last_uid], ["\\Deleted"])
    store.mail.expunge(last_fid)  # held a while for IMAP sessions (storage.holds)
    assert store.stats()["blobs"] == 1
    release_holds(store)  # releases the last references: collected right after the commit
    assert store.mail.collect_garbage() == 0
    assert store.stats()["blobs"] == 0 and store.stats()["blob_bytes"] == 0
    assert blob_files(store) == []
    assert_clean(store)


def test_copy_shares_the_blob(fifteen: Store) -> None:
    store = fifteen
    raw = build_message()
    fid, uid = store.mail.deliver(raw, [RECIPIENTS[0]]).delivered[RECIPIENTS[0]]
    archive = store.folders.get(RECIPIENTS[0], "Archive")
    other = store.folders.get(RECIPIENTS[1], "INBOX")
    store.mail.copy(fid, [uid], archive.id)
    store.mail.copy(fid, [uid], other.id)
    assert store.stats()["blobs"] == 1 and store.stats()["messages"] == 3
    assert len(blob_files(store)) == 1
    store.folders.delete(RECIPIENTS[0], "Archive")
    store.accounts.delete(RECIPIENTS[1])
    assert store.mail.collect_garbage() == 0
    assert store.mail.raw(fid, uid) == raw
    assert_clean(store)


def test_different_messages_are_different_blobs(fifteen: Store) -> None:
    store = fifteen
    a, b = build_message(body="one"), build_message(body="two")
    store.mail.deliver(a, RECIPIENTS[:10])
    store.mail.deliver(b, RECIPIENTS[5:15])
    assert store.stats()["blobs"] == 2 and len(blob_files(store)) == 2
    assert store.stats()["messages"] == 20
    assert store.stats()["blob_bytes"] == len(a) + len(b)
    assert_clean(store)


def test_check_clean_while_released_body_awaits_collection(demo: Demo) -> None:
    """Between the last expunge and the collector's pass nothing is wrong: check must not cry wolf."""
    store = demo.store
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    store.mail.set_flags(fid, [uid], ["\\Deleted"])
    store.mail.expunge(fid)
    assert_clean(store)  # still referenced by the hold for IMAP sessions (storage.holds)
    release_holds(store)
    assert_clean(store)
    store.mail.collect_garbage()
    assert blob_files(store) == []
