"""Group commit for SQLite: the write units of many sessions in one transaction, one WAL fsync.

With ``synchronous=FULL`` every SQLite commit is an fsync of the WAL, and only one process and one
connection write at a time. A protocol process that commits each message on its own therefore pays one
fsync per message, in turn, and (on gevent) stops every session while sqlite3 waits in C. Here a
process hands its write units to one committer, a real OS thread with its own connection:

1. A caller (a greenlet or a thread) queues ``fn`` (a function of a Connection) and waits on a
   :class:`storage.off_hub.Waker`: a greenlet waits on its hub, so other sessions go on.
2. The committer takes every unit queued so far (at most ``MAX_UNITS``), opens one ``BEGIN
   IMMEDIATE`` transaction and runs each unit inside a SAVEPOINT of its own: a unit that raises is
   rolled back alone and its caller gets the exception; the others stay in the transaction. A group
   of one unit runs without a SAVEPOINT (its failure rolls back the transaction, which is its own).
3. It fsyncs the distinct blob directories the units left to it (``storage.blobs.sync_before_commit``:
   the renames of the group's new blobs), commits (the one WAL fsync), then wakes every caller.
   Directories a caller already knows when it queues its unit (``run(fn, sync_dirs=...)``: a queued
   message's blob is written before its unit) are fsync'd before the ``BEGIN IMMEDIATE`` instead:
   the write lock, which every other process's writers wait for, is not held across those fsyncs. A caller gets its result only after that
   commit returned, so SMTP's "250" and IMAP's APPEND "OK" still follow durability. If the commit
   fails, every unit of the group fails with that error and nothing of the group is stored.

Several processes (the smtp workers, the processing service) each have a committer, and SQLite lets one
write at a time. A committer that finds the write lock taken would sleep in SQLite's busy handler, which
polls at up to 100 ms intervals and can lose to a writer that comes back at once (the tail of SMTP's
reply latency). So the committers of one database file queue on an ``flock`` of ``<database>.write-lock``
first: the kernel wakes a waiter the moment the holder is done. The lock only orders committers; writers
that do not take it (``Database.write``) are still serialised by SQLite itself.

Units queue up while the previous group's fsync runs, so groups grow with the load by themselves; no
timer delays a lone unit. The thread and its connection end after ``IDLE_SECONDS`` without work (a
store opened by a command or a test leaves nothing behind) and start again with the next unit. Work a unit registers in ``conn.info["after_commit"]`` runs in its caller,
after the group committed (as with ``Database.write``).

Units run in the committer thread, one after the other: they must only use the connection given (no
transaction of their own: a ``Database.write`` inside a unit waits for the lock its own group holds) and
must not touch gevent objects. PostgreSQL is not grouped: psycopg already waits on the hub, and its
server merges concurrent commits' WAL flushes itself.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, Generic, TypeVar

from sqlalchemy import Connection, Engine

from storage.blobs import fsync_dirs
from storage.off_hub import Waker, real_lock, real_thread_id, start_real_thread

T = TypeVar("T")
MAX_UNITS = 64  # per group: a bounded transaction, and the first callers are not held for long
IDLE_SECONDS = 10.0  # the thread (and its connection) ends after this long without a unit


@contextmanager
def _turn(lock: BinaryIO | None) -> Iterator[None]:
    """This process's turn among the database's committers (see the module notes)."""
    if lock is None:
        yield
        return
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)


class _Unit(Generic[T]):
    __slots__ = ("fn", "sync_dirs", "result", "error", "hooks", "waker")

    def __init__(self, fn: Callable[[Connection], T], sync_dirs: Iterable[str] = ()) -> None:
        self.fn = fn
        self.sync_dirs = sync_dirs
        self.result: T | None = None
        self.error: BaseException | None = None
        self.hooks: list[Callable[[], object]] = []
        self.waker = Waker()


class GroupCommitter:
    """One per Database (per process); the thread starts with the first unit.

    ``make_engine`` gives the committer's own engine (one connection, used by its thread alone).
    """

    def __init__(self, make_engine: Callable[[], Engine], lock_path: str | None = None) -> None:
        self._make_engine = make_engine
        self._lock_path = lock_path  # the file the committers of this database queue on (flock)
        self._mutex = real_lock()  # guards _pending and _signalled; held only to swap them
        self._wakeup = real_lock()  # released when units wait and the committer was not told yet
        self._wakeup.acquire()
        self._pending: list[_Unit[Any]] = []
        self._signalled = False
        self._thread_id: int | None = None
        self._started = False
        self._stopping = False
        self._exited = real_lock()  # held while a committer thread runs; released when it ends
        self.groups = 0  # committed groups and units, for tests and benchmarks
        self.units = 0
        self.dir_syncs = 0  # blob directories fsync'd before the groups' COMMITs

    def run(self, fn: Callable[[Connection], T], sync_dirs: Iterable[str] = ()) -> T:
        """Run ``fn(conn)`` in the next group; return once the group is committed (durable).

        ``sync_dirs``: directories to fsync before the group's transaction begins (see step 3).
        """
        if self._thread_id is not None and real_thread_id() == self._thread_id:
            raise RuntimeError("a write unit cannot wait for another one from inside the committer")
        unit: _Unit[T] = _Unit(fn, sync_dirs)
        with self._mutex:
            if not self._started:
                self._started = True
                self._stopping = False
                self._exited = real_lock()
                self._exited.acquire()
                start_real_thread(self._loop)
            self._pending.append(unit)
            wake = not self._signalled
            self._signalled = True
        if wake:
            self._wakeup.release()
        unit.waker.wait()
        if unit.error is not None:
            raise unit.error
        for hook in unit.hooks:
            hook()
        return unit.result  # type: ignore[return-value]

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread once the units already queued are committed, and close its connection.

        ``Database.dispose`` calls this: on a WAL database the last connection to close checkpoints the
        WAL into the main file, so a store closed while its committer still held a connection left its
        latest writes in the -wal file only (a copy of the main file alone then missed them).
        """
        with self._mutex:
            if not self._started:
                return
            self._stopping = True
            wake = not self._signalled
            self._signalled = True
            exited = self._exited
        if wake:
            self._wakeup.release()
        if exited.acquire(timeout=timeout):
            exited.release()

    def _loop(self) -> None:
        self._thread_id = real_thread_id()
        exited = self._exited
        engine = self._make_engine()
        lock = open(self._lock_path, "a+b") if self._lock_path else None  # noqa: SIM115 (closed below)
        try:
            self._serve(engine, lock)
        finally:
            if lock is not None:
                lock.close()
            engine.dispose()
            exited.release()

    def _serve(self, engine: Engine, lock: BinaryIO | None) -> None:
        while True:
            if not self._wakeup.acquire(timeout=IDLE_SECONDS):
                with self._mutex:
                    if not self._signalled:  # nothing queued, nor about to be signalled: stop
                        self._started = False
                        self._thread_id = None
                        return
                continue  # a caller queued and is about to release the lock
            with self._mutex:
                batch, self._pending = self._pending[:MAX_UNITS], self._pending[MAX_UNITS:]
                self._signalled = bool(self._pending)
            if self._signalled:
                self._wakeup.release()  # more than one group's worth waits: go round again
            if batch:
                self._commit(engine, batch, lock)
                for unit in batch:
                    unit.waker.fire()
            with self._mutex:
                if self._stopping and not self._pending:
                    self._wakeup.acquire(blocking=False)  # held again, as a new thread expects it
                    self._started = False
                    self._signalled = False
                    self._thread_id = None
                    return

    def _commit(self, engine: Engine, batch: list[_Unit[Any]], lock: BinaryIO | None) -> None:
        try:
            known = {directory for unit in batch for directory in unit.sync_dirs}
            fsync_dirs(known)  # before BEGIN IMMEDIATE: the write lock is not held meanwhile
            self.dir_syncs += len(known)
            with _turn(lock), engine.connect() as raw:
                conn = raw.execution_options(fieldpost_immediate=True)
                sync_dirs: set[str] = set()
                conn.info["sync_dirs"] = sync_dirs  # the group's blob directories (storage.blobs)
                if len(batch) == 1:
                    self._commit_alone(conn, batch[0], sync_dirs)
                    return
                with conn.begin():
                    for unit in batch:
                        hooks: list[Callable[[], object]] = []
                        conn.info["after_commit"] = hooks
                        savepoint = conn.begin_nested()
                        try:
                            unit.result = unit.fn(conn)
                        except Exception as exc:
                            savepoint.rollback()
                            unit.error = exc
                        else:
                            savepoint.commit()
                            unit.hooks = hooks
                    fsync_dirs(sync_dirs)  # once per distinct directory, before the COMMIT
            self._counted(len(batch), sync_dirs)
        except BaseException as exc:  # the BEGIN, a savepoint or the COMMIT failed: nothing is stored
            for unit in batch:
                unit.error = unit.error or exc
                unit.hooks = []

    def _commit_alone(self, conn: Connection, unit: _Unit[Any], sync_dirs: set[str]) -> None:
        """A group of one unit (a lone writer, as a sequential delivery is) needs no SAVEPOINT: when it
        raises, the whole transaction is rolled back, which is all of its own work and nothing else.
        Two statements fewer per unit (SAVEPOINT, RELEASE), a sixth of a 1-recipient delivery's."""
        hooks: list[Callable[[], object]] = []
        conn.info["after_commit"] = hooks
        with conn.begin() as transaction:
            try:
                unit.result = unit.fn(conn)
            except Exception as exc:
                transaction.rollback()
                unit.error = exc
                return
            fsync_dirs(sync_dirs)  # before the COMMIT, as for a bigger group
        unit.hooks = hooks
        self._counted(1, sync_dirs)

    def _counted(self, units: int, sync_dirs: set[str]) -> None:
        self.groups += 1
        self.dir_syncs += len(sync_dirs)
        self.units += units
