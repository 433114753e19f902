"""Issue 9 item 4: silent connections that never log in must neither live long nor keep real users out.

The imap and smtp services run as the supervisor runs them, with small limits set before they start:
a short idle time before login, and a listener cap with a reserve for clients that have proved
themselves. The flood comes from several loopback addresses (127.0.0.2 and up), as in the report.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldpost import config as configuration
from tests.sidecars.imap.conftest import PASSWORD, TEST_SETTINGS, ImapService, Raw
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow

HOST = "mail.example.test"
ALICE = "alice@example.test"
PREAUTH_IDLE = 2
CAP = 12
RESERVE = 4
FLOOD = 30  # more than the whole cap, let alone its unauthenticated part


def configure(data: Path, settings: dict[str, object]) -> None:
    from storage import open_store

    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        for name, value in settings.items():
            store.settings.set(name, value)
    finally:
        store.close()


@pytest.fixture(scope="module")
def imap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapService]:
    from storage import open_store

    data = tmp_path_factory.mktemp("preauth-imap") / "data"
    init_demo(data, HOST)
    configure(
        data,
        {
            **TEST_SETTINGS,
            "net.imap.preauth_idle_seconds": PREAUTH_IDLE,
            "net.imap.max_connections": CAP,
            "net.imap.reserve_authenticated": RESERVE,
        },
    )
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        with running("sidecars.imap", "imap", data) as (offset, proc):
            yield ImapService(data, offset, proc, store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def smtp_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    data = tmp_path_factory.mktemp("preauth-smtp") / "data"
    init_demo(data, HOST)
    configure(data, {"net.smtp.max_connections": CAP, "net.smtp.reserve_authenticated": RESERVE})
    with running("sidecars.smtp", "smtp", data) as (offset, _proc):
        yield configuration.LISTENERS["smtp"].port + offset


def flood(port: int, count: int = FLOOD) -> list[socket.socket]:
    """``count`` connections that never say a word, from 127.0.0.2 .. 127.0.0.12 in turn."""
    socks = []
    for n in range(count):
        source = f"127.0.0.{2 + n % 11}"
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)))
    time.sleep(0.5)  # let the service accept them all before the real client comes
    return socks


def closed_by_server(sock: socket.socket, within: float) -> bytes | None:
    """What the server wrote before closing, or None if the connection is still open after ``within``."""
    sock.settimeout(within)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return data


def test_imap_closes_a_silent_connection_before_login_but_not_after(imap: ImapService) -> None:
    anonymous = imap.raw()
    logged_in = imap.login(ALICE)
    sieve = socket.create_connection(("127.0.0.1", imap.port("managesieve")), timeout=10)
    try:
        assert anonymous.greeting.startswith(b"* OK")
        assert Raw(sieve).read_line().startswith(b'"IMPLEMENTATION"')
        time.sleep(PREAUTH_IDLE + 1.5)
        # RFC 3501 5.4: the short autologout timer applies before login only
        parting = closed_by_server(anonymous.sock, within=5)
        assert parting is not None, "the connection that never logged in is still open"
        assert parting == b"* BYE idle timeout, closing connection\r\n"
        assert logged_in.command("NOOP").ok
        # ManageSieve shares the imap service's settings
        sieve_parting = closed_by_server(sieve, within=5)
        assert sieve_parting is not None, "the ManageSieve connection that never logged in is still open"
        assert sieve_parting.endswith(b'BYE "idle timeout, closing connection"\r\n')
    finally:
        anonymous.close()
        logged_in.close()
        sieve.close()


def test_imap_flood_of_unauthenticated_sockets_does_not_keep_alice_out(imap: ImapService) -> None:
    earlier = imap.login(ALICE)  # logged in before the flood: holds a reserved slot
    socks = flood(imap.port("imaps"))
    try:
        alice = imap.raw()
        assert alice.greeting.startswith(b"* OK"), alice.greeting
        assert alice.command(f'LOGIN "{ALICE}" "{PASSWORD}"').ok
        reply = alice.command("SELECT INBOX")
        assert reply.ok, reply
        assert earlier.command("NOOP").ok
        # the oldest silent sockets made room; at most the unauthenticated slots are still open
        still_open = [s for s in socks if closed_by_server(s, within=0.05) is None]
        assert len(still_open) <= CAP - RESERVE
        alice.close()
    finally:
        earlier.close()
        for sock in socks:
            sock.close()


def test_imap_refuses_only_when_logged_in_clients_hold_every_slot(imap: ImapService) -> None:
    sessions: list[Raw] = []
    try:
        for _ in range(CAP):
            sessions.append(imap.login(ALICE))
        sock = socket.create_connection(("127.0.0.1", imap.port("imaps")), timeout=10)
        conn = Raw(imap.tls_context().wrap_socket(sock, server_hostname="localhost"))
        with contextlib.closing(sock):
            assert conn.read_line() == b"* BYE [UNAVAILABLE] too many connections, try again later"
        assert all(session.command("NOOP").ok for session in sessions)
    finally:
        for session in sessions:
            session.close()


def test_smtp_flood_of_silent_sockets_still_lets_a_client_get_its_greeting(smtp_port: int) -> None:
    socks = flood(smtp_port)
    try:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            code, _ = client.ehlo("client.example.test")
            assert code == 250
            # a sender inside a transaction has proved itself: the next flood does not displace it
            assert client.mail("bob@example.org")[0] == 250
            more = flood(smtp_port, CAP)
            try:
                assert client.rcpt(ALICE)[0] == 250
                assert client.rset()[0] == 250
            finally:
                for sock in more:
                    sock.close()
    finally:
        for sock in socks:
            sock.close()
