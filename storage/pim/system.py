"""The organizer on the system path, for mail processing: ``store.pim_system``.

Who uses it: mailflow's meeting handling (iMIP requests, replies and cancellations delivered to an
account, a room or projector answering a booking) and the reminder sweep. They act on an account's
behalf because mail arrived for it or time passed, not because a signed-in user asked, so nothing here
asks anyone's rights: the caller has decided which account is concerned. What is written still goes
through the account's own ``Organizer.put`` (an owner holds every right on their own folders), so items
are checked, sized, counted against the quota, indexed and announced in the change feed like any other.

What it offers (all times aware UTC; ``kind`` is "calendar" for events, "tasks" for tasks):

* ``default_folder(account_id, kind)``: the folder new items of that kind go to -- the one at the
  default path ("Calendar", "Tasks"), else the first of that kind by path, else a new one at the default
  path.
* ``find_uid(account_id, item_uid, kind)``: the account's item with that iCalendar UID in any of its own
  folders of that kind, or None.
* ``put_for_account(account_id, data, kind)``: store a resource (one UID, as ``Organizer.put`` takes it):
  it replaces the account's item with that UID where it is, else it is added to the default folder.
* ``delete_uid(account_id, item_uid, kind)``: remove the account's item with that UID; False if none.
* ``busy(account_id, start, end, ignore_uid=None)``: the account's busy periods from all its calendars
  (TRANSPARENT and CANCELLED left out; see storage.pim.freebusy), optionally not counting one UID (the
  booking being re-checked).
* ``conflicts(account_id, data, ignore_uid=None)``: the account's busy periods that overlap any
  occurrence of the event(s) in ``data`` still to come -- what a room asks before it accepts; an
  open-ended recurrence is checked up to ``CONFLICT_HORIZON_DAYS`` past its latest DTSTART (or now),
  and any series for ``CONFLICT_SPAN_DAYS`` from its first occurrence still to come. By default the event's own UID is ignored,
  so an update of an accepted booking does not conflict with itself.
* ``due_alarms(since, until)``: the VALARM reminders of every account's events and tasks whose trigger
  time falls in [since, until), one ``DueAlarm`` per alarm and occurrence, sorted by trigger time. A
  sweep that remembers where it stopped and asks [last, now) sees each reminder once.

Limits (docs/organizer.md): reminders are found for alarms that trigger at most ``ALARM_WINDOW`` before
or after the start or end they relate to (absolute triggers: at most that far from the item's own
times); alarm repetitions (REPEAT/DURATION) are not expanded; a task's reminders follow its DTSTART and
DUE only (a recurring task reminds once); alarms of public folders' items are not swept. The sweep reads
the index of every account's calendars and tasks, and the bytes of the items that may have an alarm in
the window (never-ending recurrences included), so it is a periodic job, not a per-message one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from icalendar import Component
from sqlalchemy import Connection, and_, or_, select

from storage import folders as fo
from storage import schema as s
from storage.errors import InvalidInput
from storage.pim.freebusy import account_busy
from storage.pim.models import Busy
from storage.pim.occurrences import UNREADABLE
from storage.pim.recurrence import Instance, expand_calendar, parse_calendar

if TYPE_CHECKING:
    from storage.store import Store

DEFAULT_PATHS = {"calendar": "Calendar", "tasks": "Tasks"}
ALARM_WINDOW = timedelta(days=7)
CONFLICT_HORIZON_DAYS = 366
CONFLICT_SPAN_DAYS = 3650  # a booking series longer than this is checked for its first ten years
MAX_ALARMS = 10_000


@dataclass(frozen=True)
class StoredItem:
    """An account's item as the system path sees it: where it is, and its bytes."""

    account_id: int
    folder_id: int
    name: str
    etag: str
    item_uid: str
    data: bytes


