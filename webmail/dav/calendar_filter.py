"""CALDAV:filter evaluation (RFC 4791 9.7) against one iCalendar object; pure, no storage.

A calendar-query first narrows the candidates through storage's indexes (webmail/dav/reports.py); this
module then decides each candidate exactly: component and property filters, text matches with the
collations of RFC 4790 we announce, and time ranges with RFC 4791 9.9's rules per component type.
Recurring components are expanded with recurring_ical_events (never stored expanded). Floating times and
all-day dates are read as UTC, the same convention as storage's index columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import recurring_ical_events
from icalendar import Calendar, Component

from webmail.dav.xml_requests import CompFilter, ParamFilter, PropFilter, TextMatch, TimeRange

COLLATIONS = ("i;ascii-casemap", "i;octet", "i;unicode-casemap")
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
RECURRENCE_PROPERTIES = ("RRULE", "RDATE")


class UnsupportedCollation(ValueError):
    """A text-match named a collation we do not offer (CALDAV:supported-collation)."""


def as_utc(value: Any) -> datetime | None:
    """A DATE or DATE-TIME value in UTC; dates and floating times are taken as UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def moment(component: Component, name: str) -> datetime | None:
    """A component's DATE or DATE-TIME property in UTC (None when absent or not a time)."""
    prop: Any = component.get(name)
    return as_utc(getattr(prop, "dt", None)) if prop is not None else None


def text_matches(match: TextMatch, values: Iterable[str]) -> bool:
    """RFC 4791 9.7.5 / RFC 6352 10.5.4: true when any value matches (negate-condition inverts)."""
    needle = fold(match.text, match.collation)
    hit = False
    for value in values:
        hay = fold(value, match.collation)
        kind = match.match_type
        if (
            (kind == "equals" and hay == needle)
            or (kind == "starts-with" and hay.startswith(needle))
            or (kind == "ends-with" and hay.endswith(needle))
            or (kind not in ("equals", "starts-with", "ends-with") and needle in hay)
        ):
            hit = True
            break
    return hit != match.negate


def fold(text: str, collation: str) -> str:
    if collation == "i;octet":
        return text
    if collation == "i;ascii-casemap":
        return "".join(ch.lower() if ch.isascii() else ch for ch in text)
    if collation == "i;unicode-casemap":
        return text.casefold()
    raise UnsupportedCollation(collation)


def matches(calendar: Calendar, flt: CompFilter) -> bool:
    """Does this VCALENDAR object satisfy the query's top-level comp-filter?"""
    if flt.name != "VCALENDAR":
        return False
    return _component_matches(calendar, calendar, flt)


def _component_matches(calendar: Calendar, component: Component, flt: CompFilter) -> bool:
    """``component`` (already known to carry ``flt.name``) passes the filter's tests."""
    if flt.time_range is not None and not _overlaps(calendar, component, flt.time_range):
        return False
    if not all(_prop_matches(component, pf) for pf in flt.prop_filters):
        return False
    return all(_child_matches(calendar, component, cf) for cf in flt.comp_filters)


def _child_matches(calendar: Calendar, parent: Component, flt: CompFilter) -> bool:
    children = [c for c in parent.subcomponents if c.name == flt.name]
    if flt.is_not_defined:
        return not children
    return any(_component_matches(calendar, child, flt) for child in children)


def _prop_matches(component: Component, flt: PropFilter) -> bool:
    values = _properties(component, flt.name)
    if flt.is_not_defined:
        return not values
    if not values:
        return False
    for value in values:
        if flt.time_range is not None:
            moment = as_utc(getattr(value, "dt", None))
            if moment is None or not _instant_in(moment, flt.time_range):
                continue
        if flt.text_match and not all(text_matches(m, [_text(value)]) for m in flt.text_match):
            continue
        if not all(_param_matches(value, pf) for pf in flt.param_filters):
            continue
        return True
    return False


