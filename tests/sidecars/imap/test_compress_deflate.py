"""COMPRESS=DEFLATE (RFC 4978) over a real connection: after the OK both directions are raw deflate
streams; a second COMPRESS is refused with [COMPRESSIONACTIVE]."""

from __future__ import annotations

import socket
import zlib

from tests.sidecars.imap.conftest import MULTIPART, ImapService, Raw, fetches


class Deflated:
    """A socket stand-in that deflates what is sent and inflates what is received (RFC 1951, no header)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.out = zlib.compressobj(wbits=-15)
        self.inflate = zlib.decompressobj(wbits=-15)

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(self.out.compress(data) + self.out.flush(zlib.Z_SYNC_FLUSH))

    def recv(self, size: int) -> bytes:
        while True:
            raw = self.sock.recv(size)
            if not raw:
                return b""
            data = self.inflate.decompress(raw)
            if data:
                return data

    def settimeout(self, value: float) -> None:
        self.sock.settimeout(value)

    def close(self) -> None:
        self.sock.close()


def compress(conn: Raw) -> None:
    reply = conn.command("COMPRESS DEFLATE")
    assert reply.ok, reply
    assert not conn.buf  # nothing uncompressed may follow the OK
    conn.sock = Deflated(conn.sock)  # type: ignore[assignment]


def test_commands_after_compress(client: Raw, folder: str) -> None:
    client.append(folder, MULTIPART)
    compress(client)
    assert client.command("NOOP").ok
    client.select(folder)
    assert fetches(client.command("FETCH 1 BODY.PEEK[]"))[1]["BODY[]"] == MULTIPART


def test_literals_through_compression(client: Raw, folder: str) -> None:
    compress(client)
    big = MULTIPART.replace(b"Hello Bob,", b"Hello Bob, " + b"padding " * 4000)
    client.append(folder, big)
    client.select(folder)
    assert fetches(client.command("FETCH 1 BODY.PEEK[]"))[1]["BODY[]"] == big


def test_second_compress_is_refused(client: Raw) -> None:
    compress(client)
    reply = client.command("COMPRESS DEFLATE")
    assert reply.status == "NO" and b"[COMPRESSIONACTIVE]" in reply.tagged, reply  # RFC 4978 3
    assert client.command("NOOP").ok


def test_unknown_algorithm_is_bad(client: Raw) -> None:
    assert client.command("COMPRESS LZW").status in ("BAD", "NO")
    assert client.command("NOOP").ok  # still uncompressed


def test_compress_before_login_is_refused(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command("COMPRESS DEFLATE").status in ("BAD", "NO")
        assert conn.command("NOOP").ok
    finally:
        conn.close()
