"""CAPABILITY (RFC 3501 6.1.1, 7.2.1) and the extensions issue 5 requires to be advertised; ID (RFC 2971)
and ENABLE (RFC 5161), which only make sense next to the capability list."""

from __future__ import annotations

import re

from tests.sidecars.imap.conftest import ImapService, Raw, parse

#: Everything the issue lists, advertised once logged in (RFC 3501 7.2.1: one untagged CAPABILITY line).
REQUIRED_AFTER_LOGIN = {
    "IMAP4REV1", "LITERAL+", "IDLE", "NAMESPACE", "QUOTA", "UIDPLUS", "ACL", "ID", "ENABLE", "MOVE",
    "SPECIAL-USE", "CREATE-SPECIAL-USE", "CONDSTORE", "QRESYNC", "UNSELECT", "CHILDREN", "LIST-EXTENDED",
    "LIST-STATUS", "ESEARCH", "SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "SASL-IR",
    "UTF8=ACCEPT", "COMPRESS=DEFLATE",
}  # fmt: skip


def capabilities(conn: Raw) -> set[str]:
    reply = conn.command("CAPABILITY")
    assert reply.ok, reply
    lines = reply.named("CAPABILITY")
    assert len(lines) == 1, reply
    assert re.fullmatch(rb"\* CAPABILITY( [!-~]+)+", lines[0]), lines[0]
    return {word.upper() for word in lines[0].decode().split()[2:]}


def test_greeting_is_untagged_ok(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.greeting.startswith(b"* OK "), conn.greeting  # RFC 3501 7.1.1 / 2.2.2
    finally:
        conn.close()


def test_authenticated_capabilities_cover_the_issue(client: Raw) -> None:
    caps = capabilities(client)
    missing = REQUIRED_AFTER_LOGIN - caps
    assert not missing, f"not advertised: {sorted(missing)}"
    assert any(cap.startswith("RIGHTS=") for cap in caps)  # RFC 4314 2.1
    assert "LOGINDISABLED" not in caps


def test_cleartext_listener_offers_starttls_and_disables_login(imap_service: ImapService) -> None:
    conn = imap_service.raw(tls=False)
    try:
        caps = capabilities(conn)
        assert {"IMAP4REV1", "STARTTLS", "LOGINDISABLED"} <= caps  # RFC 3501 6.2.1, 7.2.1
    finally:
        conn.close()


def test_implicit_tls_listener_offers_auth_mechanisms_but_not_starttls(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        caps = capabilities(conn)
        assert {"AUTH=PLAIN", "SASL-IR"} <= caps
        assert "STARTTLS" not in caps and "LOGINDISABLED" not in caps
    finally:
        conn.close()


def test_capability_command_with_arguments_is_bad(client: Raw) -> None:
    assert client.command("CAPABILITY IMAP4rev1").status == "BAD"  # RFC 3501 6.1.1 takes no arguments
    assert client.command("NOOP").ok


def test_id_returns_parameter_list_or_nil(client: Raw) -> None:
    reply = client.command('ID ("name" "conformance-suite" "version" "1")')
    assert reply.ok, reply
    (line,) = reply.named("ID")
    values = parse(line)
    assert values[:2] == ["*", "ID"]
    params = values[2]
    assert params is None or (isinstance(params, list) and len(params) % 2 == 0 and len(params) <= 60)
    assert client.command("ID NIL").ok  # RFC 2971 3.1: NIL is a valid argument


def test_id_is_allowed_before_login(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command('ID ("name" "x")').ok
    finally:
        conn.close()


def test_enable_condstore_answers_enabled(client: Raw) -> None:
    reply = client.command("ENABLE CONDSTORE")
    assert reply.ok, reply
    assert reply.named("ENABLED") == [b"* ENABLED CONDSTORE"]  # RFC 5161 3.2


def test_enable_unknown_extension_is_ignored(client: Raw) -> None:
    reply = client.command("ENABLE X-NO-SUCH-THING")
    assert reply.ok, reply
    assert reply.named("ENABLED") in ([], [b"* ENABLED"])  # RFC 5161 3.1: unknown names are ignored


def test_enable_before_login_is_refused(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command("ENABLE CONDSTORE").status in ("BAD", "NO")  # RFC 5161 3.1: authenticated only
        assert conn.command("NOOP").ok
    finally:
        conn.close()


def test_enable_utf8_accept(client: Raw) -> None:
    reply = client.command("ENABLE UTF8=ACCEPT")
    assert reply.ok, reply
    assert reply.named("ENABLED") == [b"* ENABLED UTF8=ACCEPT"]  # RFC 6855 3


def test_imapclient_sees_the_capabilities(imap_service: ImapService, account: str) -> None:
    with imap_service.imapclient(account) as c:
        caps = {cap.decode().upper() for cap in c.capabilities()}
        assert {"IDLE", "MOVE", "UIDPLUS", "CONDSTORE"} <= caps
        assert c.has_capability("ESEARCH")


def test_every_advertised_capability_is_documented(client: Raw) -> None:
    """Issue 5: docs/imap.md lists every capability the server advertises."""
    from tests.fieldpost.conftest import REPO

    doc = (REPO / "docs" / "imap.md").read_text()
    missing = [cap for cap in sorted(capabilities(client)) if f"`{cap}" not in doc.upper()]
    assert not missing, missing


def test_enable_in_selected_state_is_refused(client: Raw, folder: str) -> None:
    client.select(folder)
    assert client.command("ENABLE CONDSTORE").status in (
        "BAD",
        "NO",
    )  # RFC 5161 3.1: authenticated state only
    assert client.command("NOOP").ok
