"""Calendar/get, /changes and /set: the organizer's calendar folders with the ACL engine's rights."""

from __future__ import annotations

from typing import Any

from tests.webmail.jmap.calendars.conftest import Cal


def _work(cal: Cal, who: str = "alice") -> dict[str, Any]:
    return next(c for c in cal("Calendar/get", {"ids": None}, who=who)["list"] if c["name"] == "Work")


def test_get_lists_own_calendar_with_full_rights(cal: Cal) -> None:
    work = _work(cal)
    assert work["id"].startswith("c")
    assert work["isDefault"] is False  # every account starts with "Calendar", its default
    assert [c["name"] for c in cal("Calendar/get", {"ids": None})["list"] if c["isDefault"]] == ["Calendar"]
    assert work["myRights"]["mayWriteAll"] is True and work["myRights"]["mayDelete"] is True
    got = cal("Calendar/get", {"ids": [work["id"], "c999999", "nonsense"], "properties": ["name"]})
    assert got["list"] == [{"id": work["id"], "name": "Work"}]
    assert got["notFound"] == ["c999999", "nonsense"]
    assert cal.error("Calendar/get", {"properties": ["colour"]}) == "invalidArguments"


def test_bob_sees_nothing_until_shared_then_reads_only(cal: Cal) -> None:
    work = _work(cal)
    assert cal("Calendar/get", {"ids": [work["id"]]}, who="bob")["notFound"] == [work["id"]]
    alice = cal.call_for("alice").user
    alice.change_entry(int(work["id"][1:]), "bob@example.test", "lr")
    try:
        seen = cal("Calendar/get", {"ids": [work["id"]]}, who="bob")["list"][0]
        assert seen["myRights"]["mayReadItems"] is True
        assert seen["myRights"]["mayWriteAll"] is False and seen["isDefault"] is False
    finally:
        alice.delete_entry(int(work["id"][1:]), "bob@example.test")


def test_set_creates_renames_destroys_and_changes_reports_it(cal: Cal) -> None:
    state = cal("Calendar/get", {"ids": []})["state"]
    made = cal("Calendar/set", {"create": {"n": {"name": "Holidays", "color": "#336699"}}})
    new_id = made["created"]["n"]["id"]
    changes = cal("Calendar/changes", {"sinceState": state})
    assert changes["created"] == [new_id] and changes["updated"] == [] and changes["destroyed"] == []
    state = changes["newState"]
    assert cal("Calendar/set", {"update": {new_id: {"name": "Trips"}}})["updated"] == {new_id: None}
    got = cal("Calendar/get", {"ids": [new_id]})["list"][0]
    assert (got["name"], got["color"]) == ("Trips", "#336699")
    assert cal("Calendar/changes", {"sinceState": state})["updated"] == [new_id]
    refused = cal("Calendar/set", {"update": {new_id: {"shareWith": {}}}})["notUpdated"][new_id]
    assert refused["type"] == "invalidProperties"
    assert cal("Calendar/set", {"destroy": [new_id]})["destroyed"] == [new_id]
    assert cal("Calendar/get", {"ids": [new_id]})["notFound"] == [new_id]
    assert cal.error("Calendar/changes", {"sinceState": "garbage"}) == "cannotCalculateChanges"


def test_set_refuses_a_bad_name_and_other_accounts_calendar(cal: Cal) -> None:
    bad = cal("Calendar/set", {"create": {"x": {"name": "a/b"}}})["notCreated"]["x"]
    assert bad["type"] == "invalidProperties" and bad["properties"] == ["name"]
    work = _work(cal)
    gone = cal("Calendar/set", {"destroy": [work["id"]]}, who="bob")["notDestroyed"][work["id"]]
    assert gone["type"] in ("notFound", "forbidden")
    assert cal("Calendar/get", {"ids": [work["id"]]})["list"]
    stale = cal.error("Calendar/set", {"ifInState": "k", "update": {}})
    assert stale == "stateMismatch"
