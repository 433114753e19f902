"""Transcripts of the size limits: the acceptance rules' cap against the account's after AUTH, and the
MX checking each local recipient's own mail.max_message_bytes."""

from __future__ import annotations

import json

from sidecars.smtp import replies as R
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, BOB, Client, MakeClient


def say(reply: R.Reply, **values: object) -> str:
    return (reply.format(**values) if values else reply).encode().decode()


def body_of(size: int, sender: str = "x@example.net") -> str:
    head = f"From: {sender}\r\nSubject: size\r\n\r\n"
    return head + "x" * (size - len(head) - 2) + "\r\n"


def data(c: Client, text: str) -> str:
    assert c.cmd("DATA") == say(R.START_DATA)
    return c.send(text + ".\r\n")


def connect_cap(store: Store, size: int) -> None:
    rule = {"event": "onConnect", "then": {"action": "max_size", "bytes": size}}
    store.settings.set("smtp.acceptance_rules", json.dumps([rule]))


def test_auth_keeps_the_rules_cap_when_it_is_smaller(make_client: MakeClient, store: Store) -> None:
    connect_cap(store, 2048)
    store.settings.set("mail.max_message_bytes", 8192, account=ALICE)
    c = make_client("submission", tls_active=True)
    assert "SIZE 2048" in c.ehlo()
    assert c.login().startswith("235 ")
    assert "SIZE 2048" in c.ehlo()
    assert c.cmd(f"MAIL FROM:<{ALICE}> SIZE=4096") == say(R.SIZE_EXCEEDED, limit=2048)
    assert c.cmd(f"MAIL FROM:<{ALICE}>") == say(R.SENDER_OK, address=ALICE)
    assert c.cmd(f"RCPT TO:<{BOB}>") == say(R.RECIPIENT_OK, address=BOB)
    assert data(c, body_of(4096)) == say(R.SIZE_EXCEEDED, limit=2048)


def test_auth_uses_the_accounts_limit_when_it_is_smaller(make_client: MakeClient, store: Store) -> None:
    connect_cap(store, 8192)
    store.settings.set("mail.max_message_bytes", 2048, account=ALICE)
    c = make_client("submission", tls_active=True)
    c.ehlo()
    assert c.login().startswith("235 ")
    assert "SIZE 2048" in c.ehlo()
    assert c.cmd(f"MAIL FROM:<{ALICE}> SIZE=4096") == say(R.SIZE_EXCEEDED, limit=2048)


def test_mx_refuses_a_recipient_whose_own_limit_the_declared_size_exceeds(
    client: Client, store: Store
) -> None:
    store.settings.set("mail.max_message_bytes", 2048, account=BOB)
    assert client.cmd("MAIL FROM:<x@example.net> SIZE=4096").startswith("250 ")
    assert client.cmd(f"RCPT TO:<{ALICE}>") == say(R.RECIPIENT_OK, address=ALICE)
    assert client.cmd(f"RCPT TO:<{BOB}>") == say(R.RECIPIENT_SIZE_EXCEEDED, address=BOB, limit=2048)
    qid = data(client, body_of(4096))
    assert qid.startswith("250 ")
    assert [r.address for r in store.queue.list()[0].recipients] == [ALICE]


def test_mx_refuses_the_whole_message_when_one_recipient_is_over_its_limit(
    client: Client, store: Store
) -> None:
    store.settings.set("mail.max_message_bytes", 2048, account=BOB)
    assert client.cmd("MAIL FROM:<x@example.net>").startswith("250 ")
    assert client.cmd(f"RCPT TO:<{ALICE}>").startswith("250 ")
    assert client.cmd(f"RCPT TO:<{BOB}>").startswith("250 ")  # no SIZE declared: known only at the end
    assert data(client, body_of(4096)) == say(R.SIZE_EXCEEDED, limit=2048)
    assert store.queue.list() == []
    assert client.cmd("MAIL FROM:<x@example.net>").startswith("250 ")  # the session goes on
    assert client.cmd(f"RCPT TO:<{BOB}>").startswith("250 ")
    assert data(client, body_of(1500)).startswith("250 ")


def test_submission_does_not_apply_the_recipients_limit(submission: Client, store: Store) -> None:
    store.settings.set("mail.max_message_bytes", 2048, account=BOB)
    assert submission.cmd(f"MAIL FROM:<{ALICE}> SIZE=4096").startswith("250 ")
    assert submission.cmd(f"RCPT TO:<{BOB}>").startswith("250 ")
    assert data(submission, body_of(4096, ALICE)).startswith("250 ")
