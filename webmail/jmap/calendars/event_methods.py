"""CalendarEvent/get and /changes (draft-ietf-jmap-calendars-22 5.x, RFC 8620 5.1-5.2).

/get takes event ids and instance ids (from CalendarEvent/query with ``expandRecurrences``) alike; an
id the user may not read, of a task kept in a calendar, or of a time the series does not recur at is
in ``notFound``. ``ids: null`` lists every event of every readable calendar, which reads every item:
a client should query a time range first. /changes asks each readable calendar for its changes since
the state's point (webmail/jmap/calendars/item_changes.py); storage keeps no "made" mark for an item, so
an event created since is listed in ``updated`` unless its whole calendar is new (RFC 8620 allows a
server to be coarse; a client fetches what it does not know), and an event moved to another calendar
keeps its id and is ``updated``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Calendar

from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import events, ids, item_changes
from webmail.jmap.calendars import state as st
from webmail.jmap.registry import CALENDARS, Args, Call, MethodError, method


def _all_ids(call: Call) -> list[str]:
    organizer = call.user.organizer
    out = []
    for c in st.calendars_of(call.user):
        if "r" in c.rights:
            out += [ids.event_id(i.key) for i in organizer.items(c.folder_id) if i.component == "VEVENT"]
    return out


def _parsed(data: bytes) -> tuple[Calendar, dict[str, Any]] | None:
    """An item's calendar and Event (None when it holds none any more)."""
    try:
        calendar = read.parse(data)
        return calendar, read.event_json(calendar)
    except (read.NotAnEvent, ValueError):
        return None


@method("CalendarEvent/get", CALENDARS)
def event_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, events.PROPERTIES)
    state = st.event_state(st.calendars_of(call.user))
    wanted = list(dict.fromkeys(_all_ids(call) if asked.ids is None else asked.ids))
    if asked.ids is None:
        std.refuse_get_all(len(wanted), "events", "CalendarEvent/query")
    refs = events.refs_of(call.user, wanted, ("VEVENT",))
    items = events.find_many(call.user, refs.values())
    parsed: dict[int, tuple[Calendar, dict[str, Any]] | None] = {}  # item key -> parsed once per request
    recurs: dict[int, set[datetime]] = {}  # item key -> the asked recurrence ids it has
    asked_rids: dict[int, list[datetime]] = {}
    for asked_ref in refs.values():
        if asked_ref.recurrence_id is not None and asked_ref.key in items:
            asked_rids.setdefault(asked_ref.key, []).append(asked_ref.recurrence_id)

    def body_of(event_id: str) -> dict[str, Any] | None:
        ref = refs.get(event_id)
        item = items.get(ref.key) if ref is not None else None
        if ref is None or item is None:
            return None
        if item.key not in parsed:
            parsed[item.key] = _parsed(item.data)
        got = parsed[item.key]
        if got is None:
            return None
        hit = events.Found(ref, item)
        if ref.recurrence_id is None:
            return events.base_object(hit, call.address, got[1])
        if item.key not in recurs:
            recurs[item.key] = events.recurrence_ids(got[0], asked_rids.get(item.key, []))
        return events.instance_object(hit, call.address, got[1], recurs[item.key])

    return std.get_answer(call, asked, state, wanted, body_of)


@method("CalendarEvent/changes", CALENDARS)
def event_changes(call: Call, args: Args) -> Args:
    asked = std.changes_args(call, args)
    old = st.parse_event_state(asked.since_state)
    if old is None:
        raise MethodError("cannotCalculateChanges", "not a CalendarEvent state of this server")
    calendars = st.calendars_of(call.user)
    try:
        found = item_changes.since(call.user, old, calendars, ("VEVENT",))
    except item_changes.CannotCalculate as exc:
        raise MethodError("cannotCalculateChanges", str(exc)) from None
    if asked.max_changes is not None and found.count() > asked.max_changes:
        raise MethodError("cannotCalculateChanges", "more changes than maxChanges: reload the events")
    return {
        "accountId": call.account_id,
        "oldState": asked.since_state,
        "newState": st.event_state(calendars),
        "hasMoreChanges": False,
        "created": found.created,
        "updated": found.updated,
        "destroyed": found.destroyed,
    }
