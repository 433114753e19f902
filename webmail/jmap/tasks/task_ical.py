"""A stored task (a VTODO, RFC 5545 3.6.2) as a JSCalendar Task (RFC 8984 5.2) and back.

What is mapped: UID, SUMMARY (``title``), DESCRIPTION, DTSTART (``start``) and DUE (``due``) with their
zone (``timeZone``; DATE values are ``showWithoutTime``), STATUS and COMPLETED (``progress``:
needs-action, in-process, completed, cancelled), PERCENT-COMPLETE, PRIORITY and CATEGORIES
(``keywords``), ORGANIZER and ATTENDEE (``participants``: a task assigned to a colleague, as the Standard
task form's "Assign to a colleague" writes it; read and written as the calendar's events do, and
rewritten only when they changed). A change replaces only these and keeps the rest of the stored text (alarms, X-
properties, attendees), as the calendar's events do. No Flask, no storage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from icalendar import Calendar, Todo

from webmail.jmap.calendars import event_read, event_write
from webmail.jmap.calendars import values as v
from webmail.jmap.calendars.event_read import NotAnEvent
from webmail.jmap.calendars.event_write import calendar_bytes

PRODID = "-//Fieldpost//JMAP tasks//EN"
PROGRESS = {
    "NEEDS-ACTION": "needs-action",
    "IN-PROCESS": "in-process",
    "COMPLETED": "completed",
    "CANCELLED": "cancelled",
}
WRITABLE = frozenset(
    {"taskListId", "uid", "title", "description", "start", "due", "timeZone", "showWithoutTime", "progress",
     "percentComplete", "priority", "keywords", "participants"}
)  # fmt: skip
SERVER_SET = frozenset(
    {"id", "@type", "created", "updated", "sequence", "utcStart", "utcDue", "progressUpdated"}
)
_MAPPED = ("SUMMARY", "DESCRIPTION", "DTSTART", "DUE", "DURATION", "STATUS", "COMPLETED", "PERCENT-COMPLETE",
           "PRIORITY", "CATEGORIES")  # fmt: skip


def parse(data: bytes) -> tuple[Calendar, Todo]:
    """The item's calendar and its (first) VTODO.

    Raises:
        NotAnEvent: not iCalendar, or no VTODO in it.
    """
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise NotAnEvent(str(exc)) from None
    todos = (
        [c for c in calendar.walk("VTODO") if isinstance(c, Todo)] if isinstance(calendar, Calendar) else []
    )
    if not todos:
        raise NotAnEvent("no VTODO")
    return calendar, todos[0]


def _when(todo: Todo, name: str) -> date | datetime | None:
    if name not in todo:
        return None
    value: date | datetime = todo.decoded(name)
    return value


def _text(todo: Todo, name: str) -> str:
    return str(todo.get(name, "") or "")


def task_json(todo: Todo) -> dict[str, Any]:
    start, due = _when(todo, "DTSTART"), _when(todo, "DUE")
    first = due or start
    all_day = first is not None and not isinstance(first, datetime)
    zone = None
    if isinstance(first, datetime) and first.tzinfo is not None:
        zone = v.zone_name(first.tzinfo) or "Etc/UTC"
    tz = v.zone_of("timeZone", zone)

    def local(value: date | datetime | None) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime) and value.tzinfo is not None and tz is not None:
            value = value.astimezone(tz)
        return v.local_text(value)

    status = _text(todo, "STATUS").upper()
    progress = PROGRESS.get(status, "completed" if "COMPLETED" in todo else "needs-action")
    words = []
    for item in (
        todo.get("CATEGORIES") if isinstance(todo.get("CATEGORIES"), list) else [todo.get("CATEGORIES")]
    ):
        if item is not None:
            words += [str(c) for c in getattr(item, "cats", [item])]
    priority = int(todo.get("PRIORITY", 0) or 0)
    percent = todo.get("PERCENT-COMPLETE")
    return {
        "@type": "Task",
        "uid": _text(todo, "UID"),
        "title": _text(todo, "SUMMARY"),
        "description": _text(todo, "DESCRIPTION"),
        "start": local(start),
        "due": local(due),
        "timeZone": zone,
        "showWithoutTime": all_day,
        "progress": progress,
        "percentComplete": int(percent) if percent is not None else None,
        "priority": priority,
        "keywords": {w: True for w in words if w} or None,
        "participants": event_read._participants(todo),
    }


def defaults() -> dict[str, Any]:
    return {
        "title": "", "description": "", "start": None, "due": None, "timeZone": None, "showWithoutTime": False,
        "progress": "needs-action", "percentComplete": None, "priority": 0, "keywords": None,
        "participants": None,
    }  # fmt: skip


def _moment(prop: str, text: Any, body: dict[str, Any]) -> date | datetime | None:
    if text is None:
        return None
    local = v.parse_written(prop, text)
    if body["showWithoutTime"]:
        return local.date()
    zone = v.zone_of("timeZone", body.get("timeZone"))
    return local.replace(tzinfo=zone) if zone else local


def check(body: dict[str, Any], before: dict[str, Any] | None) -> None:
    """Refuse what this server cannot store.

    Raises:
        v.Invalid: the property and what is wrong.
    """
    v.check_common(body, before, WRITABLE, SERVER_SET)
    v.zone_of("timeZone", body.get("timeZone"))  # checked even when no start or due uses it
    start, due = _moment("start", body.get("start"), body), _moment("due", body.get("due"), body)
    if start is not None and due is not None and _key(due) < _key(start):
        raise v.Invalid("due", "must not be before start")
    if body.get("progress") not in PROGRESS.values():
        raise v.Invalid("progress", f"is one of {', '.join(PROGRESS.values())}")
    percent = body.get("percentComplete")
    if percent is not None and (
        not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100
    ):
        raise v.Invalid("percentComplete", "is a whole number from 0 to 100")
    priority = body.get("priority")
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 9:
        raise v.Invalid("priority", "is a whole number from 0 to 9")
    keywords = body.get("keywords")
    if keywords is not None and (
        not isinstance(keywords, dict)
        or not all(isinstance(k, str) and x is True for k, x in keywords.items())
    ):
        raise v.Invalid("keywords", "maps words to true")
    if body.get("participants") != (before or {}).get("participants"):
        event_write._check_participants(body.get("participants"))


def _key(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _apply(todo: Todo, body: dict[str, Any], now: datetime) -> None:
    for name in _MAPPED:
        todo.pop(name, None)
    if body["title"]:
        todo.add("SUMMARY", body["title"])
    if body["description"]:
        todo.add("DESCRIPTION", body["description"])
    for prop, name in (("start", "DTSTART"), ("due", "DUE")):
        moment = _moment(prop, body.get(prop), body)
        if moment is not None:
            todo.add(name, moment)
    status = {x: k for k, x in PROGRESS.items()}[body["progress"]]
    todo.add("STATUS", status)
    if status == "COMPLETED":
        todo.add("COMPLETED", now.astimezone(UTC))
    if body.get("percentComplete") is not None:
        todo.add("PERCENT-COMPLETE", body["percentComplete"])
    if body["priority"]:
        todo.add("PRIORITY", body["priority"])
    if body.get("keywords"):
        todo.add("CATEGORIES", list(body["keywords"]))
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        todo.pop(name, None)
        todo.add(name, now.astimezone(UTC))


def new_item(body: dict[str, Any], now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    todo = Todo()
    todo.add("UID", body["uid"])
    todo.add("CREATED", now.astimezone(UTC))
    _apply(todo, body, now)
    if body.get("participants"):
        event_write._set_participants(todo, body["participants"])
    calendar.add_component(todo)
    return calendar_bytes(calendar)


def changed_item(data: bytes, body: dict[str, Any], before: dict[str, Any], now: datetime) -> bytes:
    calendar, todo = parse(data)
    completed = todo.get("COMPLETED")
    _apply(todo, body, now)
    if body.get("participants") != before.get("participants"):
        event_write._set_participants(todo, body.get("participants"))
    if completed is not None and before.get("progress") == "completed" and body["progress"] == "completed":
        todo.pop("COMPLETED", None)
        todo.add("COMPLETED", completed.dt)  # still done: when it was done stays
    sequence = int(todo.get("SEQUENCE", 0) or 0)
    todo.pop("SEQUENCE", None)
    todo.add("SEQUENCE", sequence + 1)
    return calendar_bytes(calendar)
