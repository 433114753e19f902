"""An event form's draft as iCalendar (RFC 5545) bytes, and back.

The organizer stores an event as the iCalendar text of one resource: a VCALENDAR holding the series'
master VEVENT (with its RRULE and EXDATEs) and one VEVENT per changed occurrence, each carrying the
RECURRENCE-ID of the occurrence it replaces (RFC 5545 3.8.4.4). The pages change that text only here:

* :func:`new_event` -- a fresh resource (UID, DTSTAMP, VTIMEZONE for the zone used);
* :func:`change_series` -- "the whole series": the master's properties become the draft's, its
  exceptions stay, SEQUENCE goes up (RFC 5546 2.1.4);
* :func:`change_occurrence` -- "this occurrence": adds or replaces the override for one RECURRENCE-ID;
* :func:`exclude_occurrence` -- deletes one occurrence: an EXDATE on the master, its override gone;
* :func:`read_draft` -- what the edit form shows for the series or for one occurrence.

What the form cannot show is kept: other properties (URL, CLASS, X-...), ATTENDEE parameters such as
PARTSTAT of people still invited, alarms when the reminder did not change, a rule the form cannot
express (``Repeat.custom``). RECURRENCE-ID and EXDATE are written in the master DTSTART's own form (DATE,
zoned or floating) as RFC 5545 3.8.5.1 asks. No Flask, no storage.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from webmail.calendar.event_form import DEFAULT_LENGTH, EventDraft
from webmail.calendar.recurrence import from_rrule, to_rrule

PRODID = "-//Fieldpost//WebMail calendar//EN"
ZONE_YEARS = 10  # how far a new VTIMEZONE describes the zone's changes (clients know IANA names anyway)
_VTIMEZONE = re.compile(rb"BEGIN:VTIMEZONE\r?\n.*?END:VTIMEZONE\r?\n", re.S | re.I)
UTC = ZoneInfo("UTC")
#: Properties the form owns: replaced from the draft on every save (the rest of the event is kept).
_FORM_PROPERTIES = ("SUMMARY", "LOCATION", "DESCRIPTION", "DTSTART", "DTEND", "DURATION", "CATEGORIES")


class EventDataError(ValueError):
    """The stored text holds no event the form can work on (not iCalendar, or no VEVENT)."""


def new_event(draft: EventDraft, organizer: str, now: datetime, uid: str | None = None) -> bytes:
    """A new calendar resource holding ``draft`` (``organizer``: the signed-in user's address)."""
    calendar = _calendar()
    event = Event()
    event.add("UID", uid or f"{uuid.uuid4()}@fieldpost")
    event.add("DTSTAMP", now.astimezone(UTC))
    event.add("CREATED", now.astimezone(UTC))
    _apply(event, draft, organizer, now, series=True)
    event.pop("SEQUENCE", None)
    event.add("SEQUENCE", 0)  # RFC 5545 3.8.7.4: a new event starts at 0
    calendar.add_component(event)
    return _bytes(calendar)


def change_series(data: bytes, draft: EventDraft, organizer: str, now: datetime) -> bytes:
    """``data`` with its master event (the only event of a single one) set to ``draft``."""
    calendar = _parse(data)
    _apply(_master(calendar), draft, organizer, now, series=True)
    return _bytes(calendar)


def change_occurrence(
    data: bytes, recurrence_id: datetime, draft: EventDraft, organizer: str, now: datetime
) -> bytes:
    """``data`` with the occurrence that started at ``recurrence_id`` (UTC) replaced by ``draft``."""
    calendar = _parse(data)
    master = _master(calendar)
    override = _override(calendar, recurrence_id)
    if override is None:
        override = Event()
        for name, value in master.property_items(recursive=False):
            if name not in ("BEGIN", "END", "RRULE", "RDATE", "EXDATE", "EXRULE"):
                override.add(name, value)
        for alarm in master.walk("VALARM"):
            override.add_component(alarm)
        override.add("RECURRENCE-ID", _as_start_form(master, recurrence_id))
        calendar.add_component(override)
    _apply(override, draft, organizer, now, series=False)
    return _bytes(calendar)


def exclude_occurrence(data: bytes, recurrence_id: datetime, now: datetime) -> bytes:
    """``data`` without the occurrence that started at ``recurrence_id``: an EXDATE on the master
    (RFC 5545 3.8.5.1) and no override for it."""
    calendar = _parse(data)
    master = _master(calendar)
    override = _override(calendar, recurrence_id)
    if override is not None:
        calendar.subcomponents.remove(override)
    master.add("EXDATE", _as_start_form(master, recurrence_id))
    _touch(master, now)
    return _bytes(calendar)


def read_draft(data: bytes, recurrence_id: datetime | None, zone: str) -> EventDraft:
    """The form's view of the series (``recurrence_id`` None) or of one occurrence of it; a floating or
    UTC time is shown in ``zone`` (the user's)."""
    calendar = _parse(data)
    master = _master(calendar)
    event = master
    start = master.decoded("DTSTART")
    end = _end_of(master, start)
    if recurrence_id is not None:
        found = _override(calendar, recurrence_id)
        if found is not None:
            event = found
            start = found.decoded("DTSTART")
            end = _end_of(found, start)
        elif "RRULE" in master or "RDATE" in master:
            moved = _as_start_form(master, recurrence_id)
            start, end = moved, moved + (end - start)
    base = EventDraft(
        summary=str(event.get("SUMMARY", "")),
        start_day=date.min,
        end_day=date.min,
        location=str(event.get("LOCATION", "")),
        description=str(event.get("DESCRIPTION", "")),
        reminder=_reminder_of(event),
        categories=tuple(
            str(c) for line in _list(event.get("CATEGORIES")) for c in getattr(line, "cats", ())
        ),
        attendees=tuple(
            str(a).removeprefix("mailto:").removeprefix("MAILTO:") for a in _list(event.get("ATTENDEE"))
        ),
    )
    rule = master.get("RRULE") if event is master and recurrence_id is None else None
    if isinstance(start, datetime):
        local = _zone_of(start, zone)
        shown = ZoneInfo(local)
        first = start.astimezone(shown) if start.tzinfo else start
        last = end.astimezone(shown) if isinstance(end, datetime) and end.tzinfo else end
        if not isinstance(last, datetime):
            last = first + DEFAULT_LENGTH
        return replace(
            base,
            start_day=first.date(),
            end_day=last.date(),
            start_time=first.time().replace(second=0, microsecond=0),
            end_time=last.time().replace(second=0, microsecond=0),
            zone=local,
            repeat=from_rrule(rule, shown),
        )
    last_day = end - timedelta(days=1) if not isinstance(end, datetime) else start
    return replace(
        base,
        start_day=start,
        end_day=max(start, last_day),
        all_day=True,
        zone=zone,
        repeat=from_rrule(rule, ZoneInfo(zone)),
    )


def is_recurring(data: bytes) -> bool:
    master = _master(_parse(data))
    return "RRULE" in master or "RDATE" in master


def event_uid(data: bytes) -> str:
    return str(_master(_parse(data)).get("UID", ""))


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    return calendar


def _parse(data: bytes) -> Calendar:
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise EventDataError(f"not iCalendar: {exc}") from None
    if not isinstance(calendar, Calendar) or not calendar.walk("VEVENT"):
        raise EventDataError("no event in this item")
    return calendar


def _bytes(calendar: Calendar) -> bytes:
    """The calendar's text, with a VTIMEZONE for each zone it names (RFC 5545 3.6.5). A new definition
    covers the year before the series starts to :data:`ZONE_YEARS` after: the whole 1970-2037 span
    icalendar writes by default is a hundred RDATEs per zone, which every later read would parse."""
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT") if "DTSTART" in e]
    first = min((d.year for d in starts), default=1970)
    calendar.add_missing_timezones(
        first_date=date(max(first - 1, 1900), 1, 1), last_date=date(first + ZONE_YEARS, 1, 1)
    )
    return bytes(calendar.to_ical())


def _master(calendar: Calendar) -> Event:
    events = [e for e in calendar.walk("VEVENT") if isinstance(e, Event)]
    return next((e for e in events if "RECURRENCE-ID" not in e), events[0])


def _override(calendar: Calendar, recurrence_id: datetime) -> Event | None:
    for event in calendar.walk("VEVENT"):
        if (
            isinstance(event, Event)
            and "RECURRENCE-ID" in event
            and _instant(event.decoded("RECURRENCE-ID")) == recurrence_id
        ):
            return event
    return None


def _instant(value: date | datetime) -> datetime:
    """A DTSTART/RECURRENCE-ID value as a UTC instant: a DATE is UTC midnight, a floating time is read as
    UTC (the organizer's index does the same)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _as_start_form(master: Event, instant: datetime) -> date | datetime:
    """``instant`` written the way the master's DTSTART is (DATE, zoned time, or floating)."""
    start = master.decoded("DTSTART")
    if not isinstance(start, datetime):
        return instant.date()
    if start.tzinfo is None:
        return instant.astimezone(UTC).replace(tzinfo=None)
    return instant.astimezone(start.tzinfo)


def _end_of(event: Event, start: date | datetime) -> date | datetime:
    if "DTEND" in event:
        end: date | datetime = event.decoded("DTEND")
        return end
    if "DURATION" in event:
        length: timedelta = event.decoded("DURATION")
        return start + length
    if isinstance(start, datetime):
        return start + DEFAULT_LENGTH
    return start + timedelta(days=1)


def _zone_of(start: datetime, fallback: str) -> str:
    zone: tzinfo | None = start.tzinfo
    key = getattr(zone, "key", None)
    if isinstance(key, str) and key != "UTC":
        return key
    return fallback


def _list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _reminder_of(event: Event) -> int | None:
    for alarm in event.walk("VALARM"):
        trigger = alarm.get("TRIGGER")
        if trigger is None or trigger.params.get("RELATED", "START") != "START":
            continue
        offset = alarm.decoded("TRIGGER")
        if isinstance(offset, timedelta) and offset <= timedelta(0):
            return int(-offset.total_seconds() // 60)
    return None


def _apply(event: Event, draft: EventDraft, organizer: str, now: datetime, *, series: bool) -> None:
    """Set the form's properties of ``event`` from ``draft``; keep everything else."""
    for name in _FORM_PROPERTIES:
        event.pop(name, None)
    event.add("SUMMARY", draft.summary)
    if draft.location:
        event.add("LOCATION", draft.location)
    if draft.description:
        event.add("DESCRIPTION", draft.description)
    event.add("DTSTART", draft.start())
    event.add("DTEND", draft.end())
    if draft.categories:
        event.add("CATEGORIES", list(draft.categories))
    if series and not draft.repeat.custom:
        event.pop("RRULE", None)
        rule = to_rrule(draft.repeat, draft.start())
        if rule is not None:
            event.add("RRULE", rule)
    _set_attendees(event, draft.attendees, organizer)
    if _reminder_of(event) != draft.reminder:
        event.subcomponents = [c for c in event.subcomponents if c.name != "VALARM"]
        if draft.reminder is not None:
            alarm = Alarm()
            alarm.add("ACTION", "DISPLAY")
            alarm.add("DESCRIPTION", draft.summary)
            alarm.add("TRIGGER", timedelta(minutes=-draft.reminder))
            event.add_component(alarm)
    _touch(event, now)


def _set_attendees(event: Event, addresses: tuple[str, ...], organizer: str) -> None:
    """ATTENDEE lines for ``addresses`` (kept with their parameters when already invited) and the
    ORGANIZER (RFC 5545 3.8.4.3: required once there are attendees)."""
    kept = {str(a).lower().removeprefix("mailto:"): a for a in _list(event.pop("ATTENDEE", None))}
    for address in addresses:
        old = kept.get(address.lower())
        if old is not None:
            event.add("ATTENDEE", old)
        else:
            params = {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}
            event.add("ATTENDEE", f"mailto:{address}", parameters=params)
    if addresses and "ORGANIZER" not in event:
        event.add("ORGANIZER", f"mailto:{organizer}")
    elif not addresses and str(event.get("ORGANIZER", "")).lower() == f"mailto:{organizer.lower()}":
        event.pop("ORGANIZER", None)


def _touch(event: Event, now: datetime) -> None:
    """Mark a change: DTSTAMP and LAST-MODIFIED now, SEQUENCE one up (RFC 5545 3.8.7.4)."""
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        event.pop(name, None)
        event.add(name, now.astimezone(UTC))
    sequence = int(event.get("SEQUENCE", 0) or 0)
    event.pop("SEQUENCE", None)
    event.add("SEQUENCE", sequence + 1)


@dataclass(frozen=True)
class Trigger:
    """One VALARM's trigger: an offset from the start (or the end, ``from_end``), or a fixed instant."""

    offset: timedelta | None = None
    from_end: bool = False
    at: datetime | None = None

    def rings_at(self, starts_at: datetime, ends_at: datetime) -> datetime:
        if self.at is not None:
            return self.at
        return (ends_at if self.from_end else starts_at) + (self.offset or timedelta(0))


@dataclass(frozen=True)
class Alarms:
    """The alarms of one stored event, read once: the master's and each override's (by RECURRENCE-ID)."""

    master: tuple[Trigger, ...]
    overrides: dict[datetime, tuple[Trigger, ...]]

    def times(self, recurrence_id: datetime | None, starts_at: datetime, ends_at: datetime) -> list[datetime]:
        """When the alarms of one occurrence go off (UTC): its override's, else the master's."""
        chosen = self.overrides.get(recurrence_id, self.master) if recurrence_id is not None else self.master
        return sorted(a.rings_at(starts_at, ends_at) for a in chosen)


def read_alarms(data: bytes) -> Alarms:
    """The VALARM triggers of a stored event; a relative TRIGGER counts from the start, or from the end
    with RELATED=END (RFC 5545 3.8.6.3). Text without any VALARM is not parsed at all, and without
    overrides its VTIMEZONEs (most of the text, and of the parsing time) are skipped."""
    upper = data.upper()
    if b"BEGIN:VALARM" not in upper:
        return Alarms((), {})
    if b"RECURRENCE-ID" not in upper:  # offsets only: the time zone definitions are not needed
        data = _VTIMEZONE.sub(b"", data)
    calendar = _parse(data)
    master = _master(calendar)
    overrides = {
        _instant(e.decoded("RECURRENCE-ID")): _alarms_of(e)
        for e in calendar.walk("VEVENT")
        if isinstance(e, Event) and "RECURRENCE-ID" in e
    }
    return Alarms(_alarms_of(master), overrides)


def _alarms_of(event: Event) -> tuple[Trigger, ...]:
    found = []
    for alarm in event.walk("VALARM"):
        if "TRIGGER" not in alarm:
            continue
        trigger = alarm.decoded("TRIGGER")
        if isinstance(trigger, timedelta):
            related = str(alarm["TRIGGER"].params.get("RELATED", "START")).upper()
            found.append(Trigger(offset=trigger, from_end=related == "END"))
        elif isinstance(trigger, datetime):
            found.append(Trigger(at=_instant(trigger)))
    return tuple(found)
