"""TaskList/get and Task/get, /changes, /query, /set (draft-ietf-jmap-tasks-06) over the organizer's task
folders, with the same ids, states, rights and error mapping as the calendar methods
(webmail/jmap/calendars): a TaskList is a folder of kind "tasks" (``l<folder>``), a Task one VTODO item
of it (``v<folder>_<name>``). Tasks CalDAV clients keep in calendar folders are not listed here (the
Standard interface's task page shows them).

/query takes the filter conditions ``inTaskLists`` and ``completed`` (true: completed or cancelled) and
answers in the task list's order (open tasks by due date, then those without one, then done ones,
most recently completed first); no other sort (``unsupportedSort``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from storage.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed, StorageError
from storage.pim.index import resource_name
from storage.pim.models import Collection
from storage.usermail import UserMail
from webmail.jmap import limits
from webmail.jmap import standard_methods as std
from webmail.jmap.calendars import ids
from webmail.jmap.calendars import state as st
from webmail.jmap.calendars import values as v
from webmail.jmap.calendars.calendar_methods import my_rights
from webmail.jmap.calendars.errors import set_error_of
from webmail.jmap.calendars.event_read import NotAnEvent
from webmail.jmap.calendars.event_set import Refused, apply_patch
from webmail.jmap.calendars.event_write import new_uid
from webmail.jmap.mail.if_in_state import check_state
from webmail.jmap.registry import Args, Call, MethodError, method
from webmail.jmap.tasks import task_ical

TASKS = "urn:ietf:params:jmap:tasks"
_LIST = re.compile(r"l([1-9][0-9]{0,17})")
LIST_PROPERTIES = ("id", "name", "color", "sortOrder", "isSubscribed", "isDefault", "myRights")
PROPERTIES = ("id", "taskListId", "@type", "uid", "title", "description", "start", "due", "timeZone",
              "showWithoutTime", "progress", "percentComplete", "priority", "keywords")  # fmt: skip


def list_id(folder_id: int) -> str:
    return f"l{folder_id}"


def parse_list_id(value: object) -> int | None:
    if not isinstance(value, str) or not (m := _LIST.fullmatch(value)):
        return None
    return int(m.group(1))


def task_lists(user: UserMail) -> list[Collection]:
    return user.organizer.collections("tasks")


def state_of(user: UserMail) -> str:
    return "t" + st.event_state(task_lists(user))


def _default(lists: list[Collection]) -> Collection | None:
    own = [c for c in lists if not c.shared and not c.public and "i" in c.rights]
    return own[0] if own else None


@method("TaskList/get", TASKS)
def task_list_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, LIST_PROPERTIES)
    lists = task_lists(call.user)
    default = _default(lists)
    by_id = {list_id(c.folder_id): (n, c) for n, c in enumerate(lists)}
    found, missing = [], []
    for lid in list(by_id) if asked.ids is None else asked.ids:
        if lid not in by_id:
            missing.append(lid)
            continue
        order, c = by_id[lid]
        body = {
            "id": lid,
            "name": c.display_name,
            "color": c.color,
            "sortOrder": order,
            "isSubscribed": True,
            "isDefault": default is not None and default.folder_id == c.folder_id,
            "myRights": my_rights(c.rights),
        }
        found.append({p: body[p] for p in asked.properties})
    return {
        "accountId": call.account_id,
        "state": "l" + st.calendar_state(lists),
        "list": found,
        "notFound": missing,
    }


def _find(user: UserMail, task_id: str) -> tuple[ids.EventRef, Any] | None:
    ref = ids.parse_event_id(task_id)
    if ref is None or ref.recurrence_id is not None or ref.name is None:
        return None
    if ref.folder_id not in {c.folder_id for c in task_lists(user)}:
        return None
    try:
        item = user.organizer.get(ref.folder_id, ref.name)
    except (NotFound, PermissionDenied, InvalidInput):
        return None
    return (ref, item) if item.component == "VTODO" else None


def _object(ref: ids.EventRef, item: Any) -> dict[str, Any]:
    _, todo = task_ical.parse(item.data)
    return {
        "id": ids.event_id(ref.folder_id, item.name),
        "taskListId": list_id(ref.folder_id),
        **task_ical.task_json(todo),
    }


@method("Task/get", TASKS)
def task_get(call: Call, args: Args) -> Args:
    asked = std.get_args(call, args, PROPERTIES)
    state = state_of(call.user)
    wanted = asked.ids if asked.ids is not None else _query_ids(call, {})
    if asked.ids is None and len(wanted) > limits.MAX_OBJECTS_IN_GET:  # RFC 8620 5.1
        raise MethodError("requestTooLarge", "too many tasks: ask for ids (Task/query)")
    found, missing = [], []
    for task_id in dict.fromkeys(wanted):
        hit = _find(call.user, task_id)
        try:
            body = _object(*hit) if hit else None
        except NotAnEvent:
            body = None
        if body is None:
            missing.append(task_id)
            continue
        body["id"] = task_id
        found.append({p: body.get(p) for p in asked.properties})
    return {"accountId": call.account_id, "state": state, "list": found, "notFound": missing}


def _query_ids(call: Call, condition: Args) -> list[str]:
    readable = [c.folder_id for c in task_lists(call.user) if "r" in c.rights]
    wanted = condition.get("inTaskLists")
    if wanted is not None:
        if not isinstance(wanted, list) or not all(isinstance(x, str) for x in wanted):
            raise std.invalid("filter", "inTaskLists is an array of TaskList ids")
        asked = {parse_list_id(std.resolve_id(call, x)) for x in wanted}
        readable = [f for f in readable if f in asked]
    done = condition.get("completed")
    if done is not None and not isinstance(done, bool):
        raise std.invalid("filter", "completed is true or false")
    rows = call.user.organizer.tasks(readable, include_done=done is not False)
    if done:
        rows = [
            r for r in rows if r.completed_at is not None or r.status.upper() in ("COMPLETED", "CANCELLED")
        ]
    return [ids.event_id(r.folder_id, r.name) for r in rows]


@method("Task/query", TASKS)
def task_query(call: Call, args: Args) -> Args:
    q = std.query_args(call, args, ())
    condition: Args = q.filter or {}
    if "operator" in condition or set(condition) - {"inTaskLists", "completed"}:
        raise MethodError("unsupportedFilter", "only inTaskLists and completed are supported")
    found = _query_ids(call, condition)
    position, page = std.window(found, q)
    body: dict[str, Any] = {
        "accountId": call.account_id,
        "queryState": state_of(call.user),
        "canCalculateChanges": False,
        "position": position,
        "ids": page,
    }
    if q.calculate_total:
        body["total"] = len(found)
    return body


@method("Task/changes", TASKS)
def task_changes(call: Call, args: Args) -> Args:
    asked = std.changes_args(call, args)
    old = st.parse_event_state(asked.since_state[1:]) if asked.since_state.startswith("t") else None
    lists = task_lists(call.user)
    new = st.event_points(lists)
    if old is None or any(f not in new or new[f].uidvalidity != p.uidvalidity for f, p in old.items()):
        raise MethodError("cannotCalculateChanges", "reload the tasks")
    created: list[str] = []
    updated: list[str] = []
    destroyed: list[str] = []
    for folder_id, point in sorted(new.items()):
        before = old.get(folder_id)
        if before is not None and before.modseq == point.modseq:
            continue
        try:
            result = call.user.organizer.sync(
                folder_id, f"{before.uidvalidity}-{before.modseq}" if before else None
            )
        except (NotFound, PermissionDenied, InvalidInput):
            raise MethodError("cannotCalculateChanges", "reload the tasks") from None
        (updated if before else created).extend(ids.event_id(folder_id, r.name) for r in result.changed)
        destroyed.extend(ids.event_id(folder_id, n) for n in result.removed)
    if asked.max_changes is not None and len(created) + len(updated) + len(destroyed) > asked.max_changes:
        raise MethodError("cannotCalculateChanges", "more changes than maxChanges: reload the tasks")
    return {
        "accountId": call.account_id,
        "oldState": asked.since_state,
        "newState": "t" + st.event_state(lists),
        "hasMoreChanges": False,
        "created": created,
        "updated": updated,
        "destroyed": destroyed,
    }


def _invalid(exc: v.Invalid) -> Refused:
    return Refused(std.set_error("invalidProperties", exc.message, properties=[exc.prop]))


def _create(call: Call, body: Args, now: datetime) -> Args:
    wanted = body.get("taskListId")
    if wanted is None:
        found = _default(task_lists(call.user))
        folder_id = found.folder_id if found else None
    else:
        folder_id = parse_list_id(std.resolve_id(call, wanted)) if isinstance(wanted, str) else None
    if folder_id not in {c.folder_id for c in task_lists(call.user)}:  # not a calendar's or a book's id
        raise Refused(std.set_error("invalidProperties", "no such task list", properties=["taskListId"]))
    task = {**task_ical.defaults(), **{k: x for k, x in body.items() if k not in task_ical.SERVER_SET}}
    task.pop("taskListId", None)
    task.setdefault("uid", new_uid())
    try:
        task_ical.check(task, None)
        data = task_ical.new_item(task, now)
    except v.Invalid as exc:
        raise _invalid(exc) from None
    name = resource_name(task["uid"], "VTODO")
    try:
        call.user.organizer.put(folder_id, name, data, if_none_match=True)
    except PreconditionFailed:
        raise Refused(
            std.set_error("invalidProperties", "a task with this uid exists", properties=["uid"])
        ) from None
    except StorageError as exc:
        raise Refused(set_error_of(exc, None)) from None
    return {"id": ids.event_id(folder_id, name), "uid": task["uid"]}


def _update(call: Call, task_id: str, patch: Args, now: datetime) -> None:
    hit = _find(call.user, task_id)
    if hit is None:
        raise Refused(std.set_error("notFound"))
    ref, item = hit
    before = task_ical.task_json(task_ical.parse(item.data)[1])
    if patch.get("taskListId", list_id(ref.folder_id)) != list_id(ref.folder_id):
        raise Refused(
            std.set_error(
                "invalidProperties", "a task cannot move to another list", properties=["taskListId"]
            )
        )
    changed = apply_patch(before, {k: x for k, x in patch.items() if k != "taskListId"})
    try:
        task_ical.check(changed, before)
        data = task_ical.changed_item(item.data, changed, before, now)
    except v.Invalid as exc:
        raise _invalid(exc) from None
    try:
        call.user.organizer.put(ref.folder_id, item.name, data, if_match=item.etag)
    except PreconditionFailed:
        raise Refused(std.set_error("stateMismatch", "the task changed meanwhile: fetch it again")) from None
    except StorageError as exc:
        raise Refused(set_error_of(exc, None)) from None


def _destroy(call: Call, task_id: str) -> None:
    hit = _find(call.user, task_id)
    if hit is None:
        raise Refused(std.set_error("notFound"))
    ref, item = hit
    try:
        call.user.organizer.delete(ref.folder_id, item.name, if_match=item.etag)
    except PreconditionFailed:
        raise Refused(std.set_error("stateMismatch", "the task changed meanwhile")) from None
    except StorageError as exc:
        raise Refused(set_error_of(exc, None)) from None


@method("Task/set", TASKS)
def task_set(call: Call, args: Args) -> Args:
    asked = std.set_args(call, args)
    old_state = state_of(call.user)
    check_state(asked.if_in_state, old_state)
    now = datetime.now(UTC)
    return std.apply_set(
        call,
        asked,
        old_state,
        lambda: state_of(call.user),
        lambda body: _create(call, body, now),
        lambda task_id, patch: _update(call, task_id, patch, now),
        lambda task_id: _destroy(call, task_id),
    )
