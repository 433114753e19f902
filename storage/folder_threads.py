"""Conversations per folder (the ``folder_threads`` table), kept by the transactions that add and remove
messages.

Why a table: a threaded message list pages over conversations ordered by their newest message. Computing
that with GROUP BY reads every row of the folder; the table makes a page an index range scan over
``(folder_id, latest_date)``. Each row counts the folder's messages of one conversation
(``messages.thread_key``, storage.list_keys) and names the newest (its sort date and UID).

Called only inside a write transaction that has locked the folder row (PostgreSQL) or holds the write
lock (SQLite), so read-modify-write here cannot race another writer of the same folder. Costs: an add is
one read and one write per conversation touched; an expunge also re-reads the newest remaining message of
each conversation it touched (one index descent on ``ix_messages_folder_thread``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update

from storage import schema as s
from storage.names import as_utc

t = s.folder_threads
_T = TypeVar("_T")


def added(conn: Connection, folder_id: int, rows: Iterable[tuple[int, str, datetime]]) -> None:
    """Count new messages ``(uid, thread_key, sort_date)`` of one folder into their conversations."""
    fresh: dict[str, tuple[int, datetime, int]] = {}  # key -> (count, latest date, latest uid)
    for uid, key, date in rows:
        date = as_utc(date) or date
        count, latest, latest_uid = fresh.get(key, (0, date, uid))
        if (date, uid) > (latest, latest_uid):
            latest, latest_uid = date, uid
        fresh[key] = (count + 1, latest, latest_uid)
    if not fresh:
        return
    existing = {}
    for chunk in _in_chunks(sorted(fresh)):
        for r in conn.execute(
            select(t.c.thread_key, t.c.message_count, t.c.latest_date, t.c.latest_uid).where(
                t.c.folder_id == folder_id, t.c.thread_key.in_(chunk)
            )
        ):
            existing[r.thread_key] = r
    inserts, updates = [], []
    for key, (count, date, uid) in fresh.items():
        old = existing.get(key)
        if old is None:
            inserts.append(
                {"folder_id": folder_id, "thread_key": key, "message_count": count, "latest_date": date,
                 "latest_uid": uid}
            )  # fmt: skip
            continue
        old_date = as_utc(old.latest_date) or date
        newer = (date, uid) > (old_date, old.latest_uid)
        updates.append(
            {
                "k": key,
                "n": old.message_count + count,
                "d": date if newer else old_date,
                "u": uid if newer else old.latest_uid,
            }
        )
    if inserts:
        conn.execute(insert(t), inserts)
        _count(conn, folder_id, len(inserts))
    if updates:
        conn.execute(
            update(t)
            .where(t.c.folder_id == folder_id, t.c.thread_key == bindparam("k"))
            .values(message_count=bindparam("n"), latest_date=bindparam("d"), latest_uid=bindparam("u")),
            updates,
        )


def added_to_folders(
    conn: Connection, key: str, date: datetime, placed: Sequence[tuple[int, int]], *, count: bool = True
) -> list[int]:
    """One new message of conversation ``key`` in each of several folders (``(folder_id, uid)``), in a
    fixed number of statements: the delivery to many mailboxes. Returns the folders where the message
    started a conversation; their ``thread_count`` is raised here unless ``count`` is False (the
    delivery folds it into the folder update it makes anyway: one statement fewer)."""
    date = as_utc(date) or date
    existing = {}
    for chunk in _in_chunks([fid for fid, _ in placed]):
        for r in conn.execute(_LATEST_OF_FOLDERS, {"key": key, "fids": chunk}):
            existing[r.folder_id] = r
    inserts, updates, started = [], [], []
    for fid, uid in placed:
        old = existing.get(fid)
        if old is None:
            started.append(fid)
            inserts.append(
                {
                    "folder_id": fid,
                    "thread_key": key,
                    "message_count": 1,
                    "latest_date": date,
                    "latest_uid": uid,
                }
            )
            continue
        old_date = as_utc(old.latest_date) or date
        newer = (date, uid) > (old_date, old.latest_uid)
        updates.append(
            {"f": fid, "k": key, "d": date if newer else old_date, "u": uid if newer else old.latest_uid}
        )
    if inserts:
        conn.execute(_INSERT_THREAD, inserts)
        if count:
            conn.execute(_ONE_MORE_THREAD, [{"fid": fid} for fid in started])
    if updates:
        conn.execute(_ONE_MORE_MESSAGE, updates)
    return started


# added_to_folders' statements, built once (it runs at every delivery)
_LATEST_OF_FOLDERS = select(t.c.folder_id, t.c.latest_date, t.c.latest_uid).where(
    t.c.thread_key == bindparam("key"), t.c.folder_id.in_(bindparam("fids", expanding=True))
)
_INSERT_THREAD = insert(t)
_ONE_MORE_THREAD = (
    update(s.folders)
    .where(s.folders.c.id == bindparam("fid"))
    .values(thread_count=s.folders.c.thread_count + 1)
)
_ONE_MORE_MESSAGE = (
    update(t)
    .where(t.c.folder_id == bindparam("f"), t.c.thread_key == bindparam("k"))
    .values(message_count=t.c.message_count + 1, latest_date=bindparam("d"), latest_uid=bindparam("u"))
)


def _count(conn: Connection, folder_id: int, delta: int) -> None:
    conn.execute(
        update(s.folders)
        .where(s.folders.c.id == folder_id)
        .values(thread_count=s.folders.c.thread_count + delta)
    )


def _in_chunks(items: list[_T]) -> Iterator[list[_T]]:
    """IN lists of at most 500 values (SQLite's default limit on bound parameters is far above)."""
    for i in range(0, len(items), 500):
        yield items[i : i + 500]


def removed(conn: Connection, folder_id: int, keys: Iterable[str]) -> None:
    """Recount the conversations of messages just deleted from one folder (``keys``: one per message)."""
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    m = s.messages
    for key, n in counts.items():
        newest = conn.execute(
            select(m.c.uid, m.c.sort_date)
            .where(m.c.folder_id == folder_id, m.c.thread_key == key)
            .order_by(m.c.sort_date.desc(), m.c.uid.desc())
            .limit(1)
        ).first()
        where = (t.c.folder_id == folder_id) & (t.c.thread_key == key)
        if newest is None:
            conn.execute(delete(t).where(where))
            _count(conn, folder_id, -1)
        else:
            conn.execute(
                update(t)
                .where(where)
                .values(
                    message_count=t.c.message_count - n, latest_date=newest.sort_date, latest_uid=newest.uid
                )
            )


def rebuild(conn: Connection) -> None:
    """Recount every conversation from the messages (after a reindex changed their keys)."""
    conn.execute(delete(t))
    conn.execute(
        text(
            "INSERT INTO folder_threads (folder_id, thread_key, message_count, latest_date, latest_uid) "
            "SELECT folder_id, thread_key, COUNT(*), MAX(sort_date), 0 FROM messages "
            "GROUP BY folder_id, thread_key"
        )
    )
    conn.execute(
        text(
            "UPDATE folder_threads SET latest_uid = (SELECT MAX(m.uid) FROM messages m "
            "WHERE m.folder_id = folder_threads.folder_id AND m.thread_key = folder_threads.thread_key "
            "AND m.sort_date = folder_threads.latest_date)"
        )
    )
    conn.execute(
        text(
            "UPDATE folders SET thread_count = "
            "(SELECT COUNT(*) FROM folder_threads t WHERE t.folder_id = folders.id)"
        )
    )
