"""The change feed: every transaction that changes a folder appends a row; every process wakes on it.

Why a subscription in storage: IMAP IDLE, web push and DAV sync all need "tell me when this folder (or
this account) changes, whichever process changed it", and none of them may import another protocol's
module. ``store.changes.subscribe(callback, folder_id=...)`` (or ``account_id=``, or neither for every
change) returns a :class:`Subscription`; ``close()`` ends it. What a subscriber does when woken is its
own business (an IMAP session marks its selection and, while idling, writes the updates).

Implementation notes:

* ``record`` runs inside the writer's transaction, so a change is visible exactly when its data is.
  ACL changes append an ``acl`` row for the folder and each folder below it (inherited entries apply
  there too), so a session with one of them selected re-checks its rights at once.
* One poller per process, started with the first subscription (or by ``start()``): a thread, which is
  a greenlet once gevent has patched threading, so a gevent process calls ``start()`` on its event loop
  before any subscription can be made from a worker thread. It notices commits from any process: on
  SQLite by ``PRAGMA data_version`` on a dedicated connection (it changes when another connection
  commits), on PostgreSQL by LISTEN on the ``fieldpost_changes`` channel, which writers NOTIFY in the
  same transaction. It then reads the new rows once and hands each subscriber only the rows it asked
  for, indexed by folder and account, so a thousand idling sessions cost one query and no scan.
* No lock: subscriptions are made and closed from the event loop and from worker threads (an offloaded
  SELECT), and a lock that gevent patched must not be shared with real threads (DESIGN.md 3). Every
  change to the index is one dict operation (atomic under the GIL); the poller reads copies.
* Callbacks run on the poller and must not block (IMAP sessions set flags and return); one that raises
  is skipped for that batch, the feed goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, func, insert, select

from storage import dialect
from storage import schema as s
from storage.folders import folder_by_id, subtree
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

CHANNEL = "fieldpost_changes"
POLL_SECONDS = 0.1  # SQLite: how often the poller compares PRAGMA data_version
# the poller's read, built once (SQLAlchemy reuses its cache key and compiled form)
_SINCE = (
    select(s.changes)
    .where(s.changes.c.id > bindparam("after_id"))
    .order_by(s.changes.c.id)
    .limit(bindparam("limit"))
)
_INSERT_CHANGE = insert(s.changes)  # a delivery's change rows (executemany)


@dataclass(frozen=True)
class Change:
    id: int
    folder_id: int
    account_id: int | None
    modseq: int
    kind: str  # new | flags | expunge | folder | acl
    uid: int | None
    at: datetime


Subscriber = Callable[[list[Change]], None]
# index keys: ("folder", id), ("account", id), ("all", 0)
Key = tuple[str, int]


class Subscription:
    """One subscriber's interest in the feed; ``close()`` (idempotent, from any thread) ends it."""

    def __init__(self, feed: ChangeFeed, key: Key, callback: Subscriber, token: int) -> None:
        self.feed = feed
        self.key = key
        self.callback = callback
        self.token = token

    @property
    def folder_id(self) -> int | None:
        return self.key[1] if self.key[0] == "folder" else None

    @property
    def account_id(self) -> int | None:
        return self.key[1] if self.key[0] == "account" else None

    @property
    def closed(self) -> bool:
        return self.token not in self.feed._index.get(self.key, {})

    def close(self) -> None:
        self.feed._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChangeFeed:
    def __init__(self, store: Store) -> None:
        self.store = store
        # key -> token -> subscription; buckets are never removed (a removal could race an insertion
        # from another thread), so there is at most one per folder/account ever subscribed to
        self._index: dict[Key, dict[int, Subscription]] = {}
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._stop = threading.Event()
        self._last_id = 0

    # -- writing ------------------------------------------------------------------------------------

    def record_many(self, conn: Connection, rows: list[tuple[int, int | None, int, str, int | None]]) -> None:
        """Several (folder, account, modseq, kind, uid) changes of one transaction in one statement."""
        if not rows:
            return
        now = utcnow()
        conn.execute(
            _INSERT_CHANGE,
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

    def record_rights(self, conn: Connection, folder_id: int) -> None:
        """The ACL of ``folder_id`` changed: an ``acl`` row for it and every folder below it (whose
        inherited rights changed with it), so sessions that have one selected re-check their rights."""
        folders = subtree(conn, folder_by_id(conn, folder_id))
        self.record_many(conn, [(f.id, f.account_id, f.highestmodseq, "acl", None) for f in folders])

    def record_group_rights(self, conn: Connection, group_id: int) -> None:
        """The members of ``group_id`` changed (or it is about to be deleted): the rights of every folder
        with an entry for it, or for a group that contains it, changed with them."""
        groups, todo = {group_id}, [group_id]
        while todo:  # the groups that contain it, at any depth
            gm = s.group_members
            parents = conn.execute(select(gm.c.group_id).where(gm.c.member_group_id.in_(todo))).scalars()
            todo = [int(g) for g in parents if int(g) not in groups]
            groups.update(todo)
        a = s.acl_entries
        folder_ids = conn.execute(
            select(a.c.folder_id)
            .distinct()
            .where(a.c.principal_kind == "group", a.c.principal_id.in_(groups))
        ).scalars()
        for folder_id in sorted(int(f) for f in folder_ids):
            self.record_rights(conn, folder_id)

    def _notify(self, conn: Connection) -> None:
        if not conn.info.get("fieldpost_notified") and dialect.notify(conn, CHANNEL):
            conn.info["fieldpost_notified"] = True

    # -- reading ------------------------------------------------------------------------------------

    def latest_id(self) -> int:
        with self.store.db.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(s.changes.c.id), 0))).scalar_one())

    def since(self, after_id: int, limit: int = 10_000) -> list[Change]:
        with self.store.db.read() as conn:
            rows = conn.execute(_SINCE, {"after_id": after_id, "limit": limit}).all()
        return [
            Change(r.id, r.folder_id, r.account_id, r.modseq, r.kind, r.uid, as_utc(r.at) or utcnow())
            for r in rows
        ]

    def prune(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Delete the rows recorded before ``now - older_than``; how many. Only pollers read the feed,
        and they are seconds behind, so any retention of more than a minute loses nothing."""
        cutoff = (now or utcnow()) - older_than
        with self.store.db.write() as conn:
            return int(conn.execute(s.changes.delete().where(s.changes.c.at < cutoff)).rowcount)

    # -- waking -------------------------------------------------------------------------------------

    def subscribe(
        self, callback: Subscriber, *, folder_id: int | None = None, account_id: int | None = None
    ) -> Subscription:
        """Call ``callback(changes)`` from the poller with the new changes of ``folder_id``, or of every
        folder of ``account_id``, or (neither given) all of them, each batch once; see the module notes
        for the thread it runs on."""
        if folder_id is not None and account_id is not None:
            raise ValueError("subscribe to a folder or to an account, not both")
        if folder_id is not None:
            key: Key = ("folder", folder_id)
        elif account_id is not None:
            key = ("account", account_id)
        else:
            key = ("all", 0)
        subscription = Subscription(self, key, callback, next(self._tokens))
        self.start()
        self._index.setdefault(key, {})[subscription.token] = subscription
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        bucket = self._index.get(subscription.key)
        if bucket is not None:
            bucket.pop(subscription.token, None)

    def subscribers(self, folder_id: int) -> frozenset[int]:
        """Tokens of this process's subscriptions to ``folder_id`` itself (a copy: any thread)."""
        return frozenset(self._index.get(("folder", folder_id), {}).copy())

    def start(self) -> None:
        """Start this process's poller if it is not running (idempotent). Under gevent, call it on the
        event loop before a worker thread may subscribe: the poller is then a greenlet of that loop."""
        if self._thread is not None:
            return
        with self._starting:  # taken only until the poller runs (under gevent: on the event loop)
            if self._thread is not None:
                return
            self._last_id = self.latest_id()
            self._stop.clear()
            thread = threading.Thread(target=self._watch, name="fieldpost-changes", daemon=True)
            thread.start()
            self._thread = thread

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    def _dispatch(self) -> None:
        batch = self.since(self._last_id)
        while batch:
            self._last_id = batch[-1].id
            for subscription, changes in self._route(batch):
                # a broken subscriber must not stop the feed for everyone
                with contextlib.suppress(Exception):
                    subscription.callback(changes)
            batch = self.since(self._last_id)

    def _route(self, batch: list[Change]) -> list[tuple[Subscription, list[Change]]]:
        """Each subscription that asked for some of ``batch``, with those changes (in feed order)."""
        by_folder: dict[int, list[Change]] = {}
        by_account: dict[int, list[Change]] = {}
        for change in batch:
            by_folder.setdefault(change.folder_id, []).append(change)
            if change.account_id is not None:
                by_account.setdefault(change.account_id, []).append(change)
        routed = [(sub, batch) for sub in self._current(("all", 0))]
        for folder_id, changes in by_folder.items():
            routed += [(sub, changes) for sub in self._current(("folder", folder_id))]
        for account_id, changes in by_account.items():
            routed += [(sub, changes) for sub in self._current(("account", account_id))]
        return routed

    def _current(self, key: Key) -> list[Subscription]:
        bucket = self._index.get(key)
        return list(bucket.copy().values()) if bucket else []

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
                try:
                    current = conn.execute("PRAGMA data_version").fetchone()[0]
                    if current != version:
                        self._dispatch()
                        version = current
                except Exception:  # a busy or briefly unreadable database: the poller lives on and retries
                    self._stop.wait(1.0)
                self._stop.wait(POLL_SECONDS)
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
