"""Transcripts of the mail transaction: MAIL, RCPT, DATA, RSET, DSN, SIZE, relaying and loop checks."""

from __future__ import annotations

import re

import pytest

from sidecars.smtp import replies as R
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, BOB, HOST, Client, MakeClient

MESSAGE = "From: x@example.net\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello\r\n"


def say(reply: R.Reply, **values: object) -> str:
    return (reply.format(**values) if values else reply).encode().decode()


def queued_id(reply: str) -> int:
    m = re.fullmatch(r"250 2\.0\.0 Ok: queued as (\d+)\r\n", reply)
    assert m, reply
    return int(m.group(1))


def send_message(c: Client, sender: str, rcpts: list[str], body: str = MESSAGE) -> str:
    assert c.cmd(f"MAIL FROM:<{sender}>") == say(R.SENDER_OK, address=sender)
    for r in rcpts:
        assert c.cmd(f"RCPT TO:<{r}>") == say(R.RECIPIENT_OK, address=r)
    assert c.cmd("DATA") == say(R.START_DATA)
    return c.send(body + ".\r\n")


def test_full_transaction_is_queued_with_envelope_and_received(client: Client, store: Store) -> None:
    qid = queued_id(send_message(client, "x@example.net", [ALICE]))
    queued = store.queue.get(qid)
    assert queued.sender == "x@example.net"
    assert [r.address for r in queued.recipients] == [ALICE]
    assert queued.origin["ip"] == "192.0.2.10" and queued.origin["helo"] == "client.example.net"
    assert queued.origin["listener"] == "smtp" and queued.origin["session_id"] == "S1ab"
    assert queued.origin["tls"] is False and queued.origin["auth"] is None
    raw = store.queue.raw(qid)
    assert raw.endswith(MESSAGE.encode())
    trace = raw.split(b"From: x@example.net")[0].decode()
    # Return-Path is stamped at receipt (filters/headers.py), exactly once, then the Received field
    return_path, received = trace.split("\r\n", 1)
    assert return_path == "Return-Path: <x@example.net>"
    assert received.startswith("Received: from client.example.net ([192.0.2.10])\r\n")
    assert f"\tby {HOST} (Fieldpost) with ESMTP id S1ab.1\r\n" in received
    assert f"\tfor <{ALICE}>; " in received
    assert raw.count(b"Return-Path") == 1


def test_received_has_no_for_clause_with_several_recipients(client: Client, store: Store) -> None:
    qid = queued_id(send_message(client, "x@example.net", [ALICE, BOB]))
    raw = store.queue.raw(qid).decode()
    assert "for <" not in raw.split("From:")[0]
    assert [r.address for r in store.queue.get(qid).recipients] == [ALICE, BOB]


def test_session_goes_on_after_a_message(client: Client) -> None:
    queued_id(send_message(client, "x@example.net", [ALICE]))
    queued_id(send_message(client, "y@example.net", [BOB]))
    assert client.cmd("QUIT") == say(R.CLOSING, host=HOST) and client.last.close


def test_pipelining_replies_in_order(client: Client, store: Store) -> None:
    batch = (
        f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nRCPT TO:<nobody@example.test>\r\n"
        f"RCPT TO:<{BOB}>\r\nDATA\r\n"
    )
    assert client.send(batch) == "".join(
        [
            say(R.SENDER_OK, address="x@example.net"),
            say(R.RECIPIENT_OK, address=ALICE),
            say(R.UNKNOWN_USER, address="nobody@example.test"),
            say(R.RECIPIENT_OK, address=BOB),
            say(R.START_DATA),
        ]
    )
    out = client.send(MESSAGE + ".\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nRSET\r\nQUIT\r\n")
    lines = out.splitlines()
    assert queued_id(lines[0] + "\r\n")
    assert lines[1:] == [
        say(R.SENDER_OK, address="").strip(),
        say(R.RECIPIENT_OK, address=BOB).strip(),
        say(R.RESET_OK).strip(),
        say(R.CLOSING, host=HOST).strip(),
    ]
    assert client.last.close


def test_data_in_tiny_chunks_and_end_marker_split(client: Client, store: Store) -> None:
    client.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    data = b"Subject: s\r\n\r\n..dotted\r\nlast\r\n.\r\n"
    out = ""
    for i in range(len(data)):
        out += client.send(data[i : i + 1])
    qid = queued_id(out)
    assert store.queue.raw(qid).endswith(b"\r\n\r\n.dotted\r\nlast\r\n")


def test_rset_forgets_the_transaction(client: Client) -> None:
    client.cmd("MAIL FROM:<x@example.net>")
    client.cmd(f"RCPT TO:<{ALICE}>")
    assert client.cmd("RSET") == say(R.RESET_OK)
    assert client.cmd("DATA") == say(R.NEED_MAIL)
    assert client.cmd("MAIL FROM:<x@example.net>") == say(R.SENDER_OK, address="x@example.net")


