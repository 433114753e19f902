"""JSCalendar's value types (RFC 8984 1.4) as the calendar methods read and write them: LocalDateTime,
Duration, time zones and recurrence rules, each against its iCalendar (RFC 5545) counterpart.

Why a module of its own: both directions (iCalendar text to a CalendarEvent object and back) need the
same parsers and formatters, and keeping them free of icalendar's component classes makes them easy to
test alone. No Flask, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_DURATION = re.compile(r"P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?")
_UTC_NAMES = ("Etc/UTC", "UTC", "Etc/GMT", "GMT")
WRITABLE_YEARS = (1900, 8999)  # the account capability's minDateTime and maxDateTime (calendars/__init__.py)
FREQUENCIES = ("yearly", "monthly", "weekly", "daily", "hourly", "minutely", "secondly")
DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_NDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", re.I)


class Invalid(ValueError):
    """A property whose value JSCalendar (or this server's subset of it) does not allow."""

    def __init__(self, prop: str, message: str) -> None:
        super().__init__(f"{prop}: {message}")
        self.prop = prop
        self.message = message


def local_text(value: datetime | date) -> str:
    """A LocalDateTime (``2026-12-07T10:00:00``) of a wall-clock time or a date (its midnight)."""
    if not isinstance(value, datetime):
        return f"{value.isoformat()}T00:00:00"
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def parse_local(prop: str, value: Any) -> datetime:
    """A LocalDateTime as a naive datetime.

    Raises:
        Invalid: not a LocalDateTime.
    """
    if not isinstance(value, str) or not _LOCAL.fullmatch(value):
        raise Invalid(prop, "must be a LocalDateTime such as 2026-12-07T10:00:00")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(prop, "is not a real date and time") from None


def parse_written(prop: str, value: Any) -> datetime:
    """A LocalDateTime a client writes, within the years this server stores (storage's occurrence
    ranges end there, and a time near year 1 or 9999 overflows once moved to UTC or given a length).

    Raises:
        Invalid: not a LocalDateTime, or outside ``WRITABLE_YEARS``.
    """
    local = parse_local(prop, value)
    if not WRITABLE_YEARS[0] <= local.year <= WRITABLE_YEARS[1]:
        raise Invalid(prop, f"must lie between the years {WRITABLE_YEARS[0]} and {WRITABLE_YEARS[1]}")
    return local


def utc_text(value: datetime) -> str:
    """A UTCDate (RFC 8620 1.4)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(prop: str, value: Any) -> datetime:
    """A UTCDate (or any RFC 3339 date-time with an offset) as an aware datetime.

    Raises:
        Invalid: not one.
    """
    if not isinstance(value, str):
        raise Invalid(prop, "must be a UTCDate such as 2026-12-07T10:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(prop, "must be a UTCDate such as 2026-12-07T10:00:00Z") from None
    if parsed.tzinfo is None:
        raise Invalid(prop, "must carry a time zone (Z)")
    return parsed.astimezone(UTC)


def duration_text(length: timedelta) -> str:
    """A JSCalendar Duration: whole days as ``P<n>D``, the rest as ``T<h>H<m>M<s>S`` (``PT0S`` for none)."""
    seconds = max(int(length.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    if clock:
        out += "T" + clock
    return out if out != "P" else "PT0S"


def parse_duration(prop: str, value: Any) -> timedelta:
    """A JSCalendar Duration (no sign, no months or years: they have no fixed length).

    Raises:
        Invalid: not one.
    """
    found = _DURATION.fullmatch(value) if isinstance(value, str) and value not in ("P", "PT") else None
    if not found or value.endswith("T"):
        raise Invalid(prop, "must be a Duration such as PT1H30M or P1D")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def signed_duration_text(length: timedelta) -> str:
    """A JSCalendar SignedDuration (RFC 8984 1.4.7): ``-PT15M`` before, ``PT5M`` after."""
    if length < timedelta(0):
        return "-" + duration_text(-length)
    return duration_text(length)


def parse_signed_duration(prop: str, value: Any) -> timedelta:
    """A JSCalendar SignedDuration.

    Raises:
        Invalid: not one.
    """
    if isinstance(value, str) and value[:1] in ("-", "+"):
        length = parse_duration(prop, value[1:])
        return -length if value[0] == "-" else length
    return parse_duration(prop, value)


def zone_name(tz: tzinfo | None) -> str | None:
    """The IANA name of an iCalendar time's zone ("Etc/UTC" for UTC); None when it has none we know."""
    if tz is None:
        return None
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if isinstance(key, str):
        return "Etc/UTC" if key in _UTC_NAMES else key if _known(key) else None
    if tz.utcoffset(datetime(2000, 1, 1)) == timedelta(0) and tz.tzname(datetime(2000, 1, 1)) in (
        "UTC",
        "GMT",
    ):
        return "Etc/UTC"
    return None


def _known(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_of(prop: str, name: Any) -> tzinfo | None:
    """The zone a ``timeZone`` property names (None: floating).

    Raises:
        Invalid: not an IANA zone name.
    """
    if name is None:
        return None
    if not isinstance(name, str) or not _known(name):
        raise Invalid(prop, "must be an IANA time zone name such as Europe/Berlin, or null")
    return UTC if name in _UTC_NAMES else ZoneInfo(name)


# -- recurrence rules (RFC 8984 4.3.3) <-> RRULE (RFC 5545 3.3.10) -----------------------------------------


def _first(rule: Any, key: str) -> Any:
    value = rule.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def rule_json(rule: Any, zone: tzinfo | None) -> dict[str, Any]:
    """A RecurrenceRule object of an iCalendar RRULE (``zone``: the event's, for UNTIL)."""
    out: dict[str, Any] = {"@type": "RecurrenceRule", "frequency": str(_first(rule, "FREQ")).lower()}
    interval = _first(rule, "INTERVAL")
    if interval and int(interval) != 1:
        out["interval"] = int(interval)
    count = _first(rule, "COUNT")
    if count:
        out["count"] = int(count)
    until = _first(rule, "UNTIL")
    if isinstance(until, datetime):
        if until.tzinfo is not None and zone is not None:
            until = until.astimezone(zone)
        out["until"] = local_text(until)
    elif isinstance(until, date):
        out["until"] = local_text(until)
    days = []
    for item in rule.get("BYDAY") or []:
        found = _NDAY.fullmatch(str(item))
        if found:
            nday: dict[str, Any] = {"@type": "NDay", "day": found.group(2).lower()}
            if found.group(1):
                nday["nthOfPeriod"] = int(found.group(1))
            days.append(nday)
    if days:
        out["byDay"] = days
    if rule.get("BYMONTHDAY"):
        out["byMonthDay"] = [int(v) for v in rule["BYMONTHDAY"]]
    if rule.get("BYMONTH"):
        out["byMonth"] = [str(v) for v in rule["BYMONTH"]]
    if rule.get("BYSETPOS"):
        out["bySetPosition"] = [int(v) for v in rule["BYSETPOS"]]
    wkst = _first(rule, "WKST")
    if wkst:
        out["firstDayOfWeek"] = str(wkst).lower()
    return out


def rule_ical(value: Any, zone: tzinfo | None, all_day: bool) -> dict[str, Any]:
    """The RRULE parts of a RecurrenceRule object (the subset in docs/jmap.md).

    Raises:
        Invalid: a member this server does not take, or a bad value.
    """
    prop = "recurrenceRules"
    if not isinstance(value, dict):
        raise Invalid(prop, "each rule is a RecurrenceRule object")
    allowed = {"@type", "frequency", "interval", "count", "until", "byDay", "byMonthDay", "byMonth"}
    allowed |= {"bySetPosition", "firstDayOfWeek", "rscale", "skip"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise Invalid(prop, f"{', '.join(unknown)} not supported in a rule")
    if value.get("rscale", "gregorian") != "gregorian" or value.get("skip", "omit") != "omit":
        raise Invalid(prop, "only the gregorian calendar with skip omit is supported")
    frequency = value.get("frequency")
    if frequency not in FREQUENCIES:
        raise Invalid(prop, f"frequency is one of {', '.join(FREQUENCIES)}")
    out: dict[str, Any] = {"FREQ": frequency.upper()}
    interval = value.get("interval", 1)
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 1000:
        raise Invalid(prop, "interval is a whole number from 1 to 1000")
    if interval != 1:
        out["INTERVAL"] = interval
    if "count" in value and "until" in value:
        raise Invalid(prop, "a rule has count or until, not both")
    if "count" in value:
        count = value["count"]
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100000:
            raise Invalid(prop, "count is a whole number from 1 to 100000")
        out["COUNT"] = count
    if "until" in value:
        until = parse_written(prop, value["until"])
        if all_day:
            out["UNTIL"] = until.date()
        elif zone is None:
            out["UNTIL"] = until
        else:
            out["UNTIL"] = until.replace(tzinfo=zone).astimezone(UTC)
    days = []
    for nday in value.get("byDay") or []:
        if not isinstance(nday, dict) or nday.get("day") not in DAYS:
            raise Invalid(prop, "byDay holds NDay objects with a day such as mo")
        nth = nday.get("nthOfPeriod")
        if nth is not None and (not isinstance(nth, int) or isinstance(nth, bool) or not 0 < abs(nth) <= 53):
            raise Invalid(prop, "nthOfPeriod is a whole number from -53 to 53, not 0")
        days.append(f"{nth or ''}{nday['day'].upper()}")
    if days:
        out["BYDAY"] = days
    for member, part, low, high in (
        ("byMonthDay", "BYMONTHDAY", -31, 31),
        ("bySetPosition", "BYSETPOS", -366, 366),
    ):
        numbers = value.get(member) or []
        if not all(
            isinstance(n, int) and not isinstance(n, bool) and low <= n <= high and n for n in numbers
        ):
            raise Invalid(prop, f"{member} holds whole numbers from {low} to {high}, not 0")
        if numbers:
            out[part] = list(numbers)
    months = value.get("byMonth") or []
    if not all(isinstance(m, str) and m.isdigit() and 1 <= int(m) <= 12 for m in months):
        raise Invalid(prop, 'byMonth holds month numbers as strings, "1" to "12"')
    if months:
        out["BYMONTH"] = [int(m) for m in months]
    if "firstDayOfWeek" in value:
        if value["firstDayOfWeek"] not in DAYS:
            raise Invalid(prop, "firstDayOfWeek is a day such as mo")
        out["WKST"] = value["firstDayOfWeek"].upper()
    return out


def check_common(
    body: dict[str, Any],
    before: dict[str, Any] | None,
    writable: Collection[str],
    server_set: Collection[str],
) -> None:
    """What an event and a task both must be: only known properties, string title and description, an
    unchanged ``uid`` of 1-255 characters, a boolean ``showWithoutTime``.

    Raises:
        Invalid: the property and what is wrong.
    """
    for name in body:
        if name not in writable and name not in server_set:
            raise Invalid(name, "is not supported by this server")
    for name in ("title", "description"):
        if not isinstance(body.get(name), str):
            raise Invalid(name, "must be a string")
    if before is not None and body.get("uid") != before.get("uid"):
        raise Invalid("uid", "cannot be changed")
    if not isinstance(body.get("uid"), str) or not 0 < len(body["uid"]) <= 255:
        raise Invalid("uid", "must be a string of 1 to 255 characters")
    if not isinstance(body.get("showWithoutTime"), bool):
        raise Invalid("showWithoutTime", "must be true or false")
