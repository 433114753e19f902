"""The log service's wire format: a datagram is one line of the log files' format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecars.logd.parser import BadRecord, parse

LINE = "12-07 03:04:05 +0000 08 mail.example.test IMAP:0000a3f1: alice@example.test logged in"


def test_a_line_parses_into_its_fields() -> None:
    record = parse(LINE.encode())
    assert (record.stamp, record.level, record.host) == ("12-07 03:04:05 +0000", 8, "mail.example.test")
    assert (record.service, record.session, record.text) == (
        "imap",
        "0000a3f1",
        "alice@example.test logged in",
    )
    assert record.line == LINE


def test_a_trailing_newline_is_not_part_of_the_record() -> None:
    assert parse(LINE.encode() + b"\r\n").line == LINE


def test_continuation_lines_are_kept_indented() -> None:
    record = parse(f"{LINE}\n    Traceback\n    boom".encode())
    assert record.line == f"{LINE}\n    Traceback\n    boom"


def test_a_newline_cannot_forge_a_second_record() -> None:
    forged = "12-07 03:04:06 +0000 02 mail.example.test SMTP:00000000: forged"
    record = parse(f"{LINE}\n{forged}\r{forged}".encode())
    assert record.line.count("\n") == 2
    assert all(part.startswith("    ") for part in record.line.split("\n")[1:])


@pytest.mark.parametrize(
    ("datagram", "reason"),
    [
        (b"", "empty"),
        (b"hello", "not a log line"),
        (LINE.replace(" 08 ", " 03 ").encode(), "unknown level"),
        (LINE.encode("utf-16"), "not UTF-8"),
        (LINE.encode() + b"\x00", "NUL"),
        (b"x" * 70000, "too long"),
        (LINE.replace("IMAP:0000a3f1", "IMAP:zz").encode(), "not a log line"),
    ],
)
def test_bad_datagrams_are_refused_with_a_reason(datagram: bytes, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse(datagram)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_refused(data: bytes) -> None:
    try:
        record = parse(data)
    except BadRecord:
        return
    assert "\r" not in record.line
    assert all(part.startswith("    ") for part in record.line.split("\n")[1:])
