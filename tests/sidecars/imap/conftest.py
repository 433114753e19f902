"""Fixtures of the end-to-end IMAP conformance suite.

One IMAP service process per xdist worker (``python -m sidecars.imap --service imap``, as the supervisor
runs it) over a demo data dir.  Every test works in a fresh folder of the worker's account (``account``,
``client``, ``folder``), so tests are independent and run in any order and in parallel; tests about a
whole mailbox ask for ``fresh_account``.  Accounts are made through the storage API; their argon2 hash
is the suite's main cost, hence the sharing (logins then hit the server's authentication cache).  The
oracle is the RFC text: the raw client checks responses byte for byte, imaplib and imapclient show what
real client libraries observe.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import secrets
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fieldpost import config as configuration
from tests.fieldpost.conftest import REPO
from tests.support.service import init_demo, running

if TYPE_CHECKING:  # imported lazily: the pure-module tests of this directory share this conftest
    from imapclient import IMAPClient

    from storage.store import Store

HOST = "mail.example.test"
DOMAIN = "example.test"
PASSWORD = "demopass1"
#: Hang guard for every socket read; generous because the CI machine is shared.
TIMEOUT = 10.0

#: Server-wide settings made before the service starts: the suite logs in with wrong passwords on
#: purpose, so the per-address throttle must not slow the other tests down.
TEST_SETTINGS = {
    "auth.free_failures": 1000,
    "auth.lockout_failures": 0,
    "auth.base_delay_seconds": 0,
    "auth.cache_seconds": 3600,
}


# --- the raw client -----------------------------------------------------------------------------------


class Closed(AssertionError):
    """The server closed the connection while the test waited for more."""


@dataclass
class Reply:
    """What one command brought back: the untagged/continuation lines (literals inline) and the tagged
    completion line."""

    untagged: list[bytes]
    tagged: bytes

    @property
    def status(self) -> str:
        return self.tagged.split(b" ", 2)[1].decode()

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    def named(self, name: str) -> list[bytes]:
        """Untagged lines ``* NAME ...`` or ``* n NAME ...`` (name compared without case)."""
        want = name.upper().encode()
        out = []
        for line in self.untagged:
            words = line.split(b" ", 3)
            plain = len(words) > 1 and words[1].upper() == want
            numbered = len(words) > 2 and words[1].isdigit() and words[2].upper() == want
            if plain or numbered:
                out.append(line)
        return out


class Raw:
    """A byte-exact IMAP client: commands out, logical response lines (with their literals) in."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.counter = 0
        self.greeting = b""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(f"connection closed; unread: {self.buf!r}")
        self.buf += chunk

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def physical_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_line(self) -> bytes:
        """One logical response line: literals ``{n}`` are read and kept inline as ``{n}\\r\\n<bytes>``."""
        line = self.physical_line()
        while True:
            match = LITERAL_AT_END.search(line)
            if not match:
                return line
            line += b"\r\n" + self.read_exact(int(match.group(1))) + self.physical_line()

    def next_tag(self) -> str:
        self.counter += 1
        return f"A{self.counter:03d}"

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def until_tagged(self, tag: str) -> Reply:
        lines: list[bytes] = []
        while True:
            line = self.read_line()
            if line.startswith(tag.encode() + b" "):
                return Reply(lines, line)
            lines.append(line)

    def command(self, text: str | bytes, *, tag: str | None = None) -> Reply:
        """Send ``TAG text`` and read until the tagged completion."""
        tag = tag or self.next_tag()
        body = text.encode() if isinstance(text, str) else text
        self.send(tag.encode() + b" " + body + b"\r\n")
        return self.until_tagged(tag)

    def literal_command(self, head: str | bytes, data: bytes, tail: str | bytes = b"") -> Reply:
        """``TAG head {n}`` + wait for the "+" continuation + data + tail: a synchronising literal."""
        tag = self.next_tag()
        head_b = head.encode() if isinstance(head, str) else head
        tail_b = tail.encode() if isinstance(tail, str) else tail
        self.send(tag.encode() + b" " + head_b + b" {%d}\r\n" % len(data))
        cont = self.read_line()
        if not cont.startswith(b"+"):
            # refused before the literal (RFC 3501 7.5: the server may reply NO/BAD instead of "+")
            return Reply([], cont) if cont.startswith(tag.encode()) else self.until_tagged(tag)
        self.send(data + tail_b + b"\r\n")
        return self.until_tagged(tag)

    def append(self, mailbox: str, message: bytes, flags: str = "", date: str = "") -> Reply:
        head = f"APPEND {mailbox} ({flags})" if flags else f"APPEND {mailbox}"
        if date:
            head += f' "{date}"'
        reply = self.literal_command(head, message)
        assert reply.ok, reply
        return reply

    def noop_until(self, done: Callable[[list[bytes]], bool], guard: float = 5.0) -> Reply:
        """NOOP until the untagged lines gathered so far satisfy ``done`` (another session's change may
        reach this one a moment after that session's command completed); fails after ``guard`` s."""
        lines: list[bytes] = []
        deadline = time.monotonic() + guard
        while True:
            reply = self.command("NOOP")
            lines += reply.untagged
            if done(lines):
                return Reply(lines, reply.tagged)
            assert time.monotonic() < deadline, f"still waiting after {guard} s; got {lines!r}"
            time.sleep(0.05)

    def select(self, mailbox: str, extra: str = "") -> Reply:
        reply = self.command(f"SELECT {mailbox}{extra}")
        assert reply.ok, reply
        return reply


