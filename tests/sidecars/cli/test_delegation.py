"""A delegated administrator on the console: every command aimed at another tenant's domain answers
exactly as for a domain that does not exist, and changes nothing; server work needs its permission;
work in their own domain needs the domain permission of its kind."""

from __future__ import annotations

import pytest

from storage.store import Store
from tests.sidecars.cli.conftest import Client, MakeClient, table

OTHER, NOWHERE = "other.test", "nowhere.test"

#: Commands at the top context that name a domain ({d}).
AT_TOP = [
    "UPDATE DOMAIN name {d}",
    "REMOVE DOMAIN name {d}",
    "RENAME DOMAIN name {d} newName taken-over.test",
]
#: Commands inside the delegate's own domain that name an address of another domain ({d}).
IN_OWN_DOMAIN = [
    "UPDATE ACCOUNT name olga@{d}",
    "REMOVE ACCOUNT name olga@{d}",
    "ADD ACCOUNT name olga@{d} password olgapass9",
    "UPDATE GROUP name staff@{d}",
    "REMOVE GROUP name staff@{d}",
    "ADD GROUP name grab@{d}",
    "REMOVE FORWARDER name fw@{d}",
    "ADD FORWARDER name fw@{d} to alice@example.test",
    "UPDATE CLASS name gold@{d}",
]
#: Commands inside an account of the delegate's own domain that name an address of another domain.
IN_OWN_ACCOUNT = ["ADD ALIAS name olga@{d}", "REMOVE ALIAS name olga@{d}"]
#: Server-level work a domain administrator holds no permission for.
SERVER_WORK = [
    "CREATE DOMAIN name mine.test",
    "SHOW",
    "SET quota.messages 5",
    "CLEAR quota.messages",
    "SHOW auth.free_failures",
    "LIST QUEUE",
    "SHOW QUEUE id 1",
    "RETRY QUEUE all yes",
    "DELETE QUEUE id 1",
    "BOUNCE QUEUE id 1",
    "LIST SERVICES",
    "RESTART SERVICE name imap",
]


@pytest.fixture
def delegated(store: Store) -> Store:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    server.admins.add("reader", "readerpass1")
    server.admins.grant("example.test", admin="reader", rights="none")
    server.add_group("staff@other.test")
    server.add_forwarder("fw@other.test", ["olga@other.test"])
    server.add_account_class("other.test", "gold")
    return store


def snapshot(store: Store) -> tuple[object, ...]:
    server = store.for_admin("admin")
    return (
        [(d.name, d.enabled, d.aliases) for d in server.list_domains()],
        [(a.address, a.enabled, a.aliases, a.account_class) for a in server.list_accounts(OTHER)],
        server.list_groups(OTHER),
        server.list_forwarders(OTHER),
        server.explicit_settings(domain=OTHER),
    )


def dora(make_client: MakeClient, name: str = "dora", password: str = "dorapass12") -> Client:
    client = make_client()
    assert client.login(name, password).endswith(f"+OK: logged in as {name}\r\n<#> ")
    return client


def same_as_nowhere(client: Client, template: str, enter: list[str]) -> str:
    """The reply to ``template`` for other.test after the ``enter`` commands, checked to read exactly as
    the reply for a domain that does not exist (the name swapped); returns it."""
    replies = []
    for domain in (OTHER, NOWHERE):
        for line in enter:
            assert client.cmd(line).startswith("+OK"), line
        replies.append(client.cmd(template.format(d=domain)).replace(domain, "D"))
        for _ in client.session.stack[1:]:
            assert client.cmd("BACK").startswith("+OK")
    assert replies[0] == replies[1], template
    assert replies[0].startswith("-ERR: "), template
    return replies[0]


def test_lists_show_only_the_granted_domain(delegated: Store, make_client: MakeClient) -> None:
    client = dora(make_client)
    assert [row[0] for row in table(client.cmd("LIST DOMAINS"))] == ["example.test"]
    assert {row[0].rpartition("@")[2] for row in table(client.cmd("LIST ACCOUNTS"))} == {"example.test"}
    help_text = client.cmd("HELP")
    assert "UPDATE DOMAIN" in help_text
    assert not any(word in help_text for word in ("CREATE DOMAIN", "LIST QUEUE", "LIST SERVICES"))


