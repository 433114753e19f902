"""What a scheduling message does to a stored copy of the event: pure transforms of iCalendar text.

The organizer keeps the master copy; each attendee keeps their own (RFC 5546 2.1.4's "calendar user
agents keep a copy"). Incoming messages change those copies:

* REQUEST -> the attendee's copy (``attendee_copy``): the organizer's event as sent, less any alarm it
  carries (an EMAIL alarm from a stranger would mail whom it names), with the attendee's own answer
  kept while the SEQUENCE is unchanged (a re-sent or slightly edited invitation must not make them
  answer again; a raised SEQUENCE means the meeting moved, RFC 5546 2.1.4, and the organizer's
  PARTSTAT for them counts) and their own alarms kept. An older REQUEST than the copy changes nothing.
* REPLY -> the organizer's copy (``with_reply``): the PARTSTAT of that one attendee, only when the
  reply's SEQUENCE is the copy's (an answer to an older version answers something that no longer
  stands) and the mail came from that attendee.
* CANCEL -> the attendee's copy (``with_cancel``): STATUS:CANCELLED on the whole event, or on the
  cancelled occurrences (an override turned CANCELLED, or an EXDATE when the copy has no override).

Stored copies never carry METHOD (RFC 4791 4.1: calendar object resources do not).
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Component, vCalAddress

from mailflow.meetings.itip import (
    ANSWERS,
    ItipError,
    ItipMessage,
    address_of,
    as_bytes,
    as_list,
    parse_calendar,
    read,
    recurrence_key,
    scheduled_components,
    sequence_number,
    stored_components,
)

#: Properties of an attendee's copy that are theirs, not the organizer's: kept across updates.
OWN_PROPERTIES = ("X-FIELDPOST-REMINDED", "TRANSP", "CATEGORIES", "CLASS")


def _without_method(calendar: Calendar) -> Calendar:
    calendar.pop("METHOD", None)
    return calendar


def _by_key(components: list[Component]) -> dict[str | None, Component]:
    return {recurrence_key(c): c for c in components}


def _attendee(component: Component, address: str) -> vCalAddress | None:
    wanted = address_of(address)
    for value in as_list(component.get("ATTENDEE")):
        if isinstance(value, vCalAddress) and address_of(value) == wanted:
            return value
    return None


def sequence_of(data: bytes | str) -> int:
    """The highest SEQUENCE in a stored copy."""
    _, components = stored_components(data)
    return max(sequence_number(c) for c in components)


def partstat_of(data: bytes | str, address: str) -> str | None:
    """``address``'s PARTSTAT in the first component of a stored copy, None when not invited."""
    _, components = stored_components(data)
    masters = [c for c in components if "RECURRENCE-ID" not in c] or components
    found = _attendee(masters[0], address)
    if found is None:
        return None
    return str(getattr(found, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper()


def attendee_copy(request: bytes | str, existing: bytes | str | None, attendee: str) -> bytes | None:
    """The attendee's copy after the REQUEST ``request``; None when the request is older than the copy.

    Raises:
        ItipError: ``request`` is not a REQUEST naming ``attendee``, or ``existing`` is unreadable.
    """
    message = read(request)
    if message.method != "REQUEST":
        raise ItipError(f"expected a REQUEST, got {message.method}")
    if message.attendee(attendee) is None and not any(
        a.address == address_of(attendee) for i in message.instances for a in i.attendees
    ):
        raise ItipError(f"{address_of(attendee)} is not invited")
    calendar = _without_method(parse_calendar(request))
    for component in scheduled_components(calendar):  # alarms are the attendee's own (and could mail anyone)
        component.subcomponents = [c for c in component.subcomponents if c.name != "VALARM"]
    if existing is not None:
        old_calendar, old_components = stored_components(existing)
        if message.sequence < max(sequence_number(c) for c in old_components):
            return None
        keep_answer = message.sequence == max(sequence_number(c) for c in old_components)
        old = _by_key(old_components)
        for component in scheduled_components(calendar):
            before = old.get(recurrence_key(component)) or old.get(None)
            if before is None:
                continue
            component.subcomponents += [c for c in before.subcomponents if c.name == "VALARM"]
            for name in OWN_PROPERTIES:
                if name in before and name not in component:
                    component[name] = before[name]
            if keep_answer:
                _keep_answer(component, before, attendee)
    return as_bytes(calendar)


def _keep_answer(component: Component, before: Component, attendee: str) -> None:
    previous, current = _attendee(before, attendee), _attendee(component, attendee)
    if previous is None or current is None:
        return
    answer = str(getattr(previous, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper()
    if answer in ANSWERS:
        params = current.params
        params["PARTSTAT"] = answer
        params.pop("RSVP", None)


def with_answer(data: bytes | str, attendee: str, partstat: str) -> bytes:
    """The copy with ``attendee``'s PARTSTAT set to ``partstat`` in every component naming them.

    Raises:
        ItipError: not an answer, or the attendee is not invited.
    """
    partstat = partstat.upper()
    if partstat not in ANSWERS:
        raise ItipError(f"not an answer: {partstat}")
    calendar, components = stored_components(data)
    found = False
    for component in components:
        own = _attendee(component, attendee)
        if own is not None:
            params = own.params
            params["PARTSTAT"] = partstat
            params.pop("RSVP", None)
            found = True
    if not found:
        raise ItipError(f"{address_of(attendee)} is not an attendee of this event")
    return as_bytes(_without_method(calendar))


def with_reply(data: bytes | str, reply: ItipMessage, sender: str) -> bytes:
    """The organizer's copy with the answer of ``reply`` recorded.

    Raises:
        ItipError: the mail is not from the attendee who answers, the copy has another organizer, the
            attendee is not invited, the reply answers an occurrence the copy does not hold, or its
            SEQUENCE is not the copy's.
    """
    if reply.method != "REPLY":
        raise ItipError(f"expected a REPLY, got {reply.method}")
    who = reply.first.attendees[0]
    if address_of(sender) != who.address:
        raise ItipError(f"the answer for {who.address} came from {address_of(sender) or 'nobody'}")
    calendar, components = stored_components(data)
    by_key = _by_key(components)
    for instance in reply.instances:
        component = by_key.get(instance.recurrence_id)
        if component is None:
            raise ItipError(f"the event has no occurrence {instance.recurrence_id} of its own to answer")
        organizer = component.get("ORGANIZER")
        if organizer is None or address_of(organizer) != reply.organizer:
            raise ItipError("the answer is for an event of another organizer")
        if sequence_number(component) != instance.sequence:
            raise ItipError(
                f"the answer is for version {instance.sequence}; the event is at version {sequence_number(component)}"
            )
        own = _attendee(component, who.address)
        if own is None:
            raise ItipError(f"{who.address} is not an attendee of this event")
        params = own.params
        params["PARTSTAT"] = instance.attendees[0].partstat
        params.pop("RSVP", None)
    return as_bytes(_without_method(calendar))


def with_cancel(data: bytes | str, cancel_data: bytes | str) -> bytes | None:
    """The attendee's copy after the CANCEL ``cancel_data``; None when the cancel is older than the copy.

    Raises:
        ItipError: not a CANCEL, or one from another organizer than the copy's.
    """
    message = read(cancel_data)
    if message.method != "CANCEL":
        raise ItipError(f"expected a CANCEL, got {message.method}")
    calendar, components = stored_components(data)
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    first = masters[0] if masters else components[0]
    organizer = first.get("ORGANIZER")
    if organizer is None or address_of(organizer) != message.organizer:
        raise ItipError("the cancellation comes from another organizer than the event's")
    if message.sequence < max(sequence_number(c) for c in components):
        return None
    by_key = _by_key(components)
    notes = scheduled_components(parse_calendar(cancel_data))
    for note in notes:
        key = recurrence_key(note)
        target = by_key.get(key)
        if key is None or target is not None:
            for component in components if key is None else [target]:
                _mark_cancelled(component, sequence_number(note))
        elif masters:
            masters[0].add("EXDATE", note.decoded("RECURRENCE-ID"))
    return as_bytes(_without_method(calendar))


def _mark_cancelled(component: Component | None, sequence: int) -> None:
    if component is None:
        return
    component.pop("STATUS", None)
    component.add("STATUS", "CANCELLED")
    component.pop("SEQUENCE", None)
    component.add("SEQUENCE", sequence)


def organizer_cancelled(data: bytes | str) -> bytes:
    """The organizer's own copy once they cancelled it: STATUS:CANCELLED, SEQUENCE raised by one (the
    same numbers ``itip.cancel`` sends)."""
    calendar, components = stored_components(data)
    for component in components:
        _mark_cancelled(component, sequence_number(component) + 1)
    return as_bytes(_without_method(calendar))


def organizer_sent(data: bytes | str, *, organizer: str, now: datetime) -> bytes:
    """The organizer's copy as it stands once invitations went out: ORGANIZER set (when it was missing)
    and the organizer, when listed as an attendee, ACCEPTED (they are holding the meeting)."""
    calendar, components = stored_components(data)
    for component in components:
        if component.get("ORGANIZER") is None:
            component.add("ORGANIZER", vCalAddress(f"mailto:{address_of(organizer)}"))
        own = _attendee(component, organizer)
        if own is not None:
            own.params["PARTSTAT"] = "ACCEPTED"
        if "DTSTAMP" not in component:
            component.add("DTSTAMP", now)
    return as_bytes(_without_method(calendar))


def transparent(data: bytes | str) -> bytes:
    """The copy with TRANSP:TRANSPARENT on every component: kept for the record, blocking no time (a
    room's declined booking)."""
    calendar, components = stored_components(data)
    for component in components:
        component.pop("TRANSP", None)
        component.add("TRANSP", "TRANSPARENT")
    return as_bytes(_without_method(calendar))
