"""Reading messages: UIDs, flags, summaries, raw bytes, expunged UIDs and full-text search.

The system path checks no rights; users read through store.for_user (storage.usermail).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, bindparam, select

from storage import dialect
from storage import flags as fl
from storage import schema as s
from storage.errors import NotFound
from storage.mail_bodies import _chunks
from storage.models import FlagChange, MessageInfo
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store


class MailReading:
    """Read-only queries over one folder's messages."""

    store: Store

    # -- reading (system: no rights checked; users read through store.for_user) ---------------------

    def uids(self, folder_id: int) -> list[int]:
        with self.store.db.read() as conn:
            return self.uids_in(conn, folder_id)

    def uids_in(self, conn: Connection, folder_id: int) -> list[int]:
        """All UIDs of a folder in order: what IMAP SELECT needs to map sequence numbers."""
        return [
            int(u)
            for u in conn.execute(
                select(s.messages.c.uid).where(s.messages.c.folder_id == folder_id).order_by(s.messages.c.uid)
            ).scalars()
        ]

    def flags(
        self, folder_id: int, uids: Iterable[int] | None = None, *, changed_since: int | None = None
    ) -> list[FlagChange]:
        with self.store.db.read() as conn:
            return self.flags_in(conn, folder_id, uids, changed_since=changed_since)

    def flags_in(
        self,
        conn: Connection,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
    ) -> list[FlagChange]:
        """(uid, flags, modseq) of messages, in UID order: FETCH FLAGS and resync without the bodies table."""
        q = _FLAGS[(changed_since is not None, uids is not None)]
        params: dict[str, Any] = {"folder_id": folder_id, "since": changed_since}
        if uids is None:
            rows = list(conn.execute(q, params))
        else:
            rows = []
            for chunk in _chunks(sorted(set(uids)), 500):
                rows.extend(conn.execute(q, {**params, "uids": chunk}))
        decoded: dict[tuple[int, str], frozenset[str]] = {}
        out = []
        for uid, bits, keywords, modseq in rows:
            names = decoded.get((bits, keywords))
            if names is None:
                names = decoded[(bits, keywords)] = fl.decode(bits, keywords)
            out.append(FlagChange(uid, names, modseq))
        return out

    def info(
        self,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]:
        with self.store.db.read() as conn:
            return self.info_in(
                conn, folder_id, uids, changed_since=changed_since, with_structure=with_structure
            )

    def info_in(
        self,
        conn: Connection,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]:
        """Cached metadata of messages (all, or the given UIDs), in UID order. Never touches blobs."""
        q = _INFO[(with_structure, changed_since is not None, uids is not None)]
        params: dict[str, Any] = {"folder_id": folder_id, "since": changed_since}
        rows: list[Any] = []
        if uids is None:
            rows = list(conn.execute(q, params))
        else:
            for chunk in _chunks(sorted(set(uids)), 500):
                rows.extend(conn.execute(q, {**params, "uids": chunk}))
        return [
            message_info(r, folder_id, message_id=r.id, structure=r.structure if with_structure else "")
            for r in rows
        ]

    def raw(self, folder_id: int, uid: int, *, start: int = 0, end: int | None = None) -> bytes:
        with self.store.db.read() as conn:
            sha = self.sha_in(conn, folder_id, uid)
        return self.store.blobs.read(sha, start, end)

    def sha_in(self, conn: Connection, folder_id: int, uid: int) -> str:
        """The blob name of a message's body.

        Raises:
            NotFound: no such message in the folder.
        """
        sha = conn.execute(
            select(s.bodies.c.sha256)
            .join(s.messages, s.messages.c.body_id == s.bodies.c.id)
            .where(s.messages.c.folder_id == folder_id, s.messages.c.uid == uid)
        ).scalar()
        if sha is None:
            raise NotFound(f"message {uid} does not exist")
        return str(sha)

    def iter_raw(self, address: str, folder: str) -> Iterator[tuple[int, bytes, datetime, frozenset[str]]]:
        """(uid, bytes, internal date, flags) for every message of a folder, for export; streams."""
        fid = self.store.folders.get(address, folder).id
        last = 0
        while True:
            batch = [m for m in self.info(fid, None, with_structure=False) if m.uid > last][:200]
            if not batch:
                return
            for m in batch:
                yield m.uid, self.store.blobs.read(m.sha256), m.internal_date, m.flags
            last = batch[-1].uid

    def expunged_since(self, folder_id: int, modseq: int) -> list[int]:
        with self.store.db.read() as conn:
            return self.expunged_since_in(conn, folder_id, modseq)

    def expunged_since_in(self, conn: Connection, folder_id: int, modseq: int) -> list[int]:
        """UIDs expunged after ``modseq`` (QRESYNC VANISHED, RFC 7162 3.2.10)."""
        return [
            int(u) for u in conn.execute(_EXPUNGED_SINCE, {"folder_id": folder_id, "since": modseq}).scalars()
        ]

    def search(self, folder_id: int, query: str, *, where: str = "all") -> list[int]:
        with self.store.db.read() as conn:
            return self.search_in(conn, folder_id, query, where=where)

    def search_in(self, conn: Connection, folder_id: int, query: str, *, where: str = "all") -> list[int]:
        """UIDs whose text matches every word of ``query`` (case- and diacritic-insensitive, word prefix).

        ``where`` is "all", "headers" (From, To, Cc, Subject) or "body".
        """
        words = search_words(query)
        if not words:
            return []
        return dialect.search_uids(conn, folder_id, words, where)


