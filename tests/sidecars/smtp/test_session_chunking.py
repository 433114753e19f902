"""Transcripts of CHUNKING (RFC 3030): BDAT chunks, BDAT LAST, refused chunks still consumed."""

from __future__ import annotations

from sidecars.smtp import replies as R
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, Client, MakeClient


def say(reply: R.Reply, **values: object) -> str:
    return (reply.format(**values) if values else reply).encode().decode()


def start(c: Client) -> None:
    c.send(f"MAIL FROM:<x@example.net>\r\nRCPT TO:<{ALICE}>\r\n")


def test_chunks_then_last(client: Client, store: Store) -> None:
    start(client)
    part1 = b"Subject: chunks\r\n\r\n"
    part2 = b".leading dot stays\r\nend\r\n"
    assert client.send(b"BDAT %d\r\n" % len(part1) + part1) == say(R.CHUNK_OK, size=len(part1))
    out = client.send(b"BDAT %d LAST\r\n" % len(part2) + part2[:5])
    assert out == ""
    out = client.send(part2[5:] + b"NOOP\r\n")
    lines = out.splitlines()
    assert lines[0].startswith("250 2.0.0 Ok: queued as ") and lines[1] == say(R.OK).strip()
    qid = int(lines[0].split()[-1])
    assert store.queue.raw(qid).endswith(part1 + part2)
    assert " with ESMTP id " in store.queue.raw(qid).decode()


def test_pipelined_bdat_with_zero_size_last(client: Client, store: Store) -> None:
    body = b"Subject: z\r\n\r\nbare\nlf\n"
    batch = b"MAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.test>\r\nBDAT %d\r\n%sBDAT 0 LAST\r\n" % (
        len(body),
        body,
    )
    lines = client.send(batch).splitlines()
    assert lines[:3] == [
        say(R.SENDER_OK, address="x@example.net").strip(),
        say(R.RECIPIENT_OK, address=ALICE).strip(),
        say(R.CHUNK_OK, size=len(body)).strip(),
    ]
    qid = int(lines[3].split()[-1])
    assert store.queue.raw(qid).endswith(b"Subject: z\r\n\r\nbare\r\nlf\r\n")


def test_refused_bdat_consumes_its_octets(client: Client, store: Store) -> None:
    # no transaction: the 12 octets must not be read as commands
    assert client.send(b"BDAT 12\r\nQUIT\r\nQUIT\r\nNOOP\r\n") == say(R.NEED_MAIL) + say(R.OK)
    assert not client.last.close


def test_data_after_bdat_is_refused(client: Client) -> None:
    start(client)
    client.send(b"BDAT 3\r\nabc")
    assert client.cmd("DATA") == say(R.BAD_SEQUENCE, text="DATA cannot follow BDAT in one transaction")


def test_oversized_chunks_are_read_then_refused(make_client: MakeClient, store: Store) -> None:
    store.settings.set("mail.max_message_bytes", 1024)
    c = make_client()
    c.ehlo()
    start(c)
    assert c.send(b"BDAT 1000\r\n" + b"a" * 1000) == say(R.CHUNK_OK, size=1000)
    assert c.send(b"BDAT 1000 LAST\r\n" + b"b" * 1000) == say(R.SIZE_EXCEEDED, limit=1024)
    assert c.cmd("NOOP") == say(R.OK)
    assert store.queue.list() == []


def test_bdat_without_recipient(client: Client) -> None:
    client.cmd("MAIL FROM:<x@example.net>")
    assert client.send(b"BDAT 2 LAST\r\nhi") == say(R.NEED_RCPT)
