"""The event form: its fields read into an :class:`EventDraft` (with a message per bad field), and a draft
written back into field values for the edit page.

Fields (the same names in Standard and Mobile): ``summary``, ``location``, ``description``, ``all_day``
(checkbox), ``start_date`` / ``end_date`` (YYYY-MM-DD, what ``<input type="date">`` sends), ``start_time``
/ ``end_time`` (HH:MM), ``timezone`` (an IANA name), the repeat fields of
:mod:`webmail.calendar.recurrence`, ``reminder`` (minutes before the start, or empty), ``categories``
(comma separated) and ``attendees`` (addresses separated by commas, semicolons or lines).

An all-day event's end date is its last day, as people say it; iCalendar's DTEND is the day after
(RFC 5545 3.6.1), which :meth:`EventDraft.end` gives. A timed event without an end time lasts an hour.

Limits (documented in docs/organizer.md): title and location 255 characters, description 10,000,
20 categories of 64 characters, 100 attendees.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l

from webmail.calendar.grid import YEARS
from webmail.calendar.recurrence import Repeat, check_until, parse_repeat

MAX_TEXT = 255
MAX_DESCRIPTION = 10_000
MAX_CATEGORIES = 20
MAX_CATEGORY = 64
MAX_ATTENDEES = 100
DEFAULT_LENGTH = timedelta(hours=1)
#: The reminder choices the form offers, in minutes before the start ("" = no reminder).
REMINDERS = (0, 5, 10, 15, 30, 60, 120, 1440, 2880, 10080)
ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")
_SPLIT_ADDRESSES = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class EventDraft:
    """An event as the user described it in the form (local dates and times in ``zone``)."""

    summary: str
    start_day: date
    end_day: date  # all-day: the last day; timed: the day the end time is on
    all_day: bool = False
    start_time: time = time(9, 0)
    end_time: time = time(10, 0)
    zone: str = "UTC"
    location: str = ""
    description: str = ""
    repeat: Repeat = field(default_factory=Repeat)
    reminder: int | None = None
    categories: tuple[str, ...] = ()
    attendees: tuple[str, ...] = ()

    def start(self) -> date | datetime:
        if self.all_day:
            return self.start_day
        return datetime.combine(self.start_day, self.start_time, ZoneInfo(self.zone))

    def end(self) -> date | datetime:
        if self.all_day:
            return self.end_day + timedelta(days=1)
        return datetime.combine(self.end_day, self.end_time, ZoneInfo(self.zone))


def parse_event_form(form: Any, default_zone: str) -> tuple[EventDraft | None, dict[str, str]]:
    """The draft in ``form`` (a werkzeug MultiDict, or any mapping with ``getlist``), or None and a
    message per bad field."""
    errors: dict[str, str] = {}
    summary = _text(form, "summary", MAX_TEXT, errors)
    if not summary:
        errors["summary"] = _l("Give the event a title.")
    location = _text(form, "location", MAX_TEXT, errors)
    description = _text(form, "description", MAX_DESCRIPTION, errors, keep_lines=True)
    all_day = bool(form.get("all_day"))
    zone = str(form.get("timezone") or default_zone)
    if zone not in _zones():
        errors["timezone"] = _l("Unknown time zone.")
        zone = "UTC"
    start_day = _day(form, "start_date", errors)
    end_text = str(form.get("end_date") or "").strip()
    end_day = _day(form, "end_date", errors) if end_text else start_day
    start_time = _clock(form, "start_time", time(9, 0), errors)
    end_given = bool(str(form.get("end_time") or "").strip())
    end_time = _clock(form, "end_time", time(10, 0), errors)
    repeat = parse_repeat(form, [str(d) for d in form.getlist("weekday")], errors)
    reminder = _reminder(form, errors)
    categories = _categories(form, errors)
    attendees = _attendees(form, errors)
    if start_day is None or end_day is None or errors:
        return None, errors
    if not all_day and not end_given:
        ends = datetime.combine(start_day, start_time) + DEFAULT_LENGTH
        end_day, end_time = ends.date(), ends.time()
    if all_day and end_day < start_day:
        errors["end_date"] = _l("The event cannot end before it starts.")
    elif not all_day and datetime.combine(end_day, end_time) <= datetime.combine(start_day, start_time):
        errors["end_time"] = _l("The event must end after it starts.")
    check_until(repeat, start_day, errors)
    if errors:
        return None, errors
    draft = EventDraft(
        summary=summary,
        start_day=start_day,
        end_day=end_day,
        all_day=all_day,
        start_time=start_time,
        end_time=end_time,
        zone=zone,
        location=location,
        description=description,
        repeat=repeat,
        reminder=reminder,
        categories=categories,
        attendees=attendees,
    )
    return draft, {}


def form_values(draft: EventDraft) -> dict[str, Any]:
    """The field values that show ``draft`` in the form (the inverse of :func:`parse_event_form`)."""
    repeat = draft.repeat
    return {
        "summary": draft.summary,
        "location": draft.location,
        "description": draft.description,
        "all_day": "1" if draft.all_day else "",
        "start_date": draft.start_day.isoformat(),
        "end_date": draft.end_day.isoformat(),
        "start_time": draft.start_time.strftime("%H:%M"),
        "end_time": draft.end_time.strftime("%H:%M"),
        "timezone": draft.zone,
        "repeat": "custom" if repeat.custom else (repeat.frequency or "none"),
        "interval": str(repeat.interval),
        "weekday": list(repeat.weekdays),
        "ends": repeat.ending,
        "count": str(repeat.count or ""),
        "until": repeat.until.isoformat() if repeat.until else "",
        "reminder": "" if draft.reminder is None else str(draft.reminder),
        "categories": ", ".join(draft.categories),
        "attendees": ", ".join(draft.attendees),
    }


def blank_values(day: date, zone: str, hour: int | None = None) -> dict[str, Any]:
    """The new-event form on ``day`` (at ``hour``, else 09:00) for an hour."""
    start = datetime.combine(day, time(hour if hour is not None and 0 <= hour <= 23 else 9))
    ends = start + DEFAULT_LENGTH
    blank = EventDraft(summary="", start_day=day, end_day=ends.date(), start_time=start.time(), zone=zone)
    return form_values(blank) | {"end_time": ends.strftime("%H:%M")}


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _text(
    form: Mapping[str, Any], name: str, limit: int, errors: dict[str, str], keep_lines: bool = False
) -> str:
    raw = str(form.get(name) or "")
    value = raw.replace("\r\n", "\n").strip() if keep_lines else " ".join(raw.split())
    if len(value) > limit:
        errors[name] = _l("At most %(most)d characters.", most=limit)
    return value


def _day(form: Mapping[str, Any], name: str, errors: dict[str, str]) -> date | None:
    try:
        found = date.fromisoformat(str(form.get(name) or "").strip())
    except ValueError:
        errors[name] = _l("Give a date as YYYY-MM-DD.")
        return None
    if not YEARS[0] <= found.year <= YEARS[1]:
        errors[name] = _l("Give a date from %(first)d to %(last)d.", first=YEARS[0], last=YEARS[1])
        return None
    return found


def _clock(form: Mapping[str, Any], name: str, default: time, errors: dict[str, str]) -> time:
    text = str(form.get(name) or "").strip()
    if not text or form.get("all_day"):
        return default
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?", text)
    if match is None:
        errors[name] = _l("Give a time as HH:MM.")
        return default
    return time(int(match.group(1)), int(match.group(2)))


def _reminder(form: Mapping[str, Any], errors: dict[str, str]) -> int | None:
    text = str(form.get("reminder") or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) not in REMINDERS:
        errors["reminder"] = _l("Choose a reminder from the list.")
        return None
    return int(text)


def _categories(form: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, ...]:
    found: list[str] = []
    for part in str(form.get("categories") or "").split(","):
        name = " ".join(part.split())
        if name and name.casefold() not in {f.casefold() for f in found}:
            found.append(name)
    if len(found) > MAX_CATEGORIES or any(len(name) > MAX_CATEGORY for name in found):
        errors["categories"] = _l(
            "At most %(count)d categories of %(most)d characters.", count=MAX_CATEGORIES, most=MAX_CATEGORY
        )
    return tuple(found)


def _attendees(form: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, ...]:
    found: list[str] = []
    for part in _SPLIT_ADDRESSES.split(str(form.get("attendees") or "")):
        address = part.strip().strip("<>").removeprefix("mailto:")
        if not address:
            continue
        if not ADDRESS.match(address):
            errors["attendees"] = _l("%(address)s is not an e-mail address.", address=address[:80])
            break
        if address.lower() not in {f.lower() for f in found}:
            found.append(address)
    if len(found) > MAX_ATTENDEES:
        errors["attendees"] = _l("At most %(most)d attendees.", most=MAX_ATTENDEES)
    return tuple(found)
