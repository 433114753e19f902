"""The pop3 service as a process (``python -m sidecars.pop3 --service pop3``), driven by Python's
poplib over real sockets: every command over STLS and over implicit TLS (certificate checked against
the data directory's), the plaintext rule, bad input, a large message streamed, \\Seen seen over the
store, deletions at QUIT, an IMAP-style expunge during a session, and the listener's refusal line."""

from __future__ import annotations

import poplib
import secrets
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldpost import config as configuration
from storage import open_store
from storage.maildrop import REFRESH_SECONDS
from storage.store import Store
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow

HOST = "mail.example.test"
PASSWORD = "pop3pass1"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, Store]]:
    data = tmp_path_factory.mktemp("pop3") / "data"
    init_demo(data, HOST)
    config = configuration.load(str(data))
    store = open_store(config.database_url, config.blob_dir)
    for key, value in {
        "auth.free_failures": 1000,
        "auth.lockout_failures": 0,
        "auth.base_delay_seconds": 0,
    }.items():
        store.settings.set(key, value)
    try:
        with running("sidecars.pop3", "pop3", data) as (offset, _proc):
            yield data, offset, store
    finally:
        store.close()


class Box:
    """A fresh account with ``count`` messages in INBOX, and how to reach the service."""

    def __init__(self, service: tuple[Path, int, Store], count: int, body: bytes = b"") -> None:
        self.data, self.offset, self.store = service
        self.address = f"pop{secrets.token_hex(4)}@example.test"
        self.store.accounts.add(self.address, PASSWORD)
        self.folder = self.store.folders.get(self.address, "INBOX").id
        self.messages = [
            b"Subject: message %d\r\nMessage-ID: <p%d@example.org>\r\n\r\nline one\r\n.dotted\r\n%s"
            % (n, n, body)
            for n in range(1, count + 1)
        ]
        for raw in self.messages:
            self.store.mail.append_to_folder(self.folder, raw)
        self.context = ssl.create_default_context(cafile=str(self.data / "tls" / "cert.pem"))

    def port(self, name: str) -> int:
        return configuration.LISTENERS[name].port + self.offset

    def stls(self) -> poplib.POP3:
        client = poplib.POP3("localhost", self.port("pop3"), timeout=20)
        client.stls(self.context)
        return client

    def implicit(self) -> poplib.POP3_SSL:
        return poplib.POP3_SSL("localhost", self.port("pop3s"), context=self.context, timeout=20)

    def uids(self) -> list[int]:
        return self.store.mail.uids(self.folder)

    def seen(self) -> list[bool]:
        return ["\\Seen" in f.flags for f in self.store.mail.flags(self.folder)]


def as_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")[:-1]


@pytest.mark.parametrize("connect", ["stls", "implicit"])
def test_every_command_with_poplib(service: Any, connect: str) -> None:
    box = Box(service, 3)
    client = getattr(box, connect)()
    caps = client.capa()
    assert {"TOP", "UIDL", "USER", "SASL", "PIPELINING"} <= set(caps) and "STLS" not in caps
    client.user(box.address)
    assert client.pass_(PASSWORD).startswith(b"+OK 3 messages")
    sizes = [len(m) for m in box.messages]
    assert client.stat() == (3, sum(sizes))
    assert client.list()[1] == [b"%d %d" % (n, s) for n, s in enumerate(sizes, 1)]
    assert client.list(2) == b"+OK 2 %d" % sizes[1]
    uidl = client.uidl()[1]
    assert len({line.split()[1] for line in uidl}) == 3
    assert client.uidl(1) == b"+OK " + uidl[0]
    _resp, lines, octets = client.retr(1)
    assert lines == as_lines(box.messages[0]) and octets >= sizes[0]
    assert client.top(2, 1)[1] == [b"Subject: message 2", b"Message-ID: <p2@example.org>", b"", b"line one"]
    assert client.noop().startswith(b"+OK")
    client.dele(3)
    with pytest.raises(poplib.error_proto, match="deleted"):
        client.retr(3)
    assert client.stat()[0] == 2
    client.rset()
    assert client.stat()[0] == 3
    client.dele(2)
    assert client.quit().startswith(b"+OK")
    assert len(box.uids()) == 2
    assert box.seen() == [True, False]


def test_sasl_plain_over_implicit_tls(service: Any) -> None:
    box = Box(service, 1)
    client = box.implicit()
    import base64

    token = base64.b64encode(f"\0{box.address}\0{PASSWORD}".encode()).decode()
    assert client._shortcmd(f"AUTH PLAIN {token}").startswith(b"+OK 1 messages")
    client.quit()


def test_plain_port_refuses_passwords_before_stls(service: Any) -> None:
    box = Box(service, 1)
    client = poplib.POP3("localhost", box.port("pop3"), timeout=20)
    assert client.getwelcome().startswith(b"+OK mail.example.test Fieldpost POP3 ready <")
    caps = client.capa()
    assert "STLS" in caps and "USER" not in caps
    with pytest.raises(poplib.error_proto, match="needs TLS"):
        client.user(box.address)
    with pytest.raises(poplib.error_proto, match="unknown command"):
        client._shortcmd("HELO")
    with pytest.raises(poplib.error_proto, match="not allowed in the AUTHORIZATION state"):
        client.stat()
    client.quit()


def test_a_large_message_streams_byte_exact(service: Any) -> None:
    line = b"." + b"x" * 70 + b"\r\n"
    box = Box(service, 1, body=line * 40_000)  # ~2.9 MB, every line dot-stuffed on the wire
    client = box.implicit()
    client.user(box.address)
    client.pass_(PASSWORD)
    _resp, lines, _octets = client.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == box.messages[0]
    client.quit()


def test_expunge_elsewhere_during_a_session(service: Any) -> None:
    box = Box(service, 3)
    client = box.stls()
    client.user(box.address)
    client.pass_(PASSWORD)
    uids = box.uids()
    box.store.mail.set_flags(box.folder, [uids[0]], ["\\Deleted"], "add")
    box.store.mail.expunge(box.folder)
    time.sleep(REFRESH_SECONDS + 0.1)  # the session looks again at most this often
    with pytest.raises(poplib.error_proto, match="removed meanwhile"):
        client.retr(1)
    assert client.list(1) == b"+OK 1 0"
    client.dele(1)
    client.dele(2)
    assert client.quit().startswith(b"+OK")
    assert box.uids() == [uids[2]]


def test_connection_dropped_without_quit_keeps_messages(service: Any) -> None:
    box = Box(service, 2)
    client = box.implicit()
    client.user(box.address)
    client.pass_(PASSWORD)
    client.retr(2)
    client.dele(1)
    client.sock.shutdown(socket.SHUT_RDWR)  # poplib's file still holds the socket: close() alone would not
    client.sock.close()
    from tests.sidecars.net.serving import wait_for

    wait_for(lambda: box.seen() == [False, True], 10)
    assert len(box.uids()) == 2
