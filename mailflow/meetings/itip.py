"""iTIP (RFC 5546) objects: reading a scheduling message and writing REQUEST, REPLY and CANCEL.

Pure functions over iCalendar text (``icalendar``): no storage, no mail, no clock unless given one, so
everything here is fuzzable. ``read`` turns the text/calendar part of a message into an ``ItipMessage``
(what it asks, for which event, from whom) or raises ``ItipError`` with a clear reason; the
``request``/``reply``/``cancel`` builders take the organizer's or an attendee's stored copy of an event
and return the iCalendar text to send.

Choices, with their RFC section:

* One scheduling object per message: every component has the same UID (RFC 5546 2.1.5, 3.2); the master
  and any overridden instances (RECURRENCE-ID) travel together.
* Only VEVENT and VTODO are scheduled (the manual's meetings and assigned tasks); VJOURNAL and VFREEBUSY
  messages are refused as unsupported, which the caller logs and otherwise ignores.
* Alarms are the owner's own business: a REQUEST carries none (RFC 5546 3.2.2 allows them, but an
  organizer's reminder is rarely what an attendee wants), and VALARMs of an attendee's copy survive an
  update.
* Addresses are compared without the ``mailto:`` scheme and case-folded (RFC 5545 3.3.3 calendar user
  addresses; RFC 5321 treats the local part as case-sensitive, but no real mail system does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from icalendar import Calendar, Component, Event, Todo, vCalAddress

PRODID = "-//Fieldpost//Meetings//EN"
#: Properties of our own bookkeeping (``X-FIELDPOST-REMINDED``...), never sent to others.
PRIVATE_PREFIX = "X-FIELDPOST-"
#: Largest calendar text read from a message; a bigger one is refused rather than parsed.
MAX_CALENDAR_BYTES = 1024 * 1024
#: Most components (master and overridden instances) one scheduling message may carry.
MAX_COMPONENTS = 500

SCHEDULED = ("VEVENT", "VTODO")
METHODS = ("PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER")
#: The answers a person gives (RFC 5545 3.2.12 for VEVENT); NEEDS-ACTION is "not answered yet".
ANSWERS = ("ACCEPTED", "TENTATIVE", "DECLINED")
PARTSTATS = ("NEEDS-ACTION", *ANSWERS, "DELEGATED", "COMPLETED", "IN-PROCESS")


class ItipError(ValueError):
    """Calendar text that is not a scheduling message we can act on; the text says why."""


@dataclass(frozen=True)
class Attendee:
    address: str  # lower case, no "mailto:"
    partstat: str  # NEEDS-ACTION when absent (RFC 5545 3.2.12's default)
    name: str  # CN, "" when absent
    role: str  # REQ-PARTICIPANT when absent
    cutype: str  # INDIVIDUAL when absent; ROOM / RESOURCE for rooms and equipment
    rsvp: bool


@dataclass(frozen=True)
class Instance:
    """One component of the scheduling object: the master (``recurrence_id`` None) or an override."""

    recurrence_id: str | None  # the RECURRENCE-ID value as written (UTC text for date-times)
    sequence: int
    status: str  # STATUS, upper case, "" when absent
    summary: str
    location: str
    start: datetime | date | None
    end: datetime | date | None
    attendees: tuple[Attendee, ...]


@dataclass(frozen=True)
class ItipMessage:
    method: str
    component: str  # VEVENT | VTODO
    uid: str
    organizer: str  # lower case address, "" when absent
    organizer_name: str
    instances: tuple[Instance, ...]  # the master first when there is one
    recurring: bool  # the master has RRULE or RDATE

    @property
    def sequence(self) -> int:
        """The highest SEQUENCE of the components (the master's, normally)."""
        return max(i.sequence for i in self.instances)

    @property
    def first(self) -> Instance:
        return self.instances[0]

    def attendee(self, address: str) -> Attendee | None:
        """``address`` as an attendee of the first component, or None."""
        wanted = address_of(address)
        return next((a for a in self.first.attendees if a.address == wanted), None)

    def attendee_addresses(self) -> list[str]:
        """Every attendee of every component, each once, in order of appearance."""
        seen: dict[str, None] = {}
        for instance in self.instances:
            for attendee in instance.attendees:
                seen.setdefault(attendee.address, None)
        return list(seen)


def address_of(value: object) -> str:
    """A calendar user address as a mail address: without ``mailto:``, stripped, lower case."""
    text = str(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip().lower()


def calendar_address(address: str) -> str:
    return f"mailto:{address_of(address)}"


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(component: Component, name: str) -> str:
    value = component.get(name)
    return "" if value is None else str(value)


def sequence_number(component: Component) -> int:
    try:
        value = int(str(component.get("SEQUENCE", 0)))
    except ValueError as exc:
        raise ItipError(f"SEQUENCE is not a number: {component.get('SEQUENCE')}") from exc
    if value < 0:
        raise ItipError("SEQUENCE is negative")
    return value


def _when(component: Component, name: str) -> datetime | date | None:
    if name not in component:
        return None
    try:
        value = component.decoded(name)
    except (ValueError, TypeError, KeyError) as exc:
        raise ItipError(f"{name} is not a date or date-time") from exc
    return value if isinstance(value, (datetime, date)) else None


def recurrence_key(component: Component) -> str | None:
    """The RECURRENCE-ID of a component as comparable text (a date-time in UTC), None for a master."""
    if "RECURRENCE-ID" not in component:
        return None
    try:
        value = component.decoded("RECURRENCE-ID")
    except (ValueError, TypeError, KeyError) as exc:
        raise ItipError("RECURRENCE-ID is not a date or date-time") from exc
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y%m%dT%H%M%S") + ("Z" if value.tzinfo is not None else "")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    raise ItipError("RECURRENCE-ID is not a date or date-time")


def attendees_of(component: Component) -> tuple[Attendee, ...]:
    out = []
    for value in as_list(component.get("ATTENDEE")):
        params = getattr(value, "params", {})
        address = address_of(value)
        if not address:
            continue
        out.append(
            Attendee(
                address=address,
                partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                name=str(params.get("CN", "")),
                role=str(params.get("ROLE", "REQ-PARTICIPANT")).upper(),
                cutype=str(params.get("CUTYPE", "INDIVIDUAL")).upper(),
                rsvp=str(params.get("RSVP", "FALSE")).upper() == "TRUE",
            )
        )
    return tuple(out)


def parse_calendar(data: bytes | str) -> Calendar:
    """The VCALENDAR of ``data``.

    Raises:
        ItipError: too large, not iCalendar, or not exactly one VCALENDAR.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_CALENDAR_BYTES:
        raise ItipError(f"the calendar is larger than {MAX_CALENDAR_BYTES} bytes")
    try:
        calendars = Calendar.from_ical(raw, multiple=True)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ItipError(f"not iCalendar text: {exc}") from exc
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise ItipError("expected exactly one VCALENDAR")
    calendar = calendars[0]
    assert isinstance(calendar, Calendar)
    return calendar


def scheduled_components(calendar: Calendar) -> list[Component]:
    """The VEVENTs / VTODOs directly inside the calendar."""
    return [c for c in calendar.subcomponents if c.name in SCHEDULED]


def read(data: bytes | str) -> ItipMessage:
    """A scheduling message, checked against what RFC 5546 section 3 requires of its method.

    Raises:
        ItipError: no METHOD, an unsupported method or component, mixed UIDs, or a property the method
            requires is missing (ORGANIZER; DTSTART of a VEVENT REQUEST; exactly one ATTENDEE in a REPLY).
    """
    calendar = parse_calendar(data)
    method = _text(calendar, "METHOD").upper()
    if not method:
        raise ItipError("the calendar has no METHOD: it is not a scheduling message")
    if method not in METHODS:
        raise ItipError(f"unknown METHOD {method}")
    components = scheduled_components(calendar)
    if not components:
        kinds = sorted({str(c.name) for c in calendar.subcomponents if c.name != "VTIMEZONE"})
        raise ItipError(f"no VEVENT or VTODO in the message ({', '.join(kinds) or 'empty'})")
    if len(components) > MAX_COMPONENTS:
        raise ItipError(f"more than {MAX_COMPONENTS} components in one message")
    kind = str(components[0].name)
    if any(c.name != kind for c in components):
        raise ItipError("VEVENT and VTODO mixed in one message")
    uids = {_text(c, "UID") for c in components}
    if len(uids) != 1 or "" in uids:
        raise ItipError("every component of a scheduling message needs the same UID")
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    if len(masters) > 1:
        raise ItipError("more than one component without RECURRENCE-ID")
    ordered = masters + [c for c in components if "RECURRENCE-ID" in c]
    organizer = ordered[0].get("ORGANIZER")
    instances = tuple(_instance(c) for c in ordered)
    message = ItipMessage(
        method=method,
        component=kind,
        uid=uids.pop(),
        organizer=address_of(organizer) if organizer is not None else "",
        organizer_name=str(getattr(organizer, "params", {}).get("CN", "")) if organizer is not None else "",
        instances=instances,
        recurring=bool(masters) and ("RRULE" in masters[0] or "RDATE" in masters[0]),
    )
    _check_method(message, ordered)
    return message


def _instance(component: Component) -> Instance:
    start = _when(component, "DTSTART")
    end = _when(component, "DTEND") or _when(component, "DUE")
    if end is None and isinstance(start, datetime) and "DURATION" in component:
        try:
            end = start + component.decoded("DURATION")
        except (TypeError, ValueError) as exc:
            raise ItipError("DURATION is not a duration") from exc
    return Instance(
        recurrence_id=recurrence_key(component),
        sequence=sequence_number(component),
        status=_text(component, "STATUS").upper(),
        summary=_text(component, "SUMMARY"),
        location=_text(component, "LOCATION"),
        start=start,
        end=end,
        attendees=attendees_of(component),
    )


def _check_method(message: ItipMessage, components: list[Component]) -> None:
    """RFC 5546 3.2 / 3.4: the properties each method must carry."""
    if message.method == "PUBLISH":
        return
    if not message.organizer:
        raise ItipError(f"a {message.method} needs an ORGANIZER")
    if message.method == "REPLY":
        for instance in message.instances:
            if len(instance.attendees) != 1:
                raise ItipError("a REPLY carries exactly one ATTENDEE per component")
        if len({i.attendees[0].address for i in message.instances}) != 1:
            raise ItipError("a REPLY answers for one attendee only")
    needs_start = message.method in ("REQUEST", "ADD") and message.component == "VEVENT"
    if needs_start and any(i.start is None for i in message.instances):
        raise ItipError(f"a {message.method} of an event needs DTSTART")
    if message.method == "REQUEST" and not any(i.attendees for i in message.instances):
        raise ItipError("a REQUEST without attendees invites nobody")


# -- building ---------------------------------------------------------------------------------------


def as_bytes(calendar: Calendar) -> bytes:
    """The calendar's text (CRLF line ends, folded at 75 octets, RFC 5545 3.1)."""
    return bytes(calendar.to_ical())


def empty_like(component: Component) -> Component:
    """A new, empty component of the same kind (VEVENT or VTODO)."""
    return Todo() if component.name == "VTODO" else Event()


def _new_calendar(method: str, source: Calendar) -> Calendar:
    out = Calendar()
    out.add("PRODID", PRODID)
    out.add("VERSION", "2.0")
    out.add("METHOD", method)
    for timezone in source.walk("VTIMEZONE"):
        out.add_component(timezone)
    return out


def _stamp(component: Component, now: datetime) -> None:
    component.pop("DTSTAMP", None)
    component.add("DTSTAMP", now.astimezone(UTC))


def _without_alarms(component: Component) -> Component:
    component.subcomponents = [c for c in component.subcomponents if c.name != "VALARM"]
    return component


def stored_components(data: bytes | str) -> tuple[Calendar, list[Component]]:
    calendar = parse_calendar(data)
    components = scheduled_components(calendar)
    if not components:
        raise ItipError("the item holds no VEVENT or VTODO")
    if len({_text(c, "UID") for c in components}) != 1:
        raise ItipError("the item holds components of more than one UID")
    return calendar, components


def request(data: bytes | str, *, organizer: str, now: datetime) -> bytes:
    """The REQUEST for the organizer's stored copy ``data`` (RFC 5546 3.2.2): every component, without
    alarms, with ORGANIZER set to ``organizer`` when missing and RSVP=TRUE on attendees still to answer.

    Raises:
        ItipError: the item is not a schedulable event or task, it names another organizer, or it has no
            attendee.
    """
    source, components = stored_components(data)
    out = _new_calendar("REQUEST", source)
    for component in components:
        _without_alarms(component)
        for name in [n for n in component if str(n).upper().startswith(PRIVATE_PREFIX)]:
            del component[name]  # our own bookkeeping (reminders sent) is the organizer's
        _check_organizer(component, organizer)
        for attendee in as_list(component.get("ATTENDEE")):
            if not isinstance(attendee, vCalAddress) or address_of(attendee) == address_of(organizer):
                continue
            if str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).upper() == "NEEDS-ACTION":
                attendee.params["RSVP"] = "TRUE"
        _stamp(component, now)
        out.add_component(component)
    encoded = as_bytes(out)
    read(encoded)  # what we send must be what we accept
    return encoded


def _check_organizer(component: Component, organizer: str) -> None:
    current = component.get("ORGANIZER")
    if current is None:
        component.add("ORGANIZER", vCalAddress(calendar_address(organizer)))
    elif address_of(current) != address_of(organizer):
        raise ItipError(f"the organizer of this item is {address_of(current)}, not {address_of(organizer)}")


def reply(data: bytes | str, *, attendee: str, partstat: str, now: datetime, comment: str = "") -> bytes:
    """The REPLY of ``attendee`` to the scheduling object ``data`` (their copy or the REQUEST itself):
    per component UID, SEQUENCE, RECURRENCE-ID, ORGANIZER, the one ATTENDEE with its PARTSTAT, DTSTAMP,
    and DTSTART/DTEND/SUMMARY so the organizer's mail program can show what was answered (RFC 5546
    3.2.3).

    Raises:
        ItipError: ``partstat`` is not an answer, or ``attendee`` is not invited.
    """
    partstat = partstat.upper()
    if partstat not in ANSWERS:
        raise ItipError(f"not an answer: {partstat}")
    source, components = stored_components(data)
    out = _new_calendar("REPLY", source)
    wanted = address_of(attendee)
    found = False
    for component in components:
        own = next((a for a in as_list(component.get("ATTENDEE")) if address_of(a) == wanted), None)
        if own is None:
            continue
        found = True
        params = dict(getattr(own, "params", {}))
        params = {k: v for k, v in params.items() if k in ("CN", "CUTYPE", "ROLE")}
        params["PARTSTAT"] = partstat
        answer = empty_like(component)
        for name in ("UID", "RECURRENCE-ID", "SEQUENCE", "ORGANIZER", "DTSTART", "DTEND", "DUE", "SUMMARY"):
            if name in component:
                answer[name] = component[name]
        answer.add("ATTENDEE", vCalAddress(calendar_address(wanted)), parameters=params)
        if comment.strip():
            answer.add("COMMENT", " ".join(comment.split())[:500])
        answer.add("REQUEST-STATUS", "2.0;Success")
        _stamp(answer, now)
        out.add_component(answer)
    if not found:
        raise ItipError(f"{wanted} is not an attendee of this event")
    encoded = as_bytes(out)
    read(encoded)
    return encoded


def cancel(
    data: bytes | str, *, organizer: str, now: datetime, attendees: Iterable[str] | None = None
) -> bytes:
    """The CANCEL of the organizer's copy ``data`` for ``attendees`` (all of them when None): the
    components with SEQUENCE raised by one and STATUS:CANCELLED (RFC 5546 3.2.5). The caller stores the
    raised SEQUENCE in the organizer's copy too (``cancelled_copy``).

    Raises:
        ItipError: not the organizer's item.
    """
    source, components = stored_components(data)
    out = _new_calendar("CANCEL", source)
    only = None if attendees is None else {address_of(a) for a in attendees}
    for component in components:
        _check_organizer(component, organizer)
        note = empty_like(component)
        for name in ("UID", "RECURRENCE-ID", "ORGANIZER", "DTSTART", "DTEND", "DUE", "SUMMARY", "LOCATION"):
            if name in component:
                note[name] = component[name]
        for attendee in as_list(component.get("ATTENDEE")):
            if only is None or address_of(attendee) in only:
                note.add("ATTENDEE", attendee)
        note.add("SEQUENCE", sequence_number(component) + 1)
        note.add("STATUS", "CANCELLED")
        _stamp(note, now)
        out.add_component(note)
    encoded = as_bytes(out)
    read(encoded)
    return encoded
