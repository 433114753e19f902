"""The event form's "Repeat" choice and the RRULE (RFC 5545 3.3.10) it stands for, both ways.

The form offers what people set by hand: every N days, weeks (on chosen weekdays), months (on the start's
day of the month) or years, ending never, after a count, or on a date. :func:`to_rrule` turns a
:class:`Repeat` into the mapping ``icalendar`` writes as RRULE; :func:`from_rrule` reads a stored rule
back for the edit form, and says when the rule holds more than the form can show (``BYSETPOS``, several
``BYMONTHDAY``...), so the page keeps that rule unless the user picks another one.

No storage and no request: pure values (the error messages are lazy strings), tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # date.weekday() order
ENDINGS = ("never", "count", "until")
MAX_INTERVAL = 999
MAX_COUNT = 5000
LAST_YEAR = 2200  # as far as the views page (webmail.calendar.grid.YEARS)  # organizer.max_occurrences' default: more would never be shown anyway
#: Rule parts the form shows; a stored rule with any other part is kept as it is ("custom").
_FORM_PARTS = {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST"}


@dataclass(frozen=True)
class Repeat:
    """One recurrence as the form holds it. ``frequency`` "" means the event does not repeat."""

    frequency: str = ""
    interval: int = 1
    weekdays: tuple[str, ...] = ()  # for "weekly": WEEKDAYS letters; empty = the start's weekday
    ending: str = "never"
    count: int | None = None
    until: date | None = None  # the last day an occurrence may start on (inclusive, local date)
    custom: bool = False  # read from a rule the form cannot show: keep the stored rule

    @property
    def repeats(self) -> bool:
        return bool(self.frequency)


def to_rrule(repeat: Repeat, start: date | datetime) -> dict[str, Any] | None:
    """The RRULE parts for ``repeat`` of an event starting at ``start`` (None: no rule).

    UNTIL follows RFC 5545 3.3.10: a DATE for an all-day event, else the end of the until-day in UTC
    (a DATE-TIME in UTC, as the RFC requires when DTSTART has a time zone)."""
    if not repeat.repeats:
        return None
    rule: dict[str, Any] = {"FREQ": repeat.frequency.upper()}
    if repeat.interval > 1:
        rule["INTERVAL"] = repeat.interval
    if repeat.frequency == "weekly" and repeat.weekdays:
        rule["BYDAY"] = [d for d in WEEKDAYS if d in repeat.weekdays]
    if repeat.ending == "count" and repeat.count:
        rule["COUNT"] = repeat.count
    elif repeat.ending == "until" and repeat.until is not None:
        if isinstance(start, datetime):
            zone = start.tzinfo or ZoneInfo("UTC")
            last = datetime.combine(repeat.until, time(23, 59, 59), zone)
            rule["UNTIL"] = last.astimezone(ZoneInfo("UTC"))
        else:
            rule["UNTIL"] = repeat.until
    return rule


def from_rrule(rule: Mapping[str, Any] | None, zone: ZoneInfo) -> Repeat:
    """The form's view of a stored rule (``icalendar``'s vRecur: upper-case keys, list values)."""
    if not rule:
        return Repeat()
    frequency = str(_first(rule, "FREQ") or "").lower()
    if frequency not in FREQUENCIES:
        return Repeat(frequency="daily", custom=True)
    interval = int(_first(rule, "INTERVAL") or 1)
    weekdays = tuple(str(d).upper() for d in rule.get("BYDAY", ()) or ())
    custom = bool(set(rule) - _FORM_PARTS) or any(d not in WEEKDAYS for d in weekdays)
    custom = custom or (frequency != "weekly" and bool(weekdays))
    count = _first(rule, "COUNT")
    until = _first(rule, "UNTIL")
    ending, until_day = "never", None
    if count:
        ending = "count"
    elif isinstance(until, datetime):
        ending, until_day = "until", (until.astimezone(zone) if until.tzinfo else until).date()
    elif isinstance(until, date):
        ending, until_day = "until", until
    return Repeat(
        frequency=frequency,
        interval=interval,
        weekdays=weekdays if frequency == "weekly" else (),
        ending=ending,
        count=int(count) if count else None,
        until=until_day,
        custom=custom,
    )


def _first(rule: Mapping[str, Any], key: str) -> Any:
    value = rule.get(key)
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def parse_repeat(form: Mapping[str, Any], weekdays: list[str], errors: dict[str, str]) -> Repeat:
    """Read the form's repeat fields (``repeat``, ``interval``, ``weekday`` (many), ``ends``, ``count``,
    ``until``); a problem goes into ``errors`` under the field's name, with the message to show."""
    frequency = str(form.get("repeat", "") or "")
    if frequency in ("", "none"):
        return Repeat()
    if frequency == "custom":
        return Repeat(frequency="daily", custom=True)
    if frequency not in FREQUENCIES:
        errors["repeat"] = _l("Choose how the event repeats.")
        return Repeat()
    interval = _number(form.get("interval", "1") or "1", 1, MAX_INTERVAL)
    if interval is None:
        errors["interval"] = _l("Repeat every 1 to %(most)d periods.", most=MAX_INTERVAL)
        interval = 1
    days = tuple(d for d in WEEKDAYS if d in weekdays)
    if len(days) != len(set(weekdays)):
        errors["weekday"] = _l("Unknown weekday.")
    ending = str(form.get("ends", "never") or "never")
    count, until = None, None
    if ending == "count":
        count = _number(form.get("count", ""), 1, MAX_COUNT)
        if count is None:
            errors["count"] = _l("Give a number of times from 1 to %(most)d.", most=MAX_COUNT)
    elif ending == "until":
        try:
            until = date.fromisoformat(str(form.get("until", "")))
        except ValueError:
            errors["until"] = _l("Give the last date as YYYY-MM-DD.")
        else:
            if until.year > LAST_YEAR:
                errors["until"] = _l("Give a last date before %(year)d.", year=LAST_YEAR + 1)
    elif ending != "never":
        errors["ends"] = _l("Choose when the repetition ends.")
    return Repeat(frequency, interval, days if frequency == "weekly" else (), ending, count, until)


def _number(text: Any, low: int, high: int) -> int | None:
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


def weekday_of(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def check_until(repeat: Repeat, start_day: date, errors: dict[str, str]) -> None:
    """An end date before the first occurrence makes a series with nothing in it: refuse it."""
    if repeat.ending == "until" and repeat.until is not None and repeat.until < start_day:
        errors["until"] = _l("The repetition cannot end before the event starts.")
