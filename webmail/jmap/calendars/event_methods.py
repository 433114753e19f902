"""CalendarEvent/get and /changes (draft-ietf-jmap-calendars-22 5.x, RFC 8620 5.1-5.2).

/get takes event ids and instance ids (from CalendarEvent/query with ``expandRecurrences``) alike; an
id the user may not read, of a task kept in a calendar, or of a time the series does not recur at is
in ``notFound``. ``ids: null`` lists every event of every readable calendar, which reads every item:
a client should query a time range first. /changes asks each readable calendar for its changes since
the state's point (webmail/jmap/calendars/state.py); storage keeps no "made" mark for an item, so an
event created since is listed in ``updated`` unless its whole calendar is new (RFC 8620 allows a
server to be coarse; a client fetches what it does not know).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Calendar

from storage.errors import InvalidInput, NotFound, PermissionDenied
from webmail.jmap import limits
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import events, ids
from webmail.jmap.calendars import state as st
from webmail.jmap.registry import CALENDARS, Args, Call, MethodError, method


def _all_ids(call: Call) -> list[str]:
    organizer = call.user.organizer
    out = []
    for c in st.calendars_of(call.user):
        if "r" not in c.rights:
            continue
        names = [i.name for i in organizer.items(c.folder_id)]
        out += [
            ids.event_id(c.folder_id, i.name)
            for i in organizer.get_many(c.folder_id, names)
            if i.component == "VEVENT"
        ]
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
    if asked.ids is None and len(wanted) > limits.MAX_OBJECTS_IN_GET:  # RFC 8620 5.1
        raise MethodError("requestTooLarge", "too many events: ask for ids (CalendarEvent/query)")
    refs = {event_id: ids.parse_event_id(event_id) for event_id in wanted}
    items = events.find_many(call.user, [r for r in refs.values() if r is not None])
    parsed: dict[str, tuple[Calendar, dict[str, Any]] | None] = {}  # item name -> parsed once per request
    recurs: dict[str, set[datetime]] = {}  # item name -> the asked recurrence ids it has
    asked_rids: dict[str, list[datetime]] = {}
    for ref in refs.values():
        if ref is not None and ref.recurrence_id is not None and (item := items.get(events.key_of(ref))):
            asked_rids.setdefault(item.name, []).append(ref.recurrence_id)
    found: list[dict[str, Any]] = []
    missing: list[str] = []
    for event_id, ref in refs.items():
        item = items.get(events.key_of(ref)) if ref is not None else None
        body = None
        if ref is not None and item is not None:
            if item.name not in parsed:
                parsed[item.name] = _parsed(item.data)
            got = parsed[item.name]
            hit = events.Found(ref, item)
            if got is not None and ref.recurrence_id is None:
                body = events.base_object(hit, call.address, got[1])
            elif got is not None:
                if item.name not in recurs:
                    recurs[item.name] = events.recurrence_ids(got[0], asked_rids.get(item.name, []))
                body = events.instance_object(hit, call.address, got[1], recurs[item.name])
        if body is None:
            missing.append(event_id)
            continue
        body["id"] = event_id
        found.append({p: body.get(p) for p in asked.properties})
    return {"accountId": call.account_id, "state": state, "list": found, "notFound": missing}


@method("CalendarEvent/changes", CALENDARS)
def event_changes(call: Call, args: Args) -> Args:
    asked = std.changes_args(call, args)
    old = st.parse_event_state(asked.since_state)
    if old is None:
        raise MethodError("cannotCalculateChanges", "not a CalendarEvent state of this server")
    calendars = st.calendars_of(call.user)
    new = st.event_points(calendars)
    if any(f not in new or new[f].uidvalidity != p.uidvalidity for f, p in old.items()):
        raise MethodError("cannotCalculateChanges", "a calendar went away since that state: reload")
    organizer = call.user.organizer
    created: list[str] = []
    updated: list[str] = []
    destroyed: list[str] = []
    for folder_id, point in sorted(new.items()):
        before = old.get(folder_id)
        if before is not None and before.modseq == point.modseq:
            continue
        try:
            result = organizer.sync(folder_id, f"{before.uidvalidity}-{before.modseq}" if before else None)
            changed = organizer.get_many(folder_id, [r.name for r in result.changed])
        except (NotFound, PermissionDenied, InvalidInput):
            raise MethodError(
                "cannotCalculateChanges", "a calendar changed under the request: retry"
            ) from None
        names = [i.name for i in changed if i.component == "VEVENT"]
        (updated if before else created).extend(ids.event_id(folder_id, n) for n in names)
        destroyed.extend(ids.event_id(folder_id, n) for n in result.removed)
    if asked.max_changes is not None and len(created) + len(updated) + len(destroyed) > asked.max_changes:
        raise MethodError("cannotCalculateChanges", "more changes than maxChanges: reload the events")
    return {
        "accountId": call.account_id,
        "oldState": asked.since_state,
        "newState": st.event_state(calendars),
        "hasMoreChanges": False,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
    }
