"""calendar-data with ``expand`` (RFC 4791 9.6.5): a stored resource rewritten as its instances in a range.

Each instance becomes its own component with a RECURRENCE-ID (for recurring series), no RRULE, RDATE,
EXRULE or EXDATE, and DTSTART/DTEND/RECURRENCE-ID in UTC; VTIMEZONE is dropped since nothing refers to a
zone any more. All-day dates stay dates. Pure: bytes in, bytes out.
"""

from __future__ import annotations

from datetime import datetime

import recurring_ical_events
from icalendar import Calendar, Component

from webmail.dav.calendar_filter import as_utc, parse_calendar

INSTANCE_COMPONENTS = ("VEVENT", "VTODO", "VJOURNAL")
DROPPED = ("RRULE", "RDATE", "EXRULE", "EXDATE")
TIMES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID")


def expand(data: bytes, start: datetime, end: datetime) -> bytes:
    """The instances of ``data`` overlapping [start, end); the data unchanged when it cannot be read."""
    calendar = parse_calendar(data)
    if calendar is None:
        return data
    recurring = any(
        any(p in c for p in ("RRULE", "RDATE"))
        for c in calendar.subcomponents
        if c.name in INSTANCE_COMPONENTS
    )
    out = Calendar()
    for key, value in calendar.items():
        out[key] = value
    query = recurring_ical_events.of(calendar, components=INSTANCE_COMPONENTS, skip_bad_series=True)
    for instance in query.between(start, end):
        out.add_component(_flatten(instance, recurring))
    expanded: bytes = out.to_ical()
    return expanded


def _flatten(component: Component, recurring: bool) -> Component:
    for name in DROPPED:
        component.pop(name, None)
    if not recurring:
        component.pop("RECURRENCE-ID", None)
    for name in TIMES:
        prop = component.get(name)
        if prop is None or not isinstance(prop.dt, datetime):
            continue
        moment = as_utc(prop.dt)
        component.pop(name)
        component.add(name, moment)
    return component