@dataclass(frozen=True)
class DueAlarm:
    """One reminder to give now.

    ``action`` is the VALARM's ACTION (EMAIL, DISPLAY, AUDIO...); ``recipients`` the lower-case
    addresses of an EMAIL alarm's ATTENDEEs (empty: remind the account itself); ``occurrence_start`` the
    start of the instance reminded of (a task: its DTSTART, else its DUE); ``recurrence_id`` as in
    ``Occurrence`` (None for a one-off item); ``description`` the alarm's DESCRIPTION, else the item's.
    """

    account_id: int
    folder_id: int
    name: str
    item_uid: str
    component: str
    summary: str
    location: str
    description: str
    action: str
    trigger_at: datetime
    occurrence_start: datetime | None
    recurrence_id: datetime | None
    recipients: tuple[str, ...]


class PimSystem:
    """``store.pim_system``: see the module docstring."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- items ---------------------------------------------------------------------------------------

    def default_folder(self, account_id: int, kind: str = "calendar") -> int:
        """The id of the folder new items of ``kind`` go to (made when the account has none).

        Raises:
            InvalidInput: a kind other than "calendar" or "tasks". NotFound: no such account.
        """
        default = _default_path(kind)
        with self.store.db.read() as conn:
            rows = _own_folders(conn, account_id, kind)
        for fid, path in rows:
            if path == default:
                return fid
        if rows:
            return rows[0][0]
        return self.store.for_user(account_id).organizer.create_collection(default, kind).folder_id

    def find_uid(self, account_id: int, item_uid: str, kind: str = "calendar") -> StoredItem | None:
        """The account's item with iCalendar UID ``item_uid`` in its own folders of ``kind``, or None."""
        _default_path(kind)
        p, m, b = s.pim_items, s.messages, s.bodies
        with self.store.db.read() as conn:
            ids = [fid for fid, _ in _own_folders(conn, account_id, kind)]
            if not ids:
                return None
            row = conn.execute(
                select(p.c.folder_id, p.c.name, p.c.etag, p.c.item_uid, b.c.sha256)
                .join(m, m.c.id == p.c.message_id)
                .join(b, b.c.id == m.c.body_id)
                .where(p.c.folder_id.in_(ids), p.c.item_uid == item_uid)
                .order_by(p.c.folder_id)
            ).first()
        if row is None:
            return None
        data = self.store.blobs.read(row.sha256)
        return StoredItem(account_id, int(row.folder_id), row.name, row.etag, row.item_uid, data)

    def put_for_account(self, account_id: int, data: bytes, kind: str = "calendar") -> StoredItem:
        """Store ``data`` (one resource) for the account: replacing its item of the same UID where that
        is, else as a new item of its default folder of ``kind``.

        Raises:
            InvalidInput: not one storable resource (the message says why), or a bad kind.
            QuotaExceeded: the account's mailbox is full. NotFound: no such account.
        """
        item_uid = _uid_of(data)
        existing = self.find_uid(account_id, item_uid, kind)
        folder_id = existing.folder_id if existing else self.default_folder(account_id, kind)
        ref = self.store.for_user(account_id).organizer.put(
            folder_id, existing.name if existing else None, data
        )
        return StoredItem(account_id, folder_id, ref.name, ref.etag, item_uid, data)

    def delete_uid(self, account_id: int, item_uid: str, kind: str = "calendar") -> bool:
        """Remove the account's item with that UID; False when it has none."""
        existing = self.find_uid(account_id, item_uid, kind)
        if existing is None:
            return False
        self.store.for_user(account_id).organizer.delete(existing.folder_id, existing.name)
        return True

    # -- time ----------------------------------------------------------------------------------------

    def busy(
        self, account_id: int, start: datetime, end: datetime, *, ignore_uid: str | None = None
    ) -> list[Busy]:
        """The account's busy periods in [start, end) over all its calendars (module docstring)."""
        return account_busy(self.store, account_id, start, end, ignore_uid=ignore_uid)

    def conflicts(self, account_id: int, data: bytes, *, ignore_uid: str | None = None) -> list[Busy]:
        """The account's busy periods overlapping an occurrence of the events in ``data``.

        Raises:
            InvalidInput: ``data`` is not a readable iCalendar object.
        """
        cal = parse_calendar(data)
        uid = ignore_uid if ignore_uid is not None else _first_uid(cal)
        now = datetime.now(UTC)
        starts = [_when(c.get("DTSTART")) for c in cal.walk("VEVENT")]
        latest = max([now] + [t for t in starts if t is not None])
        horizon = latest + timedelta(days=CONFLICT_HORIZON_DAYS)
        asked = [
            inst
            for inst in expand_calendar(cal, datetime(1970, 1, 1, tzinfo=UTC), horizon)
            if inst.busy and inst.ends_at > now
        ]
        if not asked:
            return []
        lo = min(i.starts_at for i in asked)
        hi = min(max(i.ends_at for i in asked), lo + timedelta(days=CONFLICT_SPAN_DAYS))
        asked = [i for i in asked if i.starts_at < hi]
        if hi <= lo:
            hi = lo + timedelta(seconds=1)
        taken = self.busy(account_id, lo - timedelta(days=1), hi + timedelta(days=1), ignore_uid=uid)
        out: list[Busy] = []
        for period in taken:
            if (
                any(period.start < i.ends_at and i.starts_at < period.end for i in asked)
                and period not in out
            ):
                out.append(period)
        return out

    def due_alarms(self, since: datetime, until: datetime, *, limit: int = MAX_ALARMS) -> list[DueAlarm]:
        """Reminders whose trigger time is in [since, until), over every account (module docstring).

        Raises:
            InvalidInput: ``until`` not after ``since``.
        """
        since, until = _aware(since), _aware(until)
        if until <= since:
            raise InvalidInput("the end of a time range must be after its start")
        lo, hi = since - ALARM_WINDOW, until + ALARM_WINDOW
        with self.store.db.read() as conn:
            rows = conn.execute(_alarm_candidates(lo, hi)).all()
        found: list[DueAlarm] = []
        for row in rows:
            data = self.store.blobs.read(row.sha256)
            if b"BEGIN:VALARM" not in data.upper():
                continue
            try:
                found.extend(_alarms_of(row, parse_calendar(data), lo, hi, since, until))
            except UNREADABLE:
                continue  # an item that cannot be read any more reminds of nothing
        found.sort(key=lambda a: (a.trigger_at, a.account_id, a.name))
        return found[:limit]


