"""The console's wire format: lines from any chunking, words and quotes, parameters, replies; fuzzed."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.cli import parser as P
from sidecars.cli.commands import COMMANDS, lookup


def feed(data: bytes, sizes: list[int], max_line: int = 100) -> list[bytes | P.TooLong]:
    reader = P.LineReader(max_line)
    out: list[bytes | P.TooLong] = []
    pos = 0
    for size in sizes:
        out += reader.feed(data[pos : pos + size])
        pos += size
    return out + reader.feed(data[pos:])


def test_lines_crlf_and_lf() -> None:
    assert feed(b"a\r\nb\nc\r\n", []) == [b"a", b"b", b"c"]


def test_overlong_line_reported_once_then_next_line_read() -> None:
    got = feed(b"x" * 250 + b"\r\nok\r\n", [7] * 40, max_line=100)
    assert got == [P.TooLong(251), b"ok"]


def test_words_and_quotes() -> None:
    assert P.words('ADD  ACCOUNT\tname "a b" password "q\\"\\\\x"') == [
        "ADD", "ACCOUNT", "name", "a b", "password", 'q"\\x',
    ]  # fmt: skip
    assert P.words('SET x ""') == ["SET", "x", ""]
    for bad in ['a "b', 'a "b"c', 'a b"c', 'a "\\n"']:
        with pytest.raises(P.ParseError):
            P.words(bad)
    with pytest.raises(P.ParseError, match="more than 64 words"):
        P.words("w " * 65)


def test_parameters() -> None:
    assert P.parameters(["NAME", "x", "Password", "y"], ["name"], ["password"]) == {
        "name": "x",
        "password": "y",
    }
    with pytest.raises(P.ParseError, match="missing parameter name"):
        P.parameters([], ["name"])


def test_table_aligns_and_never_forges_a_reply() -> None:
    out = P.table(("a", "b"), [("+OK: x", "1"), ("long value", "2")]).decode()
    assert out.split("\r\n")[:4] == ["a           b", "----------  -", " +OK: x      1", "long value  2"]
    assert P.lines(["-ERR: no", "<#> x"]) == b" -ERR: no\r\n <#> x\r\n"
    assert P.ok("a\r\nb") == b"+OK: a\\r\\nb\r\n"


def test_lookup_takes_the_longest_phrase() -> None:
    assert lookup(["show", "queue", "id", "1"]) == (("SHOW", "QUEUE"), ["id", "1"])
    assert lookup(["show", "queue.batch_size"]) == (("SHOW",), ["queue.batch_size"])
    assert lookup(["frob"]) is None
    assert all(1 <= len(phrase) <= 3 and all(w.isupper() for w in phrase) for phrase in COMMANDS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_quote_round_trips(values: list[str]) -> None:
    clean = [v for v in values if all(ord(c) >= 32 for c in v)]
    assert P.words(" ".join(P.quote(v) for v in clean)) == clean


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(min_value=1, max_value=50), max_size=20))
def test_any_bytes_any_chunking(data: bytes, sizes: list[int]) -> None:
    whole = feed(data, [], max_line=64)
    assert feed(data, sizes, max_line=64) == whole
    for item in whole:
        if isinstance(item, bytes):
            assert b"\n" not in item and len(item) <= 64
            with contextlib.suppress(P.ParseError):
                P.words(P.decode(item))