def _param_matches(value: Any, flt: ParamFilter) -> bool:
    params = getattr(value, "params", {}) or {}
    present = flt.name in params
    if flt.is_not_defined:
        return not present
    if not present:
        return False
    if flt.text_match is None:
        return True
    raw = params[flt.name]
    texts = [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]
    return text_matches(flt.text_match, texts)


def _properties(component: Component, name: str) -> list[Any]:
    found = component.get(name)
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]


def _text(value: Any) -> str:
    if hasattr(value, "to_ical") and not isinstance(value, str):
        raw = value.to_ical()
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return str(value)


def _instant_in(moment: datetime, tr: TimeRange) -> bool:
    return (tr.start is None or moment >= tr.start) and (tr.end is None or moment < tr.end)


def _overlaps(calendar: Calendar, component: Component, tr: TimeRange) -> bool:
    """RFC 4791 9.9 for VEVENT, VTODO, VJOURNAL and VFREEBUSY; recurring ones through their instances."""
    name = component.name
    if name in ("VEVENT", "VTODO", "VJOURNAL") and any(p in component for p in RECURRENCE_PROPERTIES):
        return _recurring_overlaps(calendar, name, tr)
    if name == "VEVENT":
        return _event_overlaps(component, tr)
    if name == "VTODO":
        return _todo_overlaps(component, tr)
    if name == "VJOURNAL":
        start = component.get("DTSTART")
        if start is None:
            return False
        return _event_overlaps(component, tr)
    if name == "VALARM":
        return True  # alarms would need their trigger expanded: we do not narrow on them
    return True


def _recurring_overlaps(calendar: Calendar, name: str, tr: TimeRange) -> bool:
    query = recurring_ical_events.of(calendar, components=(name,), skip_bad_series=True)
    start = tr.start or EARLIEST
    if tr.end is None:
        return next(iter(query.after(start)), None) is not None
    return next(iter(query.between(start, tr.end)), None) is not None


def _bounds(component: Component) -> tuple[datetime, datetime] | None:
    """A VEVENT/VJOURNAL's [start, end) in UTC per RFC 4791 9.9 (None without DTSTART)."""
    prop = component.get("DTSTART")
    if prop is None:
        return None
    raw = prop.dt
    start = as_utc(raw)
    if start is None:
        return None
    end_prop = component.get("DTEND")
    duration = component.get("DURATION")
    if end_prop is not None:
        end = as_utc(end_prop.dt) or start
    elif duration is not None:
        end = start + duration.dt
    elif not isinstance(raw, datetime):
        end = start + timedelta(days=1)
    else:
        end = start  # an instant: matched when start <= DTSTART < end
    return start, end


def _event_overlaps(component: Component, tr: TimeRange) -> bool:
    found = _bounds(component)
    if found is None:
        return False
    start, end = found
    lo, hi = tr.start or EARLIEST, tr.end or LATEST
    if end == start:
        return lo <= start < hi
    return lo < end and hi > start


def _todo_overlaps(component: Component, tr: TimeRange) -> bool:
    """RFC 4791 9.9's table for VTODO."""
    lo, hi = tr.start or EARLIEST, tr.end or LATEST

    start, due = moment(component, "DTSTART"), moment(component, "DUE")
    completed, created = moment(component, "COMPLETED"), moment(component, "CREATED")
    duration = component.get("DURATION")
    if start is not None and duration is not None:
        finish = start + duration.dt
        return lo <= finish and (hi > start or hi >= finish)
    if start is not None and due is not None:
        return (lo < due or lo <= start) and (hi > start or hi >= due)
    if start is not None:
        return lo <= start < hi
    if due is not None:
        return lo < due <= hi
    if completed is not None and created is not None:
        return (lo <= created or lo <= completed) and (hi >= created or hi >= completed)
    if completed is not None:
        return lo <= completed <= hi
    if created is not None:
        return hi > created
    return True


def parse_calendar(data: bytes) -> Calendar | None:
    """The stored item's VCALENDAR, or None when it cannot be read (such an item never matches)."""
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError):
        return None
    return calendar if isinstance(calendar, Calendar) else None
