"""LOGIN, LOGOUT and the connection states (RFC 3501 3, 6.1.2, 6.1.3, 6.2.3), driven raw and through
imaplib/imapclient, including wrong credentials and commands in the wrong state."""

from __future__ import annotations

import imaplib

import pytest

from tests.sidecars.imap.conftest import PASSWORD, Closed, ImapService, Raw


def test_login_over_implicit_tls(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        reply = conn.command(f'LOGIN "{account}" "{PASSWORD}"')
        assert reply.ok and reply.tagged.startswith(b"A001 OK"), reply
        assert conn.command("SELECT INBOX").ok  # authenticated state reached
    finally:
        conn.close()


def test_login_with_atoms_and_literals(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        # RFC 3501 9: userid and password are astrings - an atom, a quoted string or a literal
        tag = conn.next_tag()
        conn.send(f"{tag} LOGIN {{{len(account)}}}\r\n".encode())
        assert conn.read_line().startswith(b"+")
        conn.send(f"{account} {PASSWORD}\r\n".encode())
        assert conn.until_tagged(tag).ok
    finally:
        conn.close()


def test_wrong_password_is_no_and_the_session_lives(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        reply = conn.command(f'LOGIN "{account}" "wrong-password"')
        assert reply.status == "NO", reply  # RFC 3501 6.2.3
        assert conn.command("NOOP").ok
        assert conn.command(f'LOGIN "{account}" "{PASSWORD}"').ok
    finally:
        conn.close()


def test_unknown_user_fails_like_a_wrong_password(imap_service: ImapService, account: str) -> None:
    conn = imap_service.raw()
    try:
        unknown = conn.command('LOGIN "nobody-here@example.test" "whatever1"')
        wrong = conn.command(f'LOGIN "{account}" "whatever1"')
        assert unknown.status == wrong.status == "NO"
        # the text must not tell an unknown name from a wrong password
        assert unknown.tagged.split(b" ", 2)[2] == wrong.tagged.split(b" ", 2)[2]
    finally:
        conn.close()


def test_login_again_when_authenticated_is_refused(client: Raw) -> None:
    assert client.command(f'LOGIN "x@example.test" "{PASSWORD}"').status in ("BAD", "NO")
    assert client.command("NOOP").ok


@pytest.mark.parametrize("command", ["SELECT INBOX", 'LIST "" *', "STATUS INBOX (MESSAGES)", "FETCH 1 FLAGS"])
def test_commands_before_login_are_refused(imap_service: ImapService, command: str) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command(command).status in ("BAD", "NO")  # RFC 3501 3.1
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_selected_state_commands_need_a_selected_mailbox(client: Raw) -> None:
    for command in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "EXPUNGE", "CLOSE"):
        assert client.command(command).status in ("BAD", "NO"), command  # RFC 3501 3.2
    assert client.command("NOOP").ok


def test_logout_sends_bye_then_ok_then_closes(client: Raw) -> None:
    reply = client.command("LOGOUT")
    assert reply.ok, reply
    assert reply.untagged and reply.untagged[0].startswith(b"* BYE"), reply  # RFC 3501 6.1.3
    with pytest.raises((Closed, OSError)):
        client.read_line()


def test_disabled_imap_service_refuses_login(imap_service: ImapService) -> None:
    address = imap_service.new_account("noimap")
    imap_service.set_setting("services.imap", False, account=address)
    conn = imap_service.raw()
    try:
        assert conn.command(f'LOGIN "{address}" "{PASSWORD}"').status == "NO"
    finally:
        conn.close()


def test_imaplib_login_and_logout(imap_service: ImapService, account: str) -> None:
    client = imap_service.imaplib()
    typ, _ = client.login(account, PASSWORD)
    assert typ == "OK" and client.state == "AUTH"
    typ, _ = client.logout()
    assert typ == "BYE"


def test_imaplib_wrong_password_raises(imap_service: ImapService, account: str) -> None:
    client = imap_service.imaplib()
    try:
        with pytest.raises(imaplib.IMAP4.error):
            client.login(account, "not-the-password")
    finally:
        client.shutdown()


def test_imapclient_login(imap_service: ImapService, account: str, folder: str) -> None:
    with imap_service.imapclient(account) as c:
        assert c.select_folder(folder)[b"EXISTS"] == 0


def test_quoted_password_with_specials(imap_service: ImapService) -> None:
    address = imap_service.new_account("quoted")
    secret = 'pa"ss\\word1'
    imap_service.store.accounts.set_password(address, secret)
    conn = imap_service.raw()
    try:
        quoted = secret.replace("\\", "\\\\").replace('"', '\\"')  # RFC 3501 9: quoted-specials escaped
        assert conn.command(f'LOGIN "{address}" "{quoted}"').ok
    finally:
        conn.close()


def test_disabled_account_cannot_log_in(imap_service: ImapService) -> None:
    address = imap_service.new_account("off")
    imap_service.store.accounts.set_enabled(address, False)
    conn = imap_service.raw()
    try:
        assert conn.command(f'LOGIN "{address}" "{PASSWORD}"').status == "NO"
    finally:
        conn.close()


def test_changed_password_takes_effect_at_once(imap_service: ImapService) -> None:
    """The server's authentication cache must not keep accepting the old password."""
    address = imap_service.new_account("pw")
    imap_service.login(address).close()  # now cached
    imap_service.store.accounts.set_password(address, "another-secret9")
    conn = imap_service.raw()
    try:
        assert conn.command(f'LOGIN "{address}" "{PASSWORD}"').status == "NO"
        assert conn.command(f'LOGIN "{address}" "another-secret9"').ok
    finally:
        conn.close()
