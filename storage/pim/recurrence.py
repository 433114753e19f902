"""Expanding one stored calendar resource into the instances that fall in a time range.

A resource (storage/pim/index.py) holds one UID: a master VEVENT, perhaps with an RRULE, RDATEs and
EXDATEs, plus the overrides that carry a RECURRENCE-ID (an instance moved, retitled or cancelled). The
calendar views, free/busy and the reminder sweep all need "what happens between START and END", so this
module answers exactly that, on read, from the item's bytes; nothing is ever stored expanded.

Why our own expansion (on icalendar's parser and dateutil's rrule) rather than the recurring-ical-events
package: that package is LGPL-3.0 and pins python-dateutil below 3, while icalendar 7 brings 4.x; what we
need from it is small and is written down here.

Rules kept:
- Time zones: DTSTART with a TZID (IANA name or the resource's own VTIMEZONE) is expanded in wall-clock
  time of that zone, so a weekly 10:00 meeting stays at 10:00 across a DST change; results are UTC.
- All-day (DATE values) and floating times (no zone) are taken as UTC, as the index columns take them:
  a day event of 2026-03-29 runs from 2026-03-29T00:00Z to the next midnight.
- DTSTART is always the first instance (RFC 5545 3.8.5.3), even when the rule would not produce it.
- EXDATE removes instances; a DATE-valued EXDATE on a timed event removes that local day's instances.
- An override replaces the instance whose start equals its RECURRENCE-ID; it is reported at its own
  time, so a moved instance leaves the range it was in and enters the one it moved to.
- The duration of every instance is the master's (DTEND - DTSTART in wall-clock time, or DURATION);
  an RDATE given as a PERIOD keeps its own end. No DTEND: all-day lasts one day, timed lasts zero.

Parsing is most of the cost of a range read, so the parsed calendars of stored items are kept in a
small per-process cache keyed by the SHA-256 of their bytes (``cached_calendar``).

Limits (documented in docs/storage.md): at most ``MAX_STEPS`` rule instances are generated per
resource and call (a rule that would need more, e.g. FREQ=MINUTELY over years, is cut there), and at
most ``limit`` instances are returned. WEEKLY, DAILY and shorter rules without COUNT start their walk
near the asked range instead of at DTSTART, so a daily event from years ago costs what a new one costs,
and a rule that repeats every second walks only the hours around the range (bench: one instance's
CalendarEvent/get of such a series took 3.2 s of CPU before).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, cast

from dateutil import rrule as du
from icalendar import Calendar, Component, vRecur

from storage.errors import InvalidInput

MAX_STEPS = 100_000
PARSE_CACHE_SIZE = 4096
DEFAULT_LIMIT = 5000
EXPANDED = ("VEVENT",)
#: the rules walked from near the asked range rather than from DTSTART: each has a fixed period
PERIODS = {
    "WEEKLY": timedelta(days=7),
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
    "MINUTELY": timedelta(minutes=1),
    "SECONDLY": timedelta(seconds=1),
}
SUB_DAILY = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})
SUB_DAILY_SLACK = timedelta(hours=3)  # more than any zone's offset change (at most 2 hours)


_parsed: OrderedDict[str, Component] = OrderedDict()


@dataclass(frozen=True)
class Instance:
    """One instance of a resource in a range; every datetime is aware UTC.

    ``recurrence_id`` is the instance's original start for a recurring resource (what a client names
    in RECURRENCE-ID to change just that instance), None for a one-off event. ``busy_kind`` is how the
    instance blocks time: BUSY, BUSY-TENTATIVE or BUSY-UNAVAILABLE, or None when it does not block
    (TRANSP:TRANSPARENT, STATUS:CANCELLED, or Outlook's X-MICROSOFT-CDO-BUSYSTATUS:FREE).
    """

    item_uid: str
    recurrence_id: datetime | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    summary: str
    location: str
    status: str
    categories: tuple[str, ...]
    busy_kind: str | None
    private: bool

    @property
    def busy(self) -> bool:
        return self.busy_kind is not None


def parse_calendar(data: bytes) -> Calendar:
    """The VCALENDAR in ``data``.

    Raises:
        InvalidInput: the bytes are not an iCalendar object.
    """
    try:
        cal = Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidInput(f"not a readable iCalendar object: {exc}") from None
    if not isinstance(cal, Calendar):
        raise InvalidInput("not a readable iCalendar object")
    return cal


def cached_calendar(key: str, read: Callable[[], bytes]) -> Component:
    """The parsed calendar of a stored item whose bytes have the SHA-256 ``key`` (``read`` gives them
    when it is not cached). Items are content-addressed, so an entry never goes stale; the newest
    ``PARSE_CACHE_SIZE`` are kept per process (about 6 KB each for a plain event). Callers must not
    change what they get.

    Raises:
        InvalidInput: the bytes are not an iCalendar object (not cached).
    """
    cal = _parsed.get(key)
    if cal is not None:
        with suppress(KeyError):  # dropped by another greenlet or thread meanwhile
            _parsed.move_to_end(key)
        return cal
    cal = parse_calendar(read())
    _parsed[key] = cal
    while len(_parsed) > PARSE_CACHE_SIZE:
        try:
            _parsed.popitem(last=False)
        except KeyError:
            break
    return cal


def expand(data: bytes, start: datetime, end: datetime, *, limit: int = DEFAULT_LIMIT) -> list[Instance]:
    """Instances of the events in ``data`` that overlap [start, end), sorted by start.

    An instance overlaps when it starts before ``end`` and ends after ``start``; an instance of zero
    length counts when it starts in [start, end).

    Raises:
        InvalidInput: unreadable bytes, an event without DTSTART, or a rule dateutil cannot follow.
    """
    return expand_calendar(parse_calendar(data), start, end, limit=limit)


def expand_calendar(
    cal: Component, start: datetime, end: datetime, *, limit: int = DEFAULT_LIMIT
) -> list[Instance]:
    """:func:`expand` on an already parsed calendar (the reminder sweep and the feeds reuse a parse)."""
    start, end = _utc(start), _utc(end)
    masters: dict[str, Component] = {}
    overrides: dict[str, list[Component]] = {}
    for comp in cal.walk():
        if comp.name not in EXPANDED:
            continue
        uid = str(comp.get("UID", ""))
        if comp.get("RECURRENCE-ID") is not None:
            overrides.setdefault(uid, []).append(comp)
        else:
            masters.setdefault(uid, comp)
    found: list[Instance] = []
    for uid in list(masters) + [u for u in overrides if u not in masters]:
        found.extend(_expand_one(masters.get(uid), overrides.get(uid, []), start, end, limit))
    found.sort(key=lambda i: (i.starts_at, i.ends_at, i.item_uid))
    return found[:limit]


def check_event(comp: Component) -> None:
    """Raise InvalidInput when the event could not be expanded (the importer reports the reason)."""
    if comp.get("DTSTART") is None:
        raise InvalidInput(f"{comp.name} without DTSTART")
    dtstart = _value(comp, "DTSTART")
    if dtstart is None:
        raise InvalidInput("unreadable DTSTART")
    base = _local_start(dtstart)
    _ruleset(comp, base, base)


# -- one resource ----------------------------------------------------------------------------------


def _expand_one(
    master: Component | None, overrides: list[Component], start: datetime, end: datetime, limit: int
) -> Iterator[Instance]:
    replaced: set[datetime] = set()
    for ov in overrides:
        rid = _value(ov, "RECURRENCE-ID")
        if rid is None:
            continue
        replaced.add(_key(rid))
        inst = _instance(ov, _value(ov, "DTSTART"), None, _key(rid))
        if inst is not None and _overlaps(inst, start, end):
            yield inst
    if master is None:
        return
    dtstart = _value(master, "DTSTART")
    if dtstart is None:
        raise InvalidInput(f"{master.name} without DTSTART")
    recurring = any(master.get(p) is not None for p in ("RRULE", "RDATE"))
    if not recurring:
        inst = _instance(master, dtstart, None, None)
        if inst is not None and _overlaps(inst, start, end):
            yield inst
        return
    duration = _duration(master, dtstart)
    local = _local_start(dtstart)
    zone = local.tzinfo
    slack = _slack(master)
    lower = _in_zone(start - max(duration, timedelta(0)) - slack, zone)
    upper = _in_zone(end + slack, zone)
    rules, rdates = _ruleset(master, local, lower)
    periods = {k: v for k, v in rdates.items() if v is not None}
    excluded, excluded_days = _exdates(master, zone)
    count = 0
    for occ in _merged(rules, sorted(rdates), local, lower, upper):
        key = _key(occ)
        if key in replaced or key in excluded or (excluded_days and occ.date() in excluded_days):
            continue
        occ_end = periods.get(occ)
        finish = occ_end if occ_end is not None else occ + duration
        begins = _to_utc(occ)
        if not _span_overlaps(begins, max(_to_utc(finish), begins), start, end):
            continue  # in the walk's slack only: no Instance built (a secondly rule has 86,400 a day)
        inst = _instance(master, occ, finish, key)
        if inst is not None and _overlaps(inst, start, end):
            yield inst
            count += 1
            if count >= limit:
                return


def _merged(
    rules: list[du.rrule], rdates: list[datetime], first: datetime, lower: datetime, upper: datetime
) -> Iterator[datetime]:
    """Rule instances, RDATEs and DTSTART in [lower, upper), ascending, without repeats."""
    seen: set[datetime] = set()
    candidates: list[datetime] = [d for d in [first, *rdates] if lower <= d < upper]
    for rule in rules:
        for steps, occ in enumerate(cast(Iterable[datetime], rule), 1):
            if occ >= upper or steps > MAX_STEPS:
                break
            if occ >= lower:
                candidates.append(occ)
    for occ in sorted(candidates):
        key = _key(occ)
        if key not in seen:
            seen.add(key)
            yield occ


def _ruleset(
    comp: Component, local: datetime, lower: datetime
) -> tuple[list[du.rrule], dict[datetime, datetime | None]]:
    """The component's rules (each started near ``lower`` when that is safe) and RDATEs (start -> end or None)."""
    rules: list[du.rrule] = []
    for rule in _as_list(comp.get("RRULE")):
        if not isinstance(rule, vRecur):
            raise InvalidInput("unreadable RRULE")
        interval = rule.get("INTERVAL")
        if interval and int(interval[0]) < 1:
            raise InvalidInput("unreadable RRULE: INTERVAL must be at least 1")
        parts = {k: v for k, v in rule.items() if k.upper() != "UNTIL"}
        until = rule.get("UNTIL")
        try:
            text = cast(bytes, vRecur(parts).to_ical()).decode("ascii")  # type: ignore[no-untyped-call]
            built = cast(du.rrule, du.rrulestr(text, dtstart=local))
            if until:
                built = built.replace(until=_until(until[0], local))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(f"unreadable RRULE: {exc}") from None
        rules.append(_fast_forward(built, rule, local, lower))
    rdates: dict[datetime, datetime | None] = {}
    for prop in _as_list(comp.get("RDATE")):
        for entry in getattr(prop, "dts", []):
            value = entry.dt
            if isinstance(value, tuple):
                begin, finish = value
                s = _local_in(begin, local)
                rdates[s] = _local_in(finish, local) if isinstance(finish, date) else s + finish
            else:
                rdates[_local_in(value, local)] = None
    return rules, rdates


def _fast_forward(built: du.rrule, rule: vRecur, local: datetime, lower: datetime) -> du.rrule:
    """Move a WEEKLY, DAILY or shorter rule without COUNT to start a whole number of intervals before
    ``lower`` (a few hours before, for a rule repeating within a day: a wall-clock step and an elapsed one
    differ by a zone's offset change). Without it a rule repeating every second walked from DTSTART:
    100,000 steps (MAX_STEPS) and 3 s of CPU for one instance's /get, and an instance more than MAX_STEPS
    after DTSTART was never found."""
    freq = str(rule.get("FREQ", [""])[0]).upper()
    if rule.get("COUNT") or rule.get("BYSETPOS") or freq not in PERIODS:
        return built
    interval = int(rule.get("INTERVAL", [1])[0] or 1)
    period = PERIODS[freq] * interval
    gap = _naive_utc(lower) - _naive_utc(local)
    if freq in SUB_DAILY:
        gap -= SUB_DAILY_SLACK
    steps = gap // period - 1
    if steps <= 0:
        return built
    return cast(du.rrule, built.replace(dtstart=local + steps * period))


def _exdates(comp: Component, zone: tzinfo | None) -> tuple[set[datetime], set[date]]:
    instants: set[datetime] = set()
    days: set[date] = set()
    for prop in _as_list(comp.get("EXDATE")):
        for entry in getattr(prop, "dts", []):
            value = entry.dt
            if isinstance(value, datetime):
                instants.add(_key(value if value.tzinfo or zone is None else value.replace(tzinfo=zone)))
            elif isinstance(value, date):
                if zone is None:
                    instants.add(datetime.combine(value, time()))
                else:
                    days.add(value)
    return instants, days


# -- one instance ----------------------------------------------------------------------------------


def _instance(comp: Component, begin: Any, finish: datetime | None, rid: datetime | None) -> Instance | None:
    if begin is None:
        return None
    own = _value(comp, "DTSTART")
    all_day = isinstance(own, date) and not isinstance(own, datetime)
    local = _local_start(begin)
    if finish is None:
        finish = local + _duration(comp, begin)
    starts = _to_utc(local)
    ends = max(_to_utc(finish), starts)
    status = str(comp.get("STATUS", "")).upper()
    transparent = str(comp.get("TRANSP", "")).upper() == "TRANSPARENT"
    cdo = str(comp.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    kind: str | None = "BUSY"
    if transparent or status == "CANCELLED" or cdo == "FREE":
        kind = None
    elif status == "TENTATIVE" or cdo == "TENTATIVE":
        kind = "BUSY-TENTATIVE"
    elif cdo == "OOF":
        kind = "BUSY-UNAVAILABLE"
    return Instance(
        item_uid=str(comp.get("UID", "")),
        recurrence_id=None if rid is None else rid.replace(tzinfo=UTC),
        starts_at=starts,
        ends_at=ends,
        all_day=all_day,
        summary=str(comp.get("SUMMARY", "")),
        location=str(comp.get("LOCATION", "")),
        status=status,
        categories=_categories(comp),
        busy_kind=kind,
        private=str(comp.get("CLASS", "")).upper() in ("PRIVATE", "CONFIDENTIAL"),
    )


def _categories(comp: Component) -> tuple[str, ...]:
    names: list[str] = []
    for prop in _as_list(comp.get("CATEGORIES")):
        for cat in getattr(prop, "cats", None) or str(prop).split(","):
            text = str(cat).strip()
            if text and text not in names:
                names.append(text)
    return tuple(names)


def _duration(comp: Component, begin: Any) -> timedelta:
    finish = _value(comp, "DTEND") if comp.name == "VEVENT" else _value(comp, "DUE")
    length = _value(comp, "DURATION")
    if isinstance(length, timedelta):
        return max(length, timedelta(0))
    if isinstance(finish, date):
        local = _local_start(begin)
        return max(_local_in(finish, local) - local, timedelta(0))
    if isinstance(begin, date) and not isinstance(begin, datetime):
        return timedelta(days=1)
    return timedelta(0)


def _overlaps(inst: Instance, start: datetime, end: datetime) -> bool:
    return _span_overlaps(inst.starts_at, inst.ends_at, start, end)


def _span_overlaps(starts: datetime, ends: datetime, start: datetime, end: datetime) -> bool:
    if starts >= end:
        return False
    return ends > start or (ends == starts and starts >= start)


def _slack(master: Component) -> timedelta:
    """How far beyond the asked range the walk looks (wall-clock comparisons in a zone can be off by its
    offset change): a day, or a few hours when every rule repeats within a day and there is no RDATE,
    so that a rule repeating every second walks 6 hours of instances around the range rather than two
    days (which MAX_STEPS would cut before reaching it)."""
    rules = _as_list(master.get("RRULE"))
    sub_daily = bool(rules) and all(
        isinstance(r, vRecur) and str(r.get("FREQ", [""])[0]).upper() in SUB_DAILY for r in rules
    )
    return SUB_DAILY_SLACK if sub_daily and master.get("RDATE") is None else timedelta(days=1)


# -- time helpers ----------------------------------------------------------------------------------


def _value(comp: Component, name: str) -> Any:
    prop = comp.get(name)
    if isinstance(prop, list):
        prop = prop[0] if prop else None
    return getattr(prop, "dt", None)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _local_start(value: Any) -> datetime:
    """DTSTART as the datetime rules walk on: aware in its zone, or naive (all-day and floating = UTC)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise InvalidInput("unreadable DTSTART")


def _local_in(value: Any, like: datetime) -> datetime:
    """``value`` (date or datetime) made comparable with ``like``: same awareness, same zone when naive."""
    if isinstance(value, datetime):
        if like.tzinfo is None:
            return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return value if value.tzinfo else value.replace(tzinfo=like.tzinfo)
    if isinstance(value, date):
        naive = datetime.combine(value, time())
        return naive if like.tzinfo is None else naive.replace(tzinfo=like.tzinfo)
    raise InvalidInput("unreadable date value")


def _until(value: Any, local: datetime) -> datetime:
    """UNTIL in DTSTART's terms; a DATE means "through that day"."""
    if isinstance(value, datetime):
        return _local_in(value, local)
    last = datetime.combine(value, time(23, 59, 59))
    return last if local.tzinfo is None else last.replace(tzinfo=local.tzinfo)


def _in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if zone is None else moment.astimezone(zone)


def _key(value: Any) -> datetime:
    """The instant an instance or RECURRENCE-ID stands for, as naive UTC (floating taken as UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime.combine(value, time())


def _naive_utc(value: datetime) -> datetime:
    return _key(value)


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
