"""A JSCalendar Event (RFC 8984) written into iCalendar text (RFC 5545): a new item, or the stored one
with the properties this server maps replaced and everything else kept.

Why "replace what we map, keep the rest": the same item is read by CalDAV clients and the Standard
calendar, which keep alarms, attendees' parameters and X- properties in it; a JMAP client that changes a
title must not drop them. The mapped properties are the ones event_read.py reads. ORGANIZER and ATTENDEE
lines and VALARMs are rewritten only when ``participants`` or ``alerts`` changed, and then an attendee
already invited keeps its line with all its parameters (its answer among them); overriding VEVENTs get
the master's attendees and alarms too (per-occurrence ones are not offered). Overriding VEVENTs are rebuilt from ``recurrenceOverrides``: one keeps its other properties when
its recurrence id stays. No Flask, no storage.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from icalendar import Alarm, Calendar, Event, Todo

from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import values as v

PRODID = "-//Fieldpost//JMAP calendars//EN"
ZONE_YEARS = 10  # how far a new VTIMEZONE describes its zone's changes (as the Standard calendar writes)
#: What a client may set (``participants`` only as the organizer: event_set.py checks who).
WRITABLE = frozenset(
    {
        "calendarIds", "uid", "title", "description", "start", "timeZone", "duration", "showWithoutTime",
        "recurrenceRules", "recurrenceOverrides", "locations", "participants", "alerts", "status",
        "freeBusyStatus", "privacy", "keywords",
    }
)  # fmt: skip
MAX_PARTICIPANTS = 100  # as the Standard event form (webmail/calendar/event_form.py MAX_ATTENDEES)
MAX_ALERTS = 10
_PARTSTAT_WRITTEN = {"needs-action", "accepted", "declined", "tentative", "delegated"}
#: Server-set properties: ignored when a client sends them back on create.
SERVER_SET = frozenset(
    {"id", "baseEventId", "@type", "isDraft", "isOrigin", "utcStart", "utcEnd", "created", "updated", "sequence",
     "recurrenceId", "recurrenceIdTimeZone", "mayInviteSelf", "mayInviteOthers", "hideAttendees"}
)  # fmt: skip
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+")
_STATUS = {"tentative": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}
_PRIVACY = {"public": "PUBLIC", "private": "PRIVATE", "secret": "CONFIDENTIAL"}
_OVERRIDABLE = frozenset({"title", "description", "start", "duration", "locations", "excluded"})
_MAPPED = ("SUMMARY", "DESCRIPTION", "DTSTART", "DTEND", "DURATION", "RRULE", "EXDATE", "LOCATION", "STATUS",
           "TRANSP", "CLASS", "CATEGORIES")  # fmt: skip


def defaults() -> dict[str, Any]:
    """A new Event's values for what the client left out (RFC 8984's defaults)."""
    return {
        "title": "", "description": "", "timeZone": None, "duration": "PT0S", "showWithoutTime": False,
        "recurrenceRules": None, "recurrenceOverrides": None, "locations": None, "participants": None,
        "alerts": None, "status": "confirmed", "freeBusyStatus": "busy", "privacy": "public", "keywords": None,
    }  # fmt: skip


def check(body: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Refuse what this server cannot store (``before``: the stored event on an update).

    Raises:
        v.Invalid: the property and what is wrong.
    """
    v.check_common(body, before, WRITABLE, SERVER_SET)
    _check_participants(body.get("participants"))
    _check_alerts(body.get("alerts"))
    for name, table in (("status", _STATUS), ("privacy", _PRIVACY)):
        if body.get(name) not in table:
            raise v.Invalid(name, f"is one of {', '.join(table)}")
    if body.get("freeBusyStatus") not in ("free", "busy"):
        raise v.Invalid("freeBusyStatus", "is free or busy")
    _timing(body)
    keywords = body.get("keywords")
    if keywords is not None and (
        not isinstance(keywords, dict)
        or not all(isinstance(k, str) and val is True for k, val in keywords.items())
    ):
        raise v.Invalid("keywords", "maps words to true")
    locations = body.get("locations")
    if locations is not None and (
        not isinstance(locations, dict) or not all(isinstance(x, dict) for x in locations.values())
    ):
        raise v.Invalid("locations", "maps ids to Location objects")
    rules = body.get("recurrenceRules")
    if rules is not None and not isinstance(rules, list):
        raise v.Invalid("recurrenceRules", "must be an array of RecurrenceRule objects or null")
    start, zone, _ = _timing(body)
    for rule in rules or []:
        v.rule_ical(rule, zone, not isinstance(start, datetime))
    found = body.get("recurrenceOverrides")
    if found is not None:
        if not isinstance(found, dict) or not all(isinstance(p, dict) for p in found.values()):
            raise v.Invalid("recurrenceOverrides", "maps LocalDateTimes to patch objects")
        for key, patch in found.items():
            v.parse_written("recurrenceOverrides", key)
            unknown = sorted(set(patch) - _OVERRIDABLE)
            if unknown:
                raise v.Invalid(
                    "recurrenceOverrides", f"an override may change only {', '.join(sorted(_OVERRIDABLE))}"
                )
            if patch.get("excluded") not in (None, True, False):
                raise v.Invalid("recurrenceOverrides", "excluded is true or false")


