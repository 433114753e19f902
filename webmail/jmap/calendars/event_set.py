"""CalendarEvent/set (draft-ietf-jmap-calendars-22 5.x; RFC 8620 5.3): create, update and destroy events
and single instances, written as the iCalendar text the organizer keeps (event_write.py).

* create: the object's properties over JSCalendar's defaults; ``calendarIds`` names exactly one
  calendar (default: the user's first own calendar it may write); ``uid`` is made when missing. The item
  is stored under the name CalDAV would give it (the UID plus ".ics"); a second event with the same
  UID in that calendar is refused.
* update: the PatchObject is applied to the stored event as /get shows it, then the result is written
  back (other iCalendar properties kept); the write names the item's ETag, so a change made meanwhile
  (by CalDAV or the Standard calendar) makes it fail with ``stateMismatch`` rather than be lost. An
  instance id updates that instance only (an override of its title, description, start, duration or
  location). A new ``calendarIds`` moves the event to that calendar (storage's move: "i" on the target,
  "t" and "e" on the source); the item keeps its storage key, so the event keeps its id (ids.py).
* destroy: an event id deletes the item; an instance id excludes that instance from its series.
* ``participants`` only the organizer changes, and ``sendSchedulingMessages: true`` mails the attendees;
  an attendee changes only their own ``participationStatus`` (an answer, replied to the organizer)
  (webmail/jmap/calendars/scheduling.py).

Storage decides the rights ("i", "t", "e" on the folder: ``forbidden`` otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailflow.meetings.sending import MeetingError
from storage.errors import PreconditionFailed, StorageError
from storage.pim.index import resource_name
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import event_read as read
from webmail.jmap.calendars import event_write as write
from webmail.jmap.calendars import events, ids, scheduling
from webmail.jmap.calendars import state as st
from webmail.jmap.calendars import values as v
from webmail.jmap.calendars.calendar_methods import default_calendar
from webmail.jmap.calendars.errors import set_error_of
from webmail.jmap.calendars.item_set import Refused, apply_patch, check_participants, invalid_property
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.registry import CALENDARS, Args, Call, method

OVERRIDABLE = ("title", "description", "start", "duration", "locations")


def _calendar_of(call: Call, body: Args) -> int:
    wanted = body.get("calendarIds")
    if wanted is None:
        found = default_calendar(st.calendars_of(call.user))
        if found is None:
            raise Refused(
                std.set_error("invalidProperties", "no calendar to put it in", properties=["calendarIds"])
            )
        return found.folder_id
    if not isinstance(wanted, dict) or len(wanted) != 1 or list(wanted.values()) != [True]:
        raise Refused(
            std.set_error(
                "invalidProperties", "an event is in exactly one calendar", properties=["calendarIds"]
            )
        )
    folder_id = ids.parse_calendar_id(std.resolve_id(call, next(iter(wanted))))
    if folder_id is None:
        raise Refused(std.set_error("invalidProperties", "no such calendar", properties=["calendarIds"]))
    return folder_id


def _create(call: Call, body: Args, now: datetime, send: bool) -> Args:
    folder_id = _calendar_of(call, body)
    event = {**write.defaults(), **{k: val for k, val in body.items() if k not in write.SERVER_SET}}
    event.pop("calendarIds", None)
    event.setdefault("uid", write.new_uid())
    check_participants(call, event, None)
    try:
        write.check(event, None)
        data = write.new_item(event, now)
    except v.Invalid as exc:
        raise invalid_property(exc) from None
    name = resource_name(event["uid"], "VEVENT")
    try:
        stored = call.user.organizer.put(folder_id, name, data, if_none_match=True)
    except PreconditionFailed:
        raise Refused(
            std.set_error("invalidProperties", "an event with this uid exists", properties=["uid"])
        ) from None
    except StorageError as exc:
        raise Refused(set_error_of(exc, None)) from None
    if send and event.get("participants"):
        scheduling.invite(call, folder_id, name)
    return {"id": ids.event_id(stored.key), "uid": event["uid"]}


def _stored(call: Call, event_id: str) -> events.Found:
    found = events.find(call.user, event_id)
    if found is None:
        raise Refused(std.set_error("notFound"))
    return found


def _save(
    call: Call, found: events.Found, event: dict[str, Any], before: dict[str, Any], now: datetime
) -> None:
    try:
        write.check(event, before)
        data = write.changed_item(found.item.data, event, now)
    except v.Invalid as exc:
        raise invalid_property(exc) from None
    try:
        call.user.organizer.put(found.ref.folder_id, found.item.name, data, if_match=found.item.etag)
    except PreconditionFailed:
        raise Refused(std.set_error("stateMismatch", "the event changed meanwhile: fetch it again")) from None
    except StorageError as exc:
        raise Refused(set_error_of(exc, None)) from None


def _instance_patch(call: Call, found: events.Found, series: dict[str, Any], patch: Args | None) -> Args:
    """The series patch that changes (``patch``) or excludes (None) one instance."""
    rid = found.ref.recurrence_id
    assert rid is not None
    if events.instance_object(found, call.address) is None:
        raise Refused(std.set_error("notFound"))
    key = events.instance_key(series, rid)
    overrides = dict(series.get("recurrenceOverrides") or {})
    if patch is None:
        overrides[key] = {"excluded": True}
    else:
        extra = sorted(set(patch) - set(OVERRIDABLE))
        if extra:
            raise Refused(
                std.set_error(
                    "invalidProperties",
                    "an instance can change only " + ", ".join(OVERRIDABLE),
                    properties=extra,
                )
            )
        overrides[key] = {**overrides.get(key, {}), **patch}
    return {"recurrenceOverrides": overrides}


def _update(call: Call, event_id: str, patch: Args, now: datetime, send: bool) -> Args | None:
    found = _stored(call, event_id)
    before = read.event_json(read.parse(found.item.data))
    if found.ref.recurrence_id is not None:
        patch = _instance_patch(call, found, before, patch)
    here = {ids.calendar_id(found.ref.folder_id): True}
    target = None
    if patch.get("calendarIds", here) != here:
        target = _calendar_of(call, {"calendarIds": patch["calendarIds"]})
    changed = apply_patch(
        {**before, "calendarIds": None}, {k: val for k, val in patch.items() if k != "calendarIds"}
    )
    changed.pop("calendarIds", None)
    for name in write.SERVER_SET & set(changed):
        if changed[name] != before.get(name):
            raise Refused(
                std.set_error("invalidProperties", f"{name} is set by the server", properties=[name])
            )
    if (
        found.ref.recurrence_id is None
        and target is None
        and _answered(call, found, changed, before, now, send)
    ):
        return None
    check_participants(call, changed, before)
    folder_id = found.ref.folder_id
    if changed != before:
        _save(call, found, changed, before, now)
    if target is not None and target != folder_id:
        try:
            call.user.organizer.move(folder_id, found.item.name, target)
        except StorageError as exc:
            raise Refused(set_error_of(exc, "calendarIds")) from None
        folder_id = target
    if send and changed != before and (changed.get("participants") or before.get("participants")):
        scheduling.invite(call, folder_id, found.item.name)
    return None


def _answered(
    call: Call,
    found: events.Found,
    changed: dict[str, Any],
    before: dict[str, Any],
    now: datetime,
    send: bool,
) -> bool:
    """An attendee's answer (their own participationStatus, perhaps with other changes to their copy):
    the other changes saved, then the answer recorded and, with ``send``, replied. False: not one."""
    try:
        status = scheduling.own_answer(call, changed.get("participants"), before.get("participants"))
    except v.Invalid as exc:
        raise invalid_property(exc) from None
    if status is None:
        return False
    rest = {**changed, "participants": before.get("participants")}
    if rest != before:
        _save(call, found, rest, before, now)
    try:
        scheduling.answer(call, found.ref.folder_id, found.item.name, status, send)
    except PermissionError as exc:
        raise Refused(std.set_error("forbidden", str(exc))) from None
    except StorageError as exc:
        raise Refused(set_error_of(exc, None)) from None
    return True


def _destroy(call: Call, event_id: str, now: datetime, send: bool) -> None:
    found = _stored(call, event_id)
    if found.ref.recurrence_id is None:
        etag: str | None = found.item.etag
        if send:
            try:
                scheduling.cancel(call, found.ref.folder_id, found.item.name)
            except MeetingError as exc:
                raise Refused(std.set_error("forbidden", f"the attendees could not be told: {exc}")) from None
            etag = call.user.organizer.get(found.ref.folder_id, found.item.name).etag  # the cancelled copy
        try:
            call.user.organizer.delete(found.ref.folder_id, found.item.name, if_match=etag)
        except PreconditionFailed:
            raise Refused(std.set_error("stateMismatch", "the event changed meanwhile")) from None
        except StorageError as exc:
            raise Refused(set_error_of(exc, None)) from None
        return
    before = read.event_json(read.parse(found.item.data))
    _save(call, found, apply_patch(before, _instance_patch(call, found, before, None)), before, now)
    if send and before.get("participants"):
        scheduling.invite(call, found.ref.folder_id, found.item.name)  # the series without it


@method("CalendarEvent/set", CALENDARS)
def event_set(call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    old_state = st.event_state(st.calendars_of(call.user))
    check_state(asked.if_in_state, old_state)
    now = datetime.now(UTC)
    send = std.boolean(args, "sendSchedulingMessages")
    return std.apply_set(
        call,
        asked,
        old_state,
        lambda: st.event_state(st.calendars_of(call.user)),
        lambda body: _create(call, body, now, send),
        lambda event_id, patch: _update(call, event_id, patch, now, send),
        lambda event_id: _destroy(call, event_id, now, send),
    )
