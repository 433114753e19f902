"""The pure POP3 wire functions: line splitting under any chunking, command parsing, dot-stuffing and
TOP over chunked bodies, checked against the RFC 1939 rules with examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.pop3 import parser as P


def lines_of(reader: P.Reader, data: bytes, cut: list[int]) -> list[P.Line | P.TooLong]:
    out: list[P.Line | P.TooLong] = []
    pos = 0
    for c in [*sorted(cut), len(data)]:
        out.extend(reader.feed(data[pos:c]))
        pos = c
    return out


def test_lines_split_at_crlf_and_lone_lf() -> None:
    got = list(P.Reader().feed(b"USER a\r\nPASS b c\nQU"))
    assert got == [P.Line(b"USER a"), P.Line(b"PASS b c")]


def test_an_overlong_line_is_reported_once_and_skipped() -> None:
    reader = P.Reader(max_line=20)
    got = list(reader.feed(b"X" * 50)) + list(reader.feed(b"Y" * 50 + b"\r\nNOOP\r\n"))
    assert got == [P.TooLong(20), P.Line(b"NOOP")]
    assert list(P.Reader(max_line=10).feed(b"123456789\r\nNOOP\r\n")) == [P.TooLong(10), P.Line(b"NOOP")]


def test_parse_commands() -> None:
    assert P.parse(b"retr 5") == P.Command("RETR", "5")
    assert P.parse(b"PASS with  spaces ").argument == "with  spaces "
    assert P.parse(b"TOP 1 10").args == ["1", "10"]
    for bad in (b"", b"X", b"TOOLONG", b"RE1R 1", b"\xff\xfe", b"NOOP\x00"):
        with pytest.raises(P.BadCommand):
            P.parse(bad)


def test_numbers() -> None:
    assert P.number("12") == 12
    assert P.number("0", zero=True) == 0
    for bad in ("0", "-1", "1.5", "", "x", "١", "12345678901"):
        with pytest.raises(P.BadCommand):
            P.number(bad)


def test_dot_stuffing() -> None:
    body = b"a\r\n.b\r\n..c\r\n.\r\nend"
    assert b"".join(P.dot_stuffed([body])) == b"a\r\n..b\r\n...c\r\n..\r\nend\r\n.\r\n"
    assert b"".join(P.dot_stuffed([b".x\r\n"])) == b"..x\r\n.\r\n"
    assert b"".join(P.dot_stuffed([])) == b".\r\n"


def unstuff(wire: bytes) -> bytes:
    """What a client does with a multi-line answer (RFC 1939 3)."""
    assert wire.endswith(b"\r\n.\r\n") or wire == b".\r\n"
    lines = wire[:-3].split(b"\r\n")[:-1] if wire != b".\r\n" else []
    return b"".join((line[1:] if line.startswith(b".") else line) + b"\r\n" for line in lines)


message_lines = st.lists(
    st.sampled_from([b"", b".", b"..", b".a", b"text", b"a.b", b" .", b"x" * 30]), max_size=30
)


@settings(max_examples=300, deadline=None)
@given(lines=message_lines, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_dot_stuffing_round_trips_under_any_chunking(lines: list[bytes], cuts: list[int]) -> None:
    body = b"".join(line + b"\r\n" for line in lines)
    cut = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *cut], [*cut, len(body)], strict=True)]
    wire = b"".join(P.dot_stuffed(chunks))
    assert unstuff(wire) == body
    assert b"\r\n.\r\n" not in wire[:-3] or wire.count(b"\r\n.\r\n") == 1


def test_top_gives_header_blank_line_and_n_lines() -> None:
    raw = b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n"
    assert b"".join(P.top_lines([raw], 0)) == b"A: 1\r\nB: 2\r\n\r\n"
    assert b"".join(P.top_lines([raw], 2)) == b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n"
    assert b"".join(P.top_lines([raw], 99)) == raw
    assert b"".join(P.top_lines([b"A: 1\r\n"], 3)) == b"A: 1\r\n"


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(st.sampled_from([b"A: 1", b"Subject: x", b" folded"]), min_size=1, max_size=5),
    body=st.lists(st.sampled_from([b"", b"line", b".dot"]), max_size=10),
    n=st.integers(min_value=0, max_value=12),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_top_under_any_chunking(header: list[bytes], body: list[bytes], n: int, cuts: list[int]) -> None:
    head = b"".join(h + b"\r\n" for h in header) + b"\r\n"
    raw = head + b"".join(line + b"\r\n" for line in body)
    cut = sorted({min(c, len(raw)) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *cut], [*cut, len(raw)], strict=True)]
    expected = head + b"".join(line + b"\r\n" for line in body[:n])
    assert b"".join(P.top_lines(chunks, n)) == expected


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=6))
def test_reader_and_parser_never_crash(data: bytes, cuts: list[int]) -> None:
    reader = P.Reader(max_line=64)
    for item in lines_of(reader, data, [min(c, len(data)) for c in cuts]):
        if isinstance(item, P.Line):
            assert b"\n" not in item.text
            try:
                command = P.parse(item.text)
            except P.BadCommand:
                continue
            assert command.name.isupper() and 3 <= len(command.name) <= 4
