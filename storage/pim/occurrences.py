"""A time range of calendars: the rows that may have instances in it, and their occurrences.

Implementation notes:

* An event is a candidate when it starts before the range ends and either ends at or after its start
  (``ends_at``) or recurs with a last end (``recur_end``, the end of its last occurrence; the index
  keeps it for one-off events too) at or after it, or without one (NULL: forever). One statement per
  call reads them for all asked folders, as three index range reads: events starting from ``NEAR``
  before the range to its end, on (folder_id, starts_at); events starting earlier whose last end is
  at or after the range's start, on (folder_id, recur_end); and never-ending series, on the NULLs of
  that index. A view of the present thus visits this week's rows, the future ones and the running
  series (UNION drops the series the first read found too) -- not the history that accumulates in a calendar (a range deep in the past visits the rows
  that end after it). Only candidates' bytes are read from the blob store and expanded
  (storage.pim.recurrence).
* The rights are asked in the same read transaction (storage.pim.organizer's ``readable_folder_ids``):
  folders without "r" are left out, as a calendar view that shows what it may.
* A stored item that cannot be expanded any more (it was written by IMAP, not checked by ``put``) is
  skipped rather than failing the whole view.
* The answer is capped at ``limit`` occurrences and at the user's setting ``organizer.max_occurrences``
  (5,000 by default), sorted by start, then end, then folder and name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import CompoundSelect, Connection, and_, or_, select, union

from storage import schema as s
from storage.errors import InvalidInput
from storage.pim.models import Occurrence
from storage.pim.recurrence import Instance, cached_calendar, expand_calendar

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer
    from storage.store import Store

#: What reading or expanding one stored item may raise when its text is broken in a way ``put`` would have
#: refused (it came by IMAP) or dates run off the calendar: that item is skipped, the answer goes on.
UNREADABLE = (
    InvalidInput,
    OSError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
)
MAX_RANGE_DAYS = 3700
MIN_YEAR, MAX_YEAR = 1900, 9000
NEAR = timedelta(
    days=1
)  # events starting this long before a range are looked up by their start  # about ten years: a wider range is refused (a view asks for weeks or months)


def check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The range in aware UTC (naive input is taken as UTC).

    Raises:
        InvalidInput: ``end`` not after ``start``, a range longer than ``MAX_RANGE_DAYS``, or outside
        the years ``MIN_YEAR``..``MAX_YEAR``.
    """
    start = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
    end = end.astimezone(UTC) if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        raise InvalidInput("the end of a time range must be after its start")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"a time range may span at most {MAX_RANGE_DAYS} days")
    if start.year < MIN_YEAR or end.year > MAX_YEAR:
        raise InvalidInput(f"a time range must lie between the years {MIN_YEAR} and {MAX_YEAR}")
    return start, end


def max_occurrences(store: Store, conn: Connection, account_id: int) -> int:
    """The account's ``organizer.max_occurrences``: the most instances one answer holds."""
    return int(store.settings_effective(conn, "organizer.max_occurrences", account_id=account_id))


def candidates_statement(folder_ids: Sequence[int], start: datetime, end: datetime) -> CompoundSelect[Any]:
    """The index range reads of events that may have instances in [start, end) (see the notes)."""
    p, m, b = s.pim_items, s.messages, s.bodies
    near = start - NEAR
    base = (
        select(
            p.c.folder_id,
            p.c.name,
            p.c.etag,
            p.c.item_key,
            b.c.sha256,
            p.c.starts_at,
            p.c.ends_at,
            p.c.recurs,
            p.c.recur_end,
        )
        .join(m, m.c.id == p.c.message_id)
        .join(b, b.c.id == m.c.body_id)
        .where(p.c.folder_id.in_(list(folder_ids)), p.c.component == "VEVENT")
    )
    recent = base.where(
        p.c.starts_at >= near,
        p.c.starts_at < end,
        or_(
            p.c.ends_at >= start,
            and_(p.c.recurs.is_(True), or_(p.c.recur_end.is_(None), p.c.recur_end >= start)),
        ),
    )
    lasting = base.where(p.c.recur_end >= start, p.c.starts_at < near)
    endless = base.where(
        p.c.recur_end.is_(None), p.c.recurs.is_(True)
    )  # no start bound: keeps the planner on it
    return union(recent, lasting, endless)


