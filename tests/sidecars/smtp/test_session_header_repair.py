"""Repair of badly folded headers: the pure mailflow.header_block.repair_header, and a transcript showing the queued
message carries the repaired header."""

from __future__ import annotations

from mailflow.header_block import MAX_LINE, repair_header
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, Client


def test_a_bare_line_joins_the_field_above() -> None:
    raw = b"Subject: a long\r\nsubject broken by a mailer\r\nFrom: x@example.net\r\n\r\nbody line\r\n"
    fixed, count = repair_header(raw)
    assert count == 1
    assert (
        fixed == b"Subject: a long\r\n subject broken by a mailer\r\nFrom: x@example.net\r\n\r\nbody line\r\n"
    )


def test_good_headers_8bit_text_and_the_body_are_left_alone() -> None:
    raw = b"Subject: caf\xc3\xa9 \xe9t\xe9\r\n\tfolded well\r\nX-A: 1\r\n\r\nno colon here\r\nbody: too\r\n"
    assert repair_header(raw) == (raw, 0)
    assert repair_header(b"not a header at all\r\nSubject: x\r\n\r\n") == (
        b"not a header at all\r\nSubject: x\r\n\r\n",
        0,
    )


def test_eight_bit_bare_line_is_joined_byte_for_byte() -> None:
    fixed, count = repair_header(b"Subject: x\r\n\xe9t\xe9 suite\r\n\r\nb\r\n")
    assert (fixed, count) == (b"Subject: x\r\n \xe9t\xe9 suite\r\n\r\nb\r\n", 1)


def test_overlong_line_is_folded_at_whitespace() -> None:
    value = b" ".join([b"w" * 99] * 25)
    fixed, count = repair_header(b"X-Long: " + value + b"\r\n\r\nbody\r\n")
    assert count == 1
    header = fixed.split(b"\r\n\r\n")[0]
    lines = header.split(b"\r\n")
    assert len(lines) > 1 and all(len(line) <= MAX_LINE for line in lines)
    assert all(line.startswith(b" ") for line in lines[1:])
    assert header.replace(b"\r\n", b"") == b"X-Long: " + value  # unfolding gives back the field


def test_overlong_line_without_whitespace_stays_whole() -> None:
    raw = b"X-Blob: " + b"y" * 1500 + b"\r\n\r\n"
    assert repair_header(raw) == (raw, 0)
    fixed, _ = repair_header(b"X-Blob: " + b"y" * 1500 + b" tail\r\n\r\n")
    assert fixed.split(b"\r\n")[:2] == [b"X-Blob: " + b"y" * 1500, b" tail"]


def test_a_message_of_headers_only() -> None:
    assert repair_header(b"Subject: x\r\nbroken\r\n") == (b"Subject: x\r\n broken\r\n", 1)


def test_queued_message_has_the_repaired_header(client: Client, store: Store) -> None:
    long_value = " ".join(["word"] * 300)
    message = (
        "From: x@example.net\r\n"
        "Subject: quarterly report for\r\n"
        "the whole team\r\n"
        f"X-Long: {long_value}\r\n"
        "\r\n"
        "the body\r\n"
        "stays: as it was\r\n"
    )
    assert client.cmd("MAIL FROM:<x@example.net>").startswith("250 ")
    assert client.cmd(f"RCPT TO:<{ALICE}>").startswith("250 ")
    assert client.cmd("DATA").startswith("354 ")
    reply = client.send(message + ".\r\n")
    assert reply.startswith("250 ")
    (queued,) = store.queue.list()
    raw = store.queue.raw(queued.id)
    header, body = raw.split(b"\r\n\r\n", 1)
    assert b"Subject: quarterly report for\r\n the whole team\r\n" in header
    assert all(len(line) <= MAX_LINE for line in header.split(b"\r\n"))
    assert b"".join(header.split(b"X-Long: ")[1].split(b"\r\n")) == long_value.encode()
    assert body == b"the body\r\nstays: as it was\r\n"