def _check_participants(found: Any) -> None:
    """Participants this server can write as ORGANIZER and ATTENDEE lines: each with an e-mail
    address, at most one owner, at most ``MAX_PARTICIPANTS``."""
    if found is None:
        return
    if not isinstance(found, dict) or not all(isinstance(p, dict) for p in found.values()):
        raise v.Invalid("participants", "maps ids to Participant objects")
    if len(found) > MAX_PARTICIPANTS:
        raise v.Invalid("participants", f"at most {MAX_PARTICIPANTS}")
    owners = 0
    for person in found.values():
        email = person.get("email")
        if not isinstance(email, str) or not _ADDRESS.fullmatch(email.strip()):
            raise v.Invalid("participants", "each participant needs an e-mail address")
        roles = person.get("roles", {"attendee": True})
        if not isinstance(roles, dict) or not all(val is True for val in roles.values()):
            raise v.Invalid("participants", "roles maps role names to true")
        owners += bool(roles.get("owner"))
        status = person.get("participationStatus", "needs-action")
        if status not in _PARTSTAT_WRITTEN:
            raise v.Invalid(
                "participants", f"participationStatus is one of {', '.join(sorted(_PARTSTAT_WRITTEN))}"
            )
        if person.get("name") is not None and not isinstance(person["name"], str):
            raise v.Invalid("participants", "a name is a string")
    if owners > 1:
        raise v.Invalid("participants", "an event has one owner (its organizer)")


def _check_alerts(found: Any) -> None:
    """Alerts this server can write as VALARMs: an OffsetTrigger (from the start or the end) or an
    AbsoluteTrigger, action display or email."""
    if found is None:
        return
    if not isinstance(found, dict) or not all(isinstance(a, dict) for a in found.values()):
        raise v.Invalid("alerts", "maps ids to Alert objects")
    if len(found) > MAX_ALERTS:
        raise v.Invalid("alerts", f"at most {MAX_ALERTS}")
    for alert in found.values():
        unknown = sorted(set(alert) - {"@type", "trigger", "action", "acknowledged", "relatedTo"})
        if unknown:
            raise v.Invalid("alerts", f"{', '.join(unknown)} not supported in an alert")
        if alert.get("action", "display") not in ("display", "email"):
            raise v.Invalid("alerts", "action is display or email")
        trigger = alert.get("trigger")
        if not isinstance(trigger, dict):
            raise v.Invalid("alerts", "each alert needs a trigger")
        kind = trigger.get("@type", "OffsetTrigger")
        if kind == "OffsetTrigger":
            if trigger.get("relativeTo", "start") not in ("start", "end"):
                raise v.Invalid("alerts", "relativeTo is start or end")
            if abs(v.parse_signed_duration("alerts", trigger.get("offset"))) > timedelta(days=366):
                raise v.Invalid("alerts", "an offset is at most a year")
        elif kind == "AbsoluteTrigger":
            v.parse_utc("alerts", trigger.get("when"))
        else:
            raise v.Invalid("alerts", "a trigger is an OffsetTrigger or an AbsoluteTrigger")


def _timing(body: dict[str, Any]) -> tuple[date | datetime, tzinfo | None, timedelta]:
    """(DTSTART value, zone, length) of the body's start, timeZone, duration and showWithoutTime."""
    if "start" not in body:
        raise v.Invalid("start", "is required")
    start = v.parse_written("start", body["start"])
    length = v.parse_duration("duration", body.get("duration", "PT0S"))
    try:
        start + length
    except OverflowError:
        raise v.Invalid("duration", "ends beyond the last year this server stores") from None
    if body.get("showWithoutTime"):
        if start.time() != datetime.min.time() or length % timedelta(days=1):
            raise v.Invalid("duration", "an event without time starts at midnight and lasts whole days")
        return start.date(), None, max(length, timedelta(days=1))
    zone = v.zone_of("timeZone", body.get("timeZone"))
    return (start.replace(tzinfo=zone) if zone else start), zone, length


