"""Transcripts of the AUTHORIZATION state: greeting, CAPA, USER/PASS, APOP, AUTH (RFC 5034), STLS, the
plaintext rule, the per-account POP3 switch, ``user+folder`` logins and error control."""

from __future__ import annotations

import base64
import hashlib
import re

from sidecars.net.errorcontrol import ErrorLimits
from storage.store import Store
from tests.sidecars.pop3.conftest import ALICE, ALICE_PW, ARCHIVE, BOB, BOB_PW, INBOX, MakeClient, plain_token


def test_greeting_carries_an_apop_timestamp(make_client: MakeClient) -> None:
    c = make_client()
    assert re.fullmatch(
        r"\+OK mail\.example\.test Fieldpost POP3 ready <[^<>@]+@mail\.example\.test>\r\n", c.banner
    )


def test_capa_before_and_after_login(make_client: MakeClient) -> None:
    c = make_client(tls_active=False)
    caps = c.cmd("CAPA").split("\r\n")
    assert caps[0].startswith("+OK") and caps[-2:] == [".", ""]
    assert "STLS" in caps and "USER" not in caps and "UIDL" in caps and "TOP" in caps and "PIPELINING" in caps
    assert "SASL SCRAM-SHA-256" in caps  # no password-revealing mechanism in clear
    tls = make_client()
    caps = tls.cmd("CAPA").split("\r\n")
    assert "USER" in caps and "STLS" not in caps and "SASL SCRAM-SHA-256 PLAIN LOGIN" in caps
    tls.login()
    after = tls.cmd("CAPA")
    assert "SASL" not in after and "USER" not in after and "UIDL" in after


