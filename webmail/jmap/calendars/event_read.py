"""A stored calendar item (iCalendar text) as a JSCalendar Event (RFC 8984), the CalendarEvent object's
body: the series' master VEVENT, its rule, and its exceptions as ``recurrenceOverrides``.

What is read (docs/jmap.md lists the same): UID, SUMMARY, DESCRIPTION, DTSTART (a DATE is
``showWithoutTime``; a zoned time gives ``timeZone``; a floating one none), DTEND or DURATION as
``duration``, RRULE, EXDATE and overriding VEVENTs (their differing title, description, start,
duration and location), LOCATION, ORGANIZER and ATTENDEE (``participants``), the master's VALARMs
(``alerts``), STATUS, TRANSP, CLASS, CATEGORIES, CREATED, DTSTAMP/LAST-MODIFIED and SEQUENCE. Anything else stays in the stored text
untouched (a /set changes only what it names). No Flask, no storage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from icalendar import Calendar, Event, Todo

from webmail.jmap.calendars import values as v

_STATUS = {"TENTATIVE": "tentative", "CONFIRMED": "confirmed", "CANCELLED": "cancelled"}
_PRIVACY = {"PUBLIC": "public", "PRIVATE": "private", "CONFIDENTIAL": "secret"}
_PARTSTAT = ("needs-action", "accepted", "declined", "tentative", "delegated")


class NotAnEvent(ValueError):
    """The item holds no VEVENT (a task kept in a calendar, or broken text)."""


def parse(data: bytes) -> Calendar:
    """The item's calendar.

    Raises:
        NotAnEvent: not iCalendar, or no VEVENT in it.
    """
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise NotAnEvent(str(exc)) from None
    if not isinstance(calendar, Calendar) or not calendar.walk("VEVENT"):
        raise NotAnEvent("no VEVENT")
    return calendar


def master(calendar: Calendar) -> Event:
    events = [e for e in calendar.walk("VEVENT") if isinstance(e, Event)]
    return next((e for e in events if "RECURRENCE-ID" not in e), events[0])


def overrides(calendar: Calendar) -> list[Event]:
    return [e for e in calendar.walk("VEVENT") if isinstance(e, Event) and "RECURRENCE-ID" in e]


def start_of(event: Event) -> date | datetime:
    value: date | datetime = event.decoded("DTSTART")
    return value


def zone_of(event: Event) -> tzinfo | None:
    start = start_of(event)
    return start.tzinfo if isinstance(start, datetime) else None


def length_of(event: Event) -> timedelta:
    start = start_of(event)
    if "DTEND" in event:
        end = event.decoded("DTEND")
        if isinstance(start, datetime) and isinstance(end, datetime):
            if (start.tzinfo is None) != (end.tzinfo is None):
                end = end.replace(tzinfo=start.tzinfo)
            return max(end - start, timedelta(0))
        if not isinstance(start, datetime) and not isinstance(end, datetime):
            return max(timedelta(days=(end - start).days), timedelta(0))
    if "DURATION" in event:
        length: timedelta = event.decoded("DURATION")
        return max(length, timedelta(0))
    return timedelta(0) if isinstance(start, datetime) else timedelta(days=1)


def rid_key(value: date | datetime, zone: tzinfo | None) -> str:
    """The LocalDateTime key of a RECURRENCE-ID or EXDATE in the master's zone (RFC 8984 4.3.5)."""
    if isinstance(value, datetime) and value.tzinfo is not None and zone is not None:
        value = value.astimezone(zone)
    return v.local_text(value)


def instant(value: date | datetime) -> datetime:
    """An iCalendar time as a UTC instant (a date: its UTC midnight; a floating time read as UTC), as
    the organizer's index reads them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _text(event: Event, name: str) -> str:
    return str(event.get(name, "") or "")


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _timing(event: Event) -> dict[str, Any]:
    start = start_of(event)
    all_day = not isinstance(start, datetime)
    zone = None
    if isinstance(start, datetime) and start.tzinfo is not None:
        zone = v.zone_name(start.tzinfo)
        start = start.astimezone(UTC) if zone is None else start.astimezone(v.zone_of("timeZone", zone))
        zone = zone or "Etc/UTC"
    return {
        "start": v.local_text(start),
        "timeZone": zone,
        "duration": v.duration_text(length_of(event)),
        "showWithoutTime": all_day,
    }


def _locations(event: Event) -> dict[str, Any] | None:
    where = _text(event, "LOCATION")
    return {"1": {"@type": "Location", "name": where}} if where else None


def _address(value: Any) -> str:
    text = str(value)
    return text[7:] if text.lower().startswith("mailto:") else text


def _participants(event: Event | Todo) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    organizer = event.get("ORGANIZER")
    if organizer is not None:
        out["o"] = _participant(organizer, {"owner": True})
    for number, attendee in enumerate(_many(event.get("ATTENDEE")), start=1):
        found = _participant(attendee, {"attendee": True})
        if organizer is not None and found["email"].lower() == _address(organizer).lower():
            out["o"]["roles"]["attendee"] = True
            out["o"]["participationStatus"] = found.get("participationStatus", "needs-action")
            continue
        out[f"a{number}"] = found
    return out or None


def _participant(value: Any, roles: dict[str, bool]) -> dict[str, Any]:
    params = getattr(value, "params", {})
    address = _address(value)
    found: dict[str, Any] = {
        "@type": "Participant",
        "email": address,
        "sendTo": {"imip": f"mailto:{address}"},
        "roles": dict(roles),
    }
    if params.get("CN"):
        found["name"] = str(params["CN"])
    status = str(params.get("PARTSTAT", "")).lower()
    if "attendee" in roles and status in _PARTSTAT:
        found["participationStatus"] = status
    return found


def _override_patch(base: dict[str, Any], event: Event, key: str, zone: tzinfo | None) -> dict[str, Any]:
    """What an overriding VEVENT changes of the series' instance at ``key`` (the properties mapped)."""
    own: dict[str, Any] = {"title": _text(event, "SUMMARY"), "description": _text(event, "DESCRIPTION")}
    if "DTSTART" in event:
        start = start_of(event)
        if isinstance(start, datetime) and start.tzinfo is not None and zone is not None:
            start = start.astimezone(zone)
        own["start"] = v.local_text(start)
        own["duration"] = v.duration_text(length_of(event))
    own["locations"] = _locations(event)
    return {k: value for k, value in own.items() if {**base, "start": key}.get(k) != value}