def _set_timing(event: Event, start: date | datetime, length: timedelta) -> None:
    for name in ("DTSTART", "DTEND", "DURATION"):
        event.pop(name, None)
    event.add("DTSTART", start)
    event.add("DTEND", start + length)


def _location_name(locations: Any) -> str:
    if not locations:
        return ""
    first = locations[sorted(locations)[0]]
    return str(first.get("name") or "")


def _apply_master(event: Event, body: dict[str, Any]) -> None:
    for name in _MAPPED:
        event.pop(name, None)
    if body["title"]:
        event.add("SUMMARY", body["title"])
    if body["description"]:
        event.add("DESCRIPTION", body["description"])
    start, zone, length = _timing(body)
    _set_timing(event, start, length)
    for rule in body.get("recurrenceRules") or []:
        event.add("RRULE", v.rule_ical(rule, zone, not isinstance(start, datetime)))
    where = _location_name(body.get("locations"))
    if where:
        event.add("LOCATION", where)
    event.add("STATUS", _STATUS[body["status"]])
    if body["freeBusyStatus"] == "free":
        event.add("TRANSP", "TRANSPARENT")
    if body["privacy"] != "public":
        event.add("CLASS", _PRIVACY[body["privacy"]])
    if body.get("keywords"):
        event.add("CATEGORIES", list(body["keywords"]))


def _in_master_form(key: str, start: date | datetime) -> date | datetime:
    """A recurrenceOverrides key as the master's DTSTART is written (DATE, zoned or floating)."""
    local = v.parse_local("recurrenceOverrides", key)
    if not isinstance(start, datetime):
        return local.date()
    return local.replace(tzinfo=start.tzinfo) if start.tzinfo else local


def _apply_overrides(calendar: Calendar, head: Event, body: dict[str, Any]) -> None:
    start, zone, length = _timing(body)
    kept = {read.rid_key(e.decoded("RECURRENCE-ID"), zone): e for e in read.overrides(calendar)}
    for event in kept.values():
        calendar.subcomponents.remove(event)
    found = body.get("recurrenceOverrides") or {}
    excluded = [_in_master_form(k, start) for k, p in sorted(found.items()) if p.get("excluded")]
    if excluded and body.get("recurrenceRules"):
        head.add("EXDATE", excluded)
    for key, patch in sorted(found.items()):
        if patch.get("excluded"):
            continue
        rid = _in_master_form(key, start)
        event = kept.get(key) or _copy_of(head, rid)
        own = {
            "title": str(event.get("SUMMARY", "")),
            "description": str(event.get("DESCRIPTION", "")),
            "locations": read._locations(event),
        }
        merged = {**{k: body.get(k) for k in own}, **patch}
        for name, prop in (("title", "SUMMARY"), ("description", "DESCRIPTION")):
            event.pop(prop, None)
            if merged.get(name):
                event.add(prop, merged[name])
        event.pop("LOCATION", None)
        if _location_name(merged.get("locations")):
            event.add("LOCATION", _location_name(merged["locations"]))
        moved = _timing(
            {**body, "start": patch.get("start", key), "duration": patch.get("duration", body["duration"])}
        )
        _set_timing(event, moved[0], moved[2])
        calendar.add_component(event)


def _copy_of(head: Event, rid: date | datetime) -> Event:
    """A new overriding VEVENT: the master's identity, attendees and alarms (so the occurrence still
    rings and its attendees still get it), at ``rid``."""
    event = Event()
    for name in ("UID", "DTSTAMP", "SEQUENCE", "STATUS", "TRANSP", "CLASS", "ORGANIZER", "ATTENDEE"):
        for value in read._many(head.get(name)):
            event.add(name, copy.deepcopy(value))
    event.add("RECURRENCE-ID", rid)
    for alarm in head.walk("VALARM"):
        event.add_component(copy.deepcopy(alarm))
    return event