LITERAL_AT_END = re.compile(rb"~?\{(\d+)\}$")


# --- a small parser for response data ------------------------------------------------------------------


class Atom(str):
    """An IMAP atom (as opposed to a string): FLAGS, NIL-free words, BODY[1.MIME] and the like."""


def parse(data: bytes) -> list[object]:
    """Parse a run of IMAP response data into Python values: atoms -> Atom (digits -> int), strings
    (quoted or literal) -> bytes, NIL -> None, parenthesised lists -> list."""
    values, pos = _parse_seq(data, 0, top=True)
    return values


def _parse_seq(data: bytes, pos: int, top: bool) -> tuple[list[object], int]:
    out: list[object] = []
    n = len(data)
    while pos < n:
        ch = data[pos : pos + 1]
        if ch == b" ":
            pos += 1
        elif ch == b"(":
            inner, pos = _parse_seq(data, pos + 1, top=False)
            out.append(inner)
        elif ch == b")":
            assert not top, f"unbalanced ) at {pos} in {data!r}"
            return out, pos + 1
        elif ch == b'"':
            pos += 1
            chunk = bytearray()
            while data[pos : pos + 1] != b'"':
                if data[pos : pos + 1] == b"\\":
                    pos += 1
                    assert data[pos : pos + 1] in (b'"', b"\\"), f"bad quoted escape in {data!r}"
                assert pos < n, f"unterminated quoted string in {data!r}"
                chunk += data[pos : pos + 1]
                pos += 1
            out.append(bytes(chunk))
            pos += 1
        elif ch in (b"{", b"~") and re.match(rb"~?\{\d+\}\r\n", data[pos:]):
            match = re.match(rb"~?\{(\d+)\}\r\n", data[pos:])
            assert match
            start = pos + match.end()
            size = int(match.group(1))
            out.append(data[start : start + size])
            pos = start + size
        else:
            start, depth = pos, 0
            while pos < n:
                c = data[pos : pos + 1]
                if c == b"[":
                    depth += 1
                elif c == b"]":
                    depth -= 1
                elif depth == 0 and c in (b" ", b"(", b")"):
                    break
                pos += 1
            word = data[start:pos].decode()
            if word.upper() == "NIL":
                out.append(None)
            elif word.isdigit():
                out.append(int(word))
            else:
                out.append(Atom(word))
    assert top, f"unbalanced ( in {data!r}"
    return out, pos


def fetch_items(line: bytes) -> tuple[int, dict[str, object]]:
    """``* 3 FETCH (UID 7 FLAGS (\\Seen))`` -> (3, {"UID": 7, "FLAGS": ["\\Seen"]}); keys upper-cased."""
    words = parse(line)
    assert words[0] == "*" and str(words[2]).upper() == "FETCH", line
    pairs = words[3]
    seq = words[1]
    assert isinstance(pairs, list) and len(pairs) % 2 == 0 and isinstance(seq, int), line
    return seq, {str(pairs[i]).upper(): pairs[i + 1] for i in range(0, len(pairs), 2)}


