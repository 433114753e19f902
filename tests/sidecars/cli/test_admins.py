"""Administrators and administrator groups on the console: add, permissions, domain grants with limits,
group members, and what the new delegated administrator then reaches when they log in."""

from __future__ import annotations

from storage.store import Store
from tests.sidecars.cli.conftest import Client, MakeClient, table

ADMIN_PROMPT = "<admin#> "
GROUP_PROMPT = "<admingroup#> "


def test_add_a_delegated_administrator_and_grant_a_domain(
    store: Store, admin: Client, make_client: MakeClient
) -> None:
    assert admin.cmd('ADD ADMIN name helpdesk password "help desk 1" rights queue') == (
        "+OK: delegated administrator helpdesk added\r\n<#> "
    )
    rows = {row[0]: row for row in table(admin.cmd("LIST ADMINS"))}
    assert rows["admin"][1:3] == ["enabled", "yes"]
    assert rows["helpdesk"][1:4] == ["enabled", "no", "queue"]
    assert admin.cmd("UPDATE ADMIN name helpdesk") == "+OK: in administrator helpdesk\r\n" + ADMIN_PROMPT
    granted = admin.cmd('GRANT DOMAIN name example.test rights "accounts, settings" maxAccounts 10')
    assert table(granted) == [["example.test", "accounts, settings", "10", "no limit"]]
    assert granted.endswith("+OK: example.test granted to helpdesk\r\n" + ADMIN_PROMPT)
    shown = admin.cmd("SHOW")
    assert "server_permissions  queue" in shown and "example.test  accounts, settings" in shown
    assert (
        admin.cmd('SET rights "queue, services"')
        == "+OK: server permissions: queue, services\r\n" + ADMIN_PROMPT
    )
    assert admin.cmd("SET colour blue").startswith("-ERR: an administrator has no property 'colour'")
    assert admin.cmd("SET quota.messages 5").startswith("-ERR: an administrator has no property")
    assert (
        admin.cmd("GRANT DOMAIN name nowhere.test")
        == "-ERR: domain nowhere.test does not exist\r\n" + ADMIN_PROMPT
    )
    assert admin.cmd("GRANT DOMAIN name other.test maxAccounts lots").startswith(
        "-ERR: GRANT DOMAIN: maxaccounts is a number (or none)"
    )
    admin.cmd("BACK")

    desk = make_client()
    assert desk.login("helpdesk", "help desk 1").endswith("<#> ")
    assert [row[0] for row in table(desk.cmd("LIST DOMAINS"))] == ["example.test"]
    assert desk.cmd("LIST QUEUE").endswith("+OK: 0 queued message(s)\r\n<#> ")
    assert desk.cmd("LIST ADMINS").startswith("-ERR: only a server administrator may do this")

    admin.cmd("UPDATE ADMIN name helpdesk")
    assert (
        admin.cmd("REVOKE DOMAIN name example.test")
        == "+OK: example.test withdrawn from helpdesk\r\n" + ADMIN_PROMPT
    )
    assert table(desk.cmd("LIST DOMAINS")) == []  # withdrawn from the next command on
    assert admin.cmd("SET enabled no") == "+OK: administrator disabled\r\n" + ADMIN_PROMPT
    assert (
        desk.cmd("LIST DOMAINS")
        == "-ERR: administrator helpdesk no longer exists; closing the connection\r\n"
    )


def test_administrator_groups(store: Store, admin: Client) -> None:
    admin.cmd("ADD ADMIN name ann password annpass123")
    assert admin.cmd("ADD ADMINGROUP name support rights queue") == (
        "+OK: administrator group support added\r\n<#> "
    )
    assert (
        admin.cmd("UPDATE ADMINGROUP name support")
        == "+OK: in administrator group support\r\n" + GROUP_PROMPT
    )
    assert admin.cmd("ADD MEMBER name ann") == "+OK: ann added to support\r\n" + GROUP_PROMPT
    assert table(admin.cmd("LIST MEMBERS")) == [["ann"]]
    assert table(admin.cmd("GRANT DOMAIN name other.test rights none")) == [
        ["other.test", "-", "no limit", "no limit"]
    ]
    assert admin.cmd("SET rights services").startswith("+OK: server permissions: services")
    assert admin.cmd("SET password x").startswith("-ERR: an administrator group has no property 'password'")
    admin.cmd("BACK")
    rows = table(admin.cmd("LIST ADMINGROUPS"))
    assert rows == [["support", "services", "ann", "other.test"]]
    assert ["ann", "enabled", "no", "-", "support", "-"] in table(admin.cmd("LIST ADMINS"))
    assert admin.cmd("REMOVE ADMINGROUP name support") == "+OK: administrator group support removed\r\n<#> "
    assert admin.cmd("REMOVE ADMIN name admin") == "-ERR: you cannot remove yourself while logged in\r\n<#> "
    assert admin.cmd("REMOVE ADMIN name ann") == "+OK: administrator ann removed\r\n<#> "
