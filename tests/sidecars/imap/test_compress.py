"""COMPRESS=DEFLATE (RFC 4978): the server's transforms against a client's own zlib objects."""

from __future__ import annotations

import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.imap.compress import CompressionError, Deflater, Inflater


def client_pair() -> tuple[zlib._Compress, zlib._Decompress]:
    """What an RFC 4978 client uses: raw deflate both ways."""
    return zlib.compressobj(9, zlib.DEFLATED, -15), zlib.decompressobj(-15)


def test_every_response_is_readable_by_the_client_as_soon_as_it_is_sent() -> None:
    server = Deflater()
    _, client = client_pair()
    responses = [b"* OK [CAPABILITY IMAP4rev1] ready\r\n", b"* 3 EXISTS\r\n", b"a1 OK done\r\n" * 50]
    for response in responses:
        wire = server.compress(response)
        assert wire.endswith(b"\x00\x00\xff\xff")  # the sync flush marker (RFC 1951 stored block)
        assert client.decompress(wire) == response  # nothing held back until the next write


def test_repeated_text_actually_compresses() -> None:
    data = b"* 1 FETCH (FLAGS (\\Seen) UID 1)\r\n" * 1000
    assert len(Deflater().compress(data)) < len(data) // 20


def test_empty_write_sends_nothing() -> None:
    assert Deflater().compress(b"") == b""


def test_client_commands_decompress_across_arbitrary_read_boundaries() -> None:
    client, _ = client_pair()
    commands = b"a1 NOOP\r\n" + b"a2 APPEND INBOX {5000+}\r\n" + os.urandom(5000) + b"\r\na3 LOGOUT\r\n"
    wire = client.compress(commands) + client.flush(zlib.Z_SYNC_FLUSH)
    server = Inflater()
    received = b"".join(server.decompress(wire[i : i + 7]) for i in range(0, len(wire), 7))
    assert received == commands


def test_smaller_server_window_still_interoperates() -> None:
    server = Deflater(level=1, window_bits=12, mem_level=2)
    _, client = client_pair()
    data = os.urandom(3000) * 20
    assert client.decompress(server.compress(data)) == data


def test_a_bomb_is_inflated_one_bounded_piece_at_a_time() -> None:
    client, _ = client_pair()
    bomb = client.compress(b"\0" * (64 << 20)) + client.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < 128 << 10
    pieces = Inflater(piece_size=1 << 20).pieces(bomb)
    assert next(pieces) == b"\0" * (1 << 20)  # the rest is not inflated until asked for
    sizes = [len(p) for p in pieces]
    assert max(sizes) <= 1 << 20 and sum(sizes) == 63 << 20


def test_a_high_ratio_stream_in_small_reads_comes_out_whole() -> None:
    client, _ = client_pair()
    data = b"A" * (16 << 20) + b"end\r\n"
    wire = client.compress(data) + client.flush(zlib.Z_SYNC_FLUSH)
    server = Inflater(piece_size=64 << 10)
    got = []
    for i in range(0, len(wire), 512):
        for piece in server.pieces(wire[i : i + 512]):
            assert len(piece) <= 64 << 10
            got.append(piece)
    assert b"".join(got) == data


def test_output_exactly_at_the_piece_size_is_not_held_back() -> None:
    client, _ = client_pair()
    data = os.urandom(4096)
    wire = client.compress(data) + client.flush(zlib.Z_SYNC_FLUSH) + client.flush(zlib.Z_SYNC_FLUSH)
    assert list(Inflater(piece_size=4096).pieces(wire)) == [data]
    assert b"".join(Inflater(piece_size=4095).pieces(wire)) == data


def test_corrupt_input_raises_compression_error() -> None:
    with pytest.raises(CompressionError, match="corrupt"):
        Inflater().decompress(b"\xff\xff\xff\xff garbage")


def test_data_after_the_final_block_is_rejected() -> None:
    client, _ = client_pair()
    wire = client.compress(b"a1 LOGOUT\r\n") + client.flush(zlib.Z_FINISH)
    server = Inflater()
    with pytest.raises(CompressionError, match="after the end"):
        server.decompress(wire + b"a2 NOOP\r\n")
    ended = Inflater()
    assert ended.decompress(wire) == b"a1 LOGOUT\r\n"
    assert ended.decompress(b"") == b""
    with pytest.raises(CompressionError, match="after the end"):
        ended.decompress(b"x")


@pytest.mark.parametrize(
    "kwargs", [{"window_bits": 16}, {"window_bits": 8}, {"mem_level": 0}, {"mem_level": 10}]
)
def test_bad_deflater_parameters(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Deflater(**kwargs)


def test_bad_inflater_cap() -> None:
    with pytest.raises(ValueError):
        Inflater(piece_size=0)


@settings(max_examples=100)
@given(st.lists(st.binary(max_size=3000), max_size=8))
def test_server_to_client_round_trip(chunks: list[bytes]) -> None:
    server = Deflater()
    _, client = client_pair()
    for chunk in chunks:
        assert client.decompress(server.compress(chunk)) == chunk


@settings(max_examples=100)
@given(
    st.lists(st.binary(max_size=2000), max_size=6),
    st.lists(st.integers(1, 300), min_size=1, max_size=10),
    st.sampled_from([zlib.Z_SYNC_FLUSH, zlib.Z_FULL_FLUSH, zlib.Z_NO_FLUSH]),
)
def test_client_to_server_round_trip_with_any_split(chunks: list[bytes], cuts: list[int], flush: int) -> None:
    client, _ = client_pair()
    wire = b"".join(client.compress(c) + client.flush(flush) for c in chunks) + client.flush(
        zlib.Z_SYNC_FLUSH
    )
    server = Inflater(piece_size=1 << 16)
    got, pos, i = [], 0, 0
    while pos < len(wire):
        step = cuts[i % len(cuts)]
        got.append(server.decompress(wire[pos : pos + step]))
        pos, i = pos + step, i + 1
    assert b"".join(got) == b"".join(chunks)
