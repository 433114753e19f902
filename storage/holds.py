"""Expunged messages held readable for the IMAP sessions not yet told of the expunge (RFC 2180 4.1.1).

Why: an IMAP session keeps its sequence numbers until it is told of an EXPUNGE, which may only happen
between certain commands (RFC 3501 7.4.1); until then its client may FETCH a message that someone else
expunged, and clients and sync tools expect the data (RFC 2180 4.1.1) rather than NO [EXPUNGEISSUED]. The
expunge may come from any process: another IMAP worker of the pool, WebMail, the CLI, a Sieve script in
the processing service. None of them knows which sessions elsewhere have the folder selected, so every
expunge keeps what FETCH needs, in the database, for a fixed time: ``imap.expunged_hold_seconds``
(default 35 minutes: longer than an IMAP session may stay silent, ``net.imap.idle_seconds`` 30 minutes,
or idle in IDLE, 31 minutes, since a session hears of the expunge at its next command or at once in IDLE).

Implementation notes:

* ``keep`` runs inside the expunging transaction (``Mail._expunge_rows``, also for MOVE): one
  ``expunged_holds`` row per deleted ``messages`` row, with its flags, MODSEQ, date and size, which
  takes over that row's reference on its body (``bodies.refcount`` is not decreased). So the body row,
  with the envelope and MIME structure parsed once at delivery, and its blob file stay as they were; no
  byte is copied. A rolled-back expunge leaves nothing.
* ``held_in`` reads by primary key (folder, uid) with a join to ``bodies``: no folder is scanned. It
  checks no rights: users reach it through ``storage.usermail.FolderReader``, granted only with "r".
* ``release_expired`` (the processing service's housekeeping) deletes the holds whose time is over and
  drops their references; bodies left with none are collected after the commit (``Mail.release_bodies``).
  Until then a hold past its time is still answered: its body is still referenced.
* Deleting a folder releases its holds at once (``release_folder``): nobody can FETCH from it any more.
  ``storage check`` counts holds among a body's references (storage.check).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, tuple_

from storage import dialect
from storage import schema as s
from storage import settings as settings_registry
from storage.mail_bodies import _chunks
from storage.mail_reading import message_info
from storage.models import MessageInfo
from storage.names import utcnow

if TYPE_CHECKING:
    from storage.store import Store

HOLD_SETTING = "imap.expunged_hold_seconds"


class ExpungedHolds:
    def __init__(self, store: Store) -> None:
        self.store = store

    def keep(self, conn: Connection, folder_id: int, rows: Sequence[Any]) -> bool:
        """Inside an expunge: hold ``rows`` (the ``messages`` rows about to be deleted) with their body
        references. Returns False when holding is off (the caller then releases the references)."""
        seconds = int(settings_registry.effective(conn, HOLD_SETTING))
        if seconds <= 0 or not rows:
            return False
        until = utcnow() + timedelta(seconds=seconds)
        conn.execute(
            insert(s.expunged_holds),
            [
                {
                    "folder_id": folder_id,
                    "uid": r.uid,
                    "message_id": r.id,
                    "body_id": r.body_id,
                    "modseq": r.modseq,
                    "flags": r.flags,
                    "keywords": r.keywords,
                    "internal_date": r.internal_date,
                    "size": r.size,
                    "held_until": until,
                }
                for r in rows
            ],
        )
        return True

    def held(self, folder_id: int, uids: Iterable[int]) -> list[MessageInfo]:
        with self.store.db.read() as conn:
            return self.held_in(conn, folder_id, uids)

    def held_in(self, conn: Connection, folder_id: int, uids: Iterable[int]) -> list[MessageInfo]:
        """What is still known of the expunged messages ``uids`` of a folder, in UID order (those no
        longer held are left out). No rights are checked here (see the module docstring)."""
        h, b = s.expunged_holds, s.bodies
        q = (
            select(
                h.c.uid,
                h.c.message_id,
                h.c.modseq,
                h.c.flags,
                h.c.keywords,
                h.c.internal_date,
                h.c.size,
                h.c.body_id,
                b.c.sha256,
                b.c.structure,
                b.c.subject,
                b.c.from_display,
                b.c.snippet,
                b.c.has_attachments,
            )
            .join(b, b.c.id == h.c.body_id)
            .where(h.c.folder_id == folder_id)
        )
        rows: list[Any] = []
        for chunk in _chunks(sorted(set(uids)), 500):
            rows.extend(conn.execute(q.where(h.c.uid.in_(chunk)).order_by(h.c.uid)))
        return [message_info(r, folder_id, message_id=r.message_id, structure=r.structure) for r in rows]

    def count(self) -> int:
        """How many expunged messages are held now (expired ones not yet released included)."""
        with self.store.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(s.expunged_holds)).scalar_one())

    def release_expired(self, *, now: datetime | None = None, batch: int = 1000) -> int:
        """Release the holds whose time is over (housekeeping); returns how many were released."""
        now = now or utcnow()
        h = s.expunged_holds
        released = 0
        while True:
            with self.store.db.write() as conn:
                q = select(h.c.folder_id, h.c.uid, h.c.body_id).where(h.c.held_until <= now).limit(batch)
                q = dialect.lock_rows(conn, q, skip_locked=True)  # another housekeeper takes the others
                rows = conn.execute(q).all()
                self._release(conn, rows)
            released += len(rows)
            if len(rows) < batch:
                return released

    def release_folder(self, conn: Connection, folder_id: int) -> None:
        """A folder is being deleted (inside the caller's transaction): release its holds."""
        h = s.expunged_holds
        rows = conn.execute(
            select(h.c.folder_id, h.c.uid, h.c.body_id).where(h.c.folder_id == folder_id)
        ).all()
        self._release(conn, rows)

    def _release(self, conn: Connection, rows: Sequence[Any]) -> None:
        if not rows:
            return
        h = s.expunged_holds
        keys = [(r.folder_id, r.uid) for r in rows]
        for start in range(0, len(keys), 500):
            conn.execute(h.delete().where(tuple_(h.c.folder_id, h.c.uid).in_(keys[start : start + 500])))
        counts: dict[int, int] = {}
        for r in rows:
            counts[int(r.body_id)] = counts.get(int(r.body_id), 0) + 1
        self.store.mail.release_bodies(conn, counts)
