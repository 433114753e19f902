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


def test_a_blob_directory_that_cannot_be_synced_fails_its_group(tmp_path: Path) -> None:
    """The blob directories a unit leaves to the commit (storage.blobs.sync_before_commit) are fsync'd
    before the COMMIT: when that fails, nothing of the unit is committed (no row without its file)."""
    from sqlalchemy import text

    from storage.blobs import sync_before_commit

    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", "alicepass1")

    def unit(conn):  # type: ignore[no-untyped-def]
        conn.execute(text("UPDATE accounts SET used_bytes = 4242"))
        sync_before_commit(conn.info, [str(tmp_path / "no-such-directory")])

    def used() -> int:
        with store.db.read() as conn:
            return int(conn.execute(text("SELECT max(used_bytes) FROM accounts")).scalar_one())

    try:
        for run in (store.db.write_unit, _in_write(store)):
            try:
                run(unit)
            except FileNotFoundError:
                pass
            else:
                raise AssertionError("the failed directory fsync went unnoticed")
            assert used() == 0
        # a directory that exists is synced and the unit commits
        store.db.write_unit(lambda conn: sync_before_commit(conn.info, [str(tmp_path)]))
        _ = store.mail.deliver(MESSAGE % 1, ["alice@example.test"])
        assert used() > 0
    finally:
        store.close()


def _in_write(store):  # type: ignore[no-untyped-def]
    def run(fn):  # type: ignore[no-untyped-def]
        with store.db.write() as conn:
            fn(conn)

    return run


def test_a_lone_unit_that_fails_leaves_nothing_and_the_next_one_commits(tmp_path: Path) -> None:
    """A group of one unit runs without a SAVEPOINT: its failure rolls the whole transaction back, so
    what it wrote before raising is gone, its caller gets its exception, and the committer goes on."""
    from sqlalchemy import event, text

    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", "alicepass1")
    statements: list[str] = []

    def failing(conn):  # type: ignore[no-untyped-def]
        event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
        conn.execute(text("UPDATE accounts SET used_bytes = 4242"))
        raise ValueError("refused halfway")

    def used() -> int:
        with store.db.read() as conn:
            return int(conn.execute(text("SELECT max(used_bytes) FROM accounts")).scalar_one())

    try:
        try:
            store.db.write_unit(failing)
        except ValueError as exc:
            assert str(exc) == "refused halfway"
        else:
            raise AssertionError("the unit's exception did not reach its caller")
        assert used() == 0
        assert statements and not [sql for sql in statements if "SAVEPOINT" in sql]
        assert (
            store.db.write_unit(lambda conn: conn.execute(text("UPDATE accounts SET used_bytes = 7")))
            is not None
        )
        assert used() == 7
    finally:
        store.close()
