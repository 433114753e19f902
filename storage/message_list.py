"""One page of a folder's message list: sorted, filtered, optionally by conversation.

Why this shape: a WebMail list page of a 100,000-message folder must not read the folder. Every sort
key has an index ``(folder_id, key, uid)`` (storage.list_keys, migration 0010), so a page is:

1. the page's row ids from that index alone (``ORDER BY key, uid LIMIT n OFFSET k`` in a subquery that
   reads only the index; for a page past the middle the index is walked from the other end, so the
   deepest page costs as much as the first half, never the whole folder);
2. those rows joined with their bodies (subject, sender, snippet... cached at delivery);
3. their conversations' sizes from ``folder_threads``.

The total is the folder's cached count, or with filters a count capped at ``COUNT_CAP`` (the page
says whether it is exact). A threaded page walks ``folder_threads`` by newest message instead.

Text filters (from, to, subject, body, text) go through the full-text index first (SQLite FTS5 /
PostgreSQL tsvector, diacritics folded: "muller" finds "Müller"), which matches word *prefixes*; the
from/to/subject candidates are then checked as folded substrings of that field. At most
``SEARCH_CAP`` candidates (the newest UIDs) are kept, sorted in memory and paged; a bigger result says
so (``exact`` False). No message text is read from the blobs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from storage import dialect
from storage import flags as fl
from storage import folders as fo
from storage import schema as s
from storage.errors import InvalidInput
from storage.list_keys import fold
from storage.mail_bodies import _chunks
from storage.mail_reading import search_words
from storage.mime.text import decode_header_text
from storage.names import as_utc, utcnow

MAX_LIMIT = 200  # rows per page
COUNT_CAP = 1_000  # a filtered list counts its matches up to this (then shows "1000 or more")
SEARCH_CAP = 10_000  # text-search candidates kept (the newest)
THREAD_MESSAGES_CAP = 500  # messages of one conversation returned at once

m, b, t = s.messages, s.bodies, s.folder_threads
SORT_COLUMNS = {
    "date": m.c.sort_date,
    "from": m.c.sort_from,
    "subject": m.c.sort_subject,
    "size": m.c.size,
    "arrival": m.c.uid,
}


@dataclass(frozen=True)
class ListFilter:
    """What to show: every field is optional and all given ones must match.

    ``from_``, ``to``, ``subject``: folded substrings of that field, each word a word prefix in the
    full-text index; ``body``: words of the body text; ``text``: words anywhere. ``since`` and
    ``before`` bound the sent date (``before`` exclusive, UTC days); the flags filter on \\Seen and
    \\Flagged.
    """

    from_: str = ""
    to: str = ""
    subject: str = ""
    body: str = ""
    text: str = ""
    since: date | None = None
    before: date | None = None
    has_attachment: bool = False
    unseen: bool = False
    flagged: bool = False

    @property
    def has_text(self) -> bool:
        return any(v.strip() for v in (self.from_, self.to, self.subject, self.body, self.text))

    @property
    def is_empty(self) -> bool:
        flags = self.has_attachment or self.unseen or self.flagged
        return not self.has_text and self.since is None and self.before is None and not flags


NO_FILTER = ListFilter()
UNSEEN_ONLY = ListFilter(unseen=True)


@dataclass(frozen=True)
class ListRow:
    """One line of the list. ``date`` is the sent date (Date header, else arrival), UTC."""

    uid: int
    flags: frozenset[str]
    subject: str
    from_display: str
    from_addr: str | None
    to: str  # the To addresses, comma separated
    date: datetime
    internal_date: datetime
    size: int
    has_attachments: bool
    snippet: str
    thread_key: str
    thread_count: int  # messages of this conversation in the folder (1: not part of a conversation)

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags

    @property
    def flagged(self) -> bool:
        return "\\Flagged" in self.flags


@dataclass(frozen=True)
class ListPage:
    """A page and where it sits: ``total`` rows (conversations when ``threaded``) match; ``exact`` is
    False when the total or the search was capped (COUNT_CAP, SEARCH_CAP)."""

    rows: list[ListRow]
    total: int
    offset: int
    limit: int
    sort: str
    descending: bool
    threaded: bool = False
    exact: bool = True
    filters: ListFilter = field(default=NO_FILTER)


def check_paging(sort: str, offset: int, limit: int) -> None:
    if sort not in SORT_COLUMNS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {', '.join(SORT_COLUMNS)}")
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"offset must be >= 0 and limit between 1 and {MAX_LIMIT}")


def page_in(
    conn: Connection,
    folder_id: int,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
    filters: ListFilter,
) -> ListPage:
    """The page (see the module notes); ``conn`` is a read transaction whose rights are checked."""
    check_paging(sort, offset, limit)
    key = SORT_COLUMNS[sort]
    if filters.has_text:
        return _searched_page(conn, folder_id, sort, descending, offset, limit, filters)
    preds = _predicates(folder_id, filters)
    if filters.is_empty:
        total, exact = fo.folder_by_id(conn, folder_id).message_count, True
    elif filters == UNSEEN_ONLY:  # the folder keeps this count too
        total, exact = fo.folder_by_id(conn, folder_id).unseen_count, True
    else:
        counted = conn.execute(
            select(func.count()).select_from(select(m.c.id).where(*preds).limit(COUNT_CAP + 1).subquery())
        ).scalar_one()
        total, exact = min(int(counted), COUNT_CAP), int(counted) <= COUNT_CAP
    start, count, flip = offset, limit, False
    if exact and offset > total // 2:  # walk the index from the nearer end
        start, count, flip = max(0, total - offset - limit), max(0, min(limit, total - offset)), True
    ids: list[int] = []
    if count:
        backwards = descending != flip
        order = [key.desc(), m.c.uid.desc()] if backwards else [key.asc(), m.c.uid.asc()]
        ids = list(
            conn.execute(select(m.c.id).where(*preds).order_by(*order).offset(start).limit(count)).scalars()
        )
        if flip:
            ids.reverse()
    rows = _rows(conn, folder_id, ids)
    return ListPage(rows, total, offset, limit, sort, descending, False, exact, filters)


def threads_in(conn: Connection, folder_id: int, descending: bool, offset: int, limit: int) -> ListPage:
    """A page of conversations, newest message first (or last): each row is the conversation's newest
    message, with ``thread_count`` its size. Filters do not apply to conversations."""
    check_paging("date", offset, limit)
    total = int(
        conn.execute(select(s.folders.c.thread_count).where(s.folders.c.id == folder_id)).scalar_one()
    )
    order = (
        [t.c.latest_date.desc(), t.c.thread_key.desc()] if descending else [t.c.latest_date, t.c.thread_key]
    )
    uids = list(
        conn.execute(
            select(t.c.latest_uid)
            .where(t.c.folder_id == folder_id)
            .order_by(*order)
            .offset(offset)
            .limit(limit)
        ).scalars()
    )
    ids = _ids_of_uids(conn, folder_id, uids)
    return ListPage(_rows(conn, folder_id, ids), total, offset, limit, "date", descending, True)


def thread_messages_in(conn: Connection, folder_id: int, thread_key: str) -> list[ListRow]:
    """The folder's messages of one conversation, oldest first (at most THREAD_MESSAGES_CAP)."""
    ids = list(
        conn.execute(
            select(m.c.id)
            .where(m.c.folder_id == folder_id, m.c.thread_key == thread_key)
            .order_by(m.c.sort_date, m.c.uid)
            .limit(THREAD_MESSAGES_CAP)
        ).scalars()
    )
    return _rows(conn, folder_id, ids)


