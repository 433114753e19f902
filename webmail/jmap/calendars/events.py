"""What the CalendarEvent methods share: finding the item an id names, through the organizer (so the
ACL engine decides), and building the CalendarEvent object of an item or of one of its instances.

An instance (an id from CalendarEvent/query with ``expandRecurrences``) is the series with its rule and
overrides taken out, ``start`` at the instance's own start (its override applied when it has one),
``recurrenceId`` its original start and ``baseEventId`` the series' id (draft-ietf-jmap-calendars-22
5.x). An id naming a time the series does not recur at is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.pim.models import Item
from storage.pim.recurrence import expand
from storage.usermail import UserMail
from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import values as v

PROPERTIES = (
    "id", "baseEventId", "calendarIds", "isDraft", "isOrigin", "utcStart", "utcEnd", "@type", "uid",
    "created", "updated", "sequence", "title", "description", "start", "timeZone", "duration",
    "showWithoutTime", "recurrenceId", "recurrenceIdTimeZone", "recurrenceRules", "recurrenceOverrides",
    "locations", "participants", "status", "freeBusyStatus", "privacy", "keywords",
)  # fmt: skip


@dataclass(frozen=True)
class Found:
    """An event id's item: the folder, the stored item and the id's parts."""

    ref: ids.EventRef
    item: Item


def find(user: UserMail, event_id: str) -> Found | None:
    """The item ``event_id`` names, when the user may read it and it holds an event; else None."""
    ref = ids.parse_event_id(event_id)
    if ref is None:
        return None
    organizer = user.organizer
    try:
        name = ref.name
        if name is None:
            name = next(
                (i.name for i in organizer.items(ref.folder_id) if ids.name_hash(i.name) == ref.hashed), None
            )
            if name is None:
                return None
        item = organizer.get(ref.folder_id, name)
    except (NotFound, PermissionDenied, InvalidInput):
        return None
    if item.component != "VEVENT":
        return None
    return Found(ref, item)


def base_object(found: Found, address: str) -> dict[str, Any]:
    """The CalendarEvent object of a stored series or one-off event."""
    body = read.event_json(read.parse(found.item.data))
    return _finish(body, found, ids.event_id(found.ref.folder_id, found.item.name), None, address)


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


def instance_object(found: Found, address: str) -> dict[str, Any] | None:
    """The CalendarEvent object of one instance, or None when the series has none at that time."""
    rid = found.ref.recurrence_id
    assert rid is not None
    series = read.event_json(read.parse(found.item.data))
    if not series.get("recurrenceRules") and not series.get("recurrenceOverrides"):
        return None
    key = instance_key(series, rid)
    patch = (series.get("recurrenceOverrides") or {}).get(key)
    if patch is None:
        try:
            starts = [i.recurrence_id for i in expand(found.item.data, rid, rid + timedelta(seconds=1))]
        except InvalidInput:
            return None
        if rid not in starts:
            return None
        patch = {}
    if patch.get("excluded"):
        return None
    body = {k: val for k, val in series.items() if k not in ("recurrenceRules", "recurrenceOverrides")}
    body.update({"start": key, **patch})
    body["recurrenceRules"] = None
    body["recurrenceOverrides"] = None
    base_id = ids.event_id(found.ref.folder_id, found.item.name)
    out = _finish(body, found, ids.instance_id(base_id, rid), base_id, address)
    out["recurrenceId"] = key
    out["recurrenceIdTimeZone"] = series.get("timeZone")
    return out
