"""The Mail methods through the JMAP endpoint (/jmap/api) as a client uses them: one request that finds
the Inbox, queries it and reads the page through back-references, then changes and resyncs."""

from __future__ import annotations

from tests.storage.test_contract_message_list import raw
from tests.webmail.conftest import Seeded
from tests.webmail.jmap.conftest import CORE, MAIL
from tests.webmail.jmap.mail.conftest import HttpJmap

ALICE = "alice@example.test"


def test_inbox_list_in_one_request_then_resync(endpoint: HttpJmap, seeded: Seeded) -> None:
    account = endpoint.account_id()
    for i in range(3):
        seeded.store.mail.deliver(raw(f"note {i}", when=f"Mon, 1{i} Feb 2025 10:00:00 +0000"), [ALICE])
    body = endpoint.call(
        [
            ["Mailbox/query", {"accountId": account, "filter": {"role": "inbox"}}, "0"],
            ["Email/query", {"accountId": account, "sort": [{"property": "sentAt", "isAscending": False}],
                             "limit": 2, "calculateTotal": True}, "1"],
            ["Email/get", {"accountId": account, "properties": ["subject", "keywords", "mailboxIds"],
                           "#ids": {"resultOf": "1", "name": "Email/query", "path": "/ids"}}, "2"],
        ],
        using=(CORE, MAIL),
    )  # fmt: skip
    (_, boxes, _), (_, query, _), (name, got, _) = body["methodResponses"]
    inbox = boxes["ids"][0]
    assert query["total"] == 4 and len(query["ids"]) == 2
    assert name == "Email/get" and [e["subject"] for e in got["list"]] == ["note 2", "note 1"]
    assert all(e["mailboxIds"] == {inbox: True} for e in got["list"])
    state = got["state"]
    first = query["ids"][0]
    body = endpoint.call(
        [["Email/set", {"accountId": account, "update": {first: {"keywords/$seen": True}}}, "0"],
         ["Email/changes", {"accountId": account, "sinceState": state}, "1"],
         ["Mailbox/get", {"accountId": account, "ids": [inbox], "properties": ["unreadEmails"]}, "2"]],
        using=(CORE, MAIL),
    )  # fmt: skip
    (_, done, _), (_, changes, _), (_, box, _) = body["methodResponses"]
    assert done["updated"] == {first: None}
    assert (
        changes["updated"] == [first] and changes["created"] == [] and changes["newState"] == done["newState"]
    )
    assert box["list"][0]["unreadEmails"] == 3
    refused = endpoint.call([["Email/get", {"accountId": account, "ids": [first]}, "0"]], using=(CORE,))
    assert refused["methodResponses"][0][1]["type"] == "unknownMethod"


def test_bad_arguments_are_invalid_arguments_and_a_stray_path_is_a_json_problem(endpoint: HttpJmap) -> None:
    account = endpoint.account_id()
    body = endpoint.call(
        [["Email/query", {"accountId": account, "filter": {"inMailbox": 7}}, "0"],
         ["Email/query", {"accountId": account, "filter": {"inMailboxOtherThan": [None]}}, "1"],
         ["Mailbox/query", {"accountId": account, "sort": {}}, "2"],
         ["Email/get", {"accountId": account, "ids": [], "colour": "blue"}, "3"],
         ["Email/queryChanges", {"accountId": account, "sinceQueryState": "e", "upToIdd": "x"}, "4"],
         ["Mailbox/query", {"accountId": account, "sort": [], "sortAsTree": True}, "5"]],
        using=(CORE, MAIL),
    )  # fmt: skip
    answers = body["methodResponses"]
    assert [a[0] for a in answers] == ["error"] * 5 + ["Mailbox/query"]
    assert [a[1]["type"] for a in answers[:5]] == ["invalidArguments"] * 5
    assert answers[3][1]["arguments"] == ["colour"] and answers[4][1]["arguments"] == ["upToIdd"]
    for path, method in (("/jmap/nowhere", "get"), ("/jmap/api", "get")):
        answer = getattr(endpoint.client, method)(path, headers=endpoint.headers("alice", None),
                                                  base_url="https://mail.example.test")  # fmt: skip
        assert answer.status_code in (404, 405) and answer.mimetype == "application/problem+json"
        assert answer.get_json()["status"] == answer.status_code
    assert "POST" in answer.headers["Allow"]
