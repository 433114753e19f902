"""The SQLite group committer (storage/group_commit.py) as a caller sees it: grouped writes are there
after the store closes, in the database file itself, and the committer starts again after a close."""

from __future__ import annotations

import shutil
from pathlib import Path

from storage import open_store

MESSAGE = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: %d\r\n\r\nHello\r\n"


def test_a_closed_store_has_its_grouped_writes_in_the_main_file(tmp_path: Path) -> None:
    """Closing checkpoints the WAL: a copy of db.sqlite3 alone (how a backup or a test template is
    made) holds every delivery, though deliveries were committed by the committer's own connection."""
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", "alicepass1")
    for n in range(3):
        store.mail.deliver(MESSAGE % n, ["alice@example.test"])
    assert store.db.committer is not None and store.db.committer.units >= 3
    store.close()

    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copyfile(tmp_path / "db.sqlite3", copy / "db.sqlite3")
    shutil.copytree(tmp_path / "blobs", copy / "blobs")
    again = open_store(f"sqlite:///{copy / 'db.sqlite3'}", copy / "blobs")
    try:
        inbox = again.folders.get("alice@example.test", "INBOX")
        assert len(again.mail.uids(inbox.id)) == 3
    finally:
        again.close()


def test_the_committer_serves_again_after_a_close(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", "alicepass1")
    store.mail.deliver(MESSAGE % 1, ["alice@example.test"])
    store.db.dispose()
    store.mail.deliver(MESSAGE % 2, ["alice@example.test"])  # a new thread, started by this unit
    inbox = store.folders.get("alice@example.test", "INBOX")
    assert len(store.mail.uids(inbox.id)) == 2
    store.close()
