"""Email/set and Email/copy (RFC 8621 4.6, 4.7): keywords, moves, drafts, destroy, rights."""

from __future__ import annotations

from email import message_from_bytes, policy

from tests.storage.test_contract_message_list import raw
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.mail.conftest import Jmap

ALICE = "alice@example.test"
BOB = "bob@example.test"


def folder(seeded: Seeded, path: str, owner: str = ALICE) -> int:
    return seeded.store.folders.get(owner, path).id


def flags(seeded: Seeded, fid: int, uid: int) -> frozenset[str]:
    return seeded.store.mail.flags(fid, [uid])[0].flags


def test_keywords_are_imap_flags(jmap: Jmap, seeded: Seeded) -> None:
    inbox = folder(seeded, "INBOX")
    eid = f"e{inbox}_1"
    out = jmap("Email/set", {"update": {eid: {"keywords": {"$seen": True, "$flagged": True, "work": True}}}})
    assert out["updated"] == {eid: None} and out["oldState"] != out["newState"]
    assert flags(seeded, inbox, 1) == {"\\Seen", "\\Flagged", "work"}
    jmap("Email/set", {"update": {eid: {"keywords/$flagged": None, "keywords/$answered": True}}})
    assert flags(seeded, inbox, 1) == {"\\Seen", "\\Answered", "work"}
    assert jmap("Email/get", {"ids": [eid], "properties": ["keywords"]})["list"][0]["keywords"] == {
        "$seen": True,
        "$answered": True,
        "work": True,
    }
    bad = jmap("Email/set", {"update": {eid: {"subject": "x"}, "e1_999": {"keywords": {}}}})
    assert bad["notUpdated"][eid]["type"] == "invalidProperties"
    assert bad["notUpdated"]["e1_999"]["type"] == "notFound"
    patch = jmap("Email/set", {"update": {eid: {"keywords": {}, "keywords/x": True}}})
    assert patch["notUpdated"][eid]["type"] == "invalidPatch"
    assert jmap.error("Email/set", {"ifInState": "e", "destroy": [eid]}) == "stateMismatch"


def test_move_by_mailbox_ids_and_destroy(jmap: Jmap, seeded: Seeded) -> None:
    inbox, archive = folder(seeded, "INBOX"), folder(seeded, "Archive")
    state = jmap("Email/get", {"ids": []})["state"]
    out = jmap(
        "Email/set",
        {"update": {f"e{inbox}_1": {f"mailboxIds/m{inbox}": None, f"mailboxIds/m{archive}": True}}},
    )
    assert out["updated"] == {f"e{inbox}_1": None}
    assert seeded.store.folders.get(ALICE, "Archive").message_count == 1
    changes = jmap("Email/changes", {"sinceState": state})
    assert changes["destroyed"] == [f"e{inbox}_1"] and changes["created"] == [f"e{archive}_1"]
    two = jmap(
        "Email/set", {"update": {f"e{archive}_1": {"mailboxIds": {f"m{inbox}": True, f"m{archive}": True}}}}
    )
    assert two["notUpdated"][f"e{archive}_1"]["type"] == "invalidProperties"
    gone = jmap("Email/set", {"destroy": [f"e{archive}_1", f"e{inbox}_1"]})
    assert (
        gone["destroyed"] == [f"e{archive}_1"] and gone["notDestroyed"][f"e{inbox}_1"]["type"] == "notFound"
    )
    assert seeded.store.folders.get(ALICE, "Archive").message_count == 0


def test_read_only_share_refuses_and_hidden_is_not_found(jmap: Jmap, seeded: Seeded) -> None:
    bob = seeded.store.for_user(seeded.bob.id)
    shared = bob.create_folder(BOB, "Shared")
    seeded.store.mail.deliver(raw("for bob"), [BOB])
    bob.copy(folder(seeded, "INBOX", BOB), [1], shared.id)
    bob.change_entry(shared.id, ALICE, "lr")
    eid, hidden = f"e{shared.id}_1", f"e{folder(seeded, 'INBOX', BOB)}_1"
    out = jmap("Email/set", {"update": {eid: {"keywords/$flagged": True}, hidden: {"keywords/$flagged": True}},
                             "destroy": [eid, hidden]})  # fmt: skip
    assert out["notUpdated"][eid]["type"] == "forbidden" and out["notDestroyed"][eid]["type"] == "forbidden"
    assert (
        out["notUpdated"][hidden]["type"] == "notFound" and out["notDestroyed"][hidden]["type"] == "notFound"
    )
    assert flags(seeded, shared.id, 1) == frozenset()
    made = jmap("Email/set", {"create": {"d": {"mailboxIds": {f"m{shared.id}": True}, "subject": "x"}}})
    assert made["notCreated"]["d"]["type"] == "forbidden"


