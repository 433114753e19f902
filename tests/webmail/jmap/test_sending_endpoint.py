"""Identity, EmailSubmission and VacationResponse through the JMAP endpoint (``/jmap/api`` over https,
HTTP Basic): the Session announces the capabilities, a result reference feeds Identity/get's id into
EmailSubmission/set, and the queued message's trace names the client and the transport."""

from __future__ import annotations

from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import CORE, MAIL, Jmap

SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"


def test_the_session_announces_submission_and_vacation(jmap: Jmap) -> None:
    session = jmap.get("/jmap/session").get_json()
    assert SUBMISSION in session["capabilities"] and VACATION in session["capabilities"]
    account = session["accounts"][jmap.account_id()]["accountCapabilities"]
    assert account[SUBMISSION] == {"maxDelayedSend": 0, "submissionExtensions": {}}
    assert account[VACATION] == {}


def test_send_a_draft_with_a_result_reference(jmap: Jmap, seeded: Seeded) -> None:
    user = seeded.store.for_user(seeded.alice.id)
    drafts = user.folder_with_role("drafts")
    raw = (
        b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: Over the endpoint\r\n"
        b"Message-ID: <endpoint-1@example.test>\r\n\r\nHi.\r\n"
    )
    uid = user.append(drafts.id, raw, ["\\Draft"]).uid
    me = jmap.account_id()
    first = jmap.call([["Identity/get", {"accountId": me, "ids": None}, "ids"]], using=(CORE, SUBMISSION))
    identity = first["methodResponses"][0][1]["list"][0]
    assert identity["email"] == "alice@example.test"
    answer = jmap.call(
        [
            [
                "EmailSubmission/set",
                {
                    "accountId": me,
                    "create": {"s1": {"identityId": identity["id"], "emailId": f"e{drafts.id}_{uid}"}},
                },
                "send",
            ],
            # a creation id as an id, and a result reference, in the calls after it (RFC 8620 5.3, 3.7)
            ["EmailSubmission/get", {"accountId": me, "ids": ["#s1"], "properties": ["emailId"]}, "read"],
            ["EmailSubmission/query", {"accountId": me}, "all"],
            [
                "EmailSubmission/get",
                {
                    "accountId": me,
                    "#ids": {"resultOf": "all", "name": "EmailSubmission/query", "path": "/ids"},
                },
                "again",
            ],
        ],
        using=(CORE, MAIL, SUBMISSION),
    )
    (name, sent, _), (_, read, _), _query, (_, again, _) = answer["methodResponses"]
    assert name == "EmailSubmission/set" and "s1" in (sent["created"] or {}), sent
    assert read["list"] == [{"id": sent["created"]["s1"]["id"], "emailId": f"e{drafts.id}_{uid}"}]
    assert again["list"][0]["id"] == sent["created"]["s1"]["id"]
    (queued,) = seeded.store.queue.list()
    trace = seeded.store.queue.raw(queued.id).split(b"\r\n\r\n", 1)[0]
    assert b"with HTTPS" in trace and b"[127.0.0.1]" in trace and b"by mail.example.test" in trace
    assert queued.origin["listener"] == "jmap" and queued.origin["auth"] == "alice@example.test"


def test_methods_need_their_capability(jmap: Jmap) -> None:
    me = jmap.account_id()
    answer = jmap.call([["VacationResponse/get", {"accountId": me}, "v"]], using=(CORE, MAIL))
    (name, body, _) = answer["methodResponses"][0]
    assert name == "error" and body["type"] == "unknownMethod"
    answer = jmap.call([["VacationResponse/get", {"accountId": me}, "v"]], using=(CORE, VACATION))
    assert answer["methodResponses"][0][1]["list"][0]["id"] == "singleton"
