"""Moving organizer items between folders over JMAP keeps their ids (RFC 8620 1.2: ids are immutable):
an event to another calendar (``calendarIds``, what the Ajax calendar's Calendar choice sends), a task to
another task list, a note to another notebook. /changes then reports the item ``updated``; an item moved
where the user cannot read it is ``destroyed``. A move by another path (the Standard event page, CalDAV
MOVE) goes through the same storage move and keeps the id too."""

from __future__ import annotations

from typing import Any

import webmail.jmap.notes  # noqa: F401  (registers the methods)
import webmail.jmap.tasks  # noqa: F401
from tests.webmail.jmap.calendars.conftest import Cal

START = "2027-10-04T10:00:00"


def _made(answer: dict[str, Any]) -> str:
    assert not answer["notCreated"], answer["notCreated"]
    return str(next(iter(answer["created"].values()))["id"])


def _folder(cal: Cal, name: str, kind: str, who: str = "alice") -> int:
    """A folder of ``kind`` named ``name`` (made on first use: the store is shared by the module)."""
    organizer = cal.call_for(who).user.organizer
    found = [c for c in organizer.collections(kind) if c.path == name and not c.shared]
    return found[0].folder_id if found else organizer.create_collection(name, kind).folder_id


def test_an_event_keeps_its_id_when_it_moves_to_another_calendar(cal: Cal) -> None:
    work, trips = _folder(cal, "Work", "calendar"), _folder(cal, "Trips", "calendar")
    rule = [{"@type": "RecurrenceRule", "frequency": "weekly", "count": 3}]
    made = _made(cal("CalendarEvent/set", {"create": {"e": {"calendarIds": {f"c{work}": True},
        "title": "Weekly", "start": START, "timeZone": "Etc/UTC", "duration": "PT1H",
        "recurrenceRules": rule}}}))  # fmt: skip
    window = {"after": "2027-10-01T00:00:00Z", "before": "2027-11-01T00:00:00Z"}
    instances = cal("CalendarEvent/query", {"filter": window, "expandRecurrences": True})["ids"]
    mine = [i for i in instances if i.endswith(made)]
    assert len(mine) == 3
    state = cal("CalendarEvent/get", {"ids": []})["state"]

    done = cal("CalendarEvent/set", {"update": {made: {"calendarIds": {f"c{trips}": True}}}})
    assert done["updated"] == {made: None} and not done["notUpdated"]
    got = cal("CalendarEvent/get", {"ids": [made, mine[1]], "properties": ["calendarIds", "title"]})
    assert got["notFound"] == []
    assert [g["calendarIds"] for g in got["list"]] == [{f"c{trips}": True}] * 2  # instances follow
    assert made in cal("CalendarEvent/query", {"filter": {"inCalendars": [f"c{trips}"]}})["ids"]
    assert made not in cal("CalendarEvent/query", {"filter": {"inCalendars": [f"c{work}"]}})["ids"]
    changes = cal("CalendarEvent/changes", {"sinceState": state})
    assert (changes["created"], changes["updated"], changes["destroyed"]) == ([], [made], [])

    # moved back by another path (storage's move, as the Standard page and CalDAV MOVE use): same id
    organizer = cal.call_for("alice").user.organizer
    organizer.move(trips, cal.place(made).name, work)
    again = cal("CalendarEvent/changes", {"sinceState": changes["newState"]})
    assert (again["updated"], again["destroyed"]) == ([made], [])
    assert cal("CalendarEvent/get", {"ids": [made], "properties": ["calendarIds"]})["list"] == [
        {"id": made, "calendarIds": {f"c{work}": True}}
    ]
    cal("CalendarEvent/set", {"destroy": [made]})
    gone = cal("CalendarEvent/changes", {"sinceState": again["newState"]})
    assert (gone["updated"], gone["destroyed"]) == ([], [made])


def test_an_event_moved_where_the_user_cannot_read_is_destroyed(cal: Cal) -> None:
    drop = _folder(cal, "Drop box", "calendar", who="bob")
    cal.call_for("bob").user.change_entry(drop, "alice@example.test", "li")  # she may put, not read
    made = _made(cal("CalendarEvent/set", {"create": {"e": {"title": "For bob", "start": START}}}))
    state = cal("CalendarEvent/get", {"ids": []})["state"]
    done = cal("CalendarEvent/set", {"update": {made: {"calendarIds": {f"c{drop}": True}}}})
    assert done["updated"] == {made: None}
    assert cal("CalendarEvent/get", {"ids": [made]})["notFound"] == [made]
    changes = cal("CalendarEvent/changes", {"sinceState": state})
    assert (changes["updated"], changes["destroyed"]) == ([], [made])
    assert cal("CalendarEvent/get", {"ids": [made], "properties": ["title"]}, who="bob")["list"] == [
        {"id": made, "title": "For bob"}  # bob reads it under the same id
    ]


def test_a_task_moves_to_another_list_under_its_id(cal: Cal) -> None:
    home, errands = f"l{_folder(cal, 'Tasks', 'tasks')}", f"l{_folder(cal, 'Errands', 'tasks')}"
    made = _made(cal("Task/set", {"create": {"t": {"title": "Buy stamps", "taskListId": home}}}))
    state = cal("Task/get", {"ids": []})["state"]
    done = cal("Task/set", {"update": {made: {"taskListId": errands, "priority": 1}}})
    assert done["updated"] == {made: None} and not done["notUpdated"]
    got = cal("Task/get", {"ids": [made], "properties": ["taskListId", "priority"]})["list"]
    assert got == [{"id": made, "taskListId": errands, "priority": 1}]
    assert cal("Task/query", {"filter": {"inTaskLists": [errands]}})["ids"] == [made]
    changes = cal("Task/changes", {"sinceState": state})
    assert (changes["created"], changes["updated"], changes["destroyed"]) == ([], [made], [])
    refused = cal("Task/set", {"update": {made: {"taskListId": "l999999"}}})["notUpdated"][made]
    assert (refused["type"], refused["properties"]) == ("invalidProperties", ["taskListId"])
    cal("Task/set", {"destroy": [made]})


def test_a_note_moves_to_another_notebook_under_its_id(cal: Cal) -> None:
    notes, ideas = f"n{_folder(cal, 'Notes', 'notes')}", f"n{_folder(cal, 'Ideas', 'notes')}"
    made = _made(
        cal("Note/set", {"create": {"n": {"title": "Garden", "body": "tulips", "notebookId": notes}}})
    )
    state = cal("Note/get", {"ids": []})["state"]
    assert cal("Note/set", {"update": {made: {"notebookId": ideas}}})["updated"] == {made: None}
    got = cal("Note/get", {"ids": [made], "properties": ["notebookId", "body"]})["list"]
    assert got == [{"id": made, "notebookId": ideas, "body": "tulips"}]
    changes = cal("Note/changes", {"sinceState": state})
    assert (changes["updated"], changes["destroyed"]) == ([made], [])
    assert made not in cal("Note/query", {"filter": {"inNotebooks": [notes]}})["ids"]
    assert made in cal("Note/query", {"filter": {"inNotebooks": [ideas]}})["ids"]
    journal = cal("Journal/get", {"ids": None})["list"][0]["id"]
    refused = cal("Note/set", {"update": {made: {"notebookId": journal}}})["notUpdated"][made]
    assert refused["type"] == "invalidProperties"  # a journal is not a notebook
    cal("Note/set", {"destroy": [made]})
