"""Logging in to the console: the greeting, USER and the password prompt, TLS before passwords, failures,
the shared throttle, and an administrator removed while logged in."""

from __future__ import annotations

import logging
from pathlib import Path

from sidecars.cli.session import CliSession
from sidecars.cli.state import SessionContext
from sidecars.net.errorcontrol import ErrorLimits
from storage import open_store, totp
from storage.store import Store
from tests.sidecars.cli.conftest import ADMIN_PW, Client, MakeClient

LOGIN_PROMPT = "<login> "
PASSWORD_PROMPT = "<password> "
TOP = "<#> "


def test_greeting_then_user_then_password(make_client: MakeClient) -> None:
    client = make_client()
    assert client.banner.startswith("+OK: mail.example.test Fieldpost administration console ready.")
    assert client.banner.endswith("\r\n" + LOGIN_PROMPT)
    assert client.cmd("USER admin") == PASSWORD_PROMPT
    assert client.cmd(ADMIN_PW) == "+OK: logged in as admin\r\n" + TOP
    assert client.session.established


def test_wrong_password_and_unknown_name_read_the_same(make_client: MakeClient) -> None:
    client = make_client()
    client.cmd("USER admin")
    wrong = client.cmd("not-the-password")
    client.cmd("USER nobody")
    unknown = client.cmd(ADMIN_PW)
    assert wrong == unknown == "-ERR: authentication failed\r\n" + LOGIN_PROMPT
    assert not client.session.established


def test_an_account_is_not_an_administrator(make_client: MakeClient) -> None:
    client = make_client()
    assert client.login("alice@example.test", "alicepass1").endswith(
        "-ERR: authentication failed\r\n<login> "
    )


def test_plain_connection_needs_starttls_before_user(make_client: MakeClient) -> None:
    client = make_client(tls_active=False, tls_available=True)
    assert "STARTTLS is offered" in client.banner
    refused = client.cmd("USER admin")
    assert (
        refused
        == "-ERR: passwords are taken only over TLS: use STARTTLS first (or the TLS listener)\r\n<login> "
    )
    assert client.cmd("STARTTLS") == "+OK: begin TLS negotiation now\r\n"
    assert client.last.start_tls
    assert client.session.tls_started() == LOGIN_PROMPT.encode()
    assert client.cmd("STARTTLS").startswith("-ERR: STARTTLS: TLS is already on")
    assert client.login().endswith("+OK: logged in as admin\r\n" + TOP)


def test_plain_login_when_the_setting_allows_it(make_client: MakeClient) -> None:
    client = make_client(tls_active=False, tls_available=False, allow_plaintext=True)
    assert "STARTTLS" not in client.banner
    assert client.login().endswith("+OK: logged in as admin\r\n" + TOP)


def test_no_tls_at_all_says_where_to_go(make_client: MakeClient) -> None:
    client = make_client(tls_active=False, tls_available=False)
    assert client.cmd("USER admin").startswith("-ERR: passwords are taken only over TLS: connect to the TLS")
    assert client.cmd("STARTTLS").startswith("-ERR: STARTTLS: STARTTLS is not offered here")


def test_commands_before_login_are_refused(make_client: MakeClient) -> None:
    client = make_client()
    assert client.cmd("LIST DOMAINS") == (
        "-ERR: LIST DOMAINS is not available here (not logged in); HELP lists what is\r\n" + LOGIN_PROMPT
    )
    help_text = client.cmd("HELP")
    assert "USER name" in help_text and "LIST DOMAINS" not in help_text
    assert help_text.endswith("+OK: 4 command(s) before login\r\n" + LOGIN_PROMPT)


def test_too_many_failed_logins_end_the_session(make_client: MakeClient) -> None:
    client = make_client(errors=ErrorLimits(max_errors=10, max_auth_failures=2))
    client.login("admin", "wrong-one")
    reply = client.login("admin", "wrong-two")
    assert reply.endswith("-ERR: authentication failed; too many failed logins, closing the connection\r\n")
    assert client.last.close


def test_the_shared_throttle_slows_guessing_across_sessions(store: Store, tmp_path: Path) -> None:
    store.settings.set("auth.free_failures", 0)
    store.settings.set("auth.base_delay_seconds", 600)
    again = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")  # reads the new policy
    try:
        first = session(again, "198.51.100.7")
        assert first.login("admin", "guess-1").endswith("-ERR: authentication failed\r\n<login> ")
        other = session(again, "198.51.100.7")
        reply = other.login()  # the right password, but the name and the address wait now
        assert reply.endswith("-ERR: too many failed logins; try again later\r\n<login> ")
        elsewhere = session(again, "203.0.113.9")
        assert elsewhere.login().endswith("-ERR: too many failed logins; try again later\r\n<login> ")
    finally:
        again.close()


def session(store: Store, ip: str) -> Client:
    context = SessionContext(
        store=store,
        hostname="h",
        peer_ip=ip,
        session_id="t",
        tls_active=True,
        tls_available=False,
        log=logging.getLogger("test.cli"),
    )
    return Client(CliSession(context))


def test_an_administrator_removed_meanwhile_is_stopped(store: Store, admin: Client) -> None:
    store.admins.set_password("second", "secondpass1")
    store.admins.remove("admin")
    reply = admin.cmd("LIST DOMAINS")
    assert reply == "-ERR: administrator admin no longer exists; closing the connection\r\n"
    assert admin.last.close


def test_quit(admin: Client) -> None:
    assert admin.cmd("quit") == "+OK: goodbye\r\n"
    assert admin.last.close
    assert admin.send(b"LIST DOMAINS\r\n") == ""


def test_two_step_sign_in_asks_for_a_code(store: Store, make_client: MakeClient) -> None:
    now = [1_800_000_000.0]
    store.second_factors.clock = lambda: now[0]
    factor = store.second_factors.for_admin("admin")
    enrolment = factor.enrol()
    factor.confirm(totp.code_at(enrolment.secret, now[0]))
    now[0] += 120
    good = totp.code_at(enrolment.secret, now[0])
    client = make_client()
    client.cmd("USER admin")
    assert client.cmd(ADMIN_PW) == "<code> "
    assert (
        client.cmd(f"{(int(good) + 1) % 1_000_000:06d}") == "-ERR: authentication failed\r\n" + LOGIN_PROMPT
    )
    assert not client.session.established
    client.cmd("USER admin")
    assert client.cmd(ADMIN_PW) == "<code> "
    assert client.cmd(good) == "+OK: logged in as admin\r\n" + TOP
    other = make_client()
    other.cmd("USER admin")
    other.cmd(ADMIN_PW)
    assert other.cmd(good) == "-ERR: authentication failed\r\n" + LOGIN_PROMPT  # a code works once
