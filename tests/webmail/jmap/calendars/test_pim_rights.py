"""Rights of the organizer's JMAP methods (Calendars, Tasks, Contacts) between two accounts: bob guesses
alice's ids (they are plain folder ids and names, webmail/jmap/calendars/ids.py) and gets nothing until
alice shares a folder; shared read-only, he reads it but every change is ``forbidden`` and myRights say
so. Storage decides: these tests fail if its check or the mapping of its refusal goes missing."""

from __future__ import annotations

from typing import Any

import pytest

import webmail.jmap.contacts  # noqa: F401  (registers the methods)
import webmail.jmap.tasks  # noqa: F401
from tests.webmail.jmap.calendars.conftest import Cal

EVENT = {"title": "Board meeting", "start": "2027-03-01T09:00:00", "timeZone": "Europe/Paris",
         "duration": "PT1H"}  # fmt: skip
CARD = {"@type": "Card", "kind": "individual", "name": {"full": "Secret Contact"}}


def _default(cal: Cal, method: str, who: str) -> str:
    return str(next(x["id"] for x in cal(method, {"ids": None}, who=who)["list"] if x["isDefault"]))


def _made(answer: dict[str, Any]) -> str:
    assert not answer["notCreated"], answer["notCreated"]
    return str(answer["created"]["k"]["id"])


@pytest.fixture(scope="module")
def alices(module_store: Any) -> dict[str, str]:
    """alice's Work calendar, default task list and address book, one item in each."""
    cal = Cal(module_store)
    work = next(c["id"] for c in cal("Calendar/get", {"ids": None})["list"] if c["name"] == "Work")
    tasks = _default(cal, "TaskList/get", "alice")
    book = _default(cal, "AddressBook/get", "alice")
    event = _made(cal("CalendarEvent/set", {"create": {"k": {**EVENT, "calendarIds": {work: True}}}}))
    task = _made(cal("Task/set", {"create": {"k": {"title": "Secret task", "taskListId": tasks}}}))
    card = _made(cal("ContactCard/set", {"create": {"k": {**CARD, "addressBookIds": {book: True}}}}))
    return {"calendar": work, "tasks": tasks, "book": book, "event": event, "task": task, "card": card}


KINDS = (  # (item type, folder type, folder key, item key, folder property of an item)
    ("CalendarEvent", "Calendar", "calendar", "event", "calendarIds"),
    ("Task", "TaskList", "tasks", "task", "taskListId"),
    ("ContactCard", "AddressBook", "book", "card", "addressBookIds"),
)


def _in(prop: str, folder: str) -> dict[str, Any]:
    return {prop: folder if prop == "taskListId" else {folder: True}}


def _body(kind: str) -> dict[str, Any]:
    return {"CalendarEvent": EVENT, "Task": {"title": "Planted"}, "ContactCard": CARD}[kind]


@pytest.mark.parametrize(("kind", "folder_kind", "folder_key", "item_key", "prop"), KINDS)
def test_unshared_items_stay_hidden_from_guessed_ids(
    cal: Cal, alices: dict[str, str], kind: str, folder_kind: str, folder_key: str, item_key: str, prop: str
) -> None:
    folder, item = alices[folder_key], alices[item_key]
    assert cal(f"{folder_kind}/get", {"ids": [folder]}, who="bob")["notFound"] == [folder]
    assert cal(f"{kind}/get", {"ids": [item]}, who="bob")["notFound"] == [item]
    assert item not in cal(f"{kind}/query", {}, who="bob")["ids"]
    since = cal(f"{kind}/get", {"ids": []}, who="bob")["state"]
    assert item not in str(cal(f"{kind}/changes", {"sinceState": since}, who="bob"))
    alices_state = cal(f"{kind}/get", {"ids": []})["state"]  # names her folders: no changes of them for bob
    assert cal.error(f"{kind}/changes", {"sinceState": alices_state}, who="bob") == "cannotCalculateChanges"
    done = cal(
        f"{kind}/set",
        {"update": {item: {"title" if kind != "ContactCard" else "name/full": "pwned"}}, "destroy": [item],
         "create": {"k": {**_body(kind), **_in(prop, folder)}}},
        who="bob",
    )  # fmt: skip
    assert done["notUpdated"][item]["type"] == "notFound"
    assert done["notDestroyed"][item]["type"] == "notFound"
    assert done["notCreated"]["k"]["type"] in ("notFound", "invalidProperties")
    assert cal(f"{kind}/get", {"ids": [item]})["list"], "alice's item is still there"


