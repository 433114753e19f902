"""TaskList/get and Task/get, /query, /set, /changes (draft-ietf-jmap-tasks-06) over the organizer's task
folders: a task made here is the VTODO the Standard task page and CalDAV read."""

from __future__ import annotations

from typing import Any

import webmail.jmap.tasks  # noqa: F401  (registers the methods)
from tests.webmail.jmap.calendars.conftest import Cal


def _create(cal: Cal, body: dict[str, Any], who: str = "alice") -> str:
    done = cal("Task/set", {"create": {"k": body}}, who=who)
    assert not done["notCreated"], done["notCreated"]
    return str(done["created"]["k"]["id"])


def test_lists_and_a_task_round_trip(cal: Cal) -> None:
    lists = cal("TaskList/get", {"ids": None})["list"]
    assert [x["isDefault"] for x in lists].count(True) == 1
    state = cal("Task/get", {"ids": []})["state"]
    made = _create(
        cal, {"title": "File the taxes", "due": "2027-04-30T00:00:00", "showWithoutTime": True, "priority": 1}
    )
    got = cal("Task/get", {"ids": [made]})["list"][0]
    assert (got["title"], got["due"], got["showWithoutTime"], got["progress"]) == (
        "File the taxes",
        "2027-04-30T00:00:00",
        True,
        "needs-action",
    )
    ref = cal.place(made)
    organizer = cal.call_for("alice").user.organizer
    assert b"DUE;VALUE=DATE:20270430" in organizer.get(ref.folder_id, ref.name).data
    assert made in cal("Task/changes", {"sinceState": state})["updated"]
    assert made in cal("Task/query", {"filter": {"completed": False}})["ids"]
    assert cal("Task/set", {"update": {made: {"progress": "completed"}}})["updated"] == {made: None}
    assert made not in cal("Task/query", {"filter": {"completed": False}})["ids"]
    assert made in cal("Task/query", {"filter": {"completed": True}})["ids"]
    assert b"STATUS:COMPLETED" in organizer.get(ref.folder_id, ref.name).data
    assert organizer.tasks([ref.folder_id])[0].completed_at is not None  # the Standard task list sees it done
    assert cal("Task/set", {"destroy": [made]})["destroyed"] == [made]
    assert cal("Task/get", {"ids": [made]})["notFound"] == [made]


def test_bad_tasks_are_refused_and_others_cannot_see(cal: Cal) -> None:
    done = cal(
        "Task/set",
        {
            "create": {
                "a": {"title": "x", "progress": "someday"},
                "b": {"title": 3},
                "c": {"title": "x", "alerts": {}},
            }
        },
    )
    wrong = {k: e["properties"] for k, e in done["notCreated"].items()}
    assert wrong == {"a": ["progress"], "b": ["title"], "c": ["alerts"]}
    made = _create(cal, {"title": "Private"})
    assert cal("Task/get", {"ids": [made]}, who="bob")["notFound"] == [made]
    assert cal("Task/set", {"destroy": [made]}, who="bob")["notDestroyed"][made]["type"] == "notFound"
    assert cal.error("Task/query", {"filter": {"title": "x"}}) == "unsupportedFilter"
    cal("Task/set", {"destroy": [made]})


def test_a_task_as_the_standard_form_has_it_and_assigned_by_mail(cal: Cal) -> None:
    """Priority, start, percent, status and notes read as the Standard task page reads them; a colleague
    named as participant is the task's ATTENDEE (alice its ORGANIZER) and gets the task by mail."""
    from webmail import task_ical as standard

    bob = "bob@example.test"
    lists_state = cal("TaskList/get", {"ids": []})["state"]
    made = _create(
        cal,
        {"title": "Quarterly report", "start": "2027-05-01T09:00:00", "due": "2027-05-10T17:00:00",
         "timeZone": "Europe/Paris", "priority": 2, "percentComplete": 40, "progress": "in-process",
         "description": "Numbers from Jo", "participants": {"b": {"@type": "Participant", "email": bob,
                                                                   "roles": {"attendee": True}}}},
    )  # fmt: skip
    ref = cal.place(made)
    organizer = cal.call_for("alice").user.organizer
    shown = standard.from_ical(organizer.get(ref.folder_id, ref.name).data)
    assert (shown.priority, shown.percent, shown.status, shown.description, shown.assignee) == (
        2, 40, "IN-PROCESS", "Numbers from Jo", bob,
    )  # fmt: skip
    assert shown.start is not None and shown.organizer == "alice@example.test"
    assert not cal.store.queue.list(recipient=bob)  # no sendSchedulingMessages: no mail
    got = cal("Task/get", {"ids": [made], "properties": ["participants"]})["list"][0]["participants"]
    assert sorted(p["email"] for p in got.values()) == ["alice@example.test", bob]
    done = cal("Task/set", {"update": {made: {"participants": {"b": {"email": "carol@example.test"}}}},
                            "sendSchedulingMessages": True})  # fmt: skip
    assert done["updated"] == {made: None}, done
    assert standard.from_ical(organizer.get(ref.folder_id, ref.name).data).assignee == "carol@example.test"
    (mail,) = [cal.store.queue.raw(m.id) for m in cal.store.queue.list(recipient="carol@example.test")]
    assert b"METHOD:REQUEST" in mail and b"VTODO" in mail and b"Quarterly report" in mail
    bobs = cal("Task/set", {"update": {made: {"participants": None}}}, who="bob")
    assert bobs["notUpdated"][made]["type"] == "notFound"
    assert cal("TaskList/changes", {"sinceState": lists_state})["updated"] == []
    cal("Task/set", {"destroy": [made]})
