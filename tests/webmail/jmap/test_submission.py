"""EmailSubmission (RFC 8621 7) against a real store and the real processing worker: a draft sent through
JMAP is queued through mailflow with the same sender checks and limits as SMTP and WebMail, reaches its
recipients, and its record reads back through /get, /query and /changes."""

from __future__ import annotations

import email
from email import policy
from typing import Any

from sidecars.processing.worker import Worker
from storage.models import Account
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.send_calls import call_for, invoke
from webmail.jmap import ids
from webmail.jmap.registry import Call


def draft(
    seeded: Seeded, account: Account, *, sender: str, to: str, extra: str = "", subject: str = "Plans"
) -> str:
    """An Email in the account's Drafts, as a JMAP client makes one; returns its id."""
    user = seeded.store.for_user(account.id)
    drafts = user.folder_with_role("drafts")
    raw = (
        f"From: {sender}\r\nTo: {to}\r\n{extra}Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '')}.{account.id}@example.test>\r\n"
        "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nSee you at nine.\r\n"
    ).encode()
    uid = user.append(drafts.id, raw, ["\\Draft", "\\Seen"]).uid
    return ids.email_id(drafts.id, uid)


def identity(call: Call, address: str) -> str:
    found = invoke(call, "Identity/get", ids=None)["list"]
    return str(next(i["id"] for i in found if i["email"] == address))


def inbox(seeded: Seeded, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=policy.default)
        for _u, raw, _d, _f in seeded.store.mail.iter_raw(address, "INBOX")
    ]


def send(call: Call, **create: Any) -> dict[str, Any]:
    return invoke(call, "EmailSubmission/set", create={"k1": create})


def test_a_draft_is_sent_and_its_record_reads_back(seeded: Seeded) -> None:
    store = seeded.store
    call = call_for(store, seeded.alice)
    email_id = draft(
        seeded, seeded.alice, sender="Alice <alice@example.test>", to="bob@example.test",
        extra="Cc: carol@example.test\r\nBcc: alice@example.test\r\n",
    )  # fmt: skip
    start = invoke(call, "EmailSubmission/get", ids=None)["state"]
    done = send(call, identityId=identity(call, "alice@example.test"), emailId=email_id)
    created = done["created"]["k1"]
    assert created["undoStatus"] == "final"
    assert created["envelope"]["mailFrom"]["email"] == "alice@example.test"
    assert [r["email"] for r in created["envelope"]["rcptTo"]] == [
        "bob@example.test", "carol@example.test", "alice@example.test",
    ]  # fmt: skip
    assert call.created_ids["k1"] == created["id"]
    (queued,) = store.queue.list()
    text = store.queue.raw(queued.id)
    assert (
        b"\r\nBcc:" not in text and b"with HTTP" in text and b"(authenticated as alice@example.test)" in text
    )

    got = invoke(call, "EmailSubmission/get", ids=[created["id"]])["list"][0]
    assert got["emailId"] == email_id and got["threadId"].startswith("t")
    assert {a: s["delivered"] for a, s in got["deliveryStatus"].items()} == {
        "bob@example.test": "queued", "carol@example.test": "queued", "alice@example.test": "queued",
    }  # fmt: skip
    changes = invoke(call, "EmailSubmission/changes", sinceState=start)
    assert changes["created"] == [created["id"]] and changes["newState"] != start

    assert Worker(store, hostname="mail.example.test").run_once() == 1
    for who in ("bob@example.test", "carol@example.test"):
        (got_mail,) = [m for m in inbox(seeded, who) if m["Subject"] == "Plans"]
        assert got_mail["Bcc"] is None and "See you at nine." in got_mail.get_content()
    after = invoke(call, "EmailSubmission/get", ids=[created["id"]])["list"][0]
    assert after["deliveryStatus"] is None  # delivered: the queue no longer holds it


