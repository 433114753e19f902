"""\\Recent (RFC 3501 2.3.2) kept in the database: a new message is recent in exactly one session.

The first session to be told about a message (by SELECT, or by an EXISTS update while the folder is
selected read-write) gets it as recent; no other session does, whichever IMAP worker process serves
it. That needs one number per folder shared by every process: the highest UID already handed to a
session as recent (``folder_recent.uid``; no row: none yet). A session claiming UIDs above it gets those
and raises it; EXAMINE and STATUS only look (RFC 3501 6.3.2: EXAMINE does not take \\Recent away).

Implementation notes:
* UIDs only grow within a folder's UIDVALIDITY, so "above the mark" is "never announced as recent".
  A folder deleted and created again is a new row of ``folders``; its mark goes with the old one.
* A claim reads the mark first and writes only when it has UIDs above it, so SELECT of a folder with no
  new mail costs one read. The write locks the folder row (PostgreSQL ``FOR UPDATE``; SQLite's write
  transaction holds the database lock), so two sessions racing for the same new UIDs get disjoint sets.
* The write is a unit (``Database.write_unit``): on SQLite it runs on the group committer's thread and
  shares its commit with the other writes queued meanwhile, instead of a transaction and an fsync of
  its own on the gevent hub, which stalled every session of the process once per new message seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, insert, select, update

from storage import schema as s

if TYPE_CHECKING:
    from storage.store import Store


class Recent:
    def __init__(self, store: Store) -> None:
        self.db = store.db

    def claim(self, folder_id: int, uids: Sequence[int], claim: bool, *, mark: int | None = None) -> set[int]:
        """Which of ``uids`` are recent for the caller; with ``claim``, no other session gets them.
        ``mark``: the folder's mark (``mark_in``) when the caller read it with ``uids``, which spares
        the read here (SELECT reads it with the folder's messages)."""
        if not uids:
            return set()
        top = max(uids)
        if mark is None:
            with self.db.read() as conn:
                mark = _mark(conn, folder_id)
        if claim and top > mark:

            def unit(conn: Connection) -> int:
                conn.execute(_LOCK_FOLDER, {"folder_id": folder_id})
                return self.claim_in(conn, folder_id, top)

            mark = self.db.write_unit(unit)
        return {uid for uid in uids if uid > mark}

    def claim_in(self, conn: Connection, folder_id: int, top: int) -> int:
        """Raise the mark to ``top`` inside the caller's write transaction, which holds the folder's row
        locked (an append's); returns the mark before: UIDs above it up to ``top`` are the caller's."""
        held = _mark(conn, folder_id)
        if top > held:
            _raise_mark(conn, folder_id, top)
        return held

    def mark_in(self, conn: Connection, folder_id: int) -> int:
        """``mark`` inside the caller's transaction."""
        return _mark(conn, folder_id)

    def mark(self, folder_id: int) -> int:
        """The highest UID of the folder some session has been given as recent (0: none)."""
        with self.db.read() as conn:
            return _mark(conn, folder_id)


_MARK = select(s.folder_recent.c.uid).where(
    s.folder_recent.c.folder_id == bindparam("folder_id")
)  # built once


def _mark(conn: Connection, folder_id: int) -> int:
    value = conn.execute(_MARK, {"folder_id": folder_id}).scalar_one_or_none()
    return int(value or 0)


_LOCK_FOLDER = select(s.folders.c.id).where(s.folders.c.id == bindparam("folder_id")).with_for_update()
_SET_MARK = (
    update(s.folder_recent)
    .where(s.folder_recent.c.folder_id == bindparam("recent_folder"))  # not a column's name: an
    .values(uid=bindparam("mark"))  # UPDATE keeps those for its SET clause
)


def _raise_mark(conn: Connection, folder_id: int, uid: int) -> None:
    table = s.folder_recent
    done = conn.execute(_SET_MARK, {"recent_folder": folder_id, "mark": uid})
    if not done.rowcount:
        conn.execute(insert(table).values(folder_id=folder_id, uid=uid))
