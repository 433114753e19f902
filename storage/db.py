"""Engine set-up, transactions and schema migration for both backends.

Implementation notes:

* SQLite runs in WAL mode with ``synchronous=FULL`` (a commit survives power loss) and a busy timeout.
  pysqlite's own transaction handling is switched off so that *we* issue ``BEGIN``: write transactions
  start with ``BEGIN IMMEDIATE``, which takes the write lock up front. Without that, two deferred
  transactions that both read and then write dead-lock and one fails with "database is locked".
* PostgreSQL runs at READ COMMITTED; write paths that allocate UIDs lock the folder row (``FOR UPDATE``).
* Migrations run at every open, under a cross-process lock (a file lock for SQLite, an advisory lock for
  PostgreSQL), so the supervisor's children can all start at once on an old database ("seamless upgrade").
* sqlite3 does not yield to gevent: keep transactions short. psycopg does, once :mod:`storage.pgwait` has
  made sure it waits through gevent's patched ``select`` (whatever the import order).
* The hot writes (a queued message, a delivery, an append, flag changes) are *units*, functions of a
  Connection given to :meth:`Database.write_unit`: on SQLite they are grouped by one committer thread
  per process (:mod:`storage.group_commit`: one transaction and one WAL fsync for many sessions' units,
  none of it on the gevent hub); on PostgreSQL each runs in its own transaction, as ``write`` does.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from storage.blobs import fsync_dirs, sync_before_commit
from storage.group_commit import GroupCommitter
from storage.pgwait import cooperate_with_gevent
from storage.schema_version import is_current

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x46504D47  # arbitrary constant: "FPMG"

#: The write transaction a caller opened with ``Database.joined()``, per greenlet/thread (a ContextVar):
#: while it is open, ``read()`` and ``write()`` of the same Database hand out its Connection instead of a
#: new transaction. Set only by ``joined()``; None everywhere else.
_JOINED: ContextVar[tuple[Database, Connection] | None] = ContextVar("fieldpost_joined", default=None)


class Database:
    """An engine plus the two kinds of transaction storage uses."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.committer: GroupCommitter | None = None
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url)
            if self.url.database and self.url.database != ":memory:":
                # the committer's own connection, only ever used by its thread
                self.committer = GroupCommitter(
                    lambda: _sqlite_engine(url, poolclass=StaticPool), self.url.database + ".write-lock"
                )
        elif self.dialect == "postgresql":
            cooperate_with_gevent()  # under gevent, queries must wait on the hub, not block it
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        else:
            raise ValueError(f"unsupported database backend {self.dialect!r}")

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write; on SQLite it holds the write lock from its first statement.

        Work that must follow a successful commit (unlinking blob files) is appended to
        ``conn.info["after_commit"]`` and runs once the transaction is over.
        """
        joined = self._joined()
        if joined is not None:
            yield joined  # part of the caller's transaction; its after_commit hooks run at its commit
            return
        after_commit: list[Callable[[], object]] = []
        with self.engine.connect() as conn:
            conn = conn.execution_options(fieldpost_immediate=True)
            conn.info["after_commit"] = after_commit
            conn.info.pop("fieldpost_notified", None)
            sync_dirs: set[str] = set()
            conn.info["sync_dirs"] = sync_dirs  # blob directories to fsync before COMMIT (storage.blobs)
            try:
                with conn.begin():
                    yield conn
                    fsync_dirs(sync_dirs)  # a failure here rolls back: no row without its file
            finally:
                conn.info.pop("sync_dirs", None)  # info outlives the checkout: no stale set for a reader
        for hook in after_commit:  # only reached when the transaction committed
            hook()

    def write_unit(self, fn: Callable[[Connection], T], sync_dirs: Iterable[str] = ()) -> T:
        """``fn(conn)`` in a write transaction, committed (durable) when this returns.

        On SQLite the unit shares its transaction with the units other sessions of this process queued
        meanwhile (see :mod:`storage.group_commit`) and runs on the committer's thread, never on the
        gevent hub; ``fn`` must use only ``conn`` and may raise to roll back its own part alone.
        ``sync_dirs``: blob directories to fsync before the COMMIT that the caller knows up front; the
        committer fsyncs them before it takes the write lock.
        """
        if self.committer is not None:
            return self.committer.run(fn, sync_dirs)
        with self.write() as conn:
            sync_before_commit(conn.info, sync_dirs)
            return fn(conn)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: a consistent snapshot that never blocks writers."""
        joined = self._joined()
        if joined is not None:
            yield joined  # inside a joined write: read what it has written so far
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def joined(self) -> Iterator[Connection]:
        """A write transaction that every ``read()``/``write()`` of this Database opened inside it (in the
        same greenlet or thread) joins, so a check and the work of several components commit together.

        Why: the admin facade (storage.adminview) checks an administrator's scope and then calls the
        components (``Domains.add``, ``Accounts.delete``...), which open their own transactions; joined,
        the check and the change are one transaction, and the change never happens if the check fails.
        Nested ``joined()`` joins too. A failure anywhere rolls the whole transaction back.
        """
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        with self.write() as conn:
            token = _JOINED.set((self, conn))
            try:
                yield conn
            finally:
                _JOINED.reset(token)

    def _joined(self) -> Connection | None:
        current = _JOINED.get()
        return current[1] if current is not None and current[0] is self else None

    def migrate(self) -> None:
        """Bring the schema to the newest revision; safe to call from many processes at once."""
        if self._schema_is_current():
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self._migration_lock(), self.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()

    def _schema_is_current(self) -> bool:
        """Already at the newest revision (the common case: every process start)? Then Alembic, whose
        import costs more than a short command's work, is not loaded at all (storage.schema_version)."""
        with self.engine.connect() as conn:
            return is_current(conn, MIGRATIONS_DIR / "versions")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.is_sqlite:
            db_path = self.url.database
            if not db_path or db_path == ":memory:":
                yield
                return
            with open(db_path + ".migrate-lock", "a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        else:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                    conn.commit()

    def dispose(self) -> None:
        if self.committer is not None:
            self.committer.stop()  # its connection too must close for SQLite to checkpoint the WAL
        self.engine.dispose()


def _sqlite_engine(url: str, poolclass: Any = None) -> Engine:
    # A pool keeps connections open: closing the last connection to a WAL database checkpoints it, which
    # costs an fsync of the main file per transaction. Processes open their store after fork (the
    # supervisor execs its children), and a checked-out sqlite3 handle serves one greenlet at a time;
    # check_same_thread is off because gevent's threadpool may run a query on another OS thread.
    args: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    args.update({"poolclass": poolclass} if poolclass else {"pool_size": 5, "max_overflow": 20})
    engine = create_engine(url, **args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("fieldpost_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
