"""MDN/send (RFC 9007) against a real store: the receipt is queued through mailflow exactly as the
Standard reader's button queues it, the implicit Email/set marks the message, and every refusal is the
RFC's SetError; over HTTP the method needs the ``urn:ietf:params:jmap:mdn`` capability."""

from __future__ import annotations

from typing import Any

from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import CORE, MAIL, Jmap
from tests.webmail.jmap.send_calls import call_for, invoke
from webmail.jmap import ids
from webmail.jmap.mail.mdn import MDN
from webmail.jmap.registry import Call
from webmail.reading import ReadOptions, build_view, open_message

ASKING = (
    b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: Minutes\r\n"
    b"Disposition-Notification-To: Alice <alice@example.test>\r\nMessage-ID: <minutes-1@example.test>\r\n"
    b"Date: Mon, 07 Dec 2026 09:00:00 +0000\r\n\r\nPlease confirm.\r\n"
)
DISPLAYED = {"actionMode": "manual-action", "sendingMode": "mdn-sent-manually", "type": "displayed"}


def deliver(seeded: Seeded, raw: bytes, to: str = "bob") -> str:
    account = getattr(seeded, to)
    seeded.store.mail.deliver(raw, [account.address])
    inbox = seeded.store.folders.get(account.address, "INBOX")
    uid = seeded.store.for_user(account.id).reader(inbox.id).uids()[-1]
    return ids.email_id(inbox.id, uid)


def bob_identity(call: Call) -> str:
    return str(invoke(call, "Identity/get", ids=None)["list"][0]["id"])


def mdn_send(call: Call, email_id: str, **extra: Any) -> dict[str, Any]:
    return invoke(
        call,
        "MDN/send",
        identityId=bob_identity(call),
        send={"k1": {"forEmailId": email_id, "disposition": DISPLAYED, **extra}},
        onSuccessUpdateEmail={"#k1": {"keywords/$mdnsent": True}},
    )


def test_a_receipt_is_queued_and_the_message_marked(seeded: Seeded) -> None:
    email_id = deliver(seeded, ASKING)
    call = call_for(seeded.store, seeded.bob)
    done = mdn_send(call, email_id)
    assert done["notSent"] is None
    assert done["sent"]["k1"]["finalRecipient"] == "rfc822; bob@example.test"
    assert done["sent"]["k1"]["originalMessageId"] == "<minutes-1@example.test>"
    (implicit,) = call.implicit
    assert implicit[0] == "Email/set" and implicit[1]["updated"] == {email_id: None}

    (queued,) = seeded.store.queue.list()
    assert queued.sender == "" and [r.address for r in queued.recipients] == ["alice@example.test"]
    text = seeded.store.queue.raw(queued.id)
    assert b"Disposition: manual-action/MDN-sent-manually; displayed" in text
    assert b"Original-Message-ID: <minutes-1@example.test>" in text and b"From: bob@example.test" in text
    assert b"Subject: Read: Minutes" in text

    got = invoke(call, "Email/get", ids=[email_id], properties=["keywords"])["list"][0]
    assert got["keywords"].get("$mdnsent") is True
    # the Standard reader reads the JMAP keyword as an answer too, and asks no more
    folder, uid = ids.parse_email_id(email_id) or (0, 0)
    stored = open_message(seeded.store.for_user(seeded.bob.id), folder, uid)
    assert not build_view(stored, ReadOptions()).wants_read_receipt

    again = mdn_send(call, email_id)
    assert again["sent"] is None and again["notSent"]["k1"]["type"] == "mdnAlreadySent"
    assert len(seeded.store.queue.list()) == 1


def test_subject_text_and_disposition_are_the_clients(seeded: Seeded) -> None:
    email_id = deliver(seeded, ASKING)
    call = call_for(seeded.store, seeded.bob)
    done = mdn_send(
        call,
        email_id,
        subject="Gelesen: Minutes",
        textBody="Ihre Nachricht wurde angezeigt.",
        disposition={
            "actionMode": "automatic-action",
            "sendingMode": "mdn-sent-automatically",
            "type": "processed",
        },
    )
    assert done["sent"]["k1"]["includeOriginalMessage"] is False
    text = seeded.store.queue.raw(seeded.store.queue.list()[0].id)
    assert b"Disposition: automatic-action/MDN-sent-automatically; processed" in text
    assert b"Subject: Gelesen: Minutes" in text and b"Ihre Nachricht wurde angezeigt." in text


