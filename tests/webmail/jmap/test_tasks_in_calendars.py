"""Tasks a CalDAV client keeps in a calendar (Thunderbird does; storage lets a calendar hold VTODOs) are
JMAP Tasks like those of a task list: put over the real CalDAV route, they show in Task/query and
Task/get with their calendar as ``taskListId`` (every calendar is also a TaskList), Task/changes
reports them, and CalendarEvent never lists them (nor Task an event)."""

from __future__ import annotations

from typing import Any

from tests.webmail.conftest import AuthActions, Seeded
from tests.webmail.dav.conftest import Dav, event
from tests.webmail.jmap.conftest import CORE, Jmap

CALENDARS = "urn:ietf:params:jmap:calendars"
TASKS = "urn:ietf:params:jmap:tasks"
USING = (CORE, CALENDARS, TASKS)
HOME = "/dav/calendars/alice@example.test/Calendar/"

TODO = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r
BEGIN:VTODO\r
UID:{uid}\r
DTSTAMP:20261201T000000Z\r
SUMMARY:{summary}\r
DUE;VALUE=DATE:20261215\r
PRIORITY:1\r
STATUS:NEEDS-ACTION\r
END:VTODO\r
END:VCALENDAR\r
"""


def _one(jmap: Jmap, name: str, args: dict[str, Any], user: str = "alice") -> dict[str, Any]:
    answer = jmap.call([[name, {"accountId": jmap.account_id(user), **args}, "0"]], user=user, using=USING)
    (response,) = answer["methodResponses"]
    assert response[0] == name, response
    result: dict[str, Any] = response[1]
    return result


def test_a_task_put_into_a_calendar_over_caldav_is_a_jmap_task(
    jmap: Jmap, client: Any, seeded: Seeded, auth: AuthActions
) -> None:
    dav = Dav(client, seeded)
    calendar = next(c for c in _one(jmap, "Calendar/get", {"ids": None})["list"] if c["name"] == "Calendar")
    as_list = "l" + calendar["id"][1:]  # the same folder, as a TaskList
    lists = _one(jmap, "TaskList/get", {"ids": None})["list"]
    assert [(x["name"], x["isDefault"]) for x in lists] == [("Tasks", True), ("Calendar", False)]
    assert lists[1]["id"] == as_list and lists[1]["myRights"]["mayWriteAll"] is True
    task_state = _one(jmap, "Task/get", {"ids": []})["state"]
    event_state = _one(jmap, "CalendarEvent/get", {"ids": []})["state"]

    put = dav.request("PUT", HOME + "tb-task-1.ics", TODO.format(uid="tb-task-1", summary="Renew passport"),
                      Content_Type="text/calendar", If_None_Match="*")  # fmt: skip
    assert put.status_code == 201, put.get_data(as_text=True)
    meeting = dav.request("PUT", HOME + "ev-1.ics", event("ev-1", summary="Dentist"),
                          Content_Type="text/calendar")  # fmt: skip
    assert meeting.status_code == 201

    found = _one(jmap, "Task/query", {"filter": {"completed": False}})["ids"]
    assert len(found) == 1
    (task,) = _one(jmap, "Task/get", {"ids": found})["list"]
    assert (task["title"], task["taskListId"], task["priority"], task["due"], task["uid"]) == (
        "Renew passport",
        as_list,
        1,
        "2026-12-15T00:00:00",
        "tb-task-1",
    )
    assert _one(jmap, "Task/query", {"filter": {"inTaskLists": [as_list]}})["ids"] == found
    auth.login()  # the Standard task page lists it too, as it always did
    assert "Renew passport" in client.get("/mail/tasks").get_data(as_text=True)
    changes = _one(jmap, "Task/changes", {"sinceState": task_state})
    assert (changes["updated"], changes["destroyed"]) == (found, [])  # the event is not a task

    events = _one(jmap, "CalendarEvent/query", {"filter": {"inCalendars": [calendar["id"]]}})["ids"]
    assert len(events) == 1 and events[0] not in found
    window = {"after": "2026-12-01T00:00:00Z", "before": "2027-01-01T00:00:00Z"}
    assert _one(jmap, "CalendarEvent/query", {"filter": window})["ids"] == events
    got = _one(jmap, "CalendarEvent/get", {"ids": [*events, *found]})
    assert [e["title"] for e in got["list"]] == ["Dentist"] and got["notFound"] == found
    assert len(_one(jmap, "CalendarEvent/get", {"ids": None})["list"]) == 1
    assert _one(jmap, "Task/get", {"ids": events})["notFound"] == events
    event_changes = _one(jmap, "CalendarEvent/changes", {"sinceState": event_state})
    assert event_changes["updated"] == events

    # done in JMAP (what the Ajax Tasks view's checkbox sends): the CalDAV client reads it back
    done = _one(jmap, "Task/set", {"update": {found[0]: {"progress": "completed"}}})
    assert done["updated"] == {found[0]: None}
    text = dav.request("GET", HOME + "tb-task-1.ics").get_data(as_text=True)
    assert "STATUS:COMPLETED" in text and "BEGIN:VTODO" in text
    assert _one(jmap, "Task/query", {"filter": {"completed": False}})["ids"] == []

    # deleted by the CalDAV client: destroyed for Task, nothing for CalendarEvent
    state = _one(jmap, "Task/get", {"ids": []})["state"]
    event_state = _one(jmap, "CalendarEvent/get", {"ids": []})["state"]
    assert dav.request("DELETE", HOME + "tb-task-1.ics").status_code == 204
    assert _one(jmap, "Task/changes", {"sinceState": state})["destroyed"] == found
    assert _one(jmap, "CalendarEvent/changes", {"sinceState": event_state})["destroyed"] == []


def test_a_task_made_over_jmap_in_a_calendar_is_seen_by_caldav(
    jmap: Jmap, client: Any, seeded: Seeded
) -> None:
    dav = Dav(client, seeded)
    calendar = next(c for c in _one(jmap, "Calendar/get", {"ids": None})["list"] if c["name"] == "Calendar")
    as_list = "l" + calendar["id"][1:]
    made = _one(jmap, "Task/set", {"create": {"t": {"title": "Water plants", "taskListId": as_list}}})
    task_id = made["created"]["t"]["id"]
    listing = dav.request("PROPFIND", HOME, "", Depth="1").get_data(as_text=True)
    assert made["created"]["t"]["uid"] in listing
    # and it moves to the task list under the same id
    home = next(x["id"] for x in _one(jmap, "TaskList/get", {"ids": None})["list"] if x["isDefault"])
    assert _one(jmap, "Task/set", {"update": {task_id: {"taskListId": home}}})["updated"] == {task_id: None}
    assert _one(jmap, "Task/get", {"ids": [task_id], "properties": ["taskListId"]})["list"] == [
        {"id": task_id, "taskListId": home}
    ]
