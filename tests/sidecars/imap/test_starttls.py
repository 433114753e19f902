"""STARTTLS on the clear-text listener (RFC 3501 6.2.1, RFC 2595): the upgrade, what changes after it, and
that nothing the client pipelined before the handshake is executed afterwards (command injection)."""

from __future__ import annotations

import imaplib

from tests.sidecars.imap.conftest import PASSWORD, ImapService, Raw


def upgrade(imap_service: ImapService, conn: Raw) -> None:
    reply = conn.command("STARTTLS")
    assert reply.ok, reply
    assert not conn.buf  # nothing may follow the OK in the clear
    conn.sock = imap_service.tls_context().wrap_socket(conn.sock, server_hostname="localhost")


def test_starttls_then_login(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw(tls=False)
    try:
        assert conn.command(f'LOGIN "{account}" "{PASSWORD}"').status == "NO"  # LOGINDISABLED
        upgrade(imap_service, conn)
        caps = conn.command("CAPABILITY").named("CAPABILITY")[0].decode().upper().split()
        assert "STARTTLS" not in caps and "LOGINDISABLED" not in caps  # RFC 3501 6.2.1
        assert conn.command(f'LOGIN "{account}" "{PASSWORD}"').ok
    finally:
        conn.close()


def test_pipelined_command_after_starttls_is_discarded(imap_service: ImapService) -> None:
    conn = imap_service.raw(tls=False)
    try:
        conn.send(b"A1 STARTTLS\r\nA2 NOOP\r\n")
        line = conn.read_line()
        assert line.startswith(b"A1 OK"), line
        conn.buf = b""
        conn.sock = imap_service.tls_context().wrap_socket(conn.sock, server_hostname="localhost")
        reply = conn.command("NOOP", tag="A3")
        assert all(not line.startswith(b"A2 ") for line in reply.untagged), reply
    finally:
        conn.close()


def test_starttls_when_already_on_tls_is_refused(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command("STARTTLS").status in ("BAD", "NO")
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_starttls_after_login_is_refused(client: Raw) -> None:
    assert client.command("STARTTLS").status in ("BAD", "NO")  # RFC 3501 6.2.1: not-authenticated only


def test_imaplib_starttls(imap_service: ImapService, account: str) -> None:
    client = imaplib.IMAP4("localhost", imap_service.port("imap"), timeout=10)
    try:
        typ, _ = client.starttls(ssl_context=imap_service.tls_context())
        assert typ == "OK"
        assert client.login(account, PASSWORD)[0] == "OK"
        assert client.select("INBOX")[0] == "OK"
    finally:
        client.shutdown()