def _predicates(folder_id: int, f: ListFilter) -> list[ColumnElement[bool]]:
    preds: list[ColumnElement[bool]] = [m.c.folder_id == folder_id]
    if f.since is not None:
        preds.append(m.c.sort_date >= datetime.combine(f.since, time(), tzinfo=utcnow().tzinfo))
    if f.before is not None:
        preds.append(m.c.sort_date < datetime.combine(f.before, time(), tzinfo=utcnow().tzinfo))
    if f.unseen:
        preds.append(m.c.flags.op("&")(fl.SEEN) == 0)
    if f.flagged:
        preds.append(m.c.flags.op("&")(fl.FLAGGED) != 0)
    if f.has_attachment:
        preds.append(exists().where(and_(b.c.id == m.c.body_id, b.c.has_attachments.is_(True))))
    return preds


def _ids_of_uids(conn: Connection, folder_id: int, uids: list[int]) -> list[int]:
    by_uid = {
        int(u): int(i)
        for u, i in conn.execute(select(m.c.uid, m.c.id).where(m.c.folder_id == folder_id, m.c.uid.in_(uids)))
    }
    return [by_uid[u] for u in uids if u in by_uid]


def _rows(conn: Connection, folder_id: int, ids: list[int]) -> list[ListRow]:
    """The list rows of message row ids, in the order given."""
    if not ids:
        return []
    found = {
        r.id: r
        for r in conn.execute(
            select(
                m.c.id, m.c.uid, m.c.flags, m.c.keywords, m.c.internal_date, m.c.size, m.c.sort_date,
                m.c.thread_key, b.c.subject, b.c.from_display, b.c.from_addr, b.c.to_addrs, b.c.snippet,
                b.c.has_attachments,
            ).join(b, b.c.id == m.c.body_id).where(m.c.id.in_(ids))
        )
    }  # fmt: skip
    keys = sorted({r.thread_key for r in found.values()})
    sizes = {
        k: int(n)
        for k, n in conn.execute(
            select(t.c.thread_key, t.c.message_count).where(
                t.c.folder_id == folder_id, t.c.thread_key.in_(keys)
            )
        )
    }
    out = []
    for i in ids:
        r = found.get(i)
        if r is None:
            continue
        out.append(
            ListRow(
                uid=int(r.uid),
                flags=fl.decode(r.flags, r.keywords),
                subject=r.subject,
                from_display=r.from_display,
                from_addr=r.from_addr,
                to=r.to_addrs,
                date=as_utc(r.sort_date) or utcnow(),
                internal_date=as_utc(r.internal_date) or utcnow(),
                size=int(r.size),
                has_attachments=bool(r.has_attachments),
                snippet=r.snippet,
                thread_key=r.thread_key,
                thread_count=sizes.get(r.thread_key, 1),
            )
        )
    return out


