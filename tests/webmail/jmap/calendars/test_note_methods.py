"""Our notes and journal extension (``urn:fieldpost:jmap:notes``): Notebook/Journal /get, /changes and
Note/JournalEntry /get, /changes, /query, /set over the organizer's VJOURNAL items -- what the Standard
notes and journal pages read (webmail/journal_ical.py), with storage's rights between two accounts."""

from __future__ import annotations

from typing import Any

import pytest

import webmail.jmap.notes  # noqa: F401  (registers the methods)
from tests.webmail.jmap.calendars.conftest import Cal
from webmail import journal_ical


def _create(cal: Cal, kind: str, body: dict[str, Any], who: str = "alice") -> str:
    done = cal(f"{kind}/set", {"create": {"k": body}}, who=who)
    assert not done["notCreated"], done["notCreated"]
    return str(done["created"]["k"]["id"])


def _stored(cal: Cal, item_id: str) -> journal_ical.EntryFields:
    ref = cal.place(item_id)
    item = cal.call_for("alice").user.organizer.get(ref.folder_id, ref.name)
    return journal_ical.from_ical(item.data)


def test_a_note_round_trips_and_its_changes_are_listed(cal: Cal) -> None:
    books = cal("Notebook/get", {"ids": None})["list"]
    assert [b["name"] for b in books] == ["Notes"] and books[0]["isDefault"] is True
    assert books[0]["myRights"]["mayAddItems"] is True
    state = cal("Note/get", {"ids": []})["state"]
    made = _create(
        cal, "Note", {"title": "Müller's  phone", "body": "0123\nask for Jo", "keywords": {"call": True}}
    )
    got = cal("Note/get", {"ids": [made]})["list"][0]
    assert (got["notebookId"], got["title"], got["body"], got["keywords"]) == (
        books[0]["id"],
        "Müller's phone",
        "0123\nask for Jo",
        {"call": True},
    )
    assert got["uid"] and got["updated"].endswith("Z")
    stored = _stored(cal, made)  # what the Standard notes page shows
    assert (stored.summary, stored.description, stored.categories, stored.day) == (
        "Müller's phone",
        "0123\nask for Jo",
        ("call",),
        None,
    )
    changes = cal("Note/changes", {"sinceState": state})
    assert made in changes["created"] + changes["updated"] and changes["destroyed"] == []
    after_create = changes["newState"]
    assert cal("Note/changes", {"sinceState": after_create})["updated"] == []

    done = cal("Note/set", {"update": {made: {"title": "Jo's phone", "keywords/urgent": True}}})
    assert done["updated"] == {made: None}, done
    assert _stored(cal, made).categories == ("call", "urgent")
    changes = cal("Note/changes", {"sinceState": after_create})
    assert changes["updated"] == [made] and changes["oldState"] == after_create
    assert changes["newState"] == cal("Note/get", {"ids": []})["state"] != after_create

    assert cal("Note/query", {"filter": {"text": "MULLER"}})["ids"] == []  # the title changed
    assert cal("Note/query", {"filter": {"text": "jo urgent"}})["ids"] == [made]
    assert cal("Note/query", {"filter": {"inNotebooks": ["n999999"]}})["ids"] == []
    before_destroy = changes["newState"]
    assert cal("Note/set", {"destroy": [made]})["destroyed"] == [made]
    assert cal("Note/changes", {"sinceState": before_destroy})["destroyed"] == [made]
    assert cal("Note/get", {"ids": [made]})["notFound"] == [made]


def test_journal_entries_need_a_date_and_list_newest_first(cal: Cal) -> None:
    done = cal(
        "JournalEntry/set",
        {"create": {"a": {"title": "No day"}, "b": {"title": "Bad", "date": "2027-02-30"}}},
    )
    assert {k: e["properties"] for k, e in done["notCreated"].items()} == {"a": ["date"], "b": ["date"]}
    old = _create(cal, "JournalEntry", {"title": "Kick-off", "date": "2027-01-04"})
    new = _create(cal, "JournalEntry", {"title": "Review", "date": "2027-03-01", "body": "went well"})
    assert _stored(cal, new).day is not None and _stored(cal, new).day.isoformat() == "2027-03-01"
    assert cal("JournalEntry/query", {})["ids"][:2] == [new, old]
    assert cal("JournalEntry/query", {"sort": [{"property": "date"}]})["ids"][-2:] == [old, new]
    found = cal("JournalEntry/query", {"filter": {"after": "2027-01-01", "before": "2027-02-01"}})
    assert found["ids"] == [old]
    got = cal("JournalEntry/get", {"ids": [new], "properties": ["date", "journalId"]})["list"][0]
    assert set(got) == {"id", "date", "journalId"} and got["date"] == "2027-03-01"
    cal("JournalEntry/set", {"update": {new: {"date": "2027-03-02"}}})
    assert _stored(cal, new).day.isoformat() == "2027-03-02"  # type: ignore[union-attr]
    assert cal("JournalEntry/set", {"destroy": [old, new]})["destroyed"] == [old, new]


