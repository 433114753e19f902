"""Expunged messages kept for the sessions not yet told (storage.retained, RFC 2180 4.1.1): captured from
the rows an expunge deletes, readable after the body is collected, gone once every session is told."""

from __future__ import annotations

import pytest

from storage import retained as retained_mod
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"


def test_an_expunged_message_stays_readable_until_every_session_is_told(demo: Demo) -> None:
    store = demo.store
    raw = build_message(subject="kept")
    folder_id, uid = store.mail.deliver(raw, [ALICE]).delivered[ALICE]
    store.retained.watchers = lambda fid: frozenset({1, 2}) if fid == folder_id else frozenset()
    store.mail.set_flags(folder_id, [uid], ["\\Deleted"], "add")
    assert store.mail.expunge(folder_id) == [uid]
    assert store.mail.info(folder_id, [uid]) == []
    (sha,) = {m.info.sha256 for m in store.retained.get(folder_id, [uid]).values()}
    assert not store.blobs.exists(sha)  # collected: only the open reader keeps the bytes
    kept = store.retained.get(folder_id, [uid])[uid]
    assert kept.info.uid == uid and "\\Deleted" in kept.info.flags and kept.info.size == len(raw)
    assert kept.reader.read(0, kept.info.size) == raw
    store.retained.release(folder_id, 1, [uid])
    assert store.retained.get(folder_id, [uid])  # session 2 was not told yet
    store.retained.release(folder_id, 2)  # left the folder
    assert store.retained.get(folder_id, [uid]) == {} and store.retained.count() == 0


def test_nothing_is_kept_without_another_session_or_past_the_cap(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = demo.store
    folder_id, uid = store.mail.deliver(build_message(subject="a"), [ALICE]).delivered[ALICE]
    _, uid2 = store.mail.deliver(build_message(subject="b"), [ALICE]).delivered[ALICE]
    store.mail.set_flags(folder_id, [uid, uid2], ["\\Deleted"], "add")
    store.retained.watchers = lambda fid: frozenset({1})  # only the expunging session
    store.mail.expunge(folder_id, [uid])
    assert store.retained.count() == 0
    store.retained.watchers = lambda fid: frozenset({1, 2})
    monkeypatch.setattr(retained_mod, "MAX_HELD", 0)
    store.mail.expunge(folder_id, [uid2])
    assert store.retained.count() == 0
