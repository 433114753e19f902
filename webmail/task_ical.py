"""A task as the form shows it, and as the VTODO (RFC 5545 3.6.2) the organizer stores.

``read_form`` turns the posted fields into ``TaskFields`` (with a message per wrong field);
``to_ical`` writes them into a VCALENDAR: over the task's previous bytes when it is edited, so
properties this form does not show (alarms, a client's X- lines, RELATED-TO...) survive an edit;
``from_ical`` reads a stored task back into the form.

Status follows RFC 5545 3.8.1.11 for VTODO (NEEDS-ACTION, IN-PROCESS, COMPLETED, CANCELLED): marking a
task done sets STATUS:COMPLETED, PERCENT-COMPLETE:100 and COMPLETED (3.8.2.1, a UTC time); reopening
removes COMPLETED. "Assign to a colleague" writes the colleague as an ATTENDEE (3.8.4.1) and the user as
the ORGANIZER (3.8.4.3), as RFC 5546 3.4 (VTODO REQUEST) expects of an assigned task.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import icalendar
from flask_babel import lazy_gettext as _l

from storage.errors import InvalidInput
from webmail import item_fields as f

STATUSES = ("NEEDS-ACTION", "IN-PROCESS", "COMPLETED", "CANCELLED")
PRODID = "-//Fieldpost//WebMail//EN"
MANAGED = (
    "SUMMARY",
    "DUE",
    "DTSTART",
    "PRIORITY",
    "PERCENT-COMPLETE",
    "STATUS",
    "DESCRIPTION",
    "CATEGORIES",
    "COMPLETED",
    "DTSTAMP",
    "LAST-MODIFIED",
)


@dataclass(frozen=True)
class TaskFields:
    summary: str = ""
    due: date | datetime | None = None
    start: date | datetime | None = None
    priority: int | None = None  # RFC 5545 3.8.1.9: 1 highest .. 9 lowest, 0/None undefined
    percent: int | None = None
    status: str = "NEEDS-ACTION"
    description: str = ""
    categories: tuple[str, ...] = ()
    assignee: str = ""  # the colleague's address, "" when not assigned
    organizer: str = ""  # who assigned it (read back from a stored task)
    completed: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status == "COMPLETED"


def read_form(form: Mapping[str, str], zone: str) -> tuple[TaskFields, f.FieldErrors]:
    """The task the form describes, and what is wrong with it."""
    errors = f.FieldErrors()
    status = form.get("status", "NEEDS-ACTION")
    if status not in STATUSES:
        errors.add("status", str(_l("Unknown status.")))
        status = "NEEDS-ACTION"
    task = TaskFields(
        summary=f.line(form.get("summary"), "summary", errors, required=True),
        due=f.moment(form.get("due"), "due", errors, zone),
        start=f.moment(form.get("start"), "start", errors, zone),
        priority=f.number(form.get("priority"), "priority", errors, 0, 9),
        percent=f.number(form.get("percent"), "percent", errors, 0, 100),
        status=status,
        description=f.text_block(form.get("description"), "description", errors),
        categories=f.categories(form.get("categories"), "categories", errors),
        assignee=f.address(form.get("assignee"), "assignee", errors),
    )
    if task.start is not None and task.due is not None and f.sort_key(task.due) < f.sort_key(task.start):
        errors.add("due", str(_l("The due date is before the start.")))
    return task, errors


def _parse(data: bytes) -> tuple[icalendar.Calendar, icalendar.cal.Component]:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidInput(f"the stored task cannot be read: {exc}") from None
    todos = [c for c in calendar.walk("VTODO")]
    if not todos:
        raise InvalidInput("the stored item holds no task (VTODO)")
    return calendar, todos[0]


def new_uid() -> str:
    return f"{uuid.uuid4()}@fieldpost"


def to_ical(task: TaskFields, *, owner: str, previous: bytes | None = None) -> bytes:
    """The VCALENDAR holding ``task`` (over ``previous`` when editing), ``owner`` being the user's
    address (the ORGANIZER when the task is assigned)."""
    now = datetime.now(UTC).replace(microsecond=0)
    kept_assignee = ""
    if previous is not None:
        calendar, todo = _parse(previous)
        kept_assignee = from_ical(previous).assignee
        for name in MANAGED:
            todo.pop(name, None)
        if kept_assignee != task.assignee:  # the colleague's answer (PARTSTAT) stays while they do
            todo.pop("ATTENDEE", None)
            todo.pop("ORGANIZER", None)
    else:
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        todo = icalendar.Todo()
        todo.add("uid", new_uid())
        todo.add("created", now)
        calendar.add_component(todo)
    todo.add("dtstamp", now)
    todo.add("last-modified", now)
    todo.add("summary", task.summary)
    if task.start is not None:
        todo.add("dtstart", task.start)
    if task.due is not None:
        todo.add("due", task.due)
    if task.priority:
        todo.add("priority", task.priority)
    status = task.status
    percent = 100 if status == "COMPLETED" else task.percent
    if percent is not None:
        todo.add("percent-complete", percent)
    todo.add("status", status)
    if status == "COMPLETED":
        todo.add("completed", task.completed or now)
    if task.description:
        todo.add("description", task.description)
    if task.categories:
        todo.add("categories", list(task.categories))
    if task.assignee and task.assignee != kept_assignee:
        todo.add("organizer", f"mailto:{owner}")
        todo.add(
            "attendee",
            f"mailto:{task.assignee}",
            parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"},
        )
    return bytes(calendar.to_ical())


def _value(todo: icalendar.cal.Component, name: str) -> date | datetime | None:
    prop = todo.get(name)
    if prop is None:
        return None
    value = prop.dt
    return value if isinstance(value, date) else None


def _mailto(value: object) -> str:
    return str(value or "").removeprefix("mailto:").removeprefix("MAILTO:")


def from_ical(data: bytes) -> TaskFields:
    """The form's view of a stored task.

    Raises:
        InvalidInput: the bytes are not a VCALENDAR with a VTODO."""
    _calendar, todo = _parse(data)
    cats: list[str] = []
    raw_cats = todo.get("categories")
    for entry in raw_cats if isinstance(raw_cats, list) else [raw_cats] if raw_cats is not None else []:
        cats += [str(c) for c in entry.cats]
    attendees = todo.get("attendee")
    first = attendees[0] if isinstance(attendees, list) and attendees else attendees
    completed = _value(todo, "completed")
    priority = todo.get("priority")
    percent = todo.get("percent-complete")
    return TaskFields(
        summary=str(todo.get("summary", "")),
        due=_value(todo, "due"),
        start=_value(todo, "dtstart"),
        priority=int(priority) if priority is not None else None,
        percent=int(percent) if percent is not None else None,
        status=str(todo.get("status", "NEEDS-ACTION")).upper(),
        description=str(todo.get("description", "")),
        categories=tuple(cats),
        assignee=_mailto(first) if first is not None else "",
        organizer=_mailto(todo.get("organizer")),
        completed=completed if isinstance(completed, datetime) else None,
    )


def with_done(data: bytes, done: bool) -> bytes:
    """The stored task marked done (STATUS:COMPLETED, PERCENT-COMPLETE:100, COMPLETED now) or open
    again (STATUS:NEEDS-ACTION, no COMPLETED, no percent), everything else as it was."""
    calendar, todo = _parse(data)
    for name in ("STATUS", "COMPLETED", "PERCENT-COMPLETE", "DTSTAMP", "LAST-MODIFIED"):
        todo.pop(name, None)
    now = datetime.now(UTC).replace(microsecond=0)
    todo.add("dtstamp", now)
    todo.add("last-modified", now)
    if done:
        todo.add("status", "COMPLETED")
        todo.add("percent-complete", 100)
        todo.add("completed", now)
    else:
        todo.add("status", "NEEDS-ACTION")
    return bytes(calendar.to_ical())
