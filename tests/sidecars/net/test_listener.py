"""ListenerServer end to end: real sockets on 127.0.0.1, the server in its own thread (its own gevent hub),
blocking clients in the test's thread."""

from __future__ import annotations

import ssl
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldpost.tls import make_self_signed
from sidecars.net.listener import ListenerServer, Policy, SessionIds
from sidecars.net.rules import Limits, parse_rule
from sidecars.net.tls import server_context_from
from tests.sidecars.net.serving import Running, at_eof, connect, read_line, wait_for


def refusal(reason: str) -> bytes:
    return f"421 test.example {reason}\r\n".encode()


def echo(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
    sock.sendall(f"hello {session_id} {listener.name}\r\n".encode())
    while True:
        data = sock.recv(1024)
        if not data:
            return
        sock.sendall(data)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    running: list[Running] = []

    def _start(**kwargs: Any) -> Running:
        server = Running(tmp_path / "logs", **{"handler": echo, "refusal": refusal, **kwargs})
        running.append(server)
        return server

    yield _start
    for server in running:
        server.stop()


def test_echo_session_ids_and_log(start: Callable[..., Running]) -> None:
    server = start()
    ids = []
    for _ in range(3):
        with connect(server.port) as sock:
            greeting = read_line(sock).split()
            assert greeting[0] == b"hello" and greeting[2] == b"test"
            ids.append(greeting[1].decode())
            sock.sendall(b"ping\r\n")
            assert read_line(sock) == b"ping\r\n"
    assert ids == ["00000001", "00000002", "00000003"]
    wait_for(lambda: "00000003: connection closed" in server.log_text)
    log = server.log_text
    assert " 08 localhost TEST:00000001: connection accepted from [127.0.0.1]:" in log
    assert "TEST:00000002: connection closed from [127.0.0.1]: closed after" in log


def test_deny_rule_refuses_with_the_protocol_line(start: Callable[..., Running]) -> None:
    server = start(policy=Policy(deny_rules=(parse_rule("127.0.0.0/8@10"),)))
    with connect(server.port) as sock:
        assert read_line(sock) == b"421 test.example access denied\r\n"
        assert at_eof(sock)
    wait_for(lambda: "connection refused from [127.0.0.1]: deny rule 127.0.0.0/8@10" in server.log_text)
    assert "connection accepted" not in server.log_text


def test_allow_rule_of_equal_priority_beats_deny(start: Callable[..., Running]) -> None:
    policy = Policy(allow_rules=(parse_rule("127.0.0.1@10"),), deny_rules=(parse_rule("127.0.0.0/8@10"),))
    server = start(policy=policy)
    with connect(server.port) as sock:
        assert read_line(sock).startswith(b"hello ")


def test_per_ip_limit_refuses_the_second_connection(start: Callable[..., Running]) -> None:
    server = start(policy=Policy(limits=Limits(max_per_ip=1)))
    first = connect(server.port)
    assert read_line(first).startswith(b"hello ")
    with connect(server.port) as second:
        assert read_line(second) == b"421 test.example too many connections from your address\r\n"
        assert at_eof(second)
    first.close()
    # the slot comes back once the first session has ended
    wait_for(lambda: server.server is not None and server.server.flow.active == 0)
    with connect(server.port) as third:
        assert read_line(third).startswith(b"hello ")


def test_allow_rule_limits_replace_the_listeners_per_ip_limit(start: Callable[..., Running]) -> None:
    policy = Policy(allow_rules=(parse_rule("127.0.0.1@1;per_ip=3"),), limits=Limits(max_per_ip=1))
    server = start(policy=policy)
    open_ = [connect(server.port) for _ in range(3)]
    assert all(read_line(sock).startswith(b"hello ") for sock in open_)
    with connect(server.port) as fourth:
        assert read_line(fourth) == b"421 test.example too many connections from your address\r\n"
    wait_for(lambda: "(allow rule 127.0.0.1@1;per_ip=3)" in server.log_text)
    for sock in open_:
        sock.close()


def test_policy_changes_apply_to_new_connections(start: Callable[..., Running]) -> None:
    server = start()
    with connect(server.port) as sock:
        assert read_line(sock).startswith(b"hello ")
        assert server.server is not None
        listener = server.server
        server.call(lambda: listener.set_policy(Policy(deny_rules=(parse_rule("127.0.0.1"),))))
        with connect(server.port) as refused:
            assert read_line(refused) == b"421 test.example access denied\r\n"
        sock.sendall(b"still here\r\n")  # the open session is not touched
        assert read_line(sock) == b"still here\r\n"


def test_idle_timeout_closes_the_connection(start: Callable[..., Running]) -> None:
    server = start(policy=Policy(idle_seconds=0.3))
    with connect(server.port) as sock:
        assert read_line(sock).startswith(b"hello ")
        started = time.monotonic()
        assert at_eof(sock)
        assert 0.2 < time.monotonic() - started < 4
    wait_for(lambda: "connection closed from [127.0.0.1]: idle timeout" in server.log_text)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_self_signed(tmp_path / "tls", "mail.example.test")


def test_implicit_tls_with_the_init_certificate(
    start: Callable[..., Running], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server = start(tls_context=server_context_from(cert, key), implicit_tls=True)
    client = ssl.create_default_context(cafile=str(cert))
    for name in ("mail.example.test", "localhost", "127.0.0.1"):
        with client.wrap_socket(connect(server.port), server_hostname=name) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert read_line(tls).startswith(b"hello ")  # type: ignore[arg-type]
            tls.sendall(b"secret\r\n")
            assert read_line(tls) == b"secret\r\n"  # type: ignore[arg-type]
    # a name the certificate does not cover is rejected by the client
    with pytest.raises(ssl.SSLCertVerificationError):
        client.wrap_socket(connect(server.port), server_hostname="other.example")
    # TLS 1.1 and older are not offered
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
    except ValueError:
        return
    with pytest.raises((ssl.SSLError, OSError)):
        old.wrap_socket(connect(server.port))


def test_implicit_tls_refusal_comes_inside_tls(
    start: Callable[..., Running], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    policy = Policy(limits=Limits(max_per_ip=1))
    server = start(tls_context=server_context_from(cert, key), implicit_tls=True, policy=policy)
    client = ssl.create_default_context(cafile=str(cert))
    with client.wrap_socket(connect(server.port), server_hostname="localhost") as first:
        assert read_line(first).startswith(b"hello ")  # type: ignore[arg-type]
        with client.wrap_socket(connect(server.port), server_hostname="localhost") as second:
            assert read_line(second) == b"421 test.example too many connections from your address\r\n"  # type: ignore[arg-type]


def test_handler_errors_are_logged_and_the_server_lives_on(start: Callable[..., Running]) -> None:
    def broken(sock: Any, address: Any, session_id: str, listener: ListenerServer) -> None:
        if session_id == "00000001":
            raise RuntimeError("boom")
        echo(sock, address, session_id, listener)

    server = start(handler=broken)
    with connect(server.port) as sock:
        assert at_eof(sock)
    with connect(server.port) as sock:
        assert read_line(sock).startswith(b"hello 00000002")
    wait_for(lambda: "RuntimeError: boom" in server.log_text)
    assert "00000001: connection closed from [127.0.0.1]: internal error" in server.log_text


def test_failed_tls_handshakes_release_their_connection_slot(
    start: Callable[..., Running], certificate: tuple[Path, Path]
) -> None:
    """Plain-text probes of an implicit-TLS port (port scanners, `status` checks) must not use up the
    per-address allowance: after many of them a real client still gets in."""
    cert, key = certificate
    policy = Policy(limits=Limits(max_per_ip=2))
    server = start(tls_context=server_context_from(cert, key), implicit_tls=True, policy=policy)
    for _ in range(5):
        with connect(server.port) as probe:
            probe.sendall(b"EHLO not-tls\r\n")
            assert at_eof(probe)
    wait_for(lambda: server.log_text.count("TLS handshake failed after") == 5)
    client = ssl.create_default_context(cafile=str(cert))
    with client.wrap_socket(connect(server.port), server_hostname="localhost") as tls:
        assert read_line(tls).startswith(b"hello ")  # type: ignore[arg-type]


def test_session_ids_of_pool_workers_never_meet() -> None:
    """Issue 10: workers of a pool share the service log; worker n's ids carry n in the top byte."""
    first, second = SessionIds(worker=1), SessionIds(worker=2)
    assert [first.next(), first.next(), second.next()] == ["01000001", "01000002", "02000001"]
    last = SessionIds(start=0xFFFFFF, worker=255)
    assert [last.next(), last.next()] == ["ffffffff", "ff000001"]  # wraps inside its own range
    assert [SessionIds(start=0xFFFFFFFF).next(), SessionIds().next()] == ["ffffffff", "00000001"]