def test_dsn_parameters_are_kept(client: Client, store: Store) -> None:
    assert client.cmd("MAIL FROM:<x@example.net> RET=HDRS ENVID=QQ314159") == say(
        R.SENDER_OK, address="x@example.net"
    )
    client.cmd(f"RCPT TO:<{ALICE}> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;alice+2Bx@example.test")
    client.cmd(f"RCPT TO:<{BOB}> NOTIFY=NEVER")
    client.cmd("DATA")
    qid = queued_id(client.send(MESSAGE + ".\r\n"))
    q = store.queue.get(qid)
    assert q.origin["ret"] == "HDRS" and q.origin["envid"] == "QQ314159"
    dsn = {r.address: r.dsn for r in q.recipients}
    assert dsn[ALICE] == {"notify": ["SUCCESS", "DELAY"], "orcpt": "rfc822;alice+2Bx@example.test"}
    assert dsn[BOB] == {"notify": ["NEVER"]}


def test_declared_size_over_the_limit(client: Client, store: Store) -> None:
    limit = store.settings.get("mail.max_message_bytes")
    assert client.cmd(f"MAIL FROM:<x@example.net> SIZE={limit + 1}") == say(R.SIZE_EXCEEDED, limit=limit)
    assert client.cmd(f"MAIL FROM:<x@example.net> SIZE={limit}") == say(R.SENDER_OK, address="x@example.net")


def test_message_over_the_limit_is_read_to_the_end_then_refused(
    make_client: MakeClient, store: Store
) -> None:
    store.settings.set("mail.max_message_bytes", 2048)
    c = make_client()
    assert "SIZE 2048" in c.ehlo()
    c.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    assert c.send("Subject: big\r\n\r\n" + "x" * 1000 + "\r\n") == ""
    assert c.send(("y" * 998 + "\r\n") * 5) == ""
    assert c.send(".\r\nNOOP\r\n") == say(R.SIZE_EXCEEDED, limit=2048) + say(R.OK)
    assert store.queue.list() == []


def test_data_without_recipient(client: Client) -> None:
    assert client.cmd("DATA") == say(R.NEED_MAIL)
    client.cmd("MAIL FROM:<x@example.net>")
    assert client.cmd("DATA") == say(R.NEED_RCPT)
    client.cmd("RCPT TO:<nobody@example.test>")
    assert client.cmd("DATA") == say(R.NO_VALID_RECIPIENTS)


