"""The ManageSieve service as a process (``python -m sidecars.managesieve --service imap``), over a real
socket: greeting, STARTTLS verified against the data dir's certificate, AUTHENTICATE PLAIN, PUTSCRIPT
and SETACTIVE, then the script must be the account's active one in the store."""

from __future__ import annotations

import base64
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldpost import config as configuration
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow

HOST = "mail.example.test"
SCRIPT = 'require "fileinto";\r\nif header :contains "subject" "[list]" { fileinto "Lists"; }\r\n'


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    data = tmp_path_factory.mktemp("managesieve") / "data"
    init_demo(data, HOST)
    with running("sidecars.managesieve", "imap", data) as (offset, _proc):
        yield data, offset


class Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def response(self) -> list[bytes]:
        """Lines up to and including the next OK/NO/BYE line."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                assert chunk, f"connection closed after {lines!r}"
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line)
            if line.split(b" ", 1)[0] in (b"OK", b"NO", b"BYE"):
                return lines

    def cmd(self, line: bytes) -> list[bytes]:
        self.sock.sendall(line + b"\r\n")
        return self.response()


def test_starttls_authenticate_putscript_setactive(service: tuple[Path, int]) -> None:
    data, offset = service
    port = configuration.LISTENERS["managesieve"].port + offset
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = Conn(raw)
    greeting = conn.response()
    assert b'"STARTTLS"' in greeting and b'"SASL" ""' in greeting and greeting[-1].startswith(b"OK")
    assert conn.cmd(b"STARTTLS")[-1].startswith(b"OK")
    context = ssl.create_default_context(cafile=str(data / "tls" / "cert.pem"))
    context.check_hostname = False
    conn.sock = context.wrap_socket(raw)
    assert not conn.buf
    again = conn.response()
    assert any(line.startswith(b'"SASL"') and b"PLAIN" in line for line in again)
    assert not any(line.startswith(b'"STARTTLS"') for line in again)

    token = base64.b64encode(b"\0alice@example.test\0demopass1")
    assert conn.cmd(b'AUTHENTICATE "PLAIN" "' + token + b'"')[-1].startswith(b"OK")
    body = SCRIPT.encode()
    assert conn.cmd(b'PUTSCRIPT "lists" {%d+}\r\n%s' % (len(body), body))[-1].startswith(b"OK")
    assert conn.cmd(b'SETACTIVE "lists"')[-1].startswith(b"OK")
    assert conn.cmd(b"LISTSCRIPTS") == [b'"lists" ACTIVE', b'OK "LISTSCRIPTS completed"']
    assert conn.cmd(b"LOGOUT")[-1].startswith(b"OK")
    conn.sock.close()

    from storage import open_store

    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        active = store.scripts.active("account", "alice@example.test")
    finally:
        store.close()
    assert active is not None and active.name == "lists" and active.content == SCRIPT
