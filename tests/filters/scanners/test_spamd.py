"""The spamd client against Debian's spamd (GTUBE from its shipped rules), and against bad replies."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters import FilterUnavailable
from filters.scanners import ScannerDown, ScannerReplyError, Unscannable, spamd
from tests.filters.scanners.daemons import GTUBE, free_port
from tests.filters.scanners.garbage import GarbageServer

SPAM = b"From: x@spam.test\r\nTo: bob@example.test\r\nSubject: offer\r\n\r\n" + GTUBE + b"\r\n"
HAM = (
    b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: lunch\r\n"
    b"Date: Wed, 25 Nov 2026 09:00:00 +0000\r\nMessage-ID: <lunch.1@example.test>\r\n\r\n"
    b"Hi Bob, shall we have lunch at noon on Thursday?\r\n"
)


def test_ping(spamd_daemon):
    spamd.ping(spamd_daemon.address, timeout=10)


def test_check_grades_gtube_as_spam(spamd_daemon):
    reply = spamd.call(spamd_daemon.address, "CHECK", SPAM, timeout=30)
    assert reply.is_spam and reply.score >= 1000 and reply.threshold == 5.0
    assert spamd.spam_level(reply.score, reply.threshold) == 10


def test_symbols_names_the_rules_that_hit(spamd_daemon):
    reply = spamd.call(spamd_daemon.address, "SYMBOLS", SPAM, timeout=30)
    assert "GTUBE" in reply.symbols


def test_process_returns_the_rewritten_message(spamd_daemon):
    reply = spamd.call(spamd_daemon.address, "PROCESS", SPAM, timeout=30)
    assert reply.is_spam and reply.message is not None
    assert b"X-Spam-Flag: YES" in reply.message and GTUBE in reply.message


def test_a_plain_message_is_not_spam(spamd_daemon):
    reply = spamd.call(spamd_daemon.address, "SYMBOLS", HAM, timeout=30)
    assert not reply.is_spam and "GTUBE" not in reply.symbols
    assert spamd.spam_level(reply.score, reply.threshold) < 6


@pytest.mark.parametrize(
    ("score", "threshold", "level"),
    [(-3.0, 5.0, 1), (0.0, 5.0, 1), (0.9, 5.0, 1), (1.0, 5.0, 2), (4.9, 5.0, 5), (5.0, 5.0, 6),
     (7.5, 5.0, 8), (9.0, 5.0, 10), (1000.0, 5.0, 10), (3.0, 0.0, 4), (float("nan"), 5.0, 1)],
)  # fmt: skip
def test_spam_level_scale(score, threshold, level):
    assert spamd.spam_level(score, threshold) == level


def test_request_bytes():
    assert spamd.request("CHECK", b"abc") == b"CHECK SPAMC/1.2\r\nContent-length: 3\r\n\r\nabc"
    assert spamd.request("PING") == b"PING SPAMC/1.2\r\n\r\n"
    with pytest.raises(ValueError):
        spamd.request("TELL", b"")
    with pytest.raises(ValueError):
        spamd.request("CHECK", b"", user="evil\r\nUser: root")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (b"", "SPAMD status line"),
        (b"HTTP/1.1 200 OK\r\n\r\n", "SPAMD status line"),
        (b"SPAMD/1.1 76 Bad header line: (EOF)\r\n", "error 76"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: maybe ; x / y\r\n\r\n", "Spam field"),
        (b"SPAMD/1.1 0 EX_OK\r\n\r\n", "Spam field"),
        (b"SPAMD/1.1 0 EX_OK\r\nnot a header\r\n\r\n", "malformed header"),
        (b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9 / 5\r\nContent-length: 99\r\n\r\nshort", "Content-length"),
    ],
)
def test_garbage_replies_are_reply_errors(reply, words):
    with pytest.raises(ScannerReplyError, match=words):
        spamd.parse_reply("CHECK", reply)


def test_symbols_body_must_be_rule_names():
    with pytest.raises(ScannerReplyError, match="rule names"):
        spamd.parse_reply("SYMBOLS", b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9 / 5\r\n\r\n<html>oops</html>")


def test_data_error_means_unscannable():
    with pytest.raises(Unscannable):
        spamd.parse_reply("CHECK", b"SPAMD/1.1 65 EX_DATAERR\r\n\r\n")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(sorted(spamd.COMMANDS)))
def test_parser_never_raises_anything_else(data, command):
    with contextlib.suppress(ScannerReplyError, Unscannable):
        spamd.parse_reply(command, data)


def test_a_foreign_service_on_the_port_is_unavailable_not_a_crash():
    server = GarbageServer(b"220 smtp.example ESMTP ready\r\n")
    with server, pytest.raises(FilterUnavailable, match="SPAMD status line"):
        spamd.call(server.address, "SYMBOLS", SPAM, timeout=5)


def test_closed_port_and_silence_are_down():
    with pytest.raises(ScannerDown, match="cannot connect"):
        spamd.call(f"127.0.0.1:{free_port()}", "CHECK", SPAM, timeout=5)
    with GarbageServer(None) as server, pytest.raises(ScannerDown, match="no answer in time"):
        spamd.call(server.address, "CHECK", SPAM, timeout=1)


def test_bad_address_is_down_with_a_clear_reason():
    with pytest.raises(ScannerDown, match="expected HOST:PORT"):
        spamd.call("localhost", "PING", timeout=1)