def test_sequence_errors(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd("MAIL FROM:<x@example.net>") == say(R.NEED_EHLO)
    c.ehlo()
    assert c.cmd(f"RCPT TO:<{ALICE}>") == say(R.NEED_MAIL)
    c.cmd("MAIL FROM:<x@example.net>")
    assert c.cmd("MAIL FROM:<x@example.net>") == say(R.NESTED_MAIL)


def test_unknown_local_user_and_subaddress(client: Client) -> None:
    client.cmd("MAIL FROM:<x@example.net>")
    assert client.cmd("RCPT TO:<nobody@example.test>") == say(R.UNKNOWN_USER, address="nobody@example.test")
    assert client.cmd("RCPT TO:<alice+lists@example.test>") == say(
        R.RECIPIENT_OK, address="alice+lists@example.test"
    )
    assert client.cmd("RCPT TO:<AL@Example.TEST>") == say(R.RECIPIENT_OK, address="AL@example.test")


def test_postmaster_without_domain(client: Client, store: Store) -> None:
    client.cmd("MAIL FROM:<x@example.net>")
    assert client.cmd("RCPT TO:<Postmaster>") == say(R.RECIPIENT_OK, address="postmaster@example.test")


def postmaster_reply(make_client: MakeClient, hostname: str) -> str:
    c = make_client(hostname=hostname)
    c.ehlo()
    c.cmd("MAIL FROM:<x@example.net>")
    return c.cmd("RCPT TO:<postmaster>")


def test_postmaster_without_domain_when_the_host_name_is_not_a_domain(
    make_client: MakeClient, store: Store
) -> None:
    """RFC 5321 4.5.1: a bare <postmaster> is accepted whatever the server's name; it reaches the postmaster
    of the oldest domain when the host name is none of ours (it was refused as relaying)."""
    store.domains.add("later.test")
    assert postmaster_reply(make_client, "localhost") == say(
        R.RECIPIENT_OK, address="postmaster@example.test"
    )
    assert postmaster_reply(make_client, "smtp.later.test") == say(
        R.RECIPIENT_OK, address="postmaster@later.test"
    )
    store.domains.add_alias("later.test", "alias.test")
    assert postmaster_reply(make_client, "mx.alias.test") == say(
        R.RECIPIENT_OK, address="postmaster@later.test"
    )


def test_postmaster_domain_setting(make_client: MakeClient, store: Store) -> None:
    store.domains.add("later.test")
    store.settings.set("smtp.postmaster_domain", "later.test")
    assert postmaster_reply(make_client, HOST) == say(R.RECIPIENT_OK, address="postmaster@later.test")
    store.settings.set("smtp.postmaster_domain", "gone.test")  # names no domain of ours: the usual rule
    assert postmaster_reply(make_client, HOST) == say(R.RECIPIENT_OK, address="postmaster@example.test")


def test_relay_denied_for_strangers_and_allowed_for_trusted_networks(
    make_client: MakeClient, store: Store
) -> None:
    c = make_client()
    c.ehlo()
    c.cmd("MAIL FROM:<x@example.net>")
    assert c.cmd("RCPT TO:<someone@elsewhere.example>") == say(
        R.RELAY_DENIED, address="someone@elsewhere.example"
    )
    store.settings.set("smtp.trusted_networks", ["192.0.2.0/24"])
    c = make_client()
    c.ehlo()
    c.cmd("MAIL FROM:<x@example.net>")
    assert c.cmd("RCPT TO:<someone@elsewhere.example>") == say(
        R.RECIPIENT_OK, address="someone@elsewhere.example"
    )


def test_too_many_recipients(make_client: MakeClient, store: Store) -> None:
    store.settings.set("mail.max_recipients", 2)
    c = make_client()
    c.ehlo()
    c.cmd("MAIL FROM:<x@example.net>")
    c.cmd(f"RCPT TO:<{ALICE}>")
    c.cmd(f"RCPT TO:<{BOB}>")
    assert c.cmd("RCPT TO:<postmaster@example.test>") == say(R.TOO_MANY_RECIPIENTS)


def test_smtputf8_addresses(client: Client, store: Store) -> None:
    assert client.cmd("MAIL FROM:<jörg@example.net>") == say(R.UTF8_REQUIRED)
    client.cmd("MAIL FROM:<x@example.net>")
    assert client.cmd("RCPT TO:<jörg@bücher.example>") == say(R.UTF8_REQUIRED)
    client.cmd("RSET")
    assert client.cmd("MAIL FROM:<jörg@example.net> SMTPUTF8") == say(R.SENDER_OK, address="jörg@example.net")
    client.cmd(f"RCPT TO:<{ALICE}>")
    client.cmd("DATA")
    qid = queued_id(client.send("Subject: grüße\r\n\r\nhej\r\n.\r\n"))
    assert store.queue.get(qid).origin["smtputf8"] is True
    assert "with UTF8SMTP id" in store.queue.raw(qid).decode()


def test_bare_lf_in_data_is_normalised(client: Client, store: Store) -> None:
    client.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    # "\n.\n" is not the end of the message: only CRLF.CRLF is (no smuggling).
    qid = queued_id(client.send(b"Subject: lf\n\nline one\nline two\n.\nstill data\r\n.\r\n"))
    assert store.queue.raw(qid).endswith(b"Subject: lf\r\n\r\nline one\r\nline two\r\n.\r\nstill data\r\n")


def test_nul_in_message_is_refused(client: Client, store: Store) -> None:
    client.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    assert client.send(b"Subject: x\r\n\r\na\x00b\r\n.\r\n") == say(R.NUL_IN_MESSAGE)
    assert store.queue.list() == []


def test_loop_detection(make_client: MakeClient, store: Store) -> None:
    store.settings.set("smtp.max_received_headers", 3)
    c = make_client()
    c.ehlo()
    hops = "".join(
        f"Received: from hop{i}.example by hop{i + 1}.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        for i in range(4)
    )
    c.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    assert c.send(hops + MESSAGE + ".\r\n") == say(R.LOOP_DETECTED, count=4)
    c.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    queued_id(c.send(hops.split("\r\n", 1)[1] + MESSAGE + ".\r\n"))


def test_storage_failure_answers_451_and_the_session_lives_on(
    client: Client, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(store.queue, "enqueue", broken)
    client.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n")
    assert client.send(MESSAGE + ".\r\n") == say(R.STORAGE_ERROR)
    monkeypatch.undo()
    queued_id(send_message(client, "x@example.net", [ALICE]))


def test_lookup_failure_answers_451(client: Client, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("database is locked")

    client.cmd("MAIL FROM:<x@example.net>")
    monkeypatch.setattr(store.domains, "id_of", broken)
    assert client.cmd(f"RCPT TO:<{ALICE}>") == say(R.STORAGE_ERROR)


def test_helo_session_has_no_parameters(make_client: MakeClient, store: Store) -> None:
    c = make_client()
    assert c.cmd("HELO old.example") == say(R.HELO_OK, host=HOST, name="old.example")
    assert c.cmd("MAIL FROM:<x@example.net> SIZE=10") == say(R.UNSUPPORTED_PARAMETER, name="SIZE")
    qid = queued_id(send_message(c, "x@example.net", [ALICE]))
    assert " with SMTP id " in store.queue.raw(qid).decode()


def test_scanner_verdict_fields_sent_by_the_client_are_dropped(client: Client, store: Store) -> None:
    """A sender must not grade its own message: Sieve's spamtest reads these fields."""
    forged = "X-Fieldpost-Spam-Level: 1\r\n" + MESSAGE
    qid = queued_id(send_message(client, "x@example.net", [ALICE], forged))
    raw = store.queue.raw(qid)
    assert b"X-Fieldpost-Spam-Level" not in raw and raw.endswith(MESSAGE.encode())
