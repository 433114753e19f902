"""COMPRESS=DEFLATE (RFC 4978) over a real connection: after the OK both directions are raw deflate
streams; a second COMPRESS is refused with [COMPRESSIONACTIVE]."""

from __future__ import annotations

import base64
import socket
import zlib

import pytest

from tests.sidecars.imap.conftest import MULTIPART, Closed, ImapService, Raw, fetches


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


def zeros_message(size: int) -> bytes:
    """A message with an all-zero attachment of ``size`` bytes (base64: a ratio near 300:1 deflated)."""
    encoded = base64.encodebytes(b"\0" * size).replace(b"\n", b"\r\n")
    return (
        b"Subject: zeros\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n'
        b"--z\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + b"--z--\r\n"
    )


def test_append_of_a_highly_compressible_8_mb_message(client: Raw, folder: str) -> None:
    # issue 9 item 6: a legitimate upload of any ratio goes through; only the literal limit bounds it
    message = zeros_message(8 * 1024 * 1024)
    compress(client)
    reply = client.literal_command(f"APPEND {folder}", message)
    assert reply.ok, reply
    client.select(folder)
    assert fetches(client.command("FETCH 1 BODY.PEEK[]"))[1]["BODY[]"] == message
    assert fetches(client.command("FETCH 1 BINARY.PEEK[2]"))[1]["BINARY[2]"] == b"\0" * (8 * 1024 * 1024)


@pytest.mark.parametrize("bomb", ["literal", "line"])
def test_a_deflate_bomb_gets_a_clean_bye_and_the_server_lives_on(
    imap_service: ImapService, fresh_account: str, bomb: str
) -> None:
    imap_service.set_setting("mail.max_message_bytes", 1024 * 1024, account=fresh_account)
    conn = imap_service.login(fresh_account)
    try:
        compress(conn)
        if bomb == "literal":  # a non-synchronising literal over the limit, whose bytes inflate anyway
            conn.send(b"a1 APPEND INBOX {50000000+}\r\n" + b"\0" * (8 * 1024 * 1024))
            refusal = conn.read_line()
            assert refusal.startswith(b"a1 BAD [TOOBIG] "), refusal
        else:  # a command line that never ends
            conn.send(b"a1 NOOP " + b"x" * (8 * 1024 * 1024))
            refusal = conn.read_line()
            assert refusal.startswith(b"a1 BAD ") and b"command line too long" in refusal, refusal
        bye = conn.read_line()
        assert bye.startswith(b"* BYE [TOOBIG] compressed input expands past "), bye
        with pytest.raises(Closed):
            conn.read_line()
    finally:
        conn.close()
    assert imap_service.proc.poll() is None
    other = imap_service.login(fresh_account)
    assert other.command("NOOP").ok
    other.close()