# -- helpers -----------------------------------------------------------------------------------------


def _default_path(kind: str) -> str:
    if kind not in DEFAULT_PATHS:
        raise InvalidInput("the system path stores events (calendar) and tasks (tasks) only")
    return DEFAULT_PATHS[kind]


def _own_folders(conn: Connection, account_id: int, kind: str) -> list[tuple[int, str]]:
    f = s.folders
    rows = conn.execute(
        select(f.c.id, f.c.path)
        .where(f.c.namespace == fo.mailbox_namespace(account_id), f.c.kind == kind)
        .order_by(f.c.path)
    )
    return [(int(r.id), str(r.path)) for r in rows]


def _uid_of(data: bytes) -> str:
    uid = _first_uid(parse_calendar(data))
    if not uid:
        raise InvalidInput("the calendar object has no UID")
    return uid


def _first_uid(cal: Component) -> str:
    for comp in cal.walk():
        if comp.name in ("VEVENT", "VTODO", "VJOURNAL") and comp.get("UID"):
            return str(comp.get("UID"))
    return ""


def _aware(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _alarm_candidates(lo: datetime, hi: datetime) -> Any:
    p, m, b, f = s.pim_items, s.messages, s.bodies, s.folders
    events = and_(
        p.c.component == "VEVENT",
        p.c.starts_at < hi,
        or_(p.c.ends_at >= lo, and_(p.c.recurs.is_(True), or_(p.c.recur_end.is_(None), p.c.recur_end >= lo))),
    )
    tasks = and_(
        p.c.component == "VTODO",
        p.c.completed_at.is_(None),
        or_(p.c.due_at.between(lo, hi), p.c.starts_at.between(lo, hi)),
    )
    return (
        select(p.c.folder_id, p.c.name, p.c.component, f.c.account_id, b.c.sha256)
        .join(m, m.c.id == p.c.message_id)
        .join(b, b.c.id == m.c.body_id)
        .join(f, f.c.id == p.c.folder_id)
        .where(f.c.account_id.is_not(None), f.c.kind.in_(("calendar", "tasks")), or_(events, tasks))
    )


def _alarms_of(
    row: Any, cal: Component, lo: datetime, hi: datetime, since: datetime, until: datetime
) -> list[DueAlarm]:
    out: list[DueAlarm] = []
    if row.component == "VTODO":
        for comp in cal.walk("VTODO"):
            if str(comp.get("STATUS", "")).upper() in ("COMPLETED", "CANCELLED"):
                continue
            start, due = _when(comp.get("DTSTART")), _when(comp.get("DUE"))
            for alarm in comp.walk("VALARM"):
                at = _trigger(alarm, start or due, due or start)
                if at is not None and since <= at < until:
                    out.append(_due(row, comp, alarm, at, start or due, None))
        return out
    by_rid: dict[datetime | None, Component] = {}
    for comp in cal.walk("VEVENT"):
        rid = _when(comp.get("RECURRENCE-ID"))
        by_rid.setdefault(rid, comp)
    master = by_rid.get(None)
    for inst in expand_calendar(cal, lo, hi):
        if inst.status == "CANCELLED":
            continue
        source = by_rid.get(inst.recurrence_id) or master
        if source is None:
            continue
        for alarm in source.walk("VALARM"):
            at = _trigger(alarm, inst.starts_at, inst.ends_at)
            if at is not None and since <= at < until and not _acknowledged(alarm, at):
                out.append(_due(row, source, alarm, at, inst.starts_at, inst.recurrence_id, inst))
    return out


def _trigger(alarm: Component, start: datetime | None, end: datetime | None) -> datetime | None:
    prop = alarm.get("TRIGGER")
    value = getattr(prop, "dt", None)
    if isinstance(value, timedelta):
        related = str(getattr(prop, "params", {}).get("RELATED", "START")).upper()
        base = end if related == "END" else start
        return None if base is None else base + value
    return _when(prop)


def _acknowledged(alarm: Component, at: datetime) -> bool:
    ack = _when(alarm.get("ACKNOWLEDGED"))
    return ack is not None and ack >= at


def _when(prop: Any) -> datetime | None:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _due(
    row: Any,
    comp: Component,
    alarm: Component,
    at: datetime,
    start: datetime | None,
    rid: datetime | None,
    inst: Instance | None = None,
) -> DueAlarm:
    recipients = []
    for attendee in _many(alarm.get("ATTENDEE")):
        address = str(attendee).strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        if address:
            recipients.append(address.lower())
    return DueAlarm(
        account_id=int(row.account_id),
        folder_id=int(row.folder_id),
        name=str(row.name),
        item_uid=str(comp.get("UID", "")),
        component=str(row.component),
        summary=inst.summary if inst else str(comp.get("SUMMARY", "")),
        location=inst.location if inst else str(comp.get("LOCATION", "")),
        description=str(alarm.get("DESCRIPTION") or comp.get("DESCRIPTION") or ""),
        action=str(alarm.get("ACTION", "DISPLAY")).upper(),
        trigger_at=at,
        occurrence_start=start,
        recurrence_id=rid,
        recipients=tuple(recipients),
    )


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


__all__ = ["DueAlarm", "PimSystem", "StoredItem"]
