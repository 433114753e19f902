"""Accounts on the console: LIST, ADD ... COMMIT, UPDATE, properties (password, enabled, class), aliases,
REMOVE; names as local parts or addresses of the domain only."""

from __future__ import annotations

from storage.store import Store
from tests.sidecars.cli.conftest import Client, table

ACCOUNT_PROMPT = "<domain-account#> "


def in_domain(admin: Client, name: str = "example.test") -> None:
    assert admin.cmd(f"UPDATE DOMAIN name {name}").endswith("<domain#> ")


def test_list_accounts_of_a_domain_and_of_all(admin: Client) -> None:
    assert table(admin.cmd("LIST ACCOUNTS"))[-1][0] == "postmaster@other.test"
    in_domain(admin)
    reply = admin.cmd("LIST ACCOUNTS")
    assert reply.split("\r\n")[0].split() == [
        "address",
        "status",
        "class",
        "used_bytes",
        "messages",
        "display_name",
    ]
    assert [row[0] for row in table(reply)] == [
        "alice@example.test",
        "bob@example.test",
        "postmaster@example.test",
    ]
    assert reply.endswith("+OK: 3 account(s)\r\n<domain#> ")


def test_list_accounts_pages_and_filters(store: Store, admin: Client) -> None:
    store.for_admin("admin").directory.set_display_name("bob@example.test", "Robert Builder")
    in_domain(admin)
    page = admin.cmd("LIST ACCOUNTS offset 1 limit 1")
    assert [row[0] for row in table(page)] == ["bob@example.test"]
    assert page.endswith("+OK: 3 account(s) (2-2 of 3)\r\n<domain#> ")
    found = admin.cmd("LIST ACCOUNTS filter builder")
    assert table(found) == [["bob@example.test", "enabled", "-", "0", "0", "Robert Builder"]]
    assert admin.cmd("LIST ACCOUNTS limit 0").startswith(
        "-ERR: a page starts at 0 or later and holds 1 to 500"
    )
    assert admin.cmd("LIST ACCOUNTS offset -1").startswith("-ERR: LIST ACCOUNTS: offset is a number")
    assert admin.cmd("LIST ACCOUNTS sort name").startswith("-ERR: LIST ACCOUNTS: unknown parameter 'sort'")


def test_add_account_then_commit(store: Store, admin: Client) -> None:
    in_domain(admin)
    reply = admin.cmd('ADD ACCOUNT name Carol password "carol pass 1" displayName "Carol C."')
    assert (
        reply
        == "+OK: account carol@example.test will be created by COMMIT; BACK abandons it\r\n" + ACCOUNT_PROMPT
    )
    assert admin.cmd("SET quota.storage_bytes 10M").startswith(
        "+OK: quota.storage_bytes = 10M (applied at COMMIT)"
    )
    assert admin.cmd("UPDATE ACCOUNT name bob").startswith("-ERR: UPDATE ACCOUNT is not available here")
    assert admin.cmd("COMMIT") == "+OK: account carol@example.test created\r\n<domain#> "
    carol = store.accounts.get("carol@example.test")
    assert carol.display_name == "Carol C." and carol.quota_bytes == 10 * 1024**2
    assert store.auth.verify("carol@example.test", "carol pass 1")


def test_add_account_refusals(store: Store, admin: Client) -> None:
    in_domain(admin)
    assert admin.cmd("ADD ACCOUNT name dave").startswith("-ERR: ADD ACCOUNT: missing parameter password")
    assert admin.cmd("ADD ACCOUNT name dave@other.test password davepass1") == (
        "-ERR: dave@other.test is not an address of domain example.test\r\n<domain#> "
    )
    assert admin.cmd("ADD ACCOUNT name alice password alicepass9") == (
        "-ERR: account alice@example.test already exists\r\n<domain#> "
    )
    admin.cmd("ADD GROUP name team")
    admin.cmd("ADD ACCOUNT name team password teampass9")
    reply = admin.cmd("COMMIT")  # the name is a group's: storage refuses it at COMMIT
    assert reply == "-ERR: address team is already taken in this domain\r\n" + ACCOUNT_PROMPT
    assert admin.cmd("BACK").startswith("+OK: account team@example.test abandoned")
    admin.cmd("ADD ACCOUNT name erin password short")
    assert admin.cmd("COMMIT").startswith("-ERR: ")
    admin.cmd("BACK")
    assert "erin@example.test" not in [a.address for a in store.accounts.list("example.test")]


def test_update_account_properties(store: Store, admin: Client) -> None:
    in_domain(admin)
    assert (
        admin.cmd("UPDATE ACCOUNT name bob@EXAMPLE.test")
        == "+OK: in account bob@example.test\r\n" + ACCOUNT_PROMPT
    )
    assert admin.cmd("SET password brand-new-1") == "+OK: password changed\r\n" + ACCOUNT_PROMPT
    assert store.auth.verify("bob@example.test", "brand-new-1")
    assert admin.cmd("SET enabled off") == "+OK: account disabled\r\n" + ACCOUNT_PROMPT
    assert not store.accounts.get("bob@example.test").enabled
    assert admin.cmd("SET class gold").startswith("-ERR: ")
    admin.cmd("BACK")
    admin.cmd("ADD CLASS name gold")
    admin.cmd("UPDATE ACCOUNT name bob")
    assert admin.cmd("SET class gold") == "+OK: account class gold\r\n" + ACCOUNT_PROMPT
    assert store.accounts.get("bob@example.test").account_class == "gold"
    shown = admin.cmd("SHOW")
    assert "status        disabled" in shown and "class         gold" in shown
    assert admin.cmd("SET class none") == "+OK: no account class\r\n" + ACCOUNT_PROMPT
    assert admin.cmd("SET displayName Robert").startswith(
        "-ERR: the display name is given when the account is added"
    )


def test_account_aliases(store: Store, admin: Client) -> None:
    in_domain(admin)
    admin.cmd("UPDATE ACCOUNT name alice")
    assert (
        admin.cmd("ADD ALIAS name al")
        == "+OK: al@example.test now reaches alice@example.test\r\n" + ACCOUNT_PROMPT
    )
    assert table(admin.cmd("LIST ALIASES")) == [["al@example.test"]]
    assert admin.cmd("ADD ALIAS name al@other.test").startswith(
        "-ERR: al@other.test is not an address of domain"
    )
    assert admin.cmd("REMOVE ALIAS name al").startswith(
        "+OK: alias al@example.test of alice@example.test removed"
    )
    assert store.accounts.get("alice@example.test").aliases == ()


def test_remove_account(store: Store, admin: Client) -> None:
    in_domain(admin)
    assert (
        admin.cmd("REMOVE ACCOUNT name bob")
        == "+OK: account bob@example.test and its mail removed\r\n<domain#> "
    )
    assert admin.cmd("REMOVE ACCOUNT name bob").startswith("-ERR: ")
    assert [a.address for a in store.accounts.list("example.test")] == [
        "alice@example.test",
        "postmaster@example.test",
    ]


def test_account_commands_need_a_domain_context(admin: Client) -> None:
    assert admin.cmd("ADD ACCOUNT name x password y").startswith(
        "-ERR: ADD ACCOUNT is not available here (<#>)"
    )
    admin.cmd("CREATE DOMAIN name fresh.test postmasterPassword pmpass123")
    assert admin.cmd("LIST ACCOUNTS").startswith("-ERR: LIST ACCOUNTS: COMMIT the new domain first")
    assert admin.cmd("ADD ACCOUNT name x password yyyyyyyy").startswith(
        "-ERR: ADD ACCOUNT: COMMIT the new domain first"
    )
