"""NAMESPACE (RFC 2342): personal, other users' and shared (public) namespaces, with the delimiter of
each, and that the names it gives are the ones LIST uses."""

from __future__ import annotations

from tests.sidecars.imap.conftest import ImapService, Raw, parse


def namespaces(conn: Raw) -> list[object]:
    reply = conn.command("NAMESPACE")
    assert reply.ok, reply
    (line,) = reply.named("NAMESPACE")
    values = parse(line)
    assert values[:2] == ["*", "NAMESPACE"] and len(values) == 5, line  # RFC 2342 5
    return values[2:]


def test_personal_namespace_is_the_root_with_slash(client: Raw) -> None:
    personal, _, _ = namespaces(client)
    assert isinstance(personal, list) and personal[0][:2] == [b"", b"/"]  # type: ignore[index]


def test_other_users_and_shared_namespaces_exist(client: Raw) -> None:
    _, other, shared = namespaces(client)
    for ns in (other, shared):
        assert isinstance(ns, list) and ns, "issue 5 needs other users' and public folders"
        prefix, delimiter = ns[0][:2]  # type: ignore[index]
        assert delimiter == b"/" and prefix and prefix.endswith(b"/")
    assert other[0][0] != shared[0][0]  # type: ignore[index]


def test_namespace_raw_syntax(client: Raw) -> None:
    (line,) = client.command("NAMESPACE").named("NAMESPACE")
    assert line.startswith(b'* NAMESPACE (("" "/")) (("'), line


def test_public_namespace_is_listable(client: Raw) -> None:
    _, _, shared = namespaces(client)
    prefix = shared[0][0].decode()  # type: ignore[index]
    reply = client.command(f'LIST "" "{prefix}%"')
    assert reply.ok  # may be empty, but must not be an error


def test_namespace_before_login_is_refused(imap_service: ImapService) -> None:
    conn = imap_service.raw()
    try:
        assert conn.command("NAMESPACE").status in ("BAD", "NO")
    finally:
        conn.close()


def test_imapclient_namespace(imap_service: ImapService, account: str) -> None:
    with imap_service.imapclient(account) as c:
        ns = c.namespace()
        assert ns.personal[0] == ("", "/")
        assert ns.other and ns.shared
