"""A user's mail as a synchronising client (JMAP, RFC 8621) reads it: every mail folder the user may see
with its counters and sync points, messages by (folder, UID) across folders, conversations across
folders, and sorted, filtered pages over one or many folders.

``store.for_user(account_id).sync`` gives a :class:`MailSync`. It follows UserMail's rules
(storage.usermail): a folder without "l" does not exist, its messages need "r"; a message in a folder the
user may not read is simply not found (never an error that tells it exists).

Why a facet of its own: WebMail's list (storage.message_list) pages one folder at a time with a fixed set
of filters; a JMAP client asks for messages by id from any folder, for a conversation across folders and
for queries whose filters nest (AND/OR/NOT). Everything here still reads from the same indexes:

* a page in one folder is an index range on ``(folder_id, key, uid)`` (storage.list_keys), so a
  50-row page of a 100,000-message folder reads about 50 index entries past its position; a page of a
  whole folder (no condition but the folder) is walked from the nearer end of the index, the folder's
  stored count telling where that is;
* a page over several folders takes the first ``position + limit`` rows of each folder from its index
  and merges them (cost: folders x (position + limit) index entries, never the folders' sizes);
* text conditions go through the full-text index (word prefixes, diacritics folded) and keep at most
  ``SEARCH_CAP`` candidates per folder, the newest;
* counters come from the folder rows (messages, unseen, conversations); the unread conversations of a
  folder that is neither all read nor all unread are counted from its unseen messages (an index walk of
  the folder's conversation index, bounded by ``UNREAD_THREADS_CAP``: past it the count is a floor).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, exists, false, func, not_, or_, select, true

from storage import acl, dialect, folder_tree
from storage import flags as fl
from storage import schema as s
from storage.errors import InvalidInput, NotFound
from storage.folder_tree import TreeFolder
from storage.list_keys import fold
from storage.mail_reading import search_words
from storage.message_list import to_text
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.usermail import UserMail

SEARCH_CAP = 10_000  # full-text candidates kept per folder (the newest UIDs)
UNREAD_THREADS_CAP = 10_000  # unseen messages read to count a folder's unread conversations
MAX_POSITION = 100_000  # how deep a page may start (position + limit)
ANCHOR_CAP = 10_000  # rows walked to find an anchor
OTHER_USERS = "Other Users"  # IMAP's prefixes (sidecars/imap/names.py), for subscription names
PUBLIC_FOLDERS = "Public Folders"

m, b = s.messages, s.bodies

#: Sort keys a query may use: name -> column of ``messages`` (or of ``bodies`` for "to").
SORT_KEYS: dict[str, Any] = {
    "received": m.c.internal_date,
    "sent": m.c.sort_date,
    "size": m.c.size,
    "from": m.c.sort_from,
    "subject": m.c.sort_subject,
    "to": b.c.to_addrs,
}


@dataclass(frozen=True)
class SyncFolder:
    """One mail folder the user may see. Counters are None without "r" (as in the folder tree)."""

    tree: TreeFolder
    parent_id: int | None  # the parent folder, when the user may see it
    threads: int | None
    unread_threads: int | None
    highestmodseq: int
    uidnext: int
    subscribed: bool

    @property
    def id(self) -> int:
        return self.tree.id


@dataclass(frozen=True)
class SyncMessage:
    """What a client's list and reader know of a message without reading its blob."""

    folder_id: int
    uid: int
    modseq: int
    flags: frozenset[str]
    internal_date: datetime
    sent_at: datetime | None
    size: int
    thread_key: str
    subject: str
    from_display: str
    from_addr: str | None
    to: str
    message_id: str | None
    snippet: str
    has_attachments: bool
    structure: str
    sha256: str


@dataclass(frozen=True)
class Cond:
    """A leaf of a query's condition. ``kind`` and ``value``:

    folders (ids; any of them), received_before / received_after (datetime; before exclusive,
    after inclusive), min_size / max_size (int; max exclusive), flag (a system flag such as
    ``\\Seen``; set), keyword (an IMAP keyword; set, case-insensitive), thread_flag_some /
    thread_flag_none / thread_flag_all (a flag or keyword some/none/all messages of the conversation
    in the readable folders carry), has_attachment (bool), text_all / text_headers / text_body (words,
    as word prefixes), text_from / text_to / text_subject (a folded substring of that field, found
    through the index's word prefixes first).
    """

    kind: str
    value: Any


