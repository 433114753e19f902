"""`storage check|repair`: what it reports, what it mends, and what it must never "mend" away."""

from __future__ import annotations

import os
import time

from sqlalchemy import update

from storage import schema as s
from storage.store import Store
from tests.storage.conftest import Demo, build_message, release_holds

ALICE = "alice@example.test"
BOB = "bob@example.test"


def tamper(store: Store, table: s.Table, row_id: int, **values: object) -> None:
    with store.db.write() as conn:
        conn.execute(update(table).where(table.c.id == row_id).values(**values))


def body_id_of(store: Store, folder_id: int, uid: int) -> int:
    (info,) = store.mail.info(folder_id, [uid])
    return info.body_id


def test_fresh_store_is_clean(store: Store) -> None:
    report = store.check()
    assert report.ok and report.problems == [] and report.repaired == []
    assert store.check(repair=True).repaired == []


def test_store_in_use_is_clean(demo: Demo) -> None:
    store = demo.store
    fid, uid = store.mail.deliver(build_message(), [ALICE, BOB]).delivered[ALICE]
    store.folders.create(ALICE, "Keep/Sub")
    store.mail.copy(fid, [uid], store.folders.get(ALICE, "Keep/Sub").id)
    store.mail.set_flags(fid, [uid], ["\\Seen", "\\Deleted"])
    store.mail.expunge(fid)
    store.mail.append(ALICE, "Drafts", build_message(), ["\\Draft"])
    report = store.check()
    assert report.ok, report.problems


def test_orphan_blob_reported_and_removed(demo: Demo) -> None:
    store = demo.store
    store.mail.deliver(build_message(), [ALICE])
    sha = store.blobs.put(b"x")
    report = store.check()
    assert not report.ok
    assert any(sha[:12] in p and "orphan" in p for p in report.problems), report.problems
    assert store.blobs.exists(sha)  # check alone changes nothing
    fixed = store.check(repair=True)
    assert any(sha[:12] in p for p in fixed.repaired), fixed.repaired
    assert not store.blobs.exists(sha)
    assert len(list(store.blobs)) == 1  # the delivered message's blob is untouched
    assert store.check().ok


def test_stale_temporary_blob_file_removed(demo: Demo) -> None:
    store = demo.store
    tmp = store.blobs.tmp / ("0" * 64 + ".999.deadbeef")
    tmp.write_bytes(b"half a message")
    old = time.time() - 2 * 86400
    os.utime(tmp, (old, old))
    assert any("temporary" in p for p in store.check().problems)
    store.check(repair=True)
    assert not tmp.exists()
    assert store.check().ok


def test_corrupted_folder_counters_reported_and_repaired(demo: Demo) -> None:
    store = demo.store
    raw = build_message()
    fid, _ = store.mail.deliver(raw, [ALICE]).delivered[ALICE]
    _, uid2 = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    store.mail.set_flags(fid, [uid2], ["\\Seen"])
    good = store.folders.by_id(fid)
    tamper(store, s.folders, fid, message_count=40, unseen_count=0, total_bytes=1)
    report = store.check()
    assert any("INBOX" in p for p in report.problems), report.problems
    assert store.folders.by_id(fid).message_count == 40  # check alone changes nothing
    fixed = store.check(repair=True)
    assert any("INBOX" in p for p in fixed.repaired)
    again = store.folders.by_id(fid)
    assert (again.message_count, again.unseen_count, again.total_bytes) == (
        good.message_count,
        good.unseen_count,
        good.total_bytes,
    )
    assert store.check().ok


def test_uidnext_and_modseq_behind_the_messages_repaired(demo: Demo) -> None:
    store = demo.store
    fid, u1 = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    _, u2 = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    modseq = store.folders.by_id(fid).highestmodseq
    tamper(store, s.folders, fid, uidnext=1, highestmodseq=1)
    assert not store.check().ok
    store.check(repair=True)
    folder = store.folders.by_id(fid)
    assert folder.uidnext > u2 and folder.highestmodseq >= modseq
    _, u3 = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    assert u3 > u2 > u1  # no UID handed out twice after the repair
    assert store.folders.by_id(fid).highestmodseq > modseq
    assert store.check().ok


def test_account_usage_repaired(demo: Demo) -> None:
    store = demo.store
    raw = build_message()
    store.mail.deliver(raw, [ALICE])
    tamper(store, s.accounts, demo.alice.id, used_bytes=999_999, message_count=0, folder_count=3)
    assert any("alice" in p for p in store.check().problems)
    store.check(repair=True)
    account = store.accounts.get(ALICE)
    assert (account.used_bytes, account.message_count) == (len(raw), 1)
    assert account.folder_count == store.folders.count(ALICE)
    assert store.check().ok


def test_refcount_too_high_repaired_and_then_collected(demo: Demo) -> None:
    store = demo.store
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    body = body_id_of(store, fid, uid)
    tamper(store, s.bodies, body, refcount=5)
    assert any("refcount" in p for p in store.check().problems)
    store.check(repair=True)
    assert store.check().ok
    store.mail.set_flags(fid, [uid], ["\\Deleted"])
    store.mail.expunge(fid)
    release_holds(store)  # the hold for IMAP sessions (storage.holds) ends
    store.mail.collect_garbage()  # (a no-op where the release already collected)
    # the recount let the body go when its last user did
    assert store.stats()["blobs"] == 0
    assert list(store.blobs) == []


def test_refcount_too_low_repaired_without_losing_the_message(demo: Demo) -> None:
    store = demo.store
    raw = build_message()
    fid, uid = store.mail.deliver(raw, [ALICE, BOB]).delivered[ALICE]
    body = body_id_of(store, fid, uid)
    tamper(store, s.bodies, body, refcount=0)
    report = store.check()
    assert not report.ok
    store.check(repair=True)
    assert store.mail.raw(fid, uid) == raw  # the live body was recounted, not collected
    assert store.stats()["blobs"] == 1 and len(list(store.blobs)) == 1
    assert store.mail.collect_garbage() == 0
    assert store.check().ok


def test_missing_blob_of_live_message_reported_and_not_repaired_away(demo: Demo) -> None:
    store = demo.store
    raw = build_message(subject="precious")
    result = store.mail.deliver(raw, [ALICE])
    fid, uid = result.delivered[ALICE]
    store.blobs.path(result.sha256).unlink()
    report = store.check()
    assert any("missing" in p and result.sha256[:12] in p for p in report.problems), report.problems
    repaired = store.check(repair=True)
    assert any("missing" in p for p in repaired.problems), "data loss must stay reported after repair"
    assert not any(result.sha256[:12] in p for p in repaired.repaired)
    # nothing was deleted to make the report go away
    assert store.mail.uids(fid) == [uid]
    (info,) = store.mail.info(fid, [uid])
    assert info.subject == "precious"
    assert store.stats()["blobs"] == 1
    assert not store.check().ok


def test_redelivering_the_same_bytes_restores_a_missing_blob(demo: Demo) -> None:
    store = demo.store
    raw = build_message()
    result = store.mail.deliver(raw, [ALICE])
    fid, uid = result.delivered[ALICE]
    store.blobs.path(result.sha256).unlink()
    store.mail.deliver(raw, [BOB])
    assert store.mail.raw(fid, uid) == raw
    assert store.check().ok, store.check().problems