def _set_participants(event: Event | Todo, found: dict[str, Any] | None) -> None:
    """ORGANIZER and ATTENDEE lines of ``found``; an address already on the event keeps its line (its
    answer, RSVP and other parameters), a new one is invited with PARTSTAT NEEDS-ACTION and RSVP."""
    kept = {read._address(a).lower(): a for a in read._many(event.pop("ATTENDEE", None))}
    event.pop("ORGANIZER", None)
    for person in (found or {}).values():
        address = str(person["email"]).strip()
        roles = person.get("roles", {"attendee": True})
        params = {"CN": person["name"]} if person.get("name") else {}
        if roles.get("owner"):
            event.add("ORGANIZER", f"mailto:{address}", parameters=params)
            if not roles.get("attendee"):
                continue
        old = kept.get(address.lower())
        if old is not None:
            event.add("ATTENDEE", old)
            continue
        params |= {
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": str(person.get("participationStatus", "needs-action")).upper(),
            "RSVP": "TRUE",
        }
        event.add("ATTENDEE", f"mailto:{address}", parameters=params)


def _set_alarms(event: Event, alerts: dict[str, Any] | None, summary: str) -> None:
    event.subcomponents = [c for c in event.subcomponents if c.name != "VALARM"]
    for _, alert in sorted((alerts or {}).items()):
        alarm = Alarm()
        email = alert.get("action") == "email"
        alarm.add("ACTION", "EMAIL" if email else "DISPLAY")
        alarm.add("DESCRIPTION", summary or "Reminder")
        if email:
            alarm.add("SUMMARY", summary or "Reminder")
        trigger = alert["trigger"]
        if trigger.get("@type", "OffsetTrigger") == "AbsoluteTrigger":
            alarm.add("TRIGGER", v.parse_utc("alerts", trigger["when"]))
        else:
            offset = v.parse_signed_duration("alerts", trigger["offset"])
            related = {"RELATED": "END"} if trigger.get("relativeTo") == "end" else {}
            alarm.add("TRIGGER", offset, parameters=related)
        event.add_component(alarm)


def _people_and_alarms(calendar: Calendar, head: Event, body: dict[str, Any]) -> None:
    """Rewrite attendees and alarms, on the master and every override, when the body changed them
    (compared with what the stored master reads as)."""
    events = [head, *read.overrides(calendar)]
    if body.get("participants") != read._participants(head):
        for event in events:
            _set_participants(event, body.get("participants"))
    if body.get("alerts") != read.alerts_of(head):
        for event in events:
            _set_alarms(event, body.get("alerts"), body["title"])


def _touch(event: Event, now: datetime) -> None:
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        event.pop(name, None)
        event.add(name, now.astimezone(UTC))


def calendar_bytes(calendar: Calendar) -> bytes:
    """The calendar's text with a VTIMEZONE for each zone it names (RFC 5545 3.6.5), covering the year
    before its first event or task to ``ZONE_YEARS`` after (icalendar's default span, 1970-2037, is a
    hundred RDATEs per zone that every later read would parse)."""
    starts = [
        c.decoded(name)
        for kind in ("VEVENT", "VTODO")
        for c in calendar.walk(kind)
        for name in ("DTSTART", "DUE")
        if name in c
    ]
    first = min((d.year for d in starts), default=datetime.now(UTC).year)
    calendar.add_missing_timezones(
        first_date=date(max(first - 1, 1900), 1, 1), last_date=date(first + ZONE_YEARS, 1, 1)
    )
    return bytes(calendar.to_ical())


def new_item(body: dict[str, Any], now: datetime) -> bytes:
    """A new item holding the (checked) Event ``body``."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    event = Event()
    event.add("UID", body["uid"])
    event.add("CREATED", now.astimezone(UTC))
    event.add("SEQUENCE", 0)
    _touch(event, now)
    _apply_master(event, body)
    _people_and_alarms(calendar, event, body)
    calendar.add_component(event)
    _apply_overrides(calendar, event, body)
    return calendar_bytes(calendar)


def changed_item(data: bytes, body: dict[str, Any], now: datetime) -> bytes:
    """The stored item ``data`` with its master and overrides set to the (checked) Event ``body``."""
    calendar = read.parse(data)
    head = read.master(calendar)
    sequence = int(head.get("SEQUENCE", 0) or 0)
    head.pop("SEQUENCE", None)
    head.add("SEQUENCE", sequence + 1)  # RFC 5546 2.1.4: a change the attendees see
    _touch(head, now)
    _people_and_alarms(calendar, head, body)
    _apply_master(head, body)
    _apply_overrides(calendar, head, body)
    return calendar_bytes(calendar)


def new_uid() -> str:
    return f"{uuid.uuid4()}@fieldpost"
