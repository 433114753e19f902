"""Mailbox/get, /changes, /query, /set (RFC 8621 2) as alice and bob see their folders."""

from __future__ import annotations

from tests.storage.conftest import build_message
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.mail.conftest import Jmap

ALICE = "alice@example.test"
BOB = "bob@example.test"


def by_name(jmap: Jmap, who: str = "alice") -> dict[str, dict]:
    return {m["name"]: m for m in jmap("Mailbox/get", {"ids": None}, who=who)["list"]}


def test_get_lists_the_own_folders_with_roles_counts_and_rights(jmap: Jmap, seeded: Seeded) -> None:
    boxes = by_name(jmap)
    assert {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"} <= set(boxes)
    assert "Calendar" not in boxes  # organizer folders are not Mailboxes
    inbox = boxes["INBOX"]
    assert inbox["role"] == "inbox" and inbox["parentId"] is None
    assert (inbox["totalEmails"], inbox["unreadEmails"], inbox["totalThreads"], inbox["unreadThreads"]) == (
        1,
        1,
        1,
        1,
    )
    assert inbox["myRights"]["mayReadItems"] and not inbox["myRights"]["mayDelete"]
    assert boxes["Sent"]["role"] == "sent" and boxes["Sent"]["myRights"]["mayDelete"]
    assert inbox["sortOrder"] < boxes["Sent"]["sortOrder"] < boxes["Trash"]["sortOrder"]


def test_get_by_ids_answers_not_found_for_others_and_properties_filter(jmap: Jmap, seeded: Seeded) -> None:
    bob_inbox = seeded.store.folders.get(BOB, "INBOX").id
    own = by_name(jmap)["INBOX"]["id"]
    out = jmap("Mailbox/get", {"ids": [own, f"m{bob_inbox}", "nonsense"], "properties": ["name"]})
    assert out["list"] == [{"id": own, "name": "INBOX"}]
    assert out["notFound"] == [f"m{bob_inbox}", "nonsense"]
    assert jmap.error("Mailbox/get", {"ids": None, "properties": ["colour"]}) == "invalidArguments"
    assert jmap.error("Mailbox/get", {"accountId": "a999"}) == "accountNotFound"


def test_shared_read_only_folder_of_bob(jmap: Jmap, seeded: Seeded) -> None:
    store = seeded.store
    bob = store.for_user(seeded.bob.id)
    projects = bob.create_folder(BOB, "Projects")
    store.mail.deliver(build_message("plan"), [BOB])  # in bob's INBOX: not shared
    bob.change_entry(projects.id, ALICE, "lr")
    boxes = by_name(jmap)
    shared = boxes[f"Other Users/{BOB}/Projects"]
    assert shared["role"] is None and shared["parentId"] is None
    rights = shared["myRights"]
    assert rights["mayReadItems"] and not rights["mayAddItems"] and not rights["mayRename"]
    assert not rights["maySetSeen"] and not rights["maySubmit"]
    assert not any(name.endswith("INBOX") and name != "INBOX" for name in boxes)
    # alice may not rename or destroy it: forbidden; bob's INBOX does not exist for her: notFound
    out = jmap("Mailbox/set", {"update": {shared["id"]: {"name": "Mine"}}, "destroy": [shared["id"]]})
    assert out["notUpdated"][shared["id"]]["type"] == "forbidden"
    assert out["notDestroyed"][shared["id"]]["type"] == "forbidden"
    hidden = f"m{store.folders.get(BOB, 'INBOX').id}"
    out = jmap("Mailbox/set", {"update": {hidden: {"name": "x"}}, "destroy": [hidden]})
    assert (
        out["notUpdated"][hidden]["type"] == "notFound" and out["notDestroyed"][hidden]["type"] == "notFound"
    )
    assert store.folders.get(BOB, "INBOX").message_count == 1


def test_set_create_rename_move_and_destroy(jmap: Jmap, seeded: Seeded) -> None:
    before = jmap("Mailbox/get", {"ids": []})["state"]
    out = jmap(
        "Mailbox/set",
        {"create": {"k1": {"name": "Work", "parentId": None}, "k2": {"name": "2024", "parentId": "#k1"}}},
    )
    work, year = out["created"]["k1"]["id"], out["created"]["k2"]["id"]
    assert out["created"]["k2"]["myRights"]["mayDelete"] and out["created"]["k1"]["totalEmails"] == 0
    assert seeded.store.folders.get(ALICE, "Work/2024").id == int(year[1:])
    changes = jmap("Mailbox/changes", {"sinceState": before})
    assert set(changes["created"]) == {work, year} and changes["destroyed"] == []
    assert changes["newState"] == jmap("Mailbox/get", {"ids": []})["state"] == out["newState"]
    out = jmap("Mailbox/set", {"update": {year: {"name": "Old", "parentId": None}}})
    assert out["updated"] == {year: None}
    assert by_name(jmap)["Old"]["parentId"] is None
    # renamed onto a name in use: refused with the same "exists" a creation gets (the Ajax client says so)
    out = jmap("Mailbox/set", {"update": {year: {"name": "Work"}}})
    assert out["notUpdated"][year] == {
        "type": "invalidProperties",
        "properties": ["name"],
        "description": "exists",
    }
    # a name with the separator, a name in use, a role in use
    out = jmap(
        "Mailbox/set",
        {"create": {"a": {"name": "a/b"}, "b": {"name": "Work"}, "c": {"name": "S", "role": "sent"}}},
    )
    assert {k: v["type"] for k, v in out["notCreated"].items()} == dict.fromkeys("abc", "invalidProperties")
    # destroy: a mailbox with mail needs onDestroyRemoveEmails, one with a child is refused
    seeded.store.mail.deliver(build_message("keep"), [ALICE])
    inbox = seeded.store.folders.get(ALICE, "INBOX").id
    seeded.store.for_user(seeded.alice.id).copy(inbox, [1], int(work[1:]))
    jmap("Mailbox/set", {"create": {"c": {"name": "Child", "parentId": work}}})
    out = jmap("Mailbox/set", {"destroy": [work]})
    assert out["notDestroyed"][work]["type"] == "mailboxHasChild"
    child = by_name(jmap)["Child"]["id"]
    jmap("Mailbox/set", {"destroy": [child]})
    assert jmap("Mailbox/set", {"destroy": [work]})["notDestroyed"][work]["type"] == "mailboxHasEmail"
    assert jmap("Mailbox/set", {"destroy": [work], "onDestroyRemoveEmails": True})["destroyed"] == [work]
    assert "Work" not in by_name(jmap)
    assert jmap("Mailbox/set", {"destroy": [by_name(jmap)["INBOX"]["id"]]})["notDestroyed"]


def test_changes_report_counters_only_and_state_mismatch(jmap: Jmap, seeded: Seeded) -> None:
    state = jmap("Mailbox/get", {"ids": []})["state"]
    seeded.store.mail.deliver(build_message("new"), [ALICE])
    changes = jmap("Mailbox/changes", {"sinceState": state})
    inbox = by_name(jmap)["INBOX"]["id"]
    assert changes["updated"] == [inbox]
    assert changes["updatedProperties"] == ["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"]
    assert jmap.error("Mailbox/changes", {"sinceState": "bogus"}) == "cannotCalculateChanges"
    assert jmap.error("Mailbox/set", {"ifInState": state, "create": {"x": {"name": "X"}}}) == "stateMismatch"


def test_query_filters_and_sorts(jmap: Jmap, seeded: Seeded) -> None:
    jmap("Mailbox/set", {"create": {"w": {"name": "Work"}, "p": {"name": "Plans", "parentId": "#w"}}})
    boxes = by_name(jmap)
    ids = jmap("Mailbox/query", {})["ids"]
    assert ids[0] == boxes["INBOX"]["id"]
    roles = jmap("Mailbox/query", {"filter": {"hasAnyRole": True}, "calculateTotal": True})
    assert roles["total"] == 6
    top = jmap(
        "Mailbox/query", {"filter": {"parentId": None, "hasAnyRole": False}, "sort": [{"property": "name"}]}
    )
    assert top["ids"] == [boxes["Work"]["id"]]
    tree = jmap(
        "Mailbox/query", {"filter": {"hasAnyRole": False}, "sortAsTree": True, "sort": [{"property": "name"}]}
    )
    assert tree["ids"] == [boxes["Work"]["id"], boxes["Plans"]["id"]]
    subscribed = jmap("Mailbox/query", {"filter": {"isSubscribed": True}})["ids"]
    assert boxes["INBOX"]["id"] in subscribed and boxes["Plans"]["id"] not in subscribed
    jmap("Mailbox/set", {"update": {boxes["Plans"]["id"]: {"isSubscribed": True}}})
    assert by_name(jmap)["Plans"]["isSubscribed"]
    assert jmap.error("Mailbox/query", {"sort": [{"property": "totalEmails"}]}) == "unsupportedSort"
    assert jmap.error("Mailbox/query", {"filter": {"colour": "red"}}) == "unsupportedFilter"
    assert jmap.error("Mailbox/queryChanges", {"sinceQueryState": "x"}) == "cannotCalculateChanges"
