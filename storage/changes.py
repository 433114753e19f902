"""The change feed: every transaction that changes a folder appends a row; every process wakes on it.

Implementation notes:

* ``record`` runs inside the writer's transaction, so a change is visible exactly when its data is.
* One watcher thread per process (a greenlet once gevent has patched threading) notices commits from any
  process: on SQLite by ``PRAGMA data_version`` on a dedicated connection (it changes when another
  connection commits), on PostgreSQL by LISTEN on the ``fieldpost_changes`` channel, which writers NOTIFY
  in the same transaction. It then reads the new rows once and hands them to every subscriber, so a
  thousand idling IMAP sessions cost one query, not a thousand.
* Subscribers are callables; they must not block (IMAP sessions set an event and return).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select, text

from storage import schema as s
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

CHANNEL = "fieldpost_changes"


@dataclass(frozen=True)
class Change:
    id: int
    folder_id: int
    account_id: int | None
    modseq: int
    kind: str  # new | flags | expunge | folder
    uid: int | None
    at: datetime


Subscriber = Callable[[list[Change]], None]


class ChangeFeed:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._subscribers: dict[int, Subscriber] = {}
        self._next_token = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_id = 0

    # -- writing ------------------------------------------------------------------------------------

    def record_many(self, conn: Connection, rows: list[tuple[int, int | None, int, str, int | None]]) -> None:
        """Several (folder, account, modseq, kind, uid) changes of one transaction in one statement."""
        if not rows:
            return
        now = utcnow()
        conn.execute(
            insert(s.changes),
            [
                {"folder_id": f, "account_id": a, "modseq": m, "kind": k, "uid": u, "at": now}
                for f, a, m, k, u in rows
            ],
        )
        self._notify(conn)

    def record(
        self,
        conn: Connection,
        folder_id: int,
        account_id: int | None,
        modseq: int,
        kind: str,
        uid: int | None = None,
    ) -> None:
        conn.execute(
            insert(s.changes).values(
                folder_id=folder_id, account_id=account_id, modseq=modseq, kind=kind, uid=uid, at=utcnow()
            )
        )
        self._notify(conn)

    def _notify(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql" and not conn.info.get("fieldpost_notified"):
            conn.execute(text("SELECT pg_notify(:c, '')"), {"c": CHANNEL})
            conn.info["fieldpost_notified"] = True

    # -- reading ------------------------------------------------------------------------------------

    def latest_id(self) -> int:
        with self.store.db.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(s.changes.c.id), 0))).scalar_one())

    def since(self, after_id: int, limit: int = 10_000) -> list[Change]:
        with self.store.db.read() as conn:
            rows = conn.execute(
                select(s.changes).where(s.changes.c.id > after_id).order_by(s.changes.c.id).limit(limit)
            ).all()
        return [
            Change(r.id, r.folder_id, r.account_id, r.modseq, r.kind, r.uid, as_utc(r.at) or utcnow())
            for r in rows
        ]

    def prune(self, older_than: timedelta) -> int:
        with self.store.db.write() as conn:
            return int(
                conn.execute(s.changes.delete().where(s.changes.c.at < utcnow() - older_than)).rowcount
            )

    # -- waking -------------------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> int:
        """Call ``callback(changes)`` from the watcher for every batch of new changes; returns a token."""
        with self._lock:
            self._next_token += 1
            self._subscribers[self._next_token] = callback
            if self._thread is None:
                self._last_id = self.latest_id()
                self._stop.clear()
                self._thread = threading.Thread(target=self._watch, name="fieldpost-changes", daemon=True)
                self._thread.start()
            return self._next_token

    def unsubscribe(self, token: int) -> None:
        with self._lock:
            self._subscribers.pop(token, None)

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    def _dispatch(self) -> None:
        batch = self.since(self._last_id)
        while batch:
            self._last_id = batch[-1].id
            with self._lock:
                callbacks = list(self._subscribers.values())
            for cb in callbacks:
                # a broken subscriber must not stop the feed for everyone
                with contextlib.suppress(Exception):
                    cb(batch)
            batch = self.since(self._last_id)

    def _watch(self) -> None:
        if self.store.db.is_sqlite:
            self._watch_sqlite()
        else:
            self._watch_postgres()

    def _watch_sqlite(self) -> None:
        path = self.store.db.url.database or ":memory:"
        conn = sqlite3.connect(path, check_same_thread=False)
        try:
            version = None
            while not self._stop.is_set():
                current = conn.execute("PRAGMA data_version").fetchone()[0]
                if current != version:
                    version = current
                    self._dispatch()
                self._stop.wait(0.1)
        finally:
            conn.close()

    def _watch_postgres(self) -> None:
        import psycopg

        url = self.store.db.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as pg:
                    pg.execute(f"LISTEN {CHANNEL}")
                    self._dispatch()
                    while not self._stop.is_set():
                        if list(pg.notifies(timeout=0.5, stop_after=1)):
                            self._dispatch()
            except Exception:  # database restart: reconnect after a pause
                self._stop.wait(1.0)