# -- text search -----------------------------------------------------------------------------------------


def _searched_page(
    conn: Connection, folder_id: int, sort: str, descending: bool, offset: int, limit: int, f: ListFilter
) -> ListPage:
    candidates: set[int] | None = None
    for value, where in ((f.from_, "headers"), (f.to, "headers"), (f.subject, "headers"), (f.body, "body"),
                         (f.text, "all")):  # fmt: skip
        words = search_words(value)
        if not words:
            continue
        found = set(dialect.search_uids(conn, folder_id, words, where, from_index=True))
        candidates = found if candidates is None else candidates & found
    uids = sorted(candidates or (), reverse=True)
    exact = len(uids) <= SEARCH_CAP
    uids = uids[:SEARCH_CAP]
    key = SORT_COLUMNS[sort]
    keyed: list[tuple[Any, int, int]] = []  # (sort key, uid, row id)
    for chunk in _chunks(sorted(uids), 500):
        fields = [b.c.subject, b.c.from_display, b.c.from_addr]
        if f.to.strip():  # the cached envelope, only when the To names are searched
            fields.append(b.c.structure)
        q = select(key, m.c.uid, m.c.id, *fields)
        q = q.join(b, b.c.id == m.c.body_id).where(*_predicates(folder_id, f), m.c.uid.in_(chunk))
        for r in conn.execute(q):
            if _fields_match(r, f):
                keyed.append((_comparable(r[0]), int(r.uid), int(r.id)))
    keyed.sort(reverse=descending)
    ids = [i for _k, _u, i in keyed[offset : offset + limit]]
    return ListPage(_rows(conn, folder_id, ids), len(keyed), offset, limit, sort, descending, False, exact, f)


def _comparable(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


def _fields_match(r: Any, f: ListFilter) -> bool:
    """The field-specific check after the index's word-prefix match: folded substrings."""
    if f.subject.strip() and fold(f.subject) not in fold(r.subject or ""):
        return False
    if f.from_.strip() and fold(f.from_) not in fold(f"{r.from_display} {r.from_addr or ''}"):
        return False
    return not f.to.strip() or fold(f.to) in fold(to_text(r.structure))


def to_text(structure: str) -> str:
    """Names and addresses of the cached envelope's To (storage.mime.cache: [version, envelope, root])."""
    try:
        to = json.loads(structure)[1][5]
        return " ".join(
            f"{decode_header_text(name or '')} {mailbox or ''}@{host or ''}"
            for name, _adl, mailbox, host in to
        )
    except (ValueError, IndexError, TypeError):
        return ""
