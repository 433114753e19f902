"""Acceptance rules: the pure evaluator, and the session applying it at each event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sidecars.smtp import acceptance as A
from sidecars.smtp import replies as R
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, HOST, MakeClient

MESSAGE = "From: x@example.net\r\nSubject: s\r\n\r\nbody\r\n.\r\n"


def say(reply: R.Reply, **values: object) -> str:
    return (reply.format(**values) if values else reply).encode().decode()


def facts(**kw: Any) -> A.Facts:
    base: dict[str, Any] = {"ip": "192.0.2.10", "listener": "smtp", "tls": False}
    return A.Facts(**(base | kw))


def rules(*items: dict[str, Any]) -> tuple[A.Rule, ...]:
    return A.parse_rules(json.dumps(list(items)))


def with_rules(store: Store, *items: dict[str, Any]) -> None:
    store.settings.set("smtp.acceptance_rules", json.dumps(list(items)))


# -- the evaluator --------------------------------------------------------------------------------------


def test_first_matching_terminal_rule_wins_and_headers_accumulate() -> None:
    rs = rules(
        {"event": "onRcptTo", "if": {"recipient": "*@example.test"}, "then": {"action": "add_header", "name": "X-Local", "value": "1"}},
        {"event": "onRcptTo", "if": {"sender": "*@spam.example"}, "then": {"action": "reject", "text": "no spam"}},
        {"event": "onRcptTo", "then": "accept"},
        {"event": "onRcptTo", "then": {"action": "reject"}},
    )  # fmt: skip
    d = A.evaluate(rs, "onRcptTo", facts(sender="a@spam.example", recipient="alice@example.test"))
    assert (d.verdict, d.code, d.status, d.text) == ("reject", 550, "5.7.1", "no spam")
    assert d.add_headers == (("X-Local", "1"),)
    d = A.evaluate(rs, "onRcptTo", facts(sender="a@good.example", recipient="bob@other.example"))
    assert d.verdict == "accept" and d.add_headers == ()
    assert A.evaluate(rs, "onMailFrom", facts(sender="a@spam.example")).verdict == "continue"


def test_conditions() -> None:
    rs = rules(
        {"event": "onConnect", "if": {"ip": ["10.0.0.0/8", "2001:db8::/32"]}, "then": "tempfail"},
        {"event": "onMailFrom", "if": {"sender": "<>", "auth": False}, "then": {"action": "max_size", "bytes": 100}},
        {"event": "onMailFrom", "if": {"auth": "*@example.test", "tls": True}, "then": "accept"},
        {"event": "onDataReceived", "if": {"size_over": 10, "listener": ["smtp"]}, "then": {"action": "reject", "code": 552, "status": "5.3.4"}},
        {"event": "onHeadersReceived", "if": {"header": {"name": "x-spam-flag", "matches": "yes*"}}, "then": "reject"},
    )  # fmt: skip
    assert A.evaluate(rs, "onConnect", facts(ip="10.1.2.3")).verdict == "tempfail"
    assert A.evaluate(rs, "onConnect", facts(ip="2001:db8::1")).code == 451
    assert A.evaluate(rs, "onConnect", facts()).verdict == "continue"
    assert A.evaluate(rs, "onMailFrom", facts(sender="")).max_size == 100
    assert A.evaluate(rs, "onMailFrom", facts(sender="", auth="a@example.test")).max_size is None
    assert (
        A.evaluate(rs, "onMailFrom", facts(sender="x@y.z", auth="a@example.test", tls=True)).verdict
        == "accept"
    )
    assert A.evaluate(rs, "onDataReceived", facts(size=11)).code == 552
    assert A.evaluate(rs, "onDataReceived", facts(size=10)).verdict == "continue"
    assert A.evaluate(rs, "onHeadersReceived", facts(headers=(("X-Spam-Flag", "YES"),))).verdict == "reject"
    assert A.evaluate(rs, "onHeadersReceived", facts(headers=(("X-Spam-Flag", "NO"),))).verdict == "continue"


def test_require_actions_only_stop_when_unmet() -> None:
    rs = rules(
        {"event": "onMailFrom", "then": "require_tls"}, {"event": "onMailFrom", "then": "require_auth"}
    )
    assert A.evaluate(rs, "onMailFrom", facts()).verdict == "require_tls"
    assert A.evaluate(rs, "onMailFrom", facts(tls=True)).verdict == "require_auth"
    assert A.evaluate(rs, "onMailFrom", facts(tls=True, auth="a@b.c")).verdict == "continue"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("{}", "must be a JSON list"),
        ('[{"event": "onWhatever", "then": "accept"}]', "rule 1: event must be one of"),
        ('[{"event": "onConnect", "if": {"colour": "red"}, "then": "accept"}]', "unknown condition"),
        ('[{"event": "onConnect", "if": {"ip": "not-an-ip"}, "then": "accept"}]', "rule 1"),
        ('[{"event": "onConnect", "then": "explode"}]', "unknown action"),
        ('[{"event": "onConnect", "then": {"action": "reject", "code": 451}}]', "needs a 5xx code"),
        ('[{"event": "onConnect", "then": {"action": "add_header", "name": "Bad Name"}}]', "add_header"),
    ],
)
def test_malformed_rules_are_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        A.parse_rules(text)


# -- the session ------------------------------------------------------------------------------------------


def test_connect_reject_allows_only_quit(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {"event": "onConnect", "if": {"ip": "192.0.2.0/24"}, "then": {"action": "reject", "text": "go away"}},
    )
    c = make_client()
    assert c.banner == say(R.CONNECT_REJECTED, host=HOST, text="go away")
    assert c.ehlo() == say(R.REJECTED_SESSION)
    assert c.cmd("QUIT") == say(R.CLOSING, host=HOST) and c.last.close


def test_connect_tempfail_closes(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {
            "event": "onConnect",
            "then": {"action": "tempfail", "code": 421, "status": "4.3.2", "text": "busy"},
        },
    )
    c = make_client()
    assert c.banner == say(R.CONNECT_TEMPFAIL, host=HOST, text="busy")
    assert c.session.receive(b"EHLO x\r\n").close


def test_rcpt_rule_rejects_with_its_reply(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {
            "event": "onRcptTo",
            "if": {"sender": "*@news.example"},
            "then": {"action": "reject", "code": 550, "status": "5.7.1", "text": "No newsletters"},
        },
    )
    c = make_client()
    c.ehlo()
    c.cmd("MAIL FROM:<promo@news.example>")
    assert c.cmd(f"RCPT TO:<{ALICE}>") == "550 5.7.1 No newsletters\r\n"


def test_require_tls_at_connect_gates_mail(make_client: MakeClient, store: Store) -> None:
    with_rules(store, {"event": "onConnect", "then": "require_tls"})
    c = make_client()
    assert c.ehlo().startswith("250-")
    assert c.cmd("MAIL FROM:<x@example.net>") == say(R.TLS_REQUIRED)
    assert c.cmd("NOOP") == say(R.OK)
    tls = make_client(tls_active=True)
    tls.ehlo()
    assert tls.cmd("MAIL FROM:<x@example.net>").startswith("250 ")


def test_require_auth_on_mx_listener(make_client: MakeClient, store: Store) -> None:
    with_rules(store, {"event": "onMailFrom", "if": {"sender": "*@example.test"}, "then": "require_auth"})
    c = make_client()
    c.ehlo()
    assert c.cmd("MAIL FROM:<alice@example.test>") == say(R.AUTH_REQUIRED)
    assert c.cmd("MAIL FROM:<x@example.net>").startswith("250 ")


def test_headers_and_size_rules(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {"event": "onEhlo", "then": {"action": "add_header", "name": "X-Seen-By", "value": "fieldpost"}},
        {"event": "onMailFrom", "if": {"sender": "big@example.net"}, "then": {"action": "max_size", "bytes": 20}},
        {"event": "onHeadersReceived", "if": {"header": {"name": "Subject", "matches": "*viagra*"}}, "then": {"action": "reject", "text": "spam"}},
    )  # fmt: skip
    c = make_client()
    c.ehlo()
    c.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    qid = int(c.send(MESSAGE).split()[-1])
    raw = store.queue.raw(qid).decode()
    assert (
        raw.startswith("Return-Path: <x@example.net>\r\nReceived: ")
        and "\r\nX-Seen-By: fieldpost\r\nFrom: x@example.net" in raw
    )
    c.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    assert c.send("Subject: cheap VIAGRA\r\n\r\nx\r\n.\r\n") == "550 5.7.1 spam\r\n"
    assert c.cmd("MAIL FROM:<big@example.net> SIZE=21") == say(R.SIZE_EXCEEDED, limit=20)
    c.send(f"MAIL FROM:<big@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    assert c.send(MESSAGE) == say(R.SIZE_EXCEEDED, limit=20)


def test_broken_rules_tempfail_mail_but_not_the_greeting(make_client: MakeClient, store: Store) -> None:
    store.settings.set("smtp.acceptance_rules", "[{oops")
    c = make_client()
    assert c.banner.startswith("220 ") and c.ehlo().startswith("250-")
    assert c.cmd("MAIL FROM:<x@example.net>") == say(R.RULES_BROKEN)


# -- onBodyChunk and rewrite ------------------------------------------------------------------------------


def test_rewrite_and_body_chunk_rules_are_checked() -> None:
    rs = rules(
        {"event": "onRcptTo", "if": {"recipient": "old@example.test"}, "then": {"action": "rewrite", "to": "new@example.test"}},
        {"event": "onRcptTo", "then": {"action": "rewrite", "to": "@other.test"}},
        {"event": "onBodyChunk", "if": {"size_over": 100}, "then": "reject"},
    )  # fmt: skip
    d = A.evaluate(rs, "onRcptTo", facts(recipient="old@example.test"))
    assert (d.verdict, d.rewrite) == ("continue", "new@example.test")  # the first rewrite wins
    assert A.rewritten(
        "x@example.test", A.evaluate(rs, "onRcptTo", facts(recipient="x@a.test")).rewrite or ""
    ) == ("x@other.test")
    assert A.evaluate(rs, "onBodyChunk", facts(size=101)).verdict == "reject"
    assert A.evaluate(rs, "onBodyChunk", facts(size=100)).verdict == "continue"
    with pytest.raises(ValueError, match="onMailFrom and onRcptTo only"):
        rules({"event": "onBodyChunk", "then": {"action": "rewrite", "to": "a@b.test"}})
    with pytest.raises(ValueError, match="rewrite needs"):
        rules({"event": "onMailFrom", "then": {"action": "rewrite", "to": "not an address"}})


def test_body_chunk_rule_refuses_at_the_end_and_keeps_nothing(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {"event": "onBodyChunk", "if": {"size_over": 2000}, "then": {"action": "reject", "code": 552, "status": "5.3.4", "text": "Too big for us"}},
    )  # fmt: skip
    c = make_client()
    c.ehlo()
    c.cmd("MAIL FROM:<x@example.net>")
    c.cmd(f"RCPT TO:<{ALICE}>")
    assert c.cmd("DATA") == say(R.START_DATA)
    assert c.send("Subject: big\r\n\r\n" + "a" * 1500 + "\r\n") == ""
    assert len(c.session._txn.body) > 1500
    assert c.send("b" * 1000 + "\r\n") == ""  # over the rule: nothing is answered yet ...
    assert len(c.session._txn.body) == 0  # ... and nothing more is kept
    assert c.send("c" * 5000 + "\r\n") == ""
    assert len(c.session._txn.body) == 0
    assert c.send(".\r\n") == "552 5.3.4 Too big for us\r\n"
    assert store.queue.list() == []
    c.cmd("MAIL FROM:<x@example.net>")
    c.cmd(f"RCPT TO:<{ALICE}>")
    c.cmd("DATA")
    assert c.send("Subject: small\r\n\r\nok\r\n.\r\n").startswith("250 ")


def test_body_chunk_rule_on_a_header_and_with_bdat(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {"event": "onBodyChunk", "if": {"header": {"name": "X-Spam-Flag", "matches": "YES"}}, "then": {"action": "reject", "text": "Spam"}},
    )  # fmt: skip
    c = make_client()
    c.ehlo()
    c.cmd("MAIL FROM:<x@example.net>")
    c.cmd(f"RCPT TO:<{ALICE}>")
    head = "X-Spam-Flag: YES\r\nSubject: s\r\n\r\n"
    assert c.send(f"BDAT {len(head)}\r\n{head}") == say(R.CHUNK_OK, size=len(head))
    assert len(c.session._txn.body) == 0
    assert c.send("BDAT 6 LAST\r\nbody\r\n") == "550 5.7.1 Spam\r\n"
    assert store.queue.list() == []


def test_rewrite_sender_and_recipient(make_client: MakeClient, store: Store) -> None:
    with_rules(
        store,
        {"event": "onMailFrom", "if": {"sender": "*@old-brand.test"}, "then": {"action": "rewrite", "to": "@example.test"}},
        {"event": "onRcptTo", "if": {"recipient": "sales@example.test"}, "then": {"action": "rewrite", "to": ALICE}},
        {"event": "onRcptTo", "if": {"recipient": "ghost@example.test"}, "then": {"action": "rewrite", "to": "nobody@example.test"}},
    )  # fmt: skip
    c = make_client(ip="10.1.2.3")
    c.ehlo()
    assert c.cmd("MAIL FROM:<bob@old-brand.test>") == say(R.SENDER_OK, address="bob@old-brand.test")
    assert c.cmd("RCPT TO:<sales@example.test>") == say(R.RECIPIENT_OK, address="sales@example.test")
    assert c.cmd("RCPT TO:<ghost@example.test>") == say(R.UNKNOWN_USER, address="nobody@example.test")
    c.cmd("DATA")
    assert c.send(MESSAGE).startswith("250 ")
    (queued,) = store.queue.list()
    assert queued.sender == "bob@example.test"
    assert [r.address for r in queued.recipients] == [ALICE]