def test_no_command_reaches_another_domain(delegated: Store, make_client: MakeClient) -> None:
    before = snapshot(delegated)
    client = dora(make_client)
    for template in AT_TOP:
        assert same_as_nowhere(client, template, []) == "-ERR: domain D does not exist\r\n<#> "
    for template in IN_OWN_DOMAIN:
        same_as_nowhere(client, template, ["UPDATE DOMAIN name example.test"])
    for template in IN_OWN_ACCOUNT:
        same_as_nowhere(client, template, ["UPDATE DOMAIN name example.test", "UPDATE ACCOUNT name alice"])
    client.cmd("UPDATE DOMAIN name example.test")
    assert client.cmd("ADD GROUP name team").startswith("+OK")
    client.cmd("BACK")
    client.cmd("UPDATE DOMAIN name example.test")
    client.cmd("UPDATE GROUP name team")
    # another tenant's address is named like an outside one (nowhere.test): both accepted alike, so the
    # answer tells nothing of which domains exist here
    theirs = client.cmd(f"ADD MEMBER name olga@{OTHER}")
    assert theirs.replace(OTHER, "nowhere.test") == client.cmd("ADD MEMBER name olga@nowhere.test")
    assert client.cmd(f"REMOVE MEMBER name olga@{OTHER}").startswith("+OK")
    assert client.cmd("REMOVE MEMBER name olga@nowhere.test").startswith("+OK")
    assert delegated.groups.get("team@example.test").members == ()
    assert snapshot(delegated) == before


def test_server_work_needs_its_permission(delegated: Store, make_client: MakeClient) -> None:
    before = snapshot(delegated)
    client = dora(make_client)
    for line in SERVER_WORK:
        reply = client.cmd(line)
        assert reply.startswith(
            "-ERR: only a server administrator may do this, or one granted the server "
        ), line
        assert reply.endswith("<#> "), line
    assert snapshot(delegated) == before
    assert delegated.settings.get("quota.messages") == 0


def test_work_in_the_granted_domain(delegated: Store, make_client: MakeClient) -> None:
    client = dora(make_client)
    client.cmd("UPDATE DOMAIN name example.test")
    assert client.cmd("SET quota.messages 300").startswith("+OK: quota.messages = 300 (in force now)")
    client.cmd("ADD ACCOUNT name dan password danpass123")
    assert client.cmd("COMMIT") == "+OK: account dan@example.test created\r\n<domain#> "
    assert client.cmd("ADD ALIAS name example.org").startswith("-ERR: only a server administrator")
    assert delegated.settings.get("quota.messages", account="dan@example.test") == 300


def test_a_read_only_grant_sees_but_changes_nothing(delegated: Store, make_client: MakeClient) -> None:
    client = dora(make_client, "reader", "readerpass1")
    client.cmd("UPDATE DOMAIN name example.test")
    assert "alice@example.test" in client.cmd("LIST ACCOUNTS")
    assert "quota.messages" in client.cmd("SHOW")
    refused = client.cmd("SET quota.messages 1")
    assert refused.startswith("-ERR: ") and "settings" in refused
    refused = client.cmd("DKIM GENERATE")
    assert refused.startswith("-ERR: ") and "settings" in refused
    assert not (delegated.blobs.root.parent / "tls" / "dkim").exists()
    client.cmd("ADD ACCOUNT name eve password evepass123")
    refused = client.cmd("COMMIT")
    assert refused.startswith("-ERR: ") and "accounts" in refused and refused.endswith("<domain-account#> ")
    client.cmd("BACK")
    assert client.cmd("REMOVE ACCOUNT name bob").startswith("-ERR: ")
    assert [a.address for a in delegated.accounts.list("example.test")] == [
        "alice@example.test",
        "bob@example.test",
        "postmaster@example.test",
    ]
