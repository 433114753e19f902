"""Expunged messages held for the IMAP sessions not yet told (storage.holds, RFC 2180 4.1.1): every expunge,
from any process, keeps the messages' metadata and their body references until imap.expunged_hold_seconds
pass; housekeeping then releases them and the bodies are collected; `storage check` counts the holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import mime
from storage import schema as s
from storage.errors import PermissionDenied
from storage.names import utcnow
from storage.store import Store
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"
BOB = "bob@example.test"
HOLD = timedelta(seconds=35 * 60)  # the default of imap.expunged_hold_seconds


def refcount(store: Store, sha: str) -> int | None:
    with store.db.read() as conn:
        return conn.execute(select(s.bodies.c.refcount).where(s.bodies.c.sha256 == sha)).scalar()


def expunged(store: Store, address: str, raw: bytes, *, also: tuple[str, ...] = ()) -> tuple[int, int, str]:
    """Deliver ``raw`` to ``address`` (and ``also``), expunge it from ``address``'s INBOX: (folder, uid,
    sha256)."""
    folder_id, uid = store.mail.deliver(raw, [address, *also]).delivered[address]
    (info,) = store.mail.info(folder_id, [uid])
    store.mail.set_flags(folder_id, [uid], ["\\Deleted", "$Later"], "add")
    assert store.mail.expunge(folder_id) == [uid]
    return folder_id, uid, info.sha256


def test_an_expunged_message_is_held_then_released(demo: Demo) -> None:
    store = demo.store
    raw = build_message(subject="kept")
    folder_id, uid, sha = expunged(store, ALICE, raw)
    assert store.mail.info(folder_id, [uid]) == []  # gone for everyone who was told
    (held,) = store.holds.held(folder_id, [uid, uid + 1])
    assert held.uid == uid and held.flags == {"\\Deleted", "$Later"} and held.size == len(raw)
    envelope, _ = mime.from_json(held.structure)
    assert mime.envelope_structure(envelope)[1] == "kept"
    assert store.blobs.read(held.sha256) == raw  # the body is still referenced, so never collected
    assert refcount(store, sha) == 1 and store.check().ok
    assert store.holds.release_expired(now=utcnow() + HOLD - timedelta(seconds=60)) == 0
    assert store.holds.held(folder_id, [uid])  # not yet
    assert store.holds.release_expired(now=utcnow() + HOLD + timedelta(seconds=1)) == 1
    assert store.holds.held(folder_id, [uid]) == [] and store.holds.count() == 0
    assert refcount(store, sha) is None and not store.blobs.exists(sha)  # collected after the commit
    report = store.check()
    assert report.ok and report.problems == [], report.problems


def test_the_hold_time_is_a_setting_and_zero_holds_nothing(demo: Demo) -> None:
    store = demo.store
    store.settings.set("imap.expunged_hold_seconds", 0)
    folder_id, uid, sha = expunged(store, ALICE, build_message())
    assert store.holds.held(folder_id, [uid]) == [] and not store.blobs.exists(sha)
    store.settings.set("imap.expunged_hold_seconds", 60)
    folder_id, uid, sha = expunged(store, ALICE, build_message())
    assert store.holds.release_expired(now=utcnow() + timedelta(seconds=30)) == 0
    assert store.holds.release_expired(now=utcnow() + timedelta(seconds=61)) == 1
    assert not store.blobs.exists(sha) and store.check().ok


def test_a_shared_body_keeps_the_other_references(demo: Demo) -> None:
    """Single storage: alice's expunged copy is held, bob's message still uses the same body."""
    store = demo.store
    folder_id, uid, sha = expunged(store, ALICE, build_message(), also=(BOB,))
    assert refcount(store, sha) == 2  # bob's message and alice's hold
    assert store.holds.release_expired(now=utcnow() + HOLD + timedelta(seconds=1)) == 1
    assert refcount(store, sha) == 1 and store.blobs.exists(sha) and store.check().ok


def test_move_holds_the_source_message(demo: Demo) -> None:
    store = demo.store
    inbox = demo.folder(ALICE)
    archive = demo.folder(ALICE, "Archive")
    _, uid = store.mail.deliver(build_message(subject="moved"), [ALICE]).delivered[ALICE]
    (new_uid,) = store.mail.move(inbox.id, [uid], archive.id).values()
    (held,) = store.holds.held(inbox.id, [uid])
    assert refcount(store, held.sha256) == 2 and store.mail.info(archive.id, [new_uid])
    assert store.check().ok


def test_deleting_the_folder_releases_its_holds(demo: Demo) -> None:
    store = demo.store
    box = store.folders.create(ALICE, "Doomed")
    staged_uid = store.mail.append(ALICE, "Doomed", build_message(subject="doomed"))
    store.mail.set_flags(box.id, [staged_uid], ["\\Deleted"], "add")
    (held_sha,) = {m.sha256 for m in store.mail.info(box.id, [staged_uid])}
    store.mail.expunge(box.id)
    assert store.holds.count() == 1
    store.folders.delete(ALICE, "Doomed")
    assert store.holds.count() == 0 and not store.blobs.exists(held_sha)
    assert store.check().ok


def test_held_messages_are_read_with_the_read_right(demo: Demo) -> None:
    """A user reads held messages through a folder reader, which needs "r" now (RFC 4314 4)."""
    store = demo.store
    store.acl.grant(ALICE, "INBOX", BOB, "lr")
    folder_id, uid, _ = expunged(store, ALICE, build_message(subject="shared"))
    bob = store.for_user(demo.bob.id)
    assert [m.uid for m in bob.reader(folder_id).held([uid])] == [uid]
    store.acl.grant(ALICE, "INBOX", BOB, "l")
    with pytest.raises(PermissionDenied):
        bob.reader(folder_id)


def test_check_counts_held_references(demo: Demo) -> None:
    """A hold is a reference: check agrees with it, and repair restores a wrong refcount instead of
    collecting a body a session may still FETCH."""
    store = demo.store
    folder_id, uid, sha = expunged(store, ALICE, build_message())
    report = store.check()
    assert report.ok and report.problems == [], report.problems
    with store.db.write() as conn:
        conn.execute(s.bodies.update().where(s.bodies.c.sha256 == sha).values(refcount=0))
    assert any("refcount 0, referenced 1 times" in p for p in store.check().problems)
    store.check(repair=True)
    assert refcount(store, sha) == 1 and store.blobs.exists(sha)
    assert store.holds.held(folder_id, [uid]) and store.check().ok