@pytest.mark.parametrize(("kind", "folder_kind", "folder_key", "item_key", "prop"), KINDS)
def test_a_viewer_reads_and_may_change_nothing(
    cal: Cal, alices: dict[str, str], kind: str, folder_kind: str, folder_key: str, item_key: str, prop: str
) -> None:
    folder, item = alices[folder_key], alices[item_key]
    alice = cal.call_for("alice").user
    folder_id = int(folder.lstrip("abcl"))
    alice.change_entry(folder_id, "bob@example.test", "lr")
    try:
        shared = cal(f"{folder_kind}/get", {"ids": [folder]}, who="bob")["list"]
        assert len(shared) == 1
        rights = shared[0]["myRights"]
        assert rights["mayDelete"] is False and rights["mayShare"] is False
        writes = [k for k in rights if k.startswith("mayWrite") or k in ("mayAddItems", "mayUpdatePrivate",
                  "mayRemoveOwn", "mayRemoveAll", "mayUpdateOwn", "mayUpdateAll", "mayRSVP")]  # fmt: skip
        assert writes and not any(rights[k] for k in writes), rights
        assert cal(f"{kind}/get", {"ids": [item]}, who="bob")["list"][0]["id"] == item
        assert item in cal(f"{kind}/query", {}, who="bob")["ids"]
        done = cal(
            f"{kind}/set",
            {"update": {item: {"title" if kind != "ContactCard" else "name/full": "pwned"}},
             "destroy": [item], "create": {"k": {**_body(kind), **_in(prop, folder)}}},
            who="bob",
        )  # fmt: skip
        assert done["notUpdated"][item]["type"] == "forbidden"
        assert done["notDestroyed"][item]["type"] == "forbidden"
        assert done["notCreated"]["k"]["type"] == "forbidden"
        mine = cal(f"{kind}/get", {"ids": [item]})["list"][0]
        assert "pwned" not in str(mine)
    finally:
        alice.delete_entry(folder_id, "bob@example.test")
    assert cal(f"{kind}/get", {"ids": [item]}, who="bob")["notFound"] == [item]


def test_a_viewer_may_not_rename_or_remove_a_shared_calendar(cal: Cal, alices: dict[str, str]) -> None:
    work = alices["calendar"]
    alice = cal.call_for("alice").user
    alice.change_entry(int(work[1:]), "bob@example.test", "lr")
    try:
        done = cal(
            "Calendar/set",
            {"update": {work: {"name": "pwned"}}, "destroy": [work], "onDestroyRemoveEvents": True},
            who="bob",
        )
        assert done["notUpdated"][work]["type"] == "forbidden"
        assert done["notDestroyed"][work]["type"] == "forbidden"
    finally:
        alice.delete_entry(int(work[1:]), "bob@example.test")
    assert cal("Calendar/get", {"ids": [work]})["list"][0]["name"] == "Work"
    assert cal("CalendarEvent/get", {"ids": [alices["event"]]})["list"]


def test_a_bad_colour_names_color_and_makes_no_calendar(cal: Cal) -> None:
    before = len(cal("Calendar/get", {"ids": None})["list"])
    done = cal("Calendar/set", {"create": {"k": {"name": "Red", "color": "red"}}})
    assert (done["notCreated"]["k"]["type"], done["notCreated"]["k"]["properties"]) == (
        "invalidProperties",
        ["color"],
    )
    assert len(cal("Calendar/get", {"ids": None})["list"]) == before
