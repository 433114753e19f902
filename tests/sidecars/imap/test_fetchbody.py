"""The streaming transformations of FETCH bodies give the same bytes however the input is chunked."""

from __future__ import annotations

import base64
import quopri
import random
from collections.abc import Iterator

import pytest

from sidecars.imap.fetchbody import CHUNK, decode_base64, decode_quoted_printable, filter_header


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("size", [1, 3, 7, 76, 4096])
def test_base64_in_any_chunking(size: int) -> None:
    rnd = random.Random(size)
    for _ in range(40):
        raw = rnd.randbytes(rnd.randint(0, 2000))
        encoded = base64.encodebytes(raw).replace(b"\n", b"\r\n")
        assert b"".join(decode_base64(chunked(encoded, size))) == raw


def test_base64_is_lenient() -> None:
    assert b"".join(decode_base64(iter([b"QU", b"JD\r\n*RA==ignored"]))) == b"ABCD"
    assert b"".join(decode_base64(iter([b"QUJDRA"]))) == b"ABCD"  # missing padding
    assert b"".join(decode_base64(iter([b"QUJDR"]))) == b"ABC"  # a stray character is dropped


@pytest.mark.parametrize("size", [1, 2, 3, 75, 4096])
def test_quoted_printable_in_any_chunking(size: int) -> None:
    rnd = random.Random(size)
    for _ in range(40):
        raw = bytes(rnd.choice(b"ab =\xe9\t\r\n") for _ in range(rnd.randint(0, 800)))
        encoded = quopri.encodestring(raw)
        assert b"".join(decode_quoted_printable(chunked(encoded, size))) == quopri.decodestring(encoded)


def test_quoted_printable_line_longer_than_a_chunk() -> None:
    encoded = b"=41" * (CHUNK // 2) + b"x=\r\n" + b"=3D" * CHUNK
    got = b"".join(decode_quoted_printable(chunked(encoded, 1000)))
    assert got == quopri.decodestring(encoded) == b"A" * (CHUNK // 2) + b"x" + b"=" * CHUNK


HEADER = b"From: a\r\nTo: b\r\n c\r\nX-Long: " + b"y" * (3 * CHUNK) + b"\r\nSubject: x\r\n\r\n"


@pytest.mark.parametrize("size", [1, 5, 1000, 10 * CHUNK])
def test_header_fields_in_any_chunking(size: int) -> None:
    keep = b"".join(filter_header(chunked(HEADER, size), ("To", "x-long"), keep=True))
    assert keep == b"To: b\r\n c\r\nX-Long: " + b"y" * (3 * CHUNK) + b"\r\n\r\n"
    drop = b"".join(filter_header(chunked(HEADER, size), ("To", "x-long"), keep=False))
    assert drop == b"From: a\r\nSubject: x\r\n\r\n"
