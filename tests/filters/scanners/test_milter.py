"""The Milter client against Debian's clamav-milter (asking the test clamd), its edits, and bad milters."""

from __future__ import annotations

import struct

import pytest

from filters import FilterUnavailable
from filters.scanners import ScannerReplyError, milter
from tests.filters.scanners.daemons import EICAR, SIGNATURE
from tests.filters.scanners.garbage import GarbageServer
from tests.filters.scanners.garbage import scripted_milter as scripted

CLEAN = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hi\r\n\r\nNothing to see.\r\n"
INFECTED = b"From: x@far.test\r\nTo: bob@example.test\r\nSubject: file\r\n\r\n" + EICAR + b"\r\n"
ENV = milter.Envelope(
    "x@far.test",
    ["bob@example.test"],
    client_ip="192.0.2.7",
    client_port=40000,
    helo="far.test",
    queue_id="42",
)


def test_clean_mail_is_accepted_and_tagged(milter_daemon):
    outcome = milter.check(milter_daemon.address, ENV, CLEAN, timeout=30)
    assert outcome.verdict == "accept"
    edited = milter.apply_edits(CLEAN, outcome)
    assert b"\r\nX-Virus-Status: Clean\r\n" in edited and edited.endswith(b"\r\n\r\nNothing to see.\r\n")


def test_infected_mail_is_rejected_with_the_milter_text(milter_daemon):
    outcome = milter.check(milter_daemon.address, ENV, INFECTED, timeout=30)
    assert outcome.verdict == "reject"
    assert outcome.reply.startswith("5") and SIGNATURE in outcome.reply


def test_negotiation_is_the_ping(milter_daemon):
    milter.ping(milter_daemon.address, timeout=10)


def test_connect_data_families():
    assert milter.connect_data("h", "192.0.2.1", 25) == b"h\x004" + struct.pack(">H", 25) + b"192.0.2.1\0"
    assert milter.connect_data("h", "2001:db8::1", 25)[2:3] == b"6"
    assert milter.connect_data("h", None, 0) == b"h\0U"


def test_edits_follow_libmilter_indexes():
    raw = b"Received: one\r\nReceived: two\r\nSubject: old\r\n folded\r\n\r\nbody\r\n"
    outcome = milter.Outcome(
        change_headers=[(2, "Received", ""), (1, "subject", "new"), (1, "X-Absent", "added")],
        insert_headers=[(0, "X-Top", "first")],
        add_headers=[("X-Last", "last")],
        new_body=b"replaced\n",
    )
    assert milter.apply_edits(raw, outcome) == (
        b"X-Top: first\r\nReceived: one\r\nSubject: new\r\nX-Absent: added\r\nX-Last: last\r\n\r\nreplaced\r\n"
    )


def test_no_edits_leaves_the_bytes_alone():
    assert milter.apply_edits(CLEAN, milter.Outcome()) is CLEAN


def _optneg(version: int = 6, actions: int = milter.ADDHDRS, protocol: int = 0) -> bytes:
    return milter.packet(b"O", struct.pack(">III", version, actions, protocol))


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (b"garbage that is not a packet", "length"),
        (_optneg(version=1), "version 1"),
        (_optneg(actions=milter.ADDRCPT), "recipient or sender changes"),
        (milter.packet(b"Z"), "option negotiation"),
        (_optneg() + milter.packet(b"?"), "where a verdict was expected"),
        (_optneg() + milter.packet(b"y", b"250 fine\0"), "not a 4xx/5xx"),
    ],
)
def test_broken_milters_are_reply_errors(reply, words):
    server = GarbageServer(reply, read_first=False, close=False)
    with server, pytest.raises(ScannerReplyError, match=words):
        milter.check(server.address, ENV, CLEAN, timeout=3)


def test_a_milter_closing_early_is_unavailable():
    with GarbageServer(_optneg(), read_first=False) as server, pytest.raises(FilterUnavailable):
        milter.check(server.address, ENV, CLEAN, timeout=3)


def test_end_of_message_edits_are_collected():
    server = scripted(
        milter.packet(b"p"),
        milter.packet(b"m", struct.pack(">I", 1) + milter.cstrings("Subject", "[checked] hi")),
        milter.packet(b"h", milter.cstrings("X-Checked", "yes")),
        milter.packet(b"b", b"new body\r\n"),
        milter.packet(b"c"),
    )
    with server:
        outcome = milter.check(server.address, ENV, CLEAN, timeout=3)
    assert outcome.verdict == "accept"
    edited = milter.apply_edits(CLEAN, outcome)
    assert b"Subject: [checked] hi\r\n" in edited and b"X-Checked: yes\r\n" in edited
    assert edited.endswith(b"\r\n\r\nnew body\r\n")


def test_quarantine_is_reported():
    with scripted(milter.packet(b"q", milter.cstrings("looks bad")), milter.packet(b"a")) as server:
        assert milter.check(server.address, ENV, CLEAN, timeout=3).quarantine == "looks bad"


def test_tempfail_at_rcpt_makes_the_message_wait():
    protocol = milter.NOCONNECT | milter.NOHELO | milter.NOMAIL
    with scripted(milter.packet(b"y", b"451 4.7.1 greylisted\0"), protocol=protocol) as server:
        outcome = milter.check(server.address, ENV, CLEAN, timeout=3)
    assert (
        outcome.verdict == "tempfail" and outcome.reply.startswith("451") and not outcome.rejected_recipients
    )


def test_reject_at_rcpt_refuses_that_recipient_only():
    env = milter.Envelope("x@far.test", ["bob@example.test", "alice@example.test"])
    protocol = milter.NOCONNECT | milter.NOHELO | milter.NOMAIL | milter.NOHDRS | milter.NOEOH | milter.NOBODY
    protocol |= milter.NODATA
    replies = (milter.packet(b"y", b"550 5.1.1 no such user\0"), milter.packet(b"c"), milter.packet(b"a"))
    with scripted(*replies, protocol=protocol) as server:
        outcome = milter.check(server.address, env, CLEAN, timeout=3)
    assert outcome.verdict == "accept"
    assert outcome.rejected_recipients == {"bob@example.test": "550 5.1.1 no such user"}