def fetches(reply: Reply) -> dict[int, dict[str, object]]:
    """All FETCH responses of a reply by sequence number (items of repeated responses merged)."""
    out: dict[int, dict[str, object]] = {}
    for line in reply.named("FETCH"):
        seq, items = fetch_items(line)
        out.setdefault(seq, {}).update(items)
    return out


def code_of(line: bytes) -> str:
    """The response code text of a status line: ``A1 OK [UIDNEXT 5] x`` -> ``UIDNEXT 5``."""
    match = re.search(rb"\[([^\]]*)\]", line)
    return match.group(1).decode() if match else ""


# --- the service --------------------------------------------------------------------------------------


def server_present() -> bool:
    return (REPO / "sidecars" / "imap" / "__main__.py").exists()


@dataclass
class ImapService:
    """The running service of this worker and a store handle onto its data dir."""

    data: Path
    offset: int
    proc: subprocess.Popen[bytes]
    store: Store = field(repr=False)

    def port(self, listener: str) -> int:
        return configuration.LISTENERS[listener].port + self.offset

    @property
    def cafile(self) -> str:
        return str(self.data / "tls" / "cert.pem")

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts only the data dir's certificate and checks the host name."""
        return ssl.create_default_context(cafile=self.cafile)

    def new_account(self, prefix: str = "u") -> str:
        """A fresh account in the demo domain (password PASSWORD), with the standard folder set."""
        address = f"{prefix}{secrets.token_hex(5)}@{DOMAIN}"
        self.store.accounts.add(address, PASSWORD)
        return address

    def deliver(self, raw: bytes, recipient: str, folder: str = "INBOX") -> None:
        """Deliver like the processing service does: from another process, straight into storage."""
        result = self.store.mail.deliver(raw, [recipient], folder)
        assert not getattr(result, "failed", None), result

    def set_setting(self, name: str, value: object, **level: str) -> None:
        self.store.settings.set(name, value, **level)

    # --- clients -------------------------------------------------------------------------------------
    def raw(self, *, tls: bool = True, greeting: bool = True) -> Raw:
        """A raw connection on imaps (implicit TLS) or imap (clear); the greeting is read unless told."""
        port = self.port("imaps" if tls else "imap")
        sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if tls:
            sock = self.tls_context().wrap_socket(sock, server_hostname="localhost")
        conn = Raw(sock)
        if greeting:
            conn.greeting = conn.read_line()
        return conn

    def login(self, user: str, password: str = PASSWORD) -> Raw:
        """A raw implicit-TLS connection already logged in as ``user``."""
        conn = self.raw()
        reply = conn.command(f'LOGIN "{user}" "{password}"')
        assert reply.ok, reply
        return conn

    def imaplib(self, user: str | None = None) -> imaplib.IMAP4_SSL:
        client = imaplib.IMAP4_SSL(
            "localhost", self.port("imaps"), ssl_context=self.tls_context(), timeout=TIMEOUT
        )
        if user:
            client.login(user, PASSWORD)
        return client

    def imapclient(self, user: str | None = None) -> IMAPClient:
        from imapclient import IMAPClient

        client = IMAPClient(
            "localhost", self.port("imaps"), ssl=True, ssl_context=self.tls_context(), timeout=TIMEOUT
        )
        if user:
            client.login(user, PASSWORD)
        return client


@pytest.fixture(scope="session")
def imap_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapService]:
    if not server_present():
        pytest.skip("sidecars/imap has no service entry point yet")
    from storage import open_store

    data = tmp_path_factory.mktemp("imap") / "data"
    init_demo(data, HOST)
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    for name, value in TEST_SETTINGS.items():
        store.settings.set(name, value)
    try:
        with running("sidecars.imap", "imap", data) as (offset, proc):
            yield ImapService(data, offset, proc, store)
    finally:
        store.close()