def test_query_changes_and_destroy(seeded: Seeded) -> None:
    call = call_for(seeded.store, seeded.alice)
    me = identity(call, "alice@example.test")
    made = []
    for n in range(3):
        email_id = draft(
            seeded, seeded.alice, sender="alice@example.test", to="bob@example.test", subject=f"M {n}"
        )
        made.append(send(call, identityId=me, emailId=email_id)["created"]["k1"]["id"])
    state = invoke(call, "EmailSubmission/get", ids=[])["state"]
    everything = invoke(
        call,
        "EmailSubmission/query",
        sort=[{"property": "emailId", "isAscending": False}],
        calculateTotal=True,
    )
    assert everything["total"] == 3 and sorted(everything["ids"]) == sorted(made)
    first_email = invoke(call, "EmailSubmission/get", ids=[made[0]])["list"][0]["emailId"]
    only = invoke(call, "EmailSubmission/query", filter={"emailIds": [first_email]})
    assert only["ids"] == [made[0]]
    not_it = invoke(
        call, "EmailSubmission/query", filter={"operator": "NOT", "conditions": [{"emailIds": [first_email]}]}
    )
    assert sorted(not_it["ids"]) == sorted(made[1:])
    page = invoke(call, "EmailSubmission/query", position=1, limit=1)
    assert page["ids"] == [made[1]] and page["position"] == 1
    assert invoke(call, "EmailSubmission/query", filter={"subject": "x"})["error"] == "unsupportedFilter"
    assert invoke(call, "EmailSubmission/query", sort=[{"property": "size"}])["error"] == "unsupportedSort"

    cancel = invoke(call, "EmailSubmission/set", update={made[0]: {"undoStatus": "canceled"}, "S999": {}})
    assert cancel["notUpdated"][made[0]]["type"] == "cannotUnsend"
    assert cancel["notUpdated"]["S999"]["type"] == "notFound"
    gone = invoke(call, "EmailSubmission/set", destroy=[made[1], "S999"])
    assert gone["destroyed"] == [made[1]] and gone["notDestroyed"]["S999"]["type"] == "notFound"
    changes = invoke(call, "EmailSubmission/changes", sinceState=state)
    assert changes["destroyed"] == [made[1]] and changes["created"] == []
    assert invoke(call, "EmailSubmission/get", ids=[made[1]])["notFound"] == [made[1]]
    limited = invoke(call, "EmailSubmission/changes", sinceState="0", maxChanges=2)
    # made[1] was destroyed after it was made: from 0 it is never "created", its destruction comes last
    assert limited["hasMoreChanges"] is True and limited["created"] == [made[0], made[2]]
    rest = invoke(call, "EmailSubmission/changes", sinceState=limited["newState"])
    assert rest["hasMoreChanges"] is False and rest["destroyed"] == [made[1]] and rest["created"] == []
    assert invoke(call, "EmailSubmission/changes", sinceState="12345")["error"] == "cannotCalculateChanges"
    # another account sees none of alice's records
    bob = call_for(seeded.store, seeded.bob)
    assert invoke(bob, "EmailSubmission/get", ids=made)["notFound"] == made
    assert (
        invoke(bob, "EmailSubmission/set", destroy=[made[0]])["notDestroyed"][made[0]]["type"] == "notFound"
    )


def test_sender_rights_are_mailflows(seeded: Seeded) -> None:
    store = seeded.store
    call = call_for(store, seeded.alice)
    me = identity(call, "alice@example.test")
    as_carol = draft(seeded, seeded.alice, sender="carol@example.test", to="bob@example.test", subject="Fake")
    assert send(call, identityId=me, emailId=as_carol)["notCreated"]["k1"]["type"] == "forbiddenFrom"
    mine = draft(seeded, seeded.alice, sender="alice@example.test", to="bob@example.test", subject="Mine")
    envelope = {"mailFrom": {"email": "carol@example.test"}, "rcptTo": [{"email": "bob@example.test"}]}
    refused = send(call, identityId=me, emailId=mine, envelope=envelope)
    assert refused["notCreated"]["k1"]["type"] == "forbiddenMailFrom"
    assert store.queue.list() == []

    # bob lets alice send as him: the identity appears and the message goes, from bob
    store.for_user(seeded.bob.id).sharing.set_delegate(
        "alice@example.test", send_as=True, send_on_behalf=False, free_busy=False
    )
    as_bob = draft(
        seeded, seeded.alice, sender="bob@example.test", to="carol@example.test", subject="For Bob"
    )
    done = send(call, identityId=identity(call, "bob@example.test"), emailId=as_bob)
    assert done["created"]["k1"]["envelope"]["mailFrom"]["email"] == "bob@example.test"
    # carol lets alice send on her behalf: From carol needs Sender alice
    store.for_user(seeded.carol.id).sharing.set_delegate(
        "alice@example.test", send_as=False, send_on_behalf=True, free_busy=False
    )
    behalf = identity(call, "carol@example.test")
    bare = draft(seeded, seeded.alice, sender="carol@example.test", to="bob@example.test", subject="Bare")
    refused = send(call, identityId=behalf, emailId=bare)["notCreated"]["k1"]
    assert refused["type"] == "forbiddenFrom" and "Sender" in refused["description"]
    # a Sender the account may not use is refused as SMTP refuses it (it is the envelope sender too)
    stranger = draft(
        seeded, seeded.alice, sender="carol@example.test", to="bob@example.test",
        extra="Sender: dave@example.test\r\n", subject="Stranger",
    )  # fmt: skip
    refused = send(call, identityId=behalf, emailId=stranger)["notCreated"]["k1"]
    assert refused["type"] == "forbiddenMailFrom" and "dave@example.test" in refused["description"]
    envelope = {"mailFrom": {"email": "alice@example.test"}, "rcptTo": [{"email": "bob@example.test"}]}
    refused = send(call, identityId=behalf, emailId=stranger, envelope=envelope)["notCreated"]["k1"]
    assert refused["type"] == "forbiddenFrom" and "dave@example.test" in refused["description"]
    signed = draft(
        seeded, seeded.alice, sender="carol@example.test", to="bob@example.test",
        extra="Sender: alice@example.test\r\n", subject="Signed",
    )  # fmt: skip
    ok = send(call, identityId=behalf, emailId=signed)
    assert ok["created"]["k1"]["envelope"]["mailFrom"]["email"] == "alice@example.test"
    assert len(store.queue.list()) == 2


