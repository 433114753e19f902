"""CalendarEvent/query (draft-ietf-jmap-calendars-22 5.x; RFC 8620 5.5).

What is supported (docs/jmap.md says the same): the filter conditions ``inCalendars``, ``after`` and
``before`` (an event matches when one of its instances ends after ``after`` and starts before
``before``), ANDed; no FilterOperator and no text conditions (``unsupportedFilter``). Sorting by
``start`` only (the default), ascending or descending. With a time range the organizer expands
recurrences on read (storage.pim.occurrences) and an event sorts by its first instance in the range;
``expandRecurrences: true`` answers one id per instance (webmail/jmap/calendars/ids.py: the recurrence
id before the series' id; a one-off event keeps its own id), and needs both ``after`` and ``before``
(else ``invalidArguments``, as the draft says). A range is at most ten years: a filter with one bound
only reads ten years from it. Without a range every event of the calendars is read. The answer holds at
most the account's ``organizer.max_occurrences`` instances (5,000 by default). ``queryState`` is the
CalendarEvent state and /queryChanges is not offered (``canCalculateChanges`` is false).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.errors import InvalidInput
from storage.pim.occurrences import MAX_RANGE_DAYS, MAX_YEAR, MIN_YEAR
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import state as st
from webmail.jmap.calendars import values as v
from webmail.jmap.registry import CALENDARS, Args, Call, MethodError, method

CONDITIONS = frozenset({"inCalendars", "after", "before"})
SPAN = timedelta(days=MAX_RANGE_DAYS)
FIRST = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
LAST = datetime(MAX_YEAR, 1, 1, tzinfo=UTC)


def _bound(condition: Args, name: str) -> datetime | None:
    if condition.get(name) is None:
        return None
    try:
        return v.parse_utc(name, condition[name])
    except v.Invalid as exc:
        raise std.invalid("filter", exc.message) from None


def _range(after: datetime | None, before: datetime | None) -> tuple[datetime, datetime] | None:
    if after is not None:
        start = after
        end = before if before is not None else min(LAST, after + SPAN)
    elif before is not None:
        start, end = max(FIRST, before - SPAN), before
    else:
        return None
    if end <= start:
        raise std.invalid("filter", "before must be later than after")
    if end - start > SPAN:
        raise std.invalid("filter", f"a time range spans at most {MAX_RANGE_DAYS} days")
    return start, end


def _folders(call: Call, condition: Args) -> list[int]:
    readable = [c.folder_id for c in st.calendars_of(call.user) if "r" in c.rights]
    wanted = condition.get("inCalendars")
    if wanted is None:
        return readable
    if not isinstance(wanted, list) or not all(isinstance(x, str) for x in wanted):
        raise std.invalid("filter", "inCalendars is an array of Calendar ids")
    asked = {ids.parse_calendar_id(std.resolve_id(call, x)) for x in wanted}
    return [f for f in readable if f in asked]


def _ranged(call: Call, folders: list[int], span: tuple[datetime, datetime], expand: bool) -> list[str]:
    try:
        found = call.user.organizer.occurrences(folders, span[0], span[1])
    except InvalidInput as exc:
        raise std.invalid("filter", str(exc)) from None
    out: dict[str, None] = {}
    for o in found:
        base = ids.event_id(o.key)
        if expand and o.recurrence_id is not None:
            out[ids.instance_id(base, o.recurrence_id)] = None
        else:
            out.setdefault(base, None)
    return list(out)


def _unranged(call: Call, folders: list[int]) -> list[str]:
    organizer = call.user.organizer
    starts: list[tuple[datetime, str]] = []
    for folder_id in folders:
        names = [r.name for r in organizer.items(folder_id) if r.component == "VEVENT"]
        for item in organizer.get_many(folder_id, names):
            if item.component != "VEVENT":
                continue
            try:
                first, _ = read.utc_span(read.event_json(read.parse(item.data)))
            except (read.NotAnEvent, v.Invalid, ValueError):
                continue
            starts.append((first, ids.event_id(item.key)))
    return [event_id for _, event_id in sorted(starts)]


@method("CalendarEvent/query", CALENDARS)
def event_query(call: Call, args: Args) -> Args:
    q = std.query_args(call, args, ("start",))
    expand = std.boolean(args, "expandRecurrences")
    zone = args.get("timeZone", "Etc/UTC")
    if not isinstance(zone, str):
        raise std.invalid("timeZone", "must be a time zone name")
    condition: Args = q.filter or {}
    if "operator" in condition or set(condition) - CONDITIONS:
        raise MethodError("unsupportedFilter", "only inCalendars, after and before are supported")
    span = _range(_bound(condition, "after"), _bound(condition, "before"))
    if expand and (condition.get("after") is None or condition.get("before") is None):
        raise std.invalid("expandRecurrences", "needs a filter with both after and before")
    folders = _folders(call, condition)
    found = _ranged(call, folders, span, expand) if span else _unranged(call, folders)
    if q.sort and not q.sort[0].is_ascending:
        found.reverse()
    return std.query_answer(call, q, found, st.event_state(st.calendars_of(call.user)))