def test_create_a_draft_with_an_attachment_from_a_message(jmap: Jmap, seeded: Seeded) -> None:
    drafts, inbox = folder(seeded, "Drafts"), folder(seeded, "INBOX")
    spec = {
        "mailboxIds": {f"m{drafts}": True},
        "keywords": {"$draft": True, "$seen": True},
        "from": [{"name": "Alice", "email": ALICE}],
        "to": [{"name": "Bob Builder", "email": BOB}],
        "subject": "Plans für Montag",
        "header:X-Priority": "1",
        "inReplyTo": ["p@x"],
        "textBody": [{"partId": "t", "type": "text/plain"}],
        "htmlBody": [{"partId": "h", "type": "text/html"}],
        "attachments": [{"blobId": f"b{inbox}_1_1", "type": "text/plain", "name": "welcome.txt"}],
        "bodyValues": {"t": {"value": "Hallo Bob"}, "h": {"value": "<p>Hallo <b>Bob</b></p>"}},
    }
    out = jmap("Email/set", {"create": {"k1": spec}})
    created = out["created"]["k1"]
    assert created["id"] == f"e{drafts}_1" and created["blobId"] == f"b{drafts}_1" and created["size"] > 0
    assert jmap.created_ids["k1"] == created["id"]
    assert flags(seeded, drafts, 1) == {"\\Draft", "\\Seen"}
    got = jmap("Email/get", {"ids": [created["id"]], "fetchTextBodyValues": True,
                             "properties": ["subject", "to", "inReplyTo", "header:X-Priority:asText", "bodyValues",
                                            "textBody", "htmlBody", "attachments", "keywords", "threadId"]})  # fmt: skip
    email = got["list"][0]
    assert email["subject"] == "Plans für Montag" and email["to"] == [{"name": "Bob Builder", "email": BOB}]
    assert email["inReplyTo"] == ["p@x"] and email["header:X-Priority:asText"] == "1"
    assert email["threadId"] == created["threadId"]
    text_id = email["textBody"][0]["partId"]
    assert email["bodyValues"][text_id]["value"].strip() == "Hallo Bob"
    assert [p["type"] for p in email["htmlBody"]] == ["text/html"]
    assert [p["name"] for p in email["attachments"]] == ["welcome.txt"]
    parsed = message_from_bytes(
        seeded.store.for_user(seeded.alice.id).view.raw(drafts, 1), policy=policy.default
    )
    attached = [p for p in parsed.iter_attachments()][0]
    assert "this is a test message" in attached.get_content()
    refused = jmap("Email/set", {"create": {
        "a": {"mailboxIds": {f"m{drafts}": True, f"m{inbox}": True}},
        "b": {"mailboxIds": {f"m{drafts}": True}, "attachments": [{"blobId": "b999_1"}]},
        "c": {"mailboxIds": {f"m{drafts}": True}, "textBody": [{"partId": "missing"}]},
        "d": {"mailboxIds": {f"m{drafts}": True}, "size": 3},
    }})  # fmt: skip
    types = {k: v["type"] for k, v in refused["notCreated"].items()}
    assert types == {
        "a": "invalidProperties",
        "b": "blobNotFound",
        "c": "invalidProperties",
        "d": "invalidProperties",
    }


def test_copy_and_destroy_original(jmap: Jmap, seeded: Seeded) -> None:
    inbox, archive = folder(seeded, "INBOX"), folder(seeded, "Archive")
    account = jmap.call_for(ALICE).account_id
    out = jmap("Email/copy", {"fromAccountId": account, "onSuccessDestroyOriginal": True, "create": {
        "c1": {"id": f"e{inbox}_1", "mailboxIds": {f"m{archive}": True}, "keywords": {"$seen": True}},
        "c2": {"id": "e1_999", "mailboxIds": {f"m{archive}": True}},
    }})  # fmt: skip
    assert out["created"]["c1"]["id"] == f"e{archive}_1" and out["notCreated"]["c2"]["type"] == "notFound"
    assert flags(seeded, archive, 1) == {"\\Seen"}
    assert seeded.store.folders.get(ALICE, "INBOX").message_count == 0  # the implicit Email/set destroyed it
    assert jmap.error("Email/copy", {"fromAccountId": "a999", "create": {}}) == "fromAccountNotFound"


def test_a_message_attached_by_its_blob_is_carried_unchanged(jmap: Jmap, seeded: Seeded) -> None:
    """Forward as attachment: the original's octets inside a message/rfc822 part, never base64 or
    quoted-printable (RFC 2046 5.2.1); an 8-bit header keeps its octets and makes the part 8bit."""
    drafts, inbox = folder(seeded, "Drafts"), folder(seeded, "INBOX")
    user = seeded.store.for_user(seeded.alice.id)
    original = (
        b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n"
        b"Message-ID: <orig.1@example.test>\r\n\r\nThe figures, line one.\r\n=3D not encoded\r\n"
    )
    uid = user.append(inbox, original, []).uid
    out = jmap("Email/set", {"create": {"k1": {
        "mailboxIds": {f"m{drafts}": True},
        "from": [{"email": ALICE}], "to": [{"email": BOB}], "subject": "Fwd: Grüße",
        "textBody": [{"partId": "t"}], "bodyValues": {"t": {"value": "See below."}},
        "attachments": [{"blobId": f"b{inbox}_{uid}", "type": "message/rfc822", "name": "Grüße.eml"}],
    }}})  # fmt: skip
    made = out["created"]["k1"]["id"]
    raw = user.view.raw(drafts, int(made.rpartition("_")[2]))
    stored = user.view.raw(inbox, uid)
    parsed = message_from_bytes(raw, policy=policy.default)
    attached = [p for p in parsed.walk() if p.get_content_type() == "message/rfc822"]
    assert len(attached) == 1 and attached[0]["Content-Transfer-Encoding"] == "8bit"
    assert attached[0].get_filename() == "Grüße.eml"
    assert stored in raw  # the octets as stored, not re-encoded
    inner = attached[0].get_payload(0)
    assert inner["Message-ID"] == "<orig.1@example.test>" and inner["Subject"] == "Grüße"
    got = jmap("Email/get", {"ids": [made], "properties": ["attachments"]})["list"][0]
    assert [(p["type"], p["name"]) for p in got["attachments"]] == [("message/rfc822", "Grüße.eml")]
