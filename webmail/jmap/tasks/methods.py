"""TaskList/get, /changes and Task/get, /changes, /query, /set (draft-ietf-jmap-tasks-06) over the organizer's task
folders, with the same ids, states, rights and error mapping as the calendar methods
(webmail/jmap/calendars): a TaskList is a folder of kind "tasks" (``l<folder>``), a Task one VTODO item
of it (``v<key>``, kept when a new ``taskListId`` moves it to another list).

Every calendar is a TaskList too (``l<folder>`` of the calendar, listed after the task folders), because
CalDAV clients (Thunderbird, Apple's Reminders in older versions, DAVx5 with some task apps) keep tasks
in a calendar, and storage lets a calendar hold VTODOs: so those tasks are in Task/query, /get and
/changes like any other, as they are on the Standard task page, and ``taskListId`` names their calendar.
CalendarEvent never shows them (its methods read VEVENTs only), and the Task methods never show events.
The price: the Task state covers the calendars, so it moves (and is pushed) when an event changes;
Task/changes then finds no task among the changes.

The machinery every organizer item type shares (folder /get and /changes, item /changes, storing and
destroying) is webmail/jmap/organizer_items.py's; what is a Task's own is here and in task_ical.py.

/query takes the filter conditions ``inTaskLists`` and ``completed`` (true: completed or cancelled) and
answers in the task list's order (open tasks by due date, then those without one, then done ones,
most recently completed first); no other sort (``unsupportedSort``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage.pim.index import resource_name
from storage.pim.models import Collection
from storage.usermail import UserMail
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import ids, scheduling
from webmail.jmap.calendars import values as v
from webmail.jmap.calendars.calendar_methods import my_rights
from webmail.jmap.calendars.event_read import NotAnEvent
from webmail.jmap.calendars.event_write import new_uid
from webmail.jmap.calendars.item_set import Refused, apply_patch, check_participants, invalid_property
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.organizer_items import ItemKind
from webmail.jmap.registry import Args, Call, MethodError, method
from webmail.jmap.tasks import task_ical

TASKS = "urn:ietf:params:jmap:tasks"
KIND = ItemKind("tasks", "VTODO", "l", "t", "taskListId", "tasks", also=("calendar",))
LIST_PROPERTIES = ("id", "name", "color", "sortOrder", "isSubscribed", "isDefault", "myRights")
PROPERTIES = ("id", "taskListId", "@type", "uid", "title", "description", "start", "due", "timeZone",
              "showWithoutTime", "progress", "percentComplete", "priority", "keywords", "participants")  # fmt: skip
list_id = KIND.folder_id
parse_list_id = KIND.parse_folder_id


def task_lists(user: UserMail) -> list[Collection]:
    return KIND.folders(user)


def state_of(user: UserMail) -> str:
    return KIND.state(user)


def _list_json(c: Collection, order: int, is_default: bool) -> Args:
    return {
        "id": list_id(c.folder_id),
        "name": c.display_name,
        "color": c.color,
        "sortOrder": order,
        "isSubscribed": True,
        "isDefault": is_default,
        "myRights": my_rights(c.rights),
    }


@method("TaskList/get", TASKS)
def task_list_get(call: Call, args: Args) -> Args:
    return KIND.folder_get(call, args, LIST_PROPERTIES, _list_json)


@method("TaskList/changes", TASKS)
def task_list_changes(call: Call, args: Args) -> Args:
    return KIND.folder_changes(call, args)


def _object(ref: ids.EventRef, item: Any) -> dict[str, Any]:
    _, todo = task_ical.parse(item.data)
    return {
        "id": ids.event_id(item.key),
        "taskListId": list_id(ref.folder_id),
        **task_ical.task_json(todo),
    }


@method("Task/get", TASKS)
def task_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, PROPERTIES)
    state = state_of(call.user)
    wanted = asked.ids if asked.ids is not None else _query_ids(call, {})
    if asked.ids is None:
        std.refuse_get_all(len(wanted), "tasks", "Task/query")

    def body_of(task_id: str) -> dict[str, Any] | None:
        hit = KIND.find(call.user, task_id)
        try:
            return _object(*hit) if hit else None
        except NotAnEvent:
            return None

    return std.get_answer(call, asked, state, wanted, body_of)


def _query_ids(call: Call, condition: Args) -> list[str]:
    readable = KIND.readable(call, condition.get("inTaskLists"), "inTaskLists")
    done = condition.get("completed")
    if done is not None and not isinstance(done, bool):
        raise std.invalid("filter", "completed is true or false")
    rows = call.user.organizer.tasks(readable, include_done=done is not False)
    if done:
        rows = [
            r for r in rows if r.completed_at is not None or r.status.upper() in ("COMPLETED", "CANCELLED")
        ]
    return [ids.event_id(r.key) for r in rows]


@method("Task/query", TASKS)
def task_query(call: Call, args: Args) -> Args:
    q = std.query_args(call, args, ())
    condition: Args = q.filter or {}
    if "operator" in condition or set(condition) - {"inTaskLists", "completed"}:
        raise MethodError("unsupportedFilter", "only inTaskLists and completed are supported")
    found = _query_ids(call, condition)
    return std.query_answer(call, q, found, state_of(call.user))


@method("Task/changes", TASKS)
def task_changes(call: Call, args: Args) -> Args:
    return KIND.changes(call, args)


def _create(call: Call, body: Args, now: datetime, send: bool) -> Args:
    folder_id = KIND.target(call, body.get("taskListId"))
    task = {**task_ical.defaults(), **{k: x for k, x in body.items() if k not in task_ical.SERVER_SET}}
    task.pop("taskListId", None)
    task.setdefault("uid", new_uid())
    check_participants(call, task, None)
    try:
        task_ical.check(task, None)
        data = task_ical.new_item(task, now)
    except v.Invalid as exc:
        raise invalid_property(exc) from None
    name = resource_name(task["uid"], "VTODO")
    made = KIND.store_new(call, folder_id, name, data)
    if send and task.get("participants"):
        scheduling.invite(call, folder_id, name)
    return {"id": made, "uid": task["uid"]}


def _update(call: Call, task_id: str, patch: Args, now: datetime, send: bool) -> None:
    hit = KIND.find(call.user, task_id)
    if hit is None:
        raise Refused(std.set_error("notFound"))
    ref, item = hit
    before = task_ical.task_json(task_ical.parse(item.data)[1])
    target = KIND.new_folder(call, ref, patch)
    changed = apply_patch(before, {k: x for k, x in patch.items() if k != "taskListId"})
    check_participants(call, changed, before)
    try:
        task_ical.check(changed, before)
        data = task_ical.changed_item(item.data, changed, before, now)
    except v.Invalid as exc:
        raise invalid_property(exc) from None
    if changed != before:
        KIND.replace(call, ref, item, data)
    folder_id = ref.folder_id
    if target is not None:
        KIND.move(call, ref, target)  # the id stays (storage keeps the item's key)
        folder_id = target
    if send and changed.get("participants") and changed.get("participants") != before.get("participants"):
        scheduling.invite(call, folder_id, item.name)  # as Standard: mailed when the assignee changes


@method("Task/set", TASKS)
def task_set(call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    old_state = state_of(call.user)
    check_state(asked.if_in_state, old_state)
    now = datetime.now(UTC)
    send = std.boolean(args, "sendSchedulingMessages")
    return std.apply_set(
        call,
        asked,
        old_state,
        lambda: state_of(call.user),
        lambda body: _create(call, body, now, send),
        lambda task_id, patch: _update(call, task_id, patch, now, send),
        lambda task_id: KIND.destroy(call, task_id),
    )