def search_words(query: str) -> list[str]:
    """The words of a search string, lower-cased; punctuation separates words as in the index."""
    return [w for w in re.findall(r"[^\W_]+", query.lower()) if w][:32]


def message_info(row: Any, folder_id: int, *, message_id: int, structure: str) -> MessageInfo:
    """A message row joined with its body row, as the detached value callers get (also for held rows)."""
    return MessageInfo(
        id=message_id,
        folder_id=folder_id,
        uid=row.uid,
        modseq=row.modseq,
        flags=fl.decode(row.flags, row.keywords),
        internal_date=as_utc(row.internal_date) or utcnow(),
        size=row.size,
        body_id=row.body_id,
        sha256=row.sha256,
        structure=structure,
        subject=row.subject,
        from_display=row.from_display,
        snippet=row.snippet,
        has_attachments=row.has_attachments,
    )


# The statements of the hot reads (every IMAP command's updates, FETCH), built once per variant:
# SQLAlchemy then reuses each one's cache key and compiled form instead of building and keying a new
# select() per call (bench/README.md, "Server CPU per IMAP command"). Keys: (changed_since given, uids
# given), and for _INFO with_structure first; "uids" is an expanding IN list.
def _variants(base: Select[Any], uid: Any, modseq: Any) -> dict[tuple[bool, bool], Select[Any]]:
    out = {}
    for since in (False, True):
        for some in (False, True):
            q = base.where(modseq > bindparam("since")) if since else base
            q = q.where(uid.in_(bindparam("uids", expanding=True))) if some else q
            out[(since, some)] = q.order_by(uid)
    return out


_M = s.messages
_FLAGS = _variants(
    select(_M.c.uid, _M.c.flags, _M.c.keywords, _M.c.modseq).where(_M.c.folder_id == bindparam("folder_id")),
    _M.c.uid,
    _M.c.modseq,
)
_INFO_COLUMNS = [
    _M.c.id,
    _M.c.uid,
    _M.c.modseq,
    _M.c.flags,
    _M.c.keywords,
    _M.c.internal_date,
    _M.c.size,
    _M.c.body_id,
    s.bodies.c.sha256,
    s.bodies.c.subject,
    s.bodies.c.from_display,
    s.bodies.c.snippet,
    s.bodies.c.has_attachments,
]
_INFO = {
    (structure, *key): q
    for structure in (False, True)
    for key, q in _variants(
        select(*_INFO_COLUMNS, *([s.bodies.c.structure] if structure else []))
        .join(s.bodies, s.bodies.c.id == _M.c.body_id)
        .where(_M.c.folder_id == bindparam("folder_id")),
        _M.c.uid,
        _M.c.modseq,
    ).items()
}
_EXPUNGED_SINCE = (
    select(s.expunged.c.uid)
    .where(s.expunged.c.folder_id == bindparam("folder_id"), s.expunged.c.modseq > bindparam("since"))
    .order_by(s.expunged.c.uid)
)