def test_bad_input_gets_the_rfc_errors(cal: Cal) -> None:
    made = _create(cal, "Note", {"title": "Keep"})
    done = cal(
        "Note/set",
        {
            "create": {"a": {"title": ""}, "b": {"title": "x", "colour": "red"}, "c": {"title": "x", "uid": "mine"},
                       "d": {"title": "x", "keywords": {"a,b": True}}, "e": {"title": "x", "notebookId": "j1"}},
            "update": {made: {"updated": "2000-01-01T00:00:00Z"}, "v1_eA": {"title": "y"}},
            "destroy": ["nonsense"],
        },
    )  # fmt: skip
    assert {k: e["properties"] for k, e in done["notCreated"].items()} == {
        "a": ["title"], "b": ["colour"], "c": ["uid"], "d": ["keywords"], "e": ["notebookId"],
    }  # fmt: skip
    assert done["notUpdated"][made]["properties"] == ["updated"]
    assert done["notUpdated"]["v1_eA"]["type"] == "notFound"
    assert done["notDestroyed"]["nonsense"]["type"] == "notFound"
    assert cal.error("Note/query", {"filter": {"operator": "OR", "conditions": []}}) == "unsupportedFilter"
    assert cal.error("Note/query", {"sort": [{"property": "date"}]}) == "unsupportedSort"
    assert cal.error("JournalEntry/query", {"filter": {"after": "soon"}}) == "invalidArguments"
    assert cal.error("Note/changes", {"sinceState": "garbage"}) == "cannotCalculateChanges"
    journal_state = cal("JournalEntry/get", {"ids": []})["state"]
    assert cal.error("Note/changes", {"sinceState": journal_state}) == "cannotCalculateChanges"
    notebook_state = cal("Notebook/get", {"ids": []})["state"]
    assert cal("Notebook/changes", {"sinceState": notebook_state})["updated"] == []
    assert cal.error("Notebook/changes", {"sinceState": journal_state}) == "cannotCalculateChanges"
    state = cal("Note/get", {"ids": []})["state"]
    assert cal.error("Note/set", {"ifInState": state + "x", "destroy": [made]}) == "stateMismatch"
    assert cal("Note/set", {"destroy": [made]})["destroyed"] == [made]


@pytest.mark.parametrize("kind", ["Note", "JournalEntry"])
def test_a_viewer_reads_and_may_change_nothing(cal: Cal, kind: str) -> None:
    folder_type, prop = ("Notebook", "notebookId") if kind == "Note" else ("Journal", "journalId")
    body: dict[str, Any] = {"title": "Minutes", **({"date": "2027-05-05"} if kind == "JournalEntry" else {})}
    folder = cal(f"{folder_type}/get", {"ids": None})["list"][0]["id"]
    item = _create(cal, kind, body)
    assert cal(f"{folder_type}/get", {"ids": [folder]}, who="bob")["notFound"] == [folder]
    assert cal(f"{kind}/get", {"ids": [item]}, who="bob")["notFound"] == [item]
    assert item not in cal(f"{kind}/query", {}, who="bob")["ids"]
    hidden = cal(f"{kind}/set", {"update": {item: {"title": "pwned"}}, "destroy": [item]}, who="bob")
    assert (
        hidden["notUpdated"][item]["type"] == "notFound"
        and hidden["notDestroyed"][item]["type"] == "notFound"
    )
    alice = cal.call_for("alice").user
    folder_id = int(folder[1:])
    bobs_state = cal(f"{kind}/get", {"ids": []}, who="bob")["state"]
    alice.change_entry(folder_id, "bob@example.test", "lr")
    try:
        shared = cal(f"{folder_type}/get", {"ids": [folder]}, who="bob")["list"][0]
        assert shared["myRights"]["mayReadItems"] is True and shared["isDefault"] is False
        assert shared["owner"] == "alice@example.test"
        assert not any(v for k, v in shared["myRights"].items() if k != "mayReadItems")
        assert cal(f"{kind}/get", {"ids": [item]}, who="bob")["list"][0]["title"] == "Minutes"
        assert item in cal(f"{kind}/query", {}, who="bob")["ids"]
        assert item in cal(f"{kind}/changes", {"sinceState": bobs_state}, who="bob")["created"]
        done = cal(
            f"{kind}/set",
            {
                "update": {item: {"title": "pwned"}},
                "destroy": [item],
                "create": {"k": {**body, prop: folder}},
            },
            who="bob",
        )
        assert done["notUpdated"][item]["type"] == "forbidden"
        assert done["notDestroyed"][item]["type"] == "forbidden"
        assert done["notCreated"]["k"]["type"] == "forbidden"
        assert cal(f"{kind}/get", {"ids": [item]})["list"][0]["title"] == "Minutes"
    finally:
        alice.delete_entry(folder_id, "bob@example.test")
    cal(f"{kind}/set", {"destroy": [item]})


def test_a_long_query_comes_in_pages_a_get_can_take(cal: Cal) -> None:
    """Note/query answers at most maxObjectsInGet ids (saying the limit it used), so its ids can always go
    to Note/get by back-reference; position gives the rest."""
    from webmail.jmap import limits

    organizer = cal.call_for("bob").user.organizer
    folder = organizer.collections("notes")[0].folder_id
    for n in range(limits.MAX_OBJECTS_IN_GET + 2):
        entry = journal_ical.EntryFields(summary=f"Note {n:04d}")
        organizer.put(folder, None, journal_ical.to_ical(entry), if_none_match=True)
    first = cal("Note/query", {"calculateTotal": True}, who="bob")
    assert first["total"] == limits.MAX_OBJECTS_IN_GET + 2 and first["limit"] == limits.MAX_OBJECTS_IN_GET
    assert len(first["ids"]) == limits.MAX_OBJECTS_IN_GET
    assert len(cal("Note/get", {"ids": first["ids"]}, who="bob")["list"]) == limits.MAX_OBJECTS_IN_GET
    rest = cal("Note/query", {"position": limits.MAX_OBJECTS_IN_GET}, who="bob")["ids"]
    assert len(rest) == 2 and not set(rest) & set(first["ids"])
    titles = cal("Note/get", {"ids": rest, "properties": ["title"]}, who="bob")["list"]
    assert [t["title"] for t in titles] == ["Note 0500", "Note 0501"]  # the title order goes on
    assert cal.error("Note/get", {"ids": None}, who="bob") == "requestTooLarge"
    for ref in organizer.items(folder):
        organizer.delete(folder, ref.name)
