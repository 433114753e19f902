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


def test_directories_known_up_front_are_synced_before_the_transaction(tmp_path: Path) -> None:
    """``write_unit(fn, sync_dirs=...)``: the committer fsyncs those directories before it takes the
    write lock; when one cannot be synced the unit fails and nothing of it is committed."""
    from sqlalchemy import text

    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", "alicepass1")

    def unit(conn):  # type: ignore[no-untyped-def]
        conn.execute(text("UPDATE accounts SET used_bytes = used_bytes + 1"))

    def used() -> int:
        with store.db.read() as conn:
            return int(conn.execute(text("SELECT max(used_bytes) FROM accounts")).scalar_one())

    try:
        committer = store.db.committer
        assert committer is not None
        try:
            store.db.write_unit(unit, sync_dirs=[str(tmp_path / "no-such-directory")])
        except FileNotFoundError:
            pass
        else:
            raise AssertionError("the failed directory fsync went unnoticed")
        assert used() == 0
        synced = committer.dir_syncs
        store.db.write_unit(unit, sync_dirs=[str(tmp_path), str(tmp_path)])
        assert used() == 1 and committer.dir_syncs == synced + 1  # once per distinct directory
    finally:
        store.close()


def test_committers_of_one_database_take_turns_on_its_write_lock_file(tmp_path: Path) -> None:
    """Every process's committer queues on an flock of ``<database>.write-lock`` before it begins: while
    another holder (here the test) has it, a unit waits; it commits as soon as the holder lets go."""
    import fcntl
    import threading

    from sqlalchemy import text

    db = tmp_path / "db.sqlite3"
    store = open_store(f"sqlite:///{db}", tmp_path / "blobs")
    store.domains.add("example.test")
    store.accounts.add("alice@example.test", "alicepass1")
    done = threading.Event()

    def write() -> None:
        store.db.write_unit(lambda conn: conn.execute(text("UPDATE accounts SET used_bytes = 7")))
        done.set()

    try:
        with open(f"{db}.write-lock", "a+b") as holder:
            fcntl.flock(holder, fcntl.LOCK_EX)
            writer = threading.Thread(target=write)
            writer.start()
            assert not done.wait(0.3)  # queued behind the holder
            fcntl.flock(holder, fcntl.LOCK_UN)
            assert done.wait(10)
            writer.join()
    finally:
        store.close()
