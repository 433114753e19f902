"""The SMTP socket glue (sidecars/smtp/server.py) around a stand-in session: banner, chunked input,
STARTTLS, implicit TLS, idle timeout, refusals, shutdown. The real session is driven end to end in
test_server_process.py."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fieldpost.tls import make_self_signed
from sidecars.net.listener import Policy
from sidecars.net.rules import Limits, parse_rule
from sidecars.net.tls import server_context_from
from sidecars.smtp.server import make_handler, refusal_for
from tests.sidecars.net.serving import Running, at_eof, connect, read_line, wait_for

if TYPE_CHECKING:
    from storage.store import Store

HOST = "mx.example.test"


@dataclass
class FakeOutput:
    data: bytes = b""
    close: bool = False
    start_tls: bool = False


@dataclass
class FakeContext:
    store: Store
    hostname: str
    listener: str
    peer_ip: str
    peer_port: int
    session_id: str
    tls_active: bool
    tls_available: bool
    log: Any


@dataclass
class FakeSession:
    """Echoes each line as "250 <line>"; QUIT, STARTTLS, TLS? and BOOM do what they say."""

    ctx: FakeContext
    buffer: bytes = b""
    events: list[str] = field(default_factory=list)
    established: bool = False  # never logs in: the listener's idle time before authentication applies

    def __post_init__(self) -> None:
        self.tls = self.ctx.tls_active
        SESSIONS.append(self)

    def banner(self) -> bytes:
        return f"220 {self.ctx.hostname} {self.ctx.listener} {self.ctx.session_id}\r\n".encode()

    def receive(self, data: bytes) -> FakeOutput:
        self.buffer += data
        out = b""
        while b"\r\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            if line == b"QUIT":
                return FakeOutput(out + b"221 bye\r\n", close=True)
            if line == b"STARTTLS":
                self.buffer = b""  # RFC 3207 4.2: nothing pipelined before the handshake survives it
                return FakeOutput(out + b"220 go ahead\r\n", start_tls=True)
            if line == b"TLS?":
                out += f"250 tls={self.tls} available={self.ctx.tls_available}\r\n".encode()
            elif line == b"BOOM":
                raise RuntimeError("session bug")
            else:
                out += b"250 " + line + b"\r\n"
        return FakeOutput(out)

    def tls_started(self) -> None:
        self.tls = True
        self.events.append("tls")

    def connection_lost(self) -> None:
        self.events.append("lost")


SESSIONS: list[FakeSession] = []


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_self_signed(tmp_path / "tls", HOST)


@pytest.fixture
def start(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[Callable[..., Running]]:
    SESSIONS.clear()
    context = server_context_from(*certificate)
    running: list[Running] = []

    def _start(name: str = "smtp", implicit_tls: bool = False, **kwargs: Any) -> Running:
        handler = make_handler(None, HOST, context, session_class=FakeSession, context_class=FakeContext)
        server = Running(
            tmp_path / "logs",
            name=name,
            handler=handler,
            refusal=refusal_for(HOST),
            tls_context=context,
            implicit_tls=implicit_tls,
            **kwargs,
        )
        running.append(server)
        return server

    yield _start
    for server in running:
        server.stop()


@pytest.fixture
def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def test_banner_chunked_input_and_quit(start: Callable[..., Running]) -> None:
    server = start()
    with connect(server.port) as sock:
        assert read_line(sock) == f"220 {HOST} smtp 00000001\r\n".encode()
        for byte in b"EHLO client.example\r\nNOOP\r\n":  # one byte per read
            sock.sendall(bytes([byte]))
        assert read_line(sock) == b"250 EHLO client.example\r\n"
        assert read_line(sock) == b"250 NOOP\r\n"
        sock.sendall(b"QUIT\r\n")
        assert read_line(sock) == b"221 bye\r\n"
        assert at_eof(sock)
    wait_for(lambda: "connection closed" in server.log_text)
    assert SESSIONS[0].events == []  # closed by the session: no connection_lost


def test_starttls_then_commands_inside_tls(start: Callable[..., Running], client_tls: ssl.SSLContext) -> None:
    server = start()
    raw = connect(server.port)
    read_line(raw)
    raw.sendall(b"TLS?\r\n")
    assert read_line(raw) == b"250 tls=False available=True\r\n"
    raw.sendall(b"STARTTLS\r\n")
    assert read_line(raw) == b"220 go ahead\r\n"
    with client_tls.wrap_socket(raw, server_hostname=HOST) as tls:
        tls.sendall(b"TLS?\r\n")
        assert read_line(tls) == b"250 tls=True available=True\r\n"  # type: ignore[arg-type]
        tls.sendall(b"QUIT\r\n")
        assert read_line(tls) == b"221 bye\r\n"  # type: ignore[arg-type]
    assert SESSIONS[0].events == ["tls"]


def test_implicit_tls_listener(start: Callable[..., Running], client_tls: ssl.SSLContext) -> None:
    server = start(name="submissions", implicit_tls=True)
    with client_tls.wrap_socket(connect(server.port), server_hostname="localhost") as tls:
        assert read_line(tls) == f"220 {HOST} submissions 00000001\r\n".encode()  # type: ignore[arg-type]
        tls.sendall(b"TLS?\r\n")
        assert read_line(tls) == b"250 tls=True available=False\r\n"  # type: ignore[arg-type]


def test_idle_timeout_says_421_and_closes(start: Callable[..., Running]) -> None:
    server = start(policy=Policy(idle_seconds=0.3))
    with connect(server.port) as sock:
        read_line(sock)
        assert read_line(sock) == f"421 4.4.2 {HOST} idle timeout, closing connection\r\n".encode()
        assert at_eof(sock)
    wait_for(lambda: "idle timeout" in server.log_text)
    wait_for(lambda: SESSIONS[0].events == ["lost"])


def test_client_gone_tells_the_session(start: Callable[..., Running]) -> None:
    server = start()
    with connect(server.port) as sock:
        read_line(sock)
        sock.sendall(b"MAIL FROM:<a@b.example>\r\n")
        read_line(sock)
    wait_for(lambda: SESSIONS and SESSIONS[0].events == ["lost"])
    assert server.server is not None
    wait_for(lambda: server.server is not None and server.server.flow.active == 0)


def test_a_session_bug_gets_421_and_the_server_lives_on(start: Callable[..., Running]) -> None:
    server = start()
    with connect(server.port) as sock:
        read_line(sock)
        sock.sendall(b"BOOM\r\n")
        assert read_line(sock) == f"421 4.3.0 {HOST} local error, closing connection\r\n".encode()
        assert at_eof(sock)
    with connect(server.port) as sock:
        assert read_line(sock).startswith(b"220 ")
    wait_for(lambda: "RuntimeError: session bug" in server.log_text)


def test_refusals(start: Callable[..., Running]) -> None:
    denied = start(policy=Policy(deny_rules=(parse_rule("127.0.0.1"),)))
    with connect(denied.port) as sock:
        assert read_line(sock) == f"554 5.7.1 {HOST} access denied\r\n".encode()
        assert at_eof(sock)
    busy = start(policy=Policy(limits=Limits(max_per_ip=1)))
    with connect(busy.port) as first:
        read_line(first)
        with connect(busy.port) as second:
            assert read_line(second) == (
                f"421 4.7.0 {HOST} too many connections from your address, try again later\r\n".encode()
            )


def test_stopping_tells_open_sessions(start: Callable[..., Running]) -> None:
    server = start()
    with connect(server.port) as sock:
        read_line(sock)
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        assert read_line(sock) == f"421 4.3.2 {HOST} service shutting down, try again later\r\n".encode()
        assert at_eof(sock)
        stopper.join(10)
    assert SESSIONS[0].events == ["lost"]
