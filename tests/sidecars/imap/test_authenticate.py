"""AUTHENTICATE (RFC 3501 6.2.2) with PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256 (RFC 5802/7677), the
initial response of SASL-IR (RFC 4959), and client cancellation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from tests.sidecars.imap.conftest import PASSWORD, ImapService, Raw


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def plain_token(user: str, password: str = PASSWORD) -> bytes:
    return b64(b"\0" + user.encode() + b"\0" + password.encode())


def test_plain_with_a_continuation(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        tag = conn.next_tag()
        conn.send(tag.encode() + b" AUTHENTICATE PLAIN\r\n")
        cont = conn.read_line()
        assert cont in (b"+", b"+ "), cont  # RFC 3501 7.5: an empty challenge
        conn.send(plain_token(account) + b"\r\n")
        assert conn.until_tagged(tag).ok
        assert conn.command("SELECT INBOX").ok
    finally:
        conn.close()


def test_plain_with_initial_response(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        reply = conn.command(b"AUTHENTICATE PLAIN " + plain_token(account))  # RFC 4959 3
        assert reply.ok, reply
    finally:
        conn.close()


def test_plain_with_wrong_password_is_no(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command(b"AUTHENTICATE PLAIN " + plain_token(account, "badbadbad")).status == "NO"
        assert conn.command(b"AUTHENTICATE PLAIN " + plain_token(account)).ok
    finally:
        conn.close()


def test_client_cancels_with_star(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        tag = conn.next_tag()
        conn.send(tag.encode() + b" AUTHENTICATE PLAIN\r\n")
        assert conn.read_line().startswith(b"+")
        conn.send(b"*\r\n")
        assert conn.until_tagged(tag).status == "BAD"  # RFC 3501 6.2.2: cancellation -> BAD
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_invalid_base64_is_rejected(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command(b"AUTHENTICATE PLAIN @@not-base64@@").status in ("BAD", "NO")
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_unknown_mechanism_is_no(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command("AUTHENTICATE X-NOT-A-MECHANISM").status in ("NO", "BAD")  # RFC 3501 6.2.2
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_login_mechanism(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        tag = conn.next_tag()
        conn.send(tag.encode() + b" AUTHENTICATE LOGIN\r\n")
        assert conn.read_line().startswith(b"+")
        conn.send(b64(account.encode()) + b"\r\n")
        assert conn.read_line().startswith(b"+")
        conn.send(b64(PASSWORD.encode()) + b"\r\n")
        assert conn.until_tagged(tag).ok
    finally:
        conn.close()


def _challenge(conn: Raw) -> bytes:
    line = conn.read_line()
    assert line.startswith(b"+ "), line
    return base64.b64decode(line[2:])


def test_scram_sha_256(imap_service: ImapService, account: str) -> None:
    """A full SCRAM exchange; the client also checks the server's signature (RFC 5802 3, RFC 7677)."""
    conn = imap_service.raw()
    try:
        assert "AUTH=SCRAM-SHA-256" in conn.command("CAPABILITY").named("CAPABILITY")[0].decode().upper()
        nonce = secrets.token_hex(12)
        first_bare = f"n={account},r={nonce}"
        tag = conn.next_tag()
        conn.send(
            tag.encode() + b" AUTHENTICATE SCRAM-SHA-256 " + b64(("n,," + first_bare).encode()) + b"\r\n"
        )
        server_first = _challenge(conn).decode()
        attrs = dict(part.split("=", 1) for part in server_first.split(","))
        assert attrs["r"].startswith(nonce)
        salted = hashlib.pbkdf2_hmac(
            "sha256", PASSWORD.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
        )
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        final_bare = f"c=biws,r={attrs['r']}"
        auth_message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.digest(hashlib.sha256(client_key).digest(), auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        conn.send(b64(f"{final_bare},p={base64.b64encode(proof).decode()}".encode()) + b"\r\n")
        line = conn.read_line()
        server_key = hmac.digest(salted, b"Server Key", "sha256")
        expected = b"v=" + base64.b64encode(hmac.digest(server_key, auth_message, "sha256"))
        if line.startswith(b"+ "):  # server-final as a challenge, then an empty response
            assert base64.b64decode(line[2:]) == expected
            conn.send(b"\r\n")
            assert conn.until_tagged(tag).ok
        else:  # or as additional data of the OK (RFC 4959 / RFC 9051 6.2.2)
            assert line.startswith(tag.encode() + b" OK"), line
    finally:
        conn.close()


def test_authenticate_when_authenticated_is_refused(client: Raw, account: str) -> None:
    assert client.command(b"AUTHENTICATE PLAIN " + plain_token(account)).status in ("BAD", "NO")


def test_plain_refused_in_clear(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw(tls=False)
    try:
        assert conn.command(b"AUTHENTICATE PLAIN " + plain_token(account)).status in ("NO", "BAD")
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_cram_md5_where_the_domain_allows_it(imap_service: ImapService) -> None:
    """RFC 2195 CRAM-MD5, offered once a domain keeps the sealed secret (auth.allow_cram)."""
    domain = f"cram{secrets.token_hex(3)}.test"
    imap_service.store.domains.add(domain)
    imap_service.set_setting("auth.allow_cram", True, domain=domain)
    address, password = f"c@{domain}", "cram-pass-1"
    imap_service.store.accounts.add(address, password)
    conn = imap_service.raw()
    try:
        assert b"AUTH=CRAM-MD5" in conn.command("CAPABILITY").named("CAPABILITY")[0].upper()
        tag = conn.next_tag()
        conn.send(tag.encode() + b" AUTHENTICATE CRAM-MD5\r\n")
        challenge = _challenge(conn)
        assert re.fullmatch(rb"<[^<>@]+@[^<>]+>", challenge), challenge  # RFC 2195 2: msg-id form
        digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
        conn.send(b64(f"{address} {digest}".encode()) + b"\r\n")
        assert conn.until_tagged(tag).ok
    finally:
        conn.close()