@dataclass(frozen=True)
class Op:
    """``and`` / ``or`` / ``not`` (none of) over conditions."""

    op: str
    items: tuple[Cond | Op, ...]


Condition = Cond | Op


@dataclass(frozen=True)
class Sort:
    key: str  # one of SORT_KEYS, or "flag" (by a flag or keyword: those that carry it last)
    ascending: bool = True
    flag: str = ""


@dataclass(frozen=True)
class QueryPage:
    keys: list[tuple[int, int]]  # (folder id, UID) in order
    position: int
    total: int | None  # None unless asked for
    folders: tuple[int, ...] = field(default=())  # the folders searched


class MailSync:
    """See the module docstring; made by ``UserMail.sync``."""

    def __init__(self, user: UserMail) -> None:
        self._user = user
        self._store = user.store
        self.account_id = user.account_id

    # -- folders ----------------------------------------------------------------------------------------

    def folders(self, *, unread_threads: bool = True) -> list[SyncFolder]:
        """Every mail folder the user may see (own, shared with them, their domain's public ones).
        ``unread_threads`` False leaves that count (the one that reads more than the folder row) None."""
        f = s.folders
        with self._store.db.read() as conn:
            tree = folder_tree.tree_in(conn, self.account_id, kind="mail")
            ids = [t.id for t in tree]
            rows = {r.id: r for r in conn.execute(select(f).where(f.c.id.in_(ids)))} if ids else {}
            subs = set(
                conn.execute(
                    select(s.subscriptions.c.name).where(s.subscriptions.c.account_id == self.account_id)
                ).scalars()
            )
            out = []
            for t in tree:
                row = rows[t.id]
                readable = t.readable
                parent = row.parent_id if row.parent_id in rows else None
                out.append(
                    SyncFolder(
                        tree=t,
                        parent_id=parent,
                        threads=int(row.thread_count) if readable else None,
                        unread_threads=_unread_threads(conn, row) if readable and unread_threads else None,
                        highestmodseq=int(row.highestmodseq),
                        uidnext=int(row.uidnext),
                        subscribed=subscription_name(t) in subs,
                    )
                )
            return out

    def readable_folders(self) -> list[int]:
        """Ids of the mail folders the user may read ("l" and "r")."""
        with self._store.db.read() as conn:
            return [t.id for t in folder_tree.tree_in(conn, self.account_id, kind="mail") if t.readable]

    def subscribe(self, folder_id: int, subscribed: bool) -> None:
        """Subscribe to (or unsubscribe from) a folder the user may see, under its IMAP name.

        Raises:
            NotFound: no such folder, or no "l".
        """
        tree = next((t for t in self._tree() if t.id == folder_id), None)
        if tree is None:
            raise NotFound(acl.NO_SUCH_FOLDER)
        account = self._store.accounts.by_id(self.account_id).address
        if subscribed:
            self._store.folders.subscribe(account, subscription_name(tree))
        else:
            self._store.folders.unsubscribe(account, subscription_name(tree))

    def _tree(self) -> list[TreeFolder]:
        with self._store.db.read() as conn:
            return folder_tree.tree_in(conn, self.account_id, kind="mail")

    # -- messages ---------------------------------------------------------------------------------------

    def messages(
        self,
        keys: Iterable[tuple[int, int]],
        *,
        bodies: bool = True,
        readable: Collection[int] | None = None,
    ) -> dict[tuple[int, int], SyncMessage]:
        """The messages of ``keys`` (folder id, UID) that exist in folders the user may read; the
        others are absent from the answer (no such message, folder or right: the same).

        ``bodies`` False reads the message rows alone (no join to the parsed bodies): the fields that
        come from the body (subject, sender, snippet, structure...) are then empty. For a client's
        resync, which asks only for keywords, it halves the read (bench/jmap_resync_cpu.py).

        ``readable``: the folders the user may read as the caller has just read them (``folders()``,
        whose tree holds the rights), so that the rights are not read again per folder."""
        by_folder: dict[int, list[int]] = {}
        for fid, uid in keys:
            by_folder.setdefault(fid, []).append(uid)
        out: dict[tuple[int, int], SyncMessage] = {}
        with self._store.db.read() as conn:
            for fid, uids in by_folder.items():
                if not (fid in readable if readable is not None else _may_read(conn, self.account_id, fid)):
                    continue
                for chunk in _chunks(sorted(set(uids)), 500):
                    q = (_message_select() if bodies else _row_select()).where(
                        m.c.folder_id == fid, m.c.uid.in_(chunk)
                    )
                    for r in conn.execute(q):
                        out[(fid, int(r.uid))] = _sync_message(r) if bodies else _row_message(r)
        return out

    def thread(self, thread_key: str) -> list[tuple[int, int]]:
        """(folder id, UID) of the conversation's messages in every folder the user may read, oldest
        first (by arrival, then folder and UID); at most 1,000."""
        if not thread_key:
            return []
        folders = self.readable_folders()
        if not folders:
            return []
        with self._store.db.read() as conn:
            rows = conn.execute(
                select(m.c.folder_id, m.c.uid)
                .where(m.c.folder_id.in_(folders), m.c.thread_key == thread_key)
                .order_by(m.c.internal_date, m.c.folder_id, m.c.uid)
                .limit(1000)
            ).all()
        return [(int(r.folder_id), int(r.uid)) for r in rows]

    def changed_since(
        self, folder_id: int, modseq: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(UID, MODSEQ) of the folder's messages changed or added after ``modseq``, and (UID, MODSEQ) of
        those expunged after it, each in MODSEQ order (RFC 7162's CONDSTORE/QRESYNC data).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        e = s.expunged
        with self._store.db.read() as conn:
            acl.require(conn, self.account_id, folder_id, "r")
            changed = conn.execute(
                select(m.c.uid, m.c.modseq)
                .where(m.c.folder_id == folder_id, m.c.modseq > modseq)
                .order_by(m.c.modseq, m.c.uid)
            ).all()
            gone = conn.execute(
                select(e.c.uid, e.c.modseq)
                .where(e.c.folder_id == folder_id, e.c.modseq > modseq)
                .order_by(e.c.modseq, e.c.uid)
            ).all()
        return [(int(r.uid), int(r.modseq)) for r in changed], [(int(r.uid), int(r.modseq)) for r in gone]

    # -- queries ----------------------------------------------------------------------------------------

    def query(
        self,
        condition: Condition | None,
        sort: Sequence[Sort] = (Sort("received", False),),
        *,
        position: int = 0,
        limit: int = 50,
        anchor: tuple[int, int] | None = None,
        anchor_offset: int = 0,
        collapse_threads: bool = False,
        total: bool = False,
        readable: Sequence[int] | None = None,
    ) -> QueryPage:
        """A sorted page of the messages matching ``condition`` in the folders the user may read (a
        ``folders`` condition at the top narrows them). ``position`` may be negative (from the end, as
        JMAP's); with ``anchor`` the page starts ``anchor_offset`` rows from it (NotFound when it is not
        in the result). ``collapse_threads`` keeps each conversation's first message only. ``readable``:
        the ids of the folders the user may read as the caller has just read them (``folders()``), so
        that the folder tree and its rights are not read a second time for the same method call.

        Raises:
            InvalidInput: an unknown sort or condition, a page deeper than MAX_POSITION.
            NotFound: the anchor is not in the result.
        """
        for key in sort:
            if key.key not in SORT_KEYS and key.key != "flag":
                raise InvalidInput(f"unknown sort {key.key!r}")
        if limit < 0 or position > MAX_POSITION or limit > MAX_POSITION:
            raise InvalidInput(f"a page must lie within the first {MAX_POSITION} results")
        folders = _narrowed(list(readable) if readable is not None else self.readable_folders(), condition)
        with self._store.db.read() as conn:
            matches = _expr(conn, condition, folders) if folders and condition is not None else true()
            where = and_(m.c.folder_id.in_(folders), matches) if folders else false()
            count = None
            whole = condition is None or (isinstance(condition, Cond) and condition.kind == "folders")
            if total or position < 0:
                count = _count(conn, folders, where, collapse_threads, whole) if folders else 0
            if position < 0:
                position = max(0, (count or 0) + position)
            if anchor is not None:
                index = self._index_of(conn, folders, matches, sort, anchor, collapse_threads)
                position = max(0, index + anchor_offset)
            if len(folders) == 1 and whole and not collapse_threads and position > 0:
                keys = _from_nearer_end(conn, folders[0], sort, position, limit, count)
            else:
                keys = (
                    _ordered(conn, folders, matches, sort, position, limit, collapse_threads)
                    if folders
                    else []
                )
        return QueryPage(keys, position, count, tuple(folders))

    def positions(
        self,
        condition: Condition | None,
        sort: Sequence[Sort],
        keys: Mapping[tuple[int, int], object],
        *,
        collapse_threads: bool = False,
        up_to: tuple[int, int] | None = None,
        cap: int = MAX_POSITION,
        readable: Sequence[int] | None = None,
    ) -> dict[tuple[int, int], int] | None:
        """Where ``keys`` (folder id, UID) stand in the query's results (index from 0), for JMAP's
        Email/queryChanges: each key maps to its group (its conversation when threads are collapsed, so
        the group's member that heads the results is the one found; else anything unique to it). The
        keys that do not match ``condition`` are dropped first (one read by UID), so the walk of the
        results from the top stops as soon as every group with a matching key is found, or just after
        ``up_to`` (the client holds nothing beyond it), or at the end of the results.

        Returns the index of each key found, or None when the walk would have to go past ``cap`` rows.
        ``readable``: as for :meth:`query`.
        """
        folders = _narrowed(list(readable) if readable is not None else self.readable_folders(), condition)
        if not folders or not keys:
            return {}
        with self._store.db.read() as conn:
            matches = _expr(conn, condition, folders) if condition is not None else true()
            live: set[object] = set()
            by_folder: dict[int, list[int]] = {}
            for fid, uid in keys:
                if fid in folders:
                    by_folder.setdefault(fid, []).append(uid)
            for fid, uids in by_folder.items():
                for chunk in _chunks(sorted(set(uids)), 500):
                    q = select(m.c.uid).where(m.c.folder_id == fid, m.c.uid.in_(chunk), matches)
                    live.update(keys[(fid, int(uid))] for uid in conn.execute(q).scalars())
            if not live:
                return {}
            want = 256
            while True:
                walked = _ordered(conn, folders, matches, sort, 0, min(want, cap), collapse_threads)
                found: dict[tuple[int, int], int] = {}
                pending = set(live)
                for index, key in enumerate(walked):
                    if key in keys:
                        found[key] = index
                        pending.discard(keys[key])
                    if not pending or key == up_to:
                        return found
                if len(walked) < min(want, cap):
                    return found
                if want >= cap:
                    return None
                want *= 4

    def _index_of(
        self,
        conn: Connection,
        folders: list[int],
        where: ColumnElement[bool],
        sort: Sequence[Sort],
        anchor: tuple[int, int],
        collapse: bool,
    ) -> int:
        keys = _ordered(conn, folders, where, sort, 0, ANCHOR_CAP, collapse) if folders else []
        try:
            return keys.index(anchor)
        except ValueError:
            raise NotFound("the anchor is not in the results") from None


# -- helpers ---------------------------------------------------------------------------------------------


def subscription_name(t: TreeFolder) -> str:
    """The folder's IMAP name, under which subscriptions are kept (storage.folders.subscribe)."""
    if t.section == "personal":
        return "INBOX" if t.role == "inbox" or t.path.upper() == "INBOX" else t.path
    if t.section == "shared":
        return f"{OTHER_USERS}/{t.owner}/{t.path}"
    return f"{PUBLIC_FOLDERS}/{t.path}"


def _may_read(conn: Connection, account_id: int, folder_id: int) -> bool:
    """A mail folder the account may look up and read (False for no such folder, too)."""
    try:
        rights = acl.rights_for(conn, account_id, folder_id)
    except NotFound:
        return False
    if "l" not in rights or "r" not in rights:
        return False
    kind = conn.execute(select(s.folders.c.kind).where(s.folders.c.id == folder_id)).scalar()
    return kind == "mail"


def _unread_threads(conn: Connection, row: Any) -> int:
    if not row.unseen_count:
        return 0
    if row.unseen_count == row.message_count:
        return int(row.thread_count)
    unseen = (
        select(m.c.thread_key)
        .where(m.c.folder_id == row.id, m.c.flags.op("&")(fl.SEEN) == 0)
        .limit(UNREAD_THREADS_CAP)
        .subquery()
    )
    return int(conn.execute(select(func.count(func.distinct(unseen.c.thread_key)))).scalar_one())


def _message_select() -> Any:
    return select(
        m.c.folder_id, m.c.uid, m.c.modseq, m.c.flags, m.c.keywords, m.c.internal_date, m.c.size,
        m.c.thread_key, b.c.sent_at, b.c.subject, b.c.from_display, b.c.from_addr, b.c.to_addrs,
        b.c.message_id, b.c.snippet, b.c.has_attachments, b.c.structure, b.c.sha256,
    ).join(b, b.c.id == m.c.body_id)  # fmt: skip


def _row_select() -> Any:
    return select(
        m.c.folder_id,
        m.c.uid,
        m.c.modseq,
        m.c.flags,
        m.c.keywords,
        m.c.internal_date,
        m.c.size,
        m.c.thread_key,
    )


def _row_message(r: Any) -> SyncMessage:
    """A SyncMessage of the message row alone (``messages(bodies=False)``)."""
    return SyncMessage(
        folder_id=int(r.folder_id),
        uid=int(r.uid),
        modseq=int(r.modseq),
        flags=fl.decode(r.flags, r.keywords),
        internal_date=as_utc(r.internal_date) or utcnow(),
        sent_at=None,
        size=int(r.size),
        thread_key=r.thread_key,
        subject="",
        from_display="",
        from_addr=None,
        to="",
        message_id=None,
        snippet="",
        has_attachments=False,
        structure="",
        sha256="",
    )


def _sync_message(r: Any) -> SyncMessage:
    return SyncMessage(
        folder_id=int(r.folder_id),
        uid=int(r.uid),
        modseq=int(r.modseq),
        flags=fl.decode(r.flags, r.keywords),
        internal_date=as_utc(r.internal_date) or utcnow(),
        sent_at=as_utc(r.sent_at),
        size=int(r.size),
        thread_key=r.thread_key,
        subject=r.subject,
        from_display=r.from_display,
        from_addr=r.from_addr,
        to=r.to_addrs,
        message_id=r.message_id,
        snippet=r.snippet,
        has_attachments=bool(r.has_attachments),
        structure=r.structure,
        sha256=r.sha256,
    )


def _chunks(items: list[int], n: int) -> Iterable[list[int]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _narrowed(readable: list[int], condition: Condition | None) -> list[int]:
    """The readable folders a top-level ``folders`` condition (alone or in a top AND) allows."""
    allowed = set(readable)
    tops: list[Condition] = []
    if isinstance(condition, Cond):
        tops = [condition]
    elif isinstance(condition, Op) and condition.op == "and":
        tops = list(condition.items)
    for c in tops:
        if isinstance(c, Cond) and c.kind == "folders":
            allowed &= {int(x) for x in c.value}
    return [f for f in readable if f in allowed]


def _flag_expr(name: str, column_flags: Any = None, column_keywords: Any = None) -> ColumnElement[bool]:
    flags = m.c.flags if column_flags is None else column_flags
    keywords = m.c.keywords if column_keywords is None else column_keywords
    if name.startswith("\\"):
        bit = fl.SYSTEM.get(next((k for k in fl.SYSTEM if k.lower() == name.lower()), ""), 0)
        if not bit:
            raise InvalidInput(f"unknown system flag {name}")
        return flags.op("&")(bit) != 0
    word = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(" " + keywords + " ").like(f"% {word} %", escape="\\")


def _expr(conn: Connection, c: Condition, folders: list[int]) -> ColumnElement[bool]:
    if isinstance(c, Op):
        parts = [_expr(conn, item, folders) for item in c.items]
        if c.op == "and":
            return and_(true(), *parts)
        if c.op == "or":
            return or_(false(), *parts)
        if c.op == "not":
            return not_(or_(false(), *parts))
        raise InvalidInput(f"unknown operator {c.op!r}")
    k, v = c.kind, c.value
    if k == "folders":
        return m.c.folder_id.in_([int(x) for x in v])
    if k == "received_before":
        return m.c.internal_date < _datetime(v)
    if k == "received_after":
        return m.c.internal_date >= _datetime(v)
    if k == "min_size":
        return m.c.size >= int(v)
    if k == "max_size":
        return m.c.size < int(v)
    if k in ("flag", "keyword"):
        return _flag_expr(str(v))
    if k.startswith("thread_flag_"):
        other = m.alias("other")
        has = _flag_expr(str(v), other.c.flags, other.c.keywords)
        in_folders = other.c.folder_id.in_(folders)
        if k == "thread_flag_some":
            return m.c.thread_key.in_(select(other.c.thread_key).where(in_folders, has))
        if k == "thread_flag_none":
            return m.c.thread_key.not_in(select(other.c.thread_key).where(in_folders, has))
        if k == "thread_flag_all":
            return m.c.thread_key.not_in(select(other.c.thread_key).where(in_folders, not_(has)))
    if k == "has_attachment":
        has = exists().where(and_(b.c.id == m.c.body_id, b.c.has_attachments.is_(True)))
        return has if v else not_(has)
    if k.startswith("text_"):
        field = k.removeprefix("text_")
        where = {"from": "headers", "to": "headers", "subject": "headers"}.get(field, field)
        if where not in ("all", "headers", "body"):
            raise InvalidInput(f"unknown text condition {k!r}")
        words = search_words(str(v))
        if not words:
            return true()
        per_folder = []
        for fid in folders:
            uids = sorted(dialect.search_uids(conn, fid, words, where, from_index=True))[-SEARCH_CAP:]
            if uids and field in ("from", "to", "subject"):
                uids = _field_matches(conn, fid, uids, field, str(v))
            if uids:
                per_folder.append(and_(m.c.folder_id == fid, m.c.uid.in_(uids)))
        return or_(false(), *per_folder)
    raise InvalidInput(f"unknown condition {k!r}")


def _datetime(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput("a date condition needs a date and time")
    return value


def _field_matches(conn: Connection, folder_id: int, uids: list[int], field: str, value: str) -> list[int]:
    """The candidates whose sender, recipients or subject hold ``value`` as a folded substring (the
    full-text index matched word prefixes anywhere in the headers)."""
    wanted = fold(value)
    out = []
    for chunk in _chunks(uids, 500):
        q = select(m.c.uid, b.c.subject, b.c.from_display, b.c.from_addr, b.c.to_addrs, b.c.structure)
        q = q.join(b, b.c.id == m.c.body_id).where(m.c.folder_id == folder_id, m.c.uid.in_(chunk))
        for r in conn.execute(q):
            if field == "subject":
                text = r.subject or ""
            elif field == "from":
                text = f"{r.from_display} {r.from_addr or ''}"
            else:
                text = f"{r.to_addrs} {to_text(r.structure)}"
            if wanted in fold(text):
                out.append(int(r.uid))
    return sorted(out)


def _order(sort: Sequence[Sort], flip: bool = False) -> list[Any]:
    """ORDER BY of one folder's walk: the keys, then the UID (the row id for receivedAt, whose index
    ``(folder_id, internal_date)`` ends with it; both grow together within a folder, so the order is the
    same and the walk stays in the index)."""
    out: list[Any] = []
    for key in sort:
        col = _flag_expr(key.flag) if key.key == "flag" else SORT_KEYS[key.key]
        out.append(col.asc() if key.ascending != flip else col.desc())
    last_ascending = sort[-1].ascending if sort else True
    tie = m.c.id if sort and sort[-1].key == "received" else m.c.uid
    out.append(tie.asc() if last_ascending != flip else tie.desc())
    return out


def _selected(sort: Sequence[Sort]) -> list[Any]:
    return [
        (_flag_expr(k.flag) if k.key == "flag" else SORT_KEYS[k.key]).label(f"k{i}")
        for i, k in enumerate(sort)
    ]


def _needs_bodies(sort: Sequence[Sort]) -> bool:
    return any(k.key == "to" for k in sort)


def _ordered(
    conn: Connection,
    folders: list[int],
    where: ColumnElement[bool],
    sort: Sequence[Sort],
    position: int,
    limit: int,
    collapse: bool,
) -> list[tuple[int, int]]:
    """The page's keys: one index walk per folder, merged (see the module docstring)."""
    if limit == 0:
        return []
    want = position + limit
    if not collapse and len(folders) == 1:
        return _walked(conn, folders[0], where, sort, position, limit)
    if not collapse:
        rows = _merged(conn, folders, where, sort, want)
        return [(fid, uid) for fid, uid, _ in rows[position:want]]
    out: list[tuple[int, int]] = []
    seen: set[str] = set()
    batch = max(want * 2, 100)
    while True:
        rows = _merged(conn, folders, where, sort, batch, True)
        out, seen = [], set()
        for fid, uid, key in rows:
            if key in seen:
                continue
            seen.add(key)
            out.append((fid, uid))
            if len(out) >= want:
                return out[position:want]
        if len(rows) < batch or batch >= MAX_POSITION:
            return out[position:want]
        batch *= 4


def _from_nearer_end(
    conn: Connection, folder_id: int, sort: Sequence[Sort], position: int, limit: int, count: int | None
) -> list[tuple[int, int]]:
    """A page of a whole folder (every message matches), walked from whichever end of its sort index is
    nearer: the folder's stored message count says where the page lies, so a page near the end reads
    about ``count - position`` index entries instead of ``position`` (half the walk on average)."""
    if count is None:
        count = _count(conn, [folder_id], m.c.folder_id == folder_id, False, True)
    back = count - position  # rows from the page's start to the end
    if back >= position or limit == 0:
        return _ordered(conn, [folder_id], true(), sort, position, limit, False)
    if back <= 0:
        return []
    return _walked(conn, folder_id, true(), sort, max(0, back - limit), min(limit, back), flip=True)[::-1]


def _walked(
    conn: Connection,
    folder_id: int,
    where: ColumnElement[bool],
    sort: Sequence[Sort],
    offset: int,
    limit: int,
    *,
    flip: bool = False,
) -> list[tuple[int, int]]:
    """Rows ``offset`` to ``offset + limit`` of one folder's walk of its sort index. The rows before the
    page are skipped by the database (OFFSET) rather than read into Python: a page at position 50,000
    of a 100,000-message folder used to fetch 50,050 rows to keep 50 (bench/jmap_cpu.py)."""
    q = select(m.c.uid)
    if _needs_bodies(sort):
        q = q.join(b, b.c.id == m.c.body_id)
    q = q.where(m.c.folder_id == folder_id, where).order_by(*_order(sort, flip)).offset(offset).limit(limit)
    return [(folder_id, int(uid)) for uid in conn.execute(q).scalars()]


def _merged(
    conn: Connection,
    folders: list[int],
    where: ColumnElement[bool],
    sort: Sequence[Sort],
    want: int,
    collapse: bool = False,
) -> list[tuple[int, int, str]]:
    """The first ``want`` (folder, UID, thread key) of the merged order."""
    keyed: list[list[tuple[Any, ...]]] = []
    # only what the sort index holds, so skipping ``position`` rows reads no table row; the conversation
    # is read only when threads are collapsed
    thread = m.c.thread_key if collapse else m.c.uid.label("no_thread")
    for fid in folders:
        q = select(*_selected(sort), m.c.folder_id, m.c.uid, thread)
        if _needs_bodies(sort):
            q = q.join(b, b.c.id == m.c.body_id)
        q = q.where(m.c.folder_id == fid, where).order_by(*_order(sort)).limit(want)
        keyed.append([tuple(r) for r in conn.execute(q)])
    if len(keyed) == 1:
        return [(int(r[-3]), int(r[-2]), str(r[-1])) for r in keyed[0]]

    n = len(sort)

    def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for i, k in enumerate(sort):
            v = _comparable(row[i])
            parts.append(v if k.ascending else _Reversed(v))
        last_ascending = sort[-1].ascending if sort else True
        tie = (row[n], row[n + 1])
        parts.append(tie if last_ascending else _Reversed(tie))
        return tuple(parts)

    merged = heapq.merge(*keyed, key=sort_key)
    out = []
    for row in merged:
        out.append((int(row[n]), int(row[n + 1]), str(row[n + 2])))
        if len(out) >= want:
            break
    return out


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, bool):
        return int(value)
    return "" if value is None else value


class _Reversed:
    """Reverses the order of a value in a sort key (descending parts of a merge)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.v == other.v)

    def __hash__(self) -> int:
        return hash(self.v)


def _count(
    conn: Connection, folders: list[int], where: ColumnElement[bool], collapse: bool, whole: bool = False
) -> int:
    """How many messages (conversations) match; ``whole``: every message of ``folders`` does, so the
    folders' stored counters answer without counting."""
    if whole:
        f = s.folders
        column = f.c.thread_count if collapse and len(folders) == 1 else f.c.message_count
        if not collapse or len(folders) == 1:
            return int(conn.execute(select(func.sum(column)).where(f.c.id.in_(folders))).scalar() or 0)
    col = func.count(func.distinct(m.c.thread_key)) if collapse else func.count()
    return int(conn.execute(select(col).select_from(m).where(where)).scalar_one())