def event_json(calendar: Calendar) -> dict[str, Any]:
    """The JSCalendar Event of a stored item (its master and exceptions)."""
    head = master(calendar)
    zone = zone_of(head)
    body: dict[str, Any] = {
        "@type": "Event",
        "uid": _text(head, "UID"),
        "title": _text(head, "SUMMARY"),
        "description": _text(head, "DESCRIPTION"),
        **_timing(head),
        "recurrenceRules": [v.rule_json(r, zone) for r in _many(head.get("RRULE"))] or None,
        "recurrenceOverrides": None,
        "locations": _locations(head),
        "participants": _participants(head),
        "alerts": alerts_of(head),
        "status": _STATUS.get(_text(head, "STATUS").upper(), "confirmed"),
        "freeBusyStatus": "free" if _text(head, "TRANSP").upper() == "TRANSPARENT" else "busy",
        "privacy": _PRIVACY.get(_text(head, "CLASS").upper(), "public"),
        "keywords": _keywords(head),
        "sequence": int(head.get("SEQUENCE", 0) or 0),
        "created": _utc(head, "CREATED"),
        "updated": _utc(head, "LAST-MODIFIED") or _utc(head, "DTSTAMP"),
    }
    found: dict[str, Any] = {}
    for item in _many(head.get("EXDATE")):
        for when in getattr(item, "dts", []):
            found[rid_key(when.dt, zone)] = {"excluded": True}
    for event in overrides(calendar):
        key = rid_key(event.decoded("RECURRENCE-ID"), zone)
        found[key] = _override_patch(body, event, key, zone)
    if found:
        body["recurrenceOverrides"] = found
    return body


def alerts_of(event: Event) -> dict[str, Any] | None:
    """The event's VALARMs as JSCalendar Alerts (RFC 8984 4.5.2), keyed "1", "2"... in their order: a
    relative TRIGGER is an OffsetTrigger (from the start, or the end with RELATED=END), a fixed one an
    AbsoluteTrigger; ACTION EMAIL is "email", anything else "display". An alarm without TRIGGER is
    left out (it never rings)."""
    out: dict[str, Any] = {}
    for alarm in event.walk("VALARM"):
        if "TRIGGER" not in alarm:
            continue
        try:
            trigger = alarm.decoded("TRIGGER")
        except (ValueError, TypeError):
            continue
        if isinstance(trigger, timedelta):
            related = str(alarm["TRIGGER"].params.get("RELATED", "START")).upper()
            found: dict[str, Any] = {"@type": "OffsetTrigger", "offset": v.signed_duration_text(trigger)}
            if related == "END":
                found["relativeTo"] = "end"
        elif isinstance(trigger, datetime):
            found = {"@type": "AbsoluteTrigger", "when": v.utc_text(instant(trigger))}
        else:
            continue
        action = "email" if str(alarm.get("ACTION", "") or "").upper() == "EMAIL" else "display"
        out[str(len(out) + 1)] = {"@type": "Alert", "trigger": found, "action": action}
    return out or None


def _keywords(event: Event) -> dict[str, bool] | None:
    words: list[str] = []
    for item in _many(event.get("CATEGORIES")):
        words += [str(c) for c in getattr(item, "cats", [item])]
    return {w: True for w in words if w} or None


def _utc(event: Event, name: str) -> str | None:
    if name not in event:
        return None
    value = event.decoded(name)
    return v.utc_text(instant(value)) if isinstance(value, datetime) else None


def utc_span(body: dict[str, Any]) -> tuple[datetime, datetime]:
    """(utcStart, utcEnd) of an Event object's first instance (a floating or all-day time read as UTC)."""
    start = v.parse_local("start", body["start"])
    zone = v.zone_of("timeZone", body.get("timeZone"))
    first = start.replace(tzinfo=zone).astimezone(UTC) if zone else start.replace(tzinfo=UTC)
    return first, first + v.parse_duration("duration", body["duration"])
