"""FETCH literals stream from the blob store (issue 9 item 3): a large body fetched by clients that do
not read costs the server a bounded amount of memory, and every literal form still carries exactly
the right bytes (whole, sections, partials, BINARY with base64 and quoted-printable undone)."""

from __future__ import annotations

import base64
import hashlib
import quopri
import random
import re
import socket
import time
import zlib
from pathlib import Path

import pytest

from tests.sidecars.imap.conftest import PASSWORD, TIMEOUT, ImapService, Raw, fetches

MB = 1024 * 1024


def big_message(size: int, seed: int = 7) -> tuple[bytes, bytes]:
    """A multipart message of about ``size`` bytes whose second part is base64 of random bytes;
    returns (message, the attachment's decoded bytes)."""
    payload = random.Random(seed).randbytes(size * 3 // 4)
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    message = (
        b"From: Alice <alice@example.test>\r\n"
        b"To: bob@example.test\r\n"
        b"Subject: big\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b0"\r\n'
        b"\r\n"
        b"--b0\r\n"
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"see attached\r\n"
        b"--b0\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" + encoded + b"--b0--\r\n"
    )
    return message, payload


def vm_rss(pid: int) -> int:
    """Resident set size of a process in bytes (Linux /proc)."""
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    assert match, text
    return int(match.group(1)) * 1024


class SlowReader:
    """A TLS client with a small receive buffer, so the server's writes block while it does not read;
    optionally with COMPRESS=DEFLATE on."""

    def __init__(self, service: ImapService, user: str, *, deflate: bool) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        sock.settimeout(TIMEOUT)
        sock.connect(("127.0.0.1", service.port("imaps")))
        self.raw = Raw(service.tls_context().wrap_socket(sock, server_hostname="localhost"))
        self.raw.greeting = self.raw.read_line()
        assert self.raw.command(f'LOGIN "{user}" "{PASSWORD}"').ok
        self.inflate = zlib.decompressobj(wbits=-15) if deflate else None
        if deflate:
            assert self.raw.command("COMPRESS DEFLATE").ok
            self.deflate = zlib.compressobj(wbits=-15)

    def send(self, line: bytes) -> None:
        if self.inflate is not None:
            line = self.deflate.compress(line) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.raw.sock.sendall(line)

    def recv(self) -> bytes:
        data = self.raw.sock.recv(256 * 1024)
        assert data, "connection closed"
        return self.inflate.decompress(data) if self.inflate is not None else data

    def read_fetch(self, tag: bytes) -> tuple[bytes, bytes]:
        """(the one literal of the FETCH response, the tagged line), reading into one buffer."""
        buf = bytearray()
        while not re.search(rb"\{(\d+)\}\r\n", buf):
            buf += self.recv()
        match = re.search(rb"\{(\d+)\}\r\n", buf)
        assert match
        size, start = int(match.group(1)), match.end()
        while len(buf) < start + size or not buf.endswith(b"\r\n") or tag + b" " not in buf[start + size :]:
            buf += self.recv()
        tail = bytes(buf[start + size :])
        assert tail.startswith(b")\r\n"), tail[:80]
        return bytes(buf[start : start + size]), tail.split(b"\r\n")[1]


def test_slow_readers_of_a_large_message_cost_bounded_memory(
    imap_service: ImapService, fresh_account: str
) -> None:
    message, _ = big_message(40 * MB)
    imap_service.deliver(message, fresh_account)
    readers = [SlowReader(imap_service, fresh_account, deflate=(n == 2)) for n in range(3)]
    for reader in readers:
        reader.send(b"s SELECT INBOX\r\n")
        reply = b""
        while b"s OK" not in reply:
            reply += reader.recv()
    pid = imap_service.proc.pid
    before = vm_rss(pid)
    for reader in readers:
        reader.send(b"f FETCH 1 BODY.PEEK[]\r\n")
    time.sleep(4.0)  # the server writes what the socket buffers take, then waits for the readers
    stalled = vm_rss(pid)
    assert stalled - before < 20 * MB, f"imap process grew by {(stalled - before) / MB:.1f} MB"
    want = hashlib.sha256(message).hexdigest()
    for reader in readers:
        body, tagged = reader.read_fetch(b"f")
        assert tagged == b"f OK FETCH completed"
        assert len(body) == len(message) and hashlib.sha256(body).hexdigest() == want
    for reader in readers:
        reader.raw.close()


@pytest.fixture
def big(imap_service: ImapService, fresh_account: str, fresh_client: Raw) -> tuple[Raw, bytes, bytes]:
    message, payload = big_message(3 * MB, seed=11)
    imap_service.deliver(message, fresh_account)
    fresh_client.select("INBOX")
    return fresh_client, message, payload


def test_sections_and_partials_of_a_large_message(big: tuple[Raw, bytes, bytes]) -> None:
    client, message, payload = big
    items = fetches(client.command("FETCH 1 (BODY.PEEK[] BODY.PEEK[2] BODY.PEEK[TEXT]<100.5000000>)"))[1]
    assert items["BODY[]"] == message
    encoded = message[message.index(b"base64\r\n\r\n") + 10 : message.rindex(b"\r\n--b0--")]
    assert items["BODY[2]"] == encoded
    text = message[message.index(b"\r\n\r\n") + 4 :]
    assert items["BODY[TEXT]<100>"] == text[100 : 100 + 5000000]
    tail = fetches(client.command(f"FETCH 1 BODY.PEEK[]<{len(message) - 10}.100>"))[1]
    assert tail[f"BODY[]<{len(message) - 10}>"] == message[-10:]


def test_binary_undoes_base64_of_a_large_part(big: tuple[Raw, bytes, bytes]) -> None:
    client, _, payload = big
    reply = client.command("FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2] BINARY.PEEK[2]<1000.2000>)")
    assert reply.ok, reply
    items = fetches(reply)[1]
    assert items["BINARY.SIZE[2]"] == len(payload)
    assert items["BINARY[2]"] == payload
    assert items["BINARY[2]<1000>"] == payload[1000:3000]
    # random bytes hold NUL: RFC 3516 literal8
    assert b"BINARY[2] ~{%d}\r\n" % len(payload) in reply.untagged[0]


def test_binary_undoes_quoted_printable(client: Raw, folder: str) -> None:
    text = ("caf\u00e9 " * 40 + "\n") * 3000  # long lines, soft breaks, 8-bit escapes
    encoded = quopri.encodestring(text.encode()).replace(b"\n", b"\r\n")
    message = (
        b"Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + encoded
    )
    client.append(folder, message)
    client.select(folder)
    reply = client.command("FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])")
    items = fetches(reply)[1]
    want = quopri.decodestring(encoded)
    assert items["BINARY[1]"] == want and items["BINARY.SIZE[1]"] == len(want)
    assert b"BINARY[1] {%d}\r\n" % len(want) in reply.untagged[0]  # no NUL: an ordinary literal


def test_binary_of_an_unknown_encoding_is_no_unknown_cte(client: Raw, folder: str) -> None:
    client.append(folder, b"Subject: u\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n")
    client.select(folder)
    reply = client.command("FETCH 1 BINARY.PEEK[1]")
    assert reply.status == "NO" and b"[UNKNOWN-CTE]" in reply.tagged, reply
    assert not reply.named("FETCH")
    assert client.command("NOOP").ok
