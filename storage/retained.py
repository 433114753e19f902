"""Expunged messages kept readable for the sessions not yet told of the expunge (RFC 2180 4.1.1).

Why: an IMAP session keeps its sequence numbers until it is told of an EXPUNGE, which may only happen
between commands; until then its client may FETCH a message another session expunged, and clients
and sync tools expect the data (RFC 2180 4.1.1, as Dovecot does) rather than NO [EXPUNGEISSUED]. After
the expunge the message row is gone and its body may be collected at once, so what is still known
must be taken before: when this process expunges messages of a folder that other sessions of the
process have selected, their cached metadata (flags, MODSEQ, date, size, MIME structure) and an open
reader of each body are kept here, keyed by folder and UID, until every such session has been told
(or has left the folder). No folder is scanned: only the expunged rows, which the expunge reads anyway.

Implementation notes:
- Process-local and opt-in: a protocol process that keeps sessions registers ``watchers`` (folder id
  -> keys of the sessions with it selected); other processes never capture anything. Expunges made by
  another process (another IMAP worker of the pool, WebMail, the CLI) are not covered: there the answer
  stays NO [EXPUNGEISSUED]. Covering them needs the expunged row to keep the body reference and the
  metadata for a while (a schema change), which this module would then read instead.
- Captured inside the expunging transaction (the blob files still exist, the collector runs after the
  commit); published only after the commit, so a rolled-back expunge leaves nothing behind. An open
  reader keeps its blob's bytes after the collector unlinks it (POSIX); a released reader is not
  closed explicitly (a FETCH may still stream from it) but when its last reference goes, and then
  nothing of the message is left on disk.
- At most ``MAX_HELD`` messages per process, and never more than an eighth of the process's file
  descriptor limit (each holds a descriptor, and connections need theirs); past that, messages are
  not retained and their FETCH answers NO [EXPUNGEISSUED] as before.
- Used from the event loop and from worker threads: every change is a single dict or set operation
  (atomic under the GIL), no lock is shared between them.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import flags as fl
from storage import schema as s
from storage.blobs import BlobReader
from storage.errors import NotFound
from storage.models import MessageInfo
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

MAX_HELD = 500


def max_held() -> int:
    """MAX_HELD, or an eighth of the soft file descriptor limit when that is smaller."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return MAX_HELD if soft == resource.RLIM_INFINITY else min(MAX_HELD, soft // 8)


@dataclass
class RetainedMessage:
    """What is still known of an expunged message: its last metadata and an open body reader."""

    info: MessageInfo
    reader: BlobReader
    waiting: set[int] = field(default_factory=set)  # keys of the sessions not yet told


class Retained:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.watchers: Callable[[int], frozenset[int]] | None = None
        self._held: dict[int, dict[int, RetainedMessage]] = {}  # folder id -> uid -> message

    def count(self) -> int:
        return sum(len(by_uid) for by_uid in list(self._held.values()))

    def capture(self, conn: Connection, folder_id: int, rows: Sequence[Any]) -> None:
        """Inside an expunge: keep ``rows`` (messages rows about to be deleted) for the sessions that
        have the folder selected, when more than one has (the expunging one is told at once)."""
        if self.watchers is None or not rows:
            return
        waiting = self.watchers(folder_id)
        room = max_held() - self.count()
        if len(waiting) < 2 or room <= 0:
            return
        rows = list(rows)[:room]
        bodies = {
            b.id: b
            for b in conn.execute(
                select(s.bodies.c.id, s.bodies.c.sha256, s.bodies.c.structure).where(
                    s.bodies.c.id.in_(sorted({r.body_id for r in rows}))
                )
            )
        }
        kept: list[RetainedMessage] = []
        for r in rows:
            body = bodies.get(r.body_id)
            if body is None:
                continue
            try:
                reader = self.store.blobs.reader(body.sha256)
            except NotFound:
                continue
            info = MessageInfo(
                id=r.id,
                folder_id=folder_id,
                uid=r.uid,
                modseq=r.modseq,
                flags=fl.decode(r.flags, r.keywords),
                internal_date=as_utc(r.internal_date) or utcnow(),
                size=r.size,
                body_id=r.body_id,
                sha256=body.sha256,
                structure=body.structure,
            )
            kept.append(RetainedMessage(info, reader, set(waiting)))
        if kept:
            conn.info["after_commit"].append(lambda: self._publish(folder_id, kept))

    def _publish(self, folder_id: int, kept: list[RetainedMessage]) -> None:
        by_uid = self._held.setdefault(folder_id, {})
        for message in kept:
            by_uid[message.info.uid] = message

    def get(self, folder_id: int, uids: Iterable[int]) -> dict[int, RetainedMessage]:
        """The retained messages among ``uids`` of a folder."""
        by_uid = self._held.get(folder_id)
        if not by_uid:
            return {}
        return {u: m for u in uids if (m := by_uid.get(u)) is not None}

    def release(self, folder_id: int, key: int, uids: Iterable[int] | None = None) -> None:
        """Session ``key`` was told of the expunge of ``uids`` (None: it left the folder)."""
        by_uid = self._held.get(folder_id)
        if not by_uid:
            return
        for uid in list(by_uid) if uids is None else uids:
            message = by_uid.get(uid)
            if message is None:
                continue
            message.waiting.discard(key)
            if not message.waiting:
                # not closed here: a FETCH may still be streaming from it; the last reference closes it
                by_uid.pop(uid, None)
        if not by_uid:
            self._held.pop(folder_id, None)
