"""What the CalendarEvent methods share: finding the item an id names, through the organizer (so the
ACL engine decides), and building the CalendarEvent object of an item or of one of its instances.

An instance (an id from CalendarEvent/query with ``expandRecurrences``) is the series with its rule and
overrides taken out, ``start`` at the instance's own start (its override applied when it has one),
``recurrenceId`` its original start and ``baseEventId`` the series' id (draft-ietf-jmap-calendars-22
5.x). An id naming a time the series does not recur at is not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.pim.models import Item
from storage.pim.recurrence import expand_calendar
from storage.usermail import UserMail
from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import values as v

PROPERTIES = (
    "id", "baseEventId", "calendarIds", "isDraft", "isOrigin", "utcStart", "utcEnd", "@type", "uid",
    "created", "updated", "sequence", "title", "description", "start", "timeZone", "duration",
    "showWithoutTime", "recurrenceId", "recurrenceIdTimeZone", "recurrenceRules", "recurrenceOverrides",
    "locations", "participants", "alerts", "status", "freeBusyStatus", "privacy", "keywords",
)  # fmt: skip


@dataclass(frozen=True)
class Found:
    """An event id's item: the folder, the stored item and the id's parts."""

    ref: ids.EventRef
    item: Item


def refs_of(user: UserMail, wanted: Iterable[str], components: Iterable[str]) -> dict[str, ids.EventRef]:
    """The ids among ``wanted`` that name an item of ``components`` the user may read, with where the
    item is now (one index read: storage's ``locate``). Ids of other items or not ours are left out."""
    parsed = {i: r for i in dict.fromkeys(wanted) if (r := ids.parse_event_id(i)) is not None}
    kinds = set(components)
    places = {
        p.key: p for p in user.organizer.locate({r.key for r in parsed.values()}) if p.component in kinds
    }
    return {
        i: ids.EventRef(places[r.key].folder_id, places[r.key].name, r.key, r.recurrence_id, r.base_id)
        for i, r in parsed.items()
        if r.key in places
    }


def find(user: UserMail, event_id: str) -> Found | None:
    """The item ``event_id`` names, when the user may read it and it holds an event; else None."""
    ref = refs_of(user, [event_id], ("VEVENT",)).get(event_id)
    if ref is None:
        return None
    try:
        item = user.organizer.get(ref.folder_id, ref.name)
    except (NotFound, PermissionDenied, InvalidInput):
        return None
    if item.component != "VEVENT":
        return None
    return Found(ref, item)


def base_object(found: Found, address: str, series: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CalendarEvent object of a stored series or one-off event (``series``: its parsed Event)."""
    body = dict(series) if series is not None else read.event_json(read.parse(found.item.data))
    return _finish(body, found, ids.event_id(found.item.key), None, address)


def find_many(user: UserMail, refs: Iterable[ids.EventRef]) -> dict[int, Item]:
    """The event items ``refs`` name, read in one go per calendar: {key: item}. Items the user may not
    read, and tasks, are left out."""
    by_folder: dict[int, set[str]] = {}
    for ref in refs:
        by_folder.setdefault(ref.folder_id, set()).add(ref.name)
    organizer = user.organizer
    out: dict[int, Item] = {}
    for folder_id, names in by_folder.items():
        try:
            items = organizer.get_many(folder_id, names)
        except (NotFound, PermissionDenied, InvalidInput):
            continue
        out.update((item.key, item) for item in items if item.component == "VEVENT")
    return out


def _finish(
    body: dict[str, Any], found: Found, event_id: str, base_id: str | None, address: str
) -> dict[str, Any]:
    start, end = read.utc_span(body)
    owner = (body.get("participants") or {}).get("o")
    return {
        "id": event_id,
        "baseEventId": base_id,
        "calendarIds": {ids.calendar_id(found.ref.folder_id): True},
        "isDraft": False,
        "isOrigin": owner is None or str(owner.get("email", "")).lower() == address.lower(),
        "utcStart": v.utc_text(start),
        "utcEnd": v.utc_text(end),
        "recurrenceId": None,
        "recurrenceIdTimeZone": None,
        **body,
    }


def instance_key(body: dict[str, Any], recurrence_id: datetime) -> str:
    """The LocalDateTime (the series' own zone) of an instance whose original start is ``recurrence_id``
    (UTC): the key of ``recurrenceOverrides``."""
    if body["showWithoutTime"]:
        return v.local_text(recurrence_id.date())
    zone = v.zone_of("timeZone", body.get("timeZone"))
    return v.local_text(recurrence_id.astimezone(zone) if zone else recurrence_id)


def recurrence_ids(calendar: Calendar, wanted: list[datetime]) -> set[datetime]:
    """Which of ``wanted`` (UTC) the item's series recurs at: one expansion over their span, of the
    calendar the caller parsed already (parsing is most of the cost of a /get)."""
    if not wanted:
        return set()
    try:
        found = expand_calendar(calendar, min(wanted), max(wanted) + timedelta(seconds=1), limit=100_000)
    except (InvalidInput, ValueError, TypeError, KeyError, OverflowError):
        return set()
    return {i.recurrence_id for i in found if i.recurrence_id is not None} & set(wanted)


def instance_object(
    found: Found,
    address: str,
    series: dict[str, Any] | None = None,
    recurs_at: set[datetime] | None = None,
) -> dict[str, Any] | None:
    """The CalendarEvent object of one instance, or None when the series has none at that time
    (``series``, ``recurs_at``: the item's Event and :func:`recurrence_ids`, when the caller has them)."""
    rid = found.ref.recurrence_id
    assert rid is not None
    if series is None:
        series = read.event_json(read.parse(found.item.data))
    if not series.get("recurrenceRules") and not series.get("recurrenceOverrides"):
        return None
    key = instance_key(series, rid)
    patch = (series.get("recurrenceOverrides") or {}).get(key)
    if patch is None:
        if recurs_at is None:
            recurs_at = recurrence_ids(read.parse(found.item.data), [rid])
        if rid not in recurs_at:
            return None
        patch = {}
    if patch.get("excluded"):
        return None
    body = {k: val for k, val in series.items() if k not in ("recurrenceRules", "recurrenceOverrides")}
    body.update({"start": key, **patch})
    body["recurrenceRules"] = None
    body["recurrenceOverrides"] = None
    base_id = ids.event_id(found.item.key)
    out = _finish(body, found, ids.instance_id(base_id, rid), base_id, address)
    out["recurrenceId"] = key
    out["recurrenceIdTimeZone"] = series.get("timeZone")
    return out