def test_user_pass_logs_in_and_reports_the_maildrop(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd(f"USER {ALICE}") == "+OK send your password\r\n"
    reply = c.cmd(f"PASS {ALICE_PW}")
    assert reply == f"+OK 3 messages ({sum(len(m) for m in INBOX)} octets)\r\n"
    assert c.session.established


def test_wrong_password_and_pass_without_user(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd(f"PASS {ALICE_PW}").startswith("-ERR send USER first")
    c.cmd(f"USER {ALICE}")
    assert c.cmd("PASS wrong") == "-ERR [AUTH] authentication failed\r\n"
    assert c.cmd("STAT").startswith("-ERR STAT is not allowed in the AUTHORIZATION state")
    c.cmd(f"USER {ALICE}")
    c.cmd("NOOP")  # anything between USER and PASS forgets the name
    assert c.cmd(f"PASS {ALICE_PW}").startswith("-ERR")


def test_passwords_in_clear_are_refused_unless_allowed(make_client: MakeClient) -> None:
    c = make_client(tls_active=False)
    assert c.cmd(f"USER {ALICE}") == "-ERR [AUTH] USER needs TLS first: use STLS\r\n"
    assert c.cmd(f"AUTH PLAIN {plain_token()}").startswith("-ERR mechanism PLAIN is not offered")
    assert c.cmd("STLS") == "+OK begin TLS negotiation\r\n" and c.last.start_tls
    assert c.session.tls_started() is None
    assert c.cmd("STLS").startswith("-ERR STLS is not available")
    assert c.login().startswith("+OK 3 messages")
    open_ = make_client(tls_active=False, allow_plaintext=True)
    assert open_.login().startswith("+OK")


def test_stls_without_tls_pair(make_client: MakeClient) -> None:
    c = make_client(tls_active=False, tls_available=False)
    assert "STLS" not in c.cmd("CAPA")
    assert c.cmd("STLS").startswith("-ERR STLS is not available")


def test_auth_plain_with_initial_response_and_with_a_challenge(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd(f"AUTH PLAIN {plain_token()}").startswith("+OK 3 messages")
    d = make_client()
    assert d.cmd("AUTH PLAIN") == "+ \r\n"
    assert d.cmd(plain_token(BOB, BOB_PW)) == "+OK 0 messages (0 octets)\r\n"


def test_auth_login_cancel_and_bad_base64(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd("AUTH LOGIN") == "+ " + base64.b64encode(b"Username:").decode() + "\r\n"
    assert c.cmd("*") == "-ERR [AUTH] authentication cancelled\r\n"
    assert c.cmd("AUTH LOGIN").startswith("+ ")
    assert c.cmd("not base64!") == "-ERR [AUTH] the response is not valid base64\r\n"
    c.cmd("AUTH LOGIN")
    c.cmd(base64.b64encode(ALICE.encode()).decode())
    assert c.cmd(base64.b64encode(ALICE_PW.encode()).decode()).startswith("+OK 3 messages")


def test_auth_without_argument_lists_mechanisms(make_client: MakeClient) -> None:
    assert make_client().cmd("AUTH") == "+OK mechanisms follow\r\nSCRAM-SHA-256\r\nPLAIN\r\nLOGIN\r\n.\r\n"
    assert make_client().cmd("AUTH GSSAPI").startswith("-ERR mechanism GSSAPI is not offered")


def test_auth_scram_sha_256_sends_the_server_signature_as_a_last_challenge(make_client: MakeClient) -> None:
    import hmac
    import os

    c = make_client()
    nonce = base64.b64encode(os.urandom(12)).decode()
    first_bare = f"n={ALICE},r={nonce}"
    reply = c.cmd("AUTH SCRAM-SHA-256 " + base64.b64encode(f"n,,{first_bare}".encode()).decode())
    server_first = base64.b64decode(reply[2:].strip()).decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", ALICE_PW.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    without_proof = f"c={base64.b64encode(b'n,,').decode()},r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, "sha256").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
    final = c.cmd(base64.b64encode(f"{without_proof},p={proof}".encode()).decode())
    assert final.startswith("+ ") and base64.b64decode(final[2:].strip()).startswith(b"v=")
    assert c.cmd("").startswith("+OK 3 messages")


def test_apop_needs_the_shared_secret(store: Store, make_client: MakeClient) -> None:
    c = make_client()
    timestamp = c.session.timestamp
    digest = hashlib.md5((timestamp + ALICE_PW).encode()).hexdigest()
    assert c.cmd(f"APOP {ALICE} {digest}") == "-ERR [AUTH] authentication failed\r\n"  # no secret kept
    store.settings.set("auth.allow_cram", True)
    store.accounts.set_password(ALICE, ALICE_PW)  # the secret is sealed when the password is set
    d = make_client()
    digest = hashlib.md5((d.session.timestamp + ALICE_PW).encode()).hexdigest()
    assert d.cmd(f"APOP {ALICE} {digest}").startswith("+OK 3 messages")
    e = make_client()
    assert e.cmd(f"APOP {ALICE} {'0' * 32}").startswith("-ERR [AUTH]")
    assert e.cmd("APOP onlyname").startswith("-ERR APOP: expected a name and a digest")


def test_pop3_switched_off_for_the_account(store: Store, make_client: MakeClient) -> None:
    store.settings.set("services.pop3", False, account=ALICE)
    assert make_client().login() == "-ERR [AUTH] authentication failed\r\n"
    assert make_client().login(BOB, BOB_PW).startswith("+OK")


def test_user_plus_folder_reads_that_folder(make_client: MakeClient) -> None:
    for name in ("alice+Archive@example.test", "alice@example.test+Archive"):
        c = make_client()
        assert c.login(name).startswith(f"+OK 2 messages ({sum(len(m) for m in ARCHIVE)} octets)")
        assert "archived" in c.cmd("RETR 1") + c.more()
    assert (
        make_client().login("alice+Nope@example.test").startswith("-ERR [SYS/PERM] no readable folder 'Nope'")
    )


def test_too_many_failed_logins_close_the_session(make_client: MakeClient) -> None:
    c = make_client(errors=ErrorLimits(max_errors=10, max_auth_failures=2))
    assert not c.login(ALICE, "bad").startswith("+OK")
    reply = c.login(ALICE, "bad")
    assert reply.endswith("-ERR too many failed logins, closing connection\r\n") and c.last.close


def test_too_many_bad_commands_close_the_session(make_client: MakeClient) -> None:
    c = make_client(errors=ErrorLimits(max_errors=3, max_auth_failures=3))
    assert c.cmd("FOO") == "-ERR unknown command FOO\r\n"
    assert c.cmd("X").startswith("-ERR a command is a keyword")
    assert c.send(b"NOOP " + b"x" * 9000 + b"\r\n").endswith("too many errors, closing connection\r\n")
    assert c.last.close


def test_quit_in_authorization(make_client: MakeClient) -> None:
    c = make_client()
    assert c.cmd("QUIT") == "+OK mail.example.test closing connection\r\n" and c.last.close
