"""Date parts for the Sieve ``date`` and ``currentdate`` tests (RFC 5260 4 and 5).

* ``parse_header_date``: a Date-like header field's value (RFC 5322 3.3, obsolete forms and a trailing
  comment tolerated, ISO 8601 as a last resort) to an aware datetime, or None.
* ``date_part``: one of the RFC 5260 4.2 date-parts, as the exact string the RFC's table specifies,
  in the zone asked for.

Pure: no clock and no system time zone. A caller that wants the server's zone (RFC 5260 4.1's default
when neither :zone nor :originalzone is given) converts the datetime before the call.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_tz

DATE_PARTS = (
    "year",
    "month",
    "day",
    "date",
    "julian",
    "hour",
    "minute",
    "second",
    "time",
    "iso8601",
    "std11",
    "zone",
    "weekday",
)

_MJD_EPOCH = date(1858, 11, 17)  # Modified Julian Day 0 (RFC 5260 4.2, Appendix A)
_ZONE = re.compile(r"([+-])(\d\d)(\d\d)")
_COMMENT = re.compile(r"\([^()]*\)")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_header_date(value: str) -> datetime | None:
    """The date-time in ``value`` as an aware datetime; None if it cannot be read.

    A missing or "-0000" zone (RFC 5322 3.3: local time unknown) is taken as UTC; a leap second
    becomes second 59.
    """
    text = value.strip()
    for _ in range(3):  # comments, including one level of nesting, such as "+0000 (UTC)"
        text = _COMMENT.sub(" ", text)
    try:
        fields = parsedate_tz(text)
    except (ValueError, IndexError, TypeError, OverflowError):  # pragma: no cover - defensive
        fields = None
    try:
        if fields is not None:
            year, month, day, hour, minute, second = fields[:6]
            offset = fields[9] or 0
            zone = timezone(timedelta(seconds=offset))
            return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _zone_of(text: str) -> timezone:
    m = _ZONE.fullmatch(text.strip())
    if m is None or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        raise ValueError(f"invalid time zone {text!r}: expected +hhmm or -hhmm")
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def _zone_text(dt: datetime, colon: bool = False) -> str:
    offset = dt.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"  # "an offset of 0 (Zulu) always has a positive sign"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


def date_part(dt: datetime, part: str, *, zone: str | None = None, original_zone: bool = False) -> str:
    """The RFC 5260 4.2 ``part`` of ``dt``.

    Args:
        dt: the date-time; a naive one is taken as UTC.
        part: one of ``DATE_PARTS`` (case-insensitive).
        zone: "+hhmm" or "-hhmm" (the :zone argument): ``dt`` is shown in that zone.
        original_zone: :originalzone: ``dt`` is shown in its own zone. With neither, ``dt``'s own zone
            is used too, so the caller passes a datetime already in the server's zone.

    Raises:
        ValueError: an unknown date-part or an invalid zone.
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if zone is not None and not original_zone:
        dt = dt.astimezone(_zone_of(zone))
    part = part.lower()
    if part == "year":
        return f"{dt.year:04d}"
    if part == "month":
        return f"{dt.month:02d}"
    if part == "day":
        return f"{dt.day:02d}"
    if part == "date":
        return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
    if part == "julian":
        return str((dt.date() - _MJD_EPOCH).days)
    if part == "hour":
        return f"{dt.hour:02d}"
    if part == "minute":
        return f"{dt.minute:02d}"
    if part == "second":
        return f"{dt.second:02d}"
    if part == "time":
        return f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if part == "iso8601":  # RFC 3339 date-time, whole seconds
        return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt:%H:%M:%S}{_zone_text(dt, colon=True)}"
    if part == "std11":  # RFC 2822 3.3, English names whatever the locale
        day, month = _DAYS[dt.weekday()], _MONTHS[dt.month - 1]
        return f"{day}, {dt.day:02d} {month} {dt.year:04d} {dt:%H:%M:%S} {_zone_text(dt)}"
    if part == "zone":
        return _zone_text(dt)
    if part == "weekday":  # 0 is Sunday
        return str((dt.weekday() + 1) % 7)
    raise ValueError(f"unknown date-part {part!r}")
