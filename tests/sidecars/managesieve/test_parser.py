"""The ManageSieve wire format: tokens from any chunking, limits, and responses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.managesieve import parser as P


def feed_all(data: bytes, chunks: list[int] | None = None, **limits: int) -> list[P.Line | P.Bad]:
    reader = P.Reader(limits.get("max_line", 1000), limits.get("max_literal", 1000))
    if not chunks:
        return reader.feed(data)
    out: list[P.Line | P.Bad] = []
    pos = 0
    for size in chunks:
        out += reader.feed(data[pos : pos + size])
        pos += size
    return out + reader.feed(data[pos:])


def test_atoms_quoted_and_literals() -> None:
    got = feed_all(b'PUTSCRIPT "a \\"b\\"" {5+}\r\nkeep;\r\nHAVESPACE "x" 100\r\nGETSCRIPT {1}\r\nz\r\n')
    assert got == [
        P.Line((P.Atom("PUTSCRIPT"), P.String('a "b"'), P.String("keep;", literal=True))),
        P.Line((P.Atom("HAVESPACE"), P.String("x"), P.Atom("100"))),
        P.Line((P.Atom("GETSCRIPT"), P.String("z", literal=True))),
    ]


def test_byte_by_byte_is_the_same() -> None:
    data = b'PUTSCRIPT "s" {12+}\r\nkeep;\r\nstop;\r\nNOOP\r\n'
    assert feed_all(data, [1] * len(data)) == feed_all(data)


def test_bad_line_is_skipped_and_the_next_one_parsed() -> None:
    got = feed_all(b'NOOP "unterminated\\x"\r\nNOOP\r\n')
    assert isinstance(got[0], P.Bad) and not got[0].fatal
    assert got[1] == P.Line((P.Atom("NOOP"),))


def test_oversized_literal_is_skipped_unread() -> None:
    got = feed_all(b'PUTSCRIPT "s" {20+}\r\n' + b"x" * 20 + b"\r\nNOOP\r\n", max_literal=10)
    assert isinstance(got[0], P.Bad) and got[0].too_large
    assert got[1] == P.Line((P.Atom("NOOP"),))


def test_overlong_line_is_fatal() -> None:
    got = feed_all(b"NOOP " + b"a" * 200, max_line=100)
    assert len(got) == 1 and isinstance(got[0], P.Bad) and got[0].fatal


def test_responses() -> None:
    assert P.response("NO", "QUOTA/MAXSIZE", 'too "big"') == b'NO (QUOTA/MAXSIZE) "too \\"big\\""\r\n'
    assert P.string("a\r\nb") == b"{4}\r\na\r\nb"
    assert (
        P.capability_lines([("VERSION", "1.0"), ("STARTTLS", None)]) == b'"VERSION" "1.0"\r\n"STARTTLS"\r\n'
    )


@given(st.text(max_size=200))
def test_strings_round_trip(text: str) -> None:
    encoded = P.string(text)
    assert feed_all(b"X " + encoded + b"\r\n", max_line=10_000) == [
        P.Line((P.Atom("X"), P.String(text, literal=encoded.startswith(b"{"))))
    ]


@settings(max_examples=300)
@given(st.binary(max_size=400), st.lists(st.integers(min_value=1, max_value=50), max_size=20))
def test_fuzz_never_raises(data: bytes, chunks: list[int]) -> None:
    whole = feed_all(data, max_line=100, max_literal=50)
    chunked = feed_all(data, chunks, max_line=100, max_literal=50)
    for item in whole + chunked:
        assert isinstance(item, P.Line | P.Bad)
    if not any(isinstance(i, P.Bad) and i.fatal for i in whole + chunked):
        assert [i for i in whole if isinstance(i, P.Line)] == [i for i in chunked if isinstance(i, P.Line)]