def candidates(conn: Connection, folder_ids: Sequence[int], start: datetime, end: datetime) -> list[Any]:
    """The candidate rows (folder_id, name, etag, sha256, starts_at), in folder and name order."""
    if not folder_ids:
        return []
    rows = conn.execute(candidates_statement(folder_ids, start, end)).all()
    kept = [r for r in rows if r.starts_at is None or _as_utc(r.starts_at) < end]  # series starting later
    return sorted(kept, key=lambda r: (r.folder_id, r.name))


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def expand_rows(
    store: Store, rows: Iterable[Any], start: datetime, end: datetime, limit: int
) -> list[tuple[Any, Instance]]:
    """(row, instance) pairs of the rows' items in [start, end), sorted; unreadable items skipped."""
    found: list[tuple[Any, Instance]] = []
    for row in rows:
        try:
            cal = cached_calendar(row.sha256, partial(store.blobs.read, row.sha256))
            instances = expand_calendar(cal, start, end, limit=limit)
        except UNREADABLE:
            continue
        found.extend((row, inst) for inst in instances)
    found.sort(key=lambda pair: (pair[1].starts_at, pair[1].ends_at, pair[0].folder_id, pair[0].name))
    return found[:limit]


def occurrences(
    organizer: Organizer, folder_ids: Iterable[int], start: datetime, end: datetime, *, limit: int
) -> list[Occurrence]:
    """Organizer.occurrences (see its docstring)."""
    start, end = check_range(start, end)
    if limit < 1:
        raise InvalidInput("the occurrence limit must be at least 1")
    with organizer.store.db.read() as conn:
        limit = min(limit, max_occurrences(organizer.store, conn, organizer.account_id))
        readable = organizer.readable_folder_ids(conn, folder_ids)
        rows = candidates(conn, readable, start, end)
    return [
        Occurrence(
            name=row.name,
            etag=row.etag,
            folder_id=int(row.folder_id),
            item_uid=inst.item_uid,
            recurrence_id=inst.recurrence_id,
            starts_at=inst.starts_at,
            ends_at=inst.ends_at,
            all_day=inst.all_day,
            summary=inst.summary,
            location=inst.location,
            status=inst.status,
            categories=inst.categories,
            busy=inst.busy,
            private=inst.private,
            key=int(row.item_key or 0),
        )
        for row, inst in expand_rows(organizer.store, rows, start, end, limit)
    ]


def _single_overlaps(row: Any, start: datetime, end: datetime) -> bool | None:
    """Whether a one-off event's indexed bounds overlap [start, end) exactly as its expansion would
    (``recurrence._overlaps``); None when the row is not a plain one-off (it recurs, or overrides
    stretch it) and must be expanded to know."""
    if row.recurs or row.starts_at is None or row.ends_at is None or row.recur_end != row.ends_at:
        return None
    starts, ends = _as_utc(row.starts_at), _as_utc(row.ends_at)
    if starts >= end:
        return False
    return ends > start or (ends == starts and starts >= start)


def names_in_range(organizer: Organizer, folder_id: int, start: datetime, end: datetime) -> list[str]:
    """Organizer.names_in_range (see its docstring)."""
    start, end = check_range(start, end)
    with organizer.store.db.read() as conn:
        rows = candidates(conn, organizer.readable_folder_ids(conn, [folder_id]), start, end)
    names: list[str] = []
    for row in rows:
        single = _single_overlaps(row, start, end)
        if single is None:
            try:
                cal = cached_calendar(row.sha256, partial(organizer.store.blobs.read, row.sha256))
                single = bool(expand_calendar(cal, start, end, limit=1))
            except UNREADABLE:
                continue
        if single:
            names.append(row.name)
    return names