def test_limits_and_bad_creates(seeded: Seeded) -> None:
    store = seeded.store
    call = call_for(store, seeded.alice)
    me = identity(call, "alice@example.test")
    store.settings.set("mail.max_recipients", 1, account=seeded.alice.address)
    two = draft(seeded, seeded.alice, sender="alice@example.test", to="bob@example.test, carol@example.test")
    assert send(call, identityId=me, emailId=two)["notCreated"]["k1"] == {
        "type": "tooManyRecipients", "maxRecipients": 1,
    }  # fmt: skip
    nobody = draft(
        seeded, seeded.alice, sender="alice@example.test", to="undisclosed-recipients:;", subject="None"
    )
    assert send(call, identityId=me, emailId=nobody)["notCreated"]["k1"]["type"] == "noRecipients"
    weird = {"mailFrom": {"email": "alice@example.test"}, "rcptTo": [{"email": "not an address"}]}
    refused = send(call, identityId=me, emailId=nobody, envelope=weird)["notCreated"]["k1"]
    assert refused["type"] == "invalidRecipients" and refused["invalidRecipients"] == ["not an address"]
    assert send(call, identityId="inope", emailId=two)["notCreated"]["k1"]["properties"] == ["identityId"]
    assert send(call, identityId=me, emailId="e1_999")["notCreated"]["k1"]["properties"] == ["emailId"]
    assert send(call, identityId=me, emailId=two, sendAt="2027-01-01T00:00:00Z")["notCreated"]["k1"][
        "properties"
    ] == ["sendAt"]
    # bob cannot send alice's draft
    bob = call_for(store, seeded.bob)
    assert send(bob, identityId=identity(bob, "bob@example.test"), emailId=two)["notCreated"]["k1"][
        "properties"
    ] == ["emailId"]
    assert store.queue.list() == []


def test_on_success_the_draft_moves_to_sent_through_email_set(seeded: Seeded) -> None:
    """RFC 8621 7.5: the implicit Email/set after the submission moves the draft and clears $draft; a
    destroyed submission's Email can be destroyed with it (onSuccessDestroyEmail)."""
    store = seeded.store
    call = call_for(store, seeded.alice)
    user = store.for_user(seeded.alice.id)
    drafts, sent = user.folder_with_role("drafts"), user.folder_with_role("sent")
    email_id = draft(
        seeded, seeded.alice, sender="alice@example.test", to="bob@example.test", subject="Moved"
    )
    done = invoke(
        call,
        "EmailSubmission/set",
        create={"k1": {"identityId": identity(call, "alice@example.test"), "emailId": email_id}},
        onSuccessUpdateEmail={
            "#k1": {f"mailboxIds/m{drafts.id}": None, f"mailboxIds/m{sent.id}": True, "keywords/$draft": None}
        },
    )
    assert "k1" in done["created"], done
    ((name, email_set),) = call.implicit
    assert name == "Email/set" and email_id in (email_set["updated"] or {}), email_set
    (row,) = [r for r in user.view.page(sent.id).rows if r.subject == "Moved"]
    assert "\\Draft" not in row.flags
    assert not [r for r in user.view.page(drafts.id).rows if r.subject == "Moved"]

    # another client keeps no draft: it destroys the Email once it is sent
    call.implicit.clear()
    other = draft(seeded, seeded.alice, sender="alice@example.test", to="bob@example.test", subject="Gone")
    done = invoke(
        call,
        "EmailSubmission/set",
        create={"k2": {"identityId": identity(call, "alice@example.test"), "emailId": other}},
        onSuccessDestroyEmail=["#k2"],
    )
    ((name, email_set),) = call.implicit
    assert "k2" in done["created"] and email_set["destroyed"] == [other], email_set
    assert not [r for r in user.view.page(drafts.id).rows if r.subject == "Gone"]
    # a refused submission changes no Email
    call.implicit.clear()
    refused = draft(seeded, seeded.alice, sender="carol@example.test", to="bob@example.test", subject="Kept")
    invoke(
        call,
        "EmailSubmission/set",
        create={"k3": {"identityId": identity(call, "alice@example.test"), "emailId": refused}},
        onSuccessDestroyEmail=["#k3"],
    )
    assert call.implicit == []
    assert [r for r in user.view.page(drafts.id).rows if r.subject == "Kept"]
