"""The clamd client against Debian's clamd with a signature database the tests wrote (EICAR only)."""

from __future__ import annotations

import base64
import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters import FilterUnavailable
from filters.scanners import ScannerDown, ScannerReplyError, Unscannable, clamd
from tests.filters.scanners.daemons import EICAR, SIGNATURE, free_port
from tests.filters.scanners.garbage import GarbageServer

CLEAN = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hi\r\n\r\nNothing to see.\r\n"


def infected(body: bytes = EICAR) -> bytes:
    return b"From: x@far.test\r\nTo: bob@example.test\r\nSubject: file\r\n\r\n" + body + b"\r\n"


def attachment(payload: bytes) -> bytes:
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    return (
        b"From: x@far.test\r\nTo: bob@example.test\r\nSubject: see attached\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n'
        b"The file.\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="eicar.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + encoded
        + b"--b1--\r\n"
    )


def test_ping(clamd_daemon):
    clamd.ping(clamd_daemon.address, timeout=10)


def test_unix_socket(clamd_daemon):
    socket_path = clamd_daemon.log.parent / "clamd.sock"  # the test clamd listens there too
    clamd.ping(f"unix:{socket_path}", timeout=10)
    assert clamd.scan(f"unix:{socket_path}", infected(), timeout=30, max_bytes=10**6).level == 5


def test_clean_message(clamd_daemon):
    result = clamd.scan(clamd_daemon.address, CLEAN, timeout=30, max_bytes=10**6)
    assert result.virus is None and result.level == 1


def test_eicar_in_the_body_is_found(clamd_daemon):
    result = clamd.scan(clamd_daemon.address, infected(), timeout=30, max_bytes=10**6)
    assert result.virus is not None and result.virus.startswith(SIGNATURE) and result.level == 5


def test_eicar_as_a_base64_attachment_is_found(clamd_daemon):
    result = clamd.scan(clamd_daemon.address, attachment(EICAR), timeout=30, max_bytes=10**6)
    assert result.virus is not None and result.virus.startswith(SIGNATURE)


def test_eicar_across_a_chunk_boundary_is_found(clamd_daemon):
    filler = b"x" * (clamd.CHUNK_BYTES - 100) + b"\r\n"
    raw = infected(filler + EICAR)
    assert raw.index(EICAR) < clamd.CHUNK_BYTES < raw.index(EICAR) + len(EICAR)
    result = clamd.scan(clamd_daemon.address, raw, timeout=30, max_bytes=10**6)
    assert result.virus is not None


def test_our_size_limit_makes_it_unscannable_without_sending(clamd_daemon):
    with pytest.raises(Unscannable, match="over the virus scan limit of 1024 bytes"):
        clamd.scan(clamd_daemon.address, infected(b"y" * 2000), timeout=30, max_bytes=1024)


def test_clamd_stream_limit_is_unscannable(clamd_daemon):
    big = infected(b"z" * (1024 * 1024 + 10))  # the test clamd has StreamMaxLength 1M
    with pytest.raises(Unscannable, match="size limit"):
        clamd.scan(clamd_daemon.address, big, timeout=60, max_bytes=10 * 1024 * 1024)


def test_instream_framing():
    pieces = clamd.instream_request(b"abcde", chunk_bytes=2)
    assert pieces == [b"zINSTREAM\0", struct.pack(">I", 2) + b"ab", struct.pack(">I", 2) + b"cd",
                      struct.pack(">I", 1) + b"e", b"\0\0\0\0"]  # fmt: skip


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (b"stream: OK", None),
        (b"stream: Win.Test.EICAR_HDB-1 FOUND", None),
        (b"INSTREAM size limit exceeded. ERROR", Unscannable),
        (b"stream: Can't allocate memory ERROR", Unscannable),
        (b"UNKNOWN COMMAND", ScannerReplyError),
        (b"stream: FOUND", ScannerReplyError),
        (b"file: OK", ScannerReplyError),
        (b"\xff\xfe", ScannerReplyError),
    ],
)
def test_reply_grammar(reply, error):
    if error is None:
        clamd.parse_scan_reply(reply)
    else:
        with pytest.raises(error):
            clamd.parse_scan_reply(reply)


def test_heuristic_finds_are_possible_infections():
    assert clamd.parse_scan_reply(b"stream: Heuristics.Phishing.Email.SpoofedDomain FOUND").level == 4


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_parser_never_raises_anything_else(data):
    with contextlib.suppress(ScannerReplyError, Unscannable):
        clamd.parse_scan_reply(data)


def test_a_foreign_service_is_unavailable():
    with GarbageServer(b"SPAMD/1.1 0 EX_OK\r\n\r\n") as server, pytest.raises(FilterUnavailable):
        clamd.scan(server.address, CLEAN, timeout=5, max_bytes=10**6)
    with GarbageServer(b"PANG\0") as server, pytest.raises(ScannerReplyError, match="PING"):
        clamd.ping(server.address, timeout=5)


def test_down_and_silent_daemons():
    with pytest.raises(ScannerDown):
        clamd.ping(f"127.0.0.1:{free_port()}", timeout=5)
    with GarbageServer(None, read_first=False) as server, pytest.raises(ScannerDown, match="in time"):
        clamd.scan(server.address, CLEAN, timeout=1, max_bytes=10**6)