@pytest.fixture(scope="session")
def worker_account(imap_service: ImapService) -> str:
    return imap_service.new_account("w")


@pytest.fixture(scope="session")
def guest_account(imap_service: ImapService) -> str:
    """A second account of the worker, for sharing (ACL) tests."""
    return imap_service.new_account("guest")


@pytest.fixture
def account(worker_account: str) -> str:
    """The worker's shared account: use it with ``folder`` (never INBOX or the standard folders)."""
    return worker_account


@pytest.fixture
def fresh_account(imap_service: ImapService) -> str:
    """An account of this test alone: an empty INBOX and the standard folder set."""
    return imap_service.new_account()


@pytest.fixture
def fresh_client(imap_service: ImapService, fresh_account: str) -> Iterator[Raw]:
    conn = imap_service.login(fresh_account)
    yield conn
    conn.close()


@pytest.fixture
def client(imap_service: ImapService, account: str) -> Iterator[Raw]:
    """A raw implicit-TLS connection logged in as ``account``."""
    conn = imap_service.login(account)
    yield conn
    conn.close()


@pytest.fixture
def connect(imap_service: ImapService) -> Iterator[Callable[..., Raw]]:
    """``connect(user)`` opens more logged-in raw connections; all are closed after the test."""
    opened: list[Raw] = []

    def make(user: str | None = None, *, tls: bool = True) -> Raw:
        conn = imap_service.login(user) if user else imap_service.raw(tls=tls)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


@pytest.fixture
def folder(client: Raw) -> str:
    """A fresh, empty folder in the test's account (created over IMAP), not selected."""
    name = f"T{secrets.token_hex(4)}"
    assert client.command(f"CREATE {name}").ok
    return name


# --- messages ---------------------------------------------------------------------------------------


def plain(subject: str, body: str = "body text", **headers: str) -> bytes:
    """A small text message with the given subject (and extra header fields, ``Name=value``)."""
    extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return (
        "From: Alice Example <alice@example.test>\r\n"
        "To: bob@example.test\r\n"
        f"Subject: {subject}\r\n"
        "Date: Mon, 02 Nov 2026 09:00:00 +0000\r\n"
        f"{extra}"
        "\r\n"
        f"{body}\r\n"
    ).encode()


#: multipart/mixed: a text part and a base64 PDF attachment (sizes in the tests are counted by hand from
#: these bytes: header 265, text 327, whole 592; part 1 body 37 bytes / 2 lines, part 2 body 28 bytes).
MULTIPART = (
    b'From: "Alice Example" <alice@example.test>\r\n'
    b"To: Bob <bob@example.test>\r\n"
    b"Cc: carol@example.test\r\n"
    b"Subject: Report attached\r\n"
    b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
    b"Message-ID: <multi-1@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n'
    b"\r\n"
    b"This is a multi-part message in MIME format.\r\n"
    b"--XYZ\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Hello Bob,\r\n"
    b"the report is attached.\r\n"
    b"\r\n"
    b"--XYZ\r\n"
    b'Content-Type: application/pdf; name="report.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="report.pdf"\r\n'
    b"\r\n"
    b"JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"
    b"--XYZ--\r\n"
)

#: RFC 2047 encoded words in Subject and From, an 8bit UTF-8 body with diacritics (body 40 bytes, 2 lines).
MULLER = (
    b"From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_von_M=C3=BCller?=\r\n"
    b"Date: Tue, 03 Nov 2026 08:30:00 +0100\r\n"
    b"Message-ID: <mueller-1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "Liebe Grüße aus Köln,\r\nHerr Müller\r\n".encode()
)

#: A forwarded message: text part (12 bytes, 1 line) and a message/rfc822 part (54 bytes, 4 lines) whose
#: own body is "inner body\r\n" (12 bytes, 1 line).
FORWARD = (
    b"From: carol@example.test\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: Fwd: Plain hello\r\n"
    b"Date: Wed, 04 Nov 2026 12:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"See below.\r\n"
    b"\r\n"
    b"--outer\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: bob@example.test\r\n"
    b"Subject: Inner\r\n"
    b"\r\n"
    b"inner body\r\n"
    b"\r\n"
    b"--outer--\r\n"
)
