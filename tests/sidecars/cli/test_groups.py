"""Groups (and members), forwarders and account classes in the domain context."""

from __future__ import annotations

from storage.store import Store
from tests.sidecars.cli.conftest import Client, table

GROUP_PROMPT = "<domain-group#> "


def test_group_life(store: Store, admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd('ADD GROUP name team displayName "The Team"') == (
        "+OK: group team@example.test created\r\n<domain#> "
    )
    assert admin.cmd("UPDATE GROUP name team") == "+OK: in group team@example.test\r\n" + GROUP_PROMPT
    assert (
        admin.cmd("ADD MEMBER name alice")
        == "+OK: alice@example.test added to team@example.test\r\n" + GROUP_PROMPT
    )
    assert admin.cmd("ADD MEMBER name friend@elsewhere.test").startswith("+OK: friend@elsewhere.test added")
    assert table(admin.cmd("LIST MEMBERS")) == [["alice@example.test"], ["friend@elsewhere.test"]]
    assert admin.cmd("REMOVE MEMBER name friend@elsewhere.test").startswith(
        "+OK: friend@elsewhere.test removed"
    )
    admin.cmd("BACK")
    assert table(admin.cmd("LIST GROUPS")) == [["team@example.test", "1"]]
    assert store.groups.get("team@example.test").members == ("alice@example.test",)
    assert admin.cmd("REMOVE GROUP name team") == "+OK: group team@example.test removed\r\n<domain#> "
    assert admin.cmd("UPDATE GROUP name team") == "-ERR: group team@example.test does not exist\r\n<domain#> "


def test_group_member_commands_only_in_a_group(admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("ADD MEMBER name alice").startswith("-ERR: ADD MEMBER is not available here (<domain#>)")


def test_forwarders(store: Store, admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd('ADD FORWARDER name sales to "alice@example.test, out@far.test"') == (
        "+OK: forwarder sales@example.test created (2 target(s))\r\n<domain#> "
    )
    assert table(admin.cmd("LIST FORWARDERS")) == [["sales@example.test", "alice@example.test, out@far.test"]]
    assert admin.cmd('ADD FORWARDER name empty to " , "') == (
        "-ERR: a forwarder needs at least one address to forward to\r\n<domain#> "
    )
    assert admin.cmd("ADD FORWARDER name x").startswith("-ERR: ADD FORWARDER: missing parameter to")
    assert (
        admin.cmd("REMOVE FORWARDER name sales") == "+OK: forwarder sales@example.test removed\r\n<domain#> "
    )
    assert store.forwarders.list("example.test") == []


def test_account_class_add_and_enter(admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("ADD CLASS name gold") == "+OK: account class gold created in example.test\r\n<domain#> "
    assert admin.cmd("ADD CLASS name gold").startswith("-ERR: ")
    assert admin.cmd("UPDATE CLASS name gold").endswith("<domain-class#> ")
    assert admin.cmd("BACK") == "+OK: left class gold\r\n<domain#> "