def test_refusals_are_set_errors_and_send_nothing(seeded: Seeded) -> None:
    asking = deliver(seeded, ASKING)
    plain = deliver(seeded, ASKING.replace(b"Disposition-Notification-To", b"X-Not-Asking"))
    alices = deliver(seeded, ASKING, to="alice")
    call = call_for(seeded.store, seeded.bob)
    identity = bob_identity(call)

    def refused(obj: dict[str, Any]) -> dict[str, Any]:
        done = invoke(call, "MDN/send", identityId=identity, send={"k": obj})
        assert done["sent"] is None
        return dict(done["notSent"]["k"])

    no_request = refused({"forEmailId": plain, "disposition": DISPLAYED})
    assert no_request["type"] == "invalidProperties" and no_request["properties"] == ["forEmailId"]
    # another user's message is not there for bob, as in every reader
    assert refused({"forEmailId": alices, "disposition": DISPLAYED})["properties"] == ["forEmailId"]
    assert refused({"forEmailId": "nonsense", "disposition": DISPLAYED})["properties"] == ["forEmailId"]
    bad = refused({"forEmailId": asking, "disposition": {**DISPLAYED, "type": "read"}})
    assert bad["type"] == "invalidProperties" and bad["properties"] == ["disposition"]
    assert refused({"forEmailId": asking})["properties"] == ["disposition"]
    other = refused({"forEmailId": asking, "disposition": DISPLAYED, "finalRecipient": "rfc822; x@y.test"})
    assert other["type"] == "forbiddenFrom"
    gateway = refused({"forEmailId": asking, "disposition": DISPLAYED, "mdnGateway": "dns; gw.test"})
    assert gateway["properties"] == ["mdnGateway"]
    assert refused({"forEmailId": asking, "disposition": DISPLAYED, "colour": "red"})["properties"] == [
        "colour"
    ]
    assert seeded.store.queue.list() == []

    assert invoke(call, "MDN/send", identityId="nobody", send={"k": {}})["error"] == "invalidArguments"
    assert invoke(call, "MDN/send", identityId=identity, send=[])["error"] == "invalidArguments"
    assert invoke(call, "MDN/send", identityId=identity, send={"k": {}}, accountId="a999")["error"] == (
        "accountNotFound"
    )


def test_over_http_the_mdn_capability_is_needed(jmap: Jmap, seeded: Seeded) -> None:
    email_id = deliver(seeded, ASKING)
    session = jmap.get("/jmap/session", user="bob").get_json()
    assert (
        MDN in session["capabilities"]
        and MDN in session["accounts"][jmap.account_id("bob")]["accountCapabilities"]
    )
    identity = jmap.call(
        [["Identity/get", {"accountId": jmap.account_id("bob")}, "0"]],
        user="bob",
        using=(CORE, MAIL, "urn:ietf:params:jmap:submission"),
    )["methodResponses"][0][1]["list"][0]["id"]
    args = {
        "accountId": jmap.account_id("bob"),
        "identityId": identity,
        "send": {"k1": {"forEmailId": email_id, "disposition": DISPLAYED}},
        "onSuccessUpdateEmail": {"#k1": {"keywords/$mdnsent": True}},
    }
    without = jmap.call([["MDN/send", args, "0"]], user="bob", using=(CORE, MAIL))
    assert without["methodResponses"][0][0] == "error"
    assert without["methodResponses"][0][1]["type"] == "unknownMethod"
    answer = jmap.call([["MDN/send", args, "0"]], user="bob", using=(CORE, MAIL, MDN))
    (sent, implicit) = answer["methodResponses"]
    assert sent[0] == "MDN/send" and sent[1]["sent"]["k1"]["finalRecipient"] == "rfc822; bob@example.test"
    assert implicit[0] == "Email/set" and implicit[1]["updated"] == {email_id: None}
    assert len(seeded.store.queue.list()) == 1
