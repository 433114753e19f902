"""SHOW, SET and CLEAR at every level: the registry's settings of that level, typed values, inheritance."""

from __future__ import annotations

from storage import settings as registry
from storage.store import Store
from tests.sidecars.cli.conftest import Client, table


def rows_by_name(reply: str) -> dict[str, list[str]]:
    rows = table(reply)
    start = next(i for i, row in enumerate(rows) if row[0] == "setting")
    return {row[0]: row[1:] for row in rows[start + 2 :]}


def test_server_level_shows_every_server_setting(admin: Client) -> None:
    reply = admin.cmd("SHOW")
    shown = {line.split()[0] for line in reply.split("\r\n") if "." in line.split(" ")[0]}
    assert shown == {s.name for s in registry.settings_for_level("server")}
    assert "cli.allow_plaintext_auth" in shown
    assert reply.endswith(f"+OK: {len(shown)} setting(s)\r\n<#> ")


def test_set_typed_values_and_clear_at_server_level(store: Store, admin: Client) -> None:
    assert admin.cmd("SET queue.retry_first_seconds 2m") == (
        "+OK: queue.retry_first_seconds = 2m (in force now)\r\n<#> "
    )
    assert store.settings.get("queue.retry_first_seconds") == 120
    assert (
        admin.cmd("SET quota.warn_percent 70, 90")
        == "+OK: quota.warn_percent = 70, 90 (in force now)\r\n<#> "
    )
    assert store.settings.get("quota.warn_percent") == [70, 90]
    assert admin.cmd('SET ndr.subject "Not delivered: {subject}"').startswith(
        "+OK: ndr.subject = Not delivered"
    )
    one = admin.cmd("SHOW queue.retry_first_seconds")
    assert "queue.retry_first_seconds = 2m\r\norigin: set here\r\ndefault: 1m\r\nlevels: server\r\n" in one
    assert (
        admin.cmd("CLEAR queue.retry_first_seconds") == "+OK: queue.retry_first_seconds now inherits\r\n<#> "
    )
    assert "origin: default" in admin.cmd("SHOW queue.retry_first_seconds")
    assert admin.cmd("CLEAR queue.retry_first_seconds") == (
        "-ERR: queue.retry_first_seconds has no value at this level\r\n<#> "
    )


def test_bad_values_and_names(admin: Client) -> None:
    assert (
        admin.cmd("SET quota.messages lots")
        == "-ERR: setting quota.messages: 'lots' is not a whole number\r\n<#> "
    )
    assert admin.cmd("SET auth.free_failures 5000").startswith("-ERR: setting auth.free_failures")
    assert admin.cmd("SET no.such.setting 1") == "-ERR: unknown setting 'no.such.setting'\r\n<#> "
    assert admin.cmd("SET quota.messages").startswith("-ERR: SET: SET needs a name and a value")
    assert admin.cmd("SHOW a b").startswith("-ERR: SHOW: SHOW takes no parameter, or one setting name")
    assert admin.cmd("SHOW webmail.signatures") == (
        "-ERR: webmail.signatures is not a setting of this level (account)\r\n<#> "
    )


def test_domain_level_inherits_and_overrides(store: Store, admin: Client) -> None:
    admin.cmd("SET quota.messages 1000")
    admin.cmd("UPDATE DOMAIN name example.test")
    assert rows_by_name(admin.cmd("SHOW"))["quota.messages"] == ["1000", "inherited"]
    assert admin.cmd("SET quota.messages 50") == "+OK: quota.messages = 50 (in force now)\r\n<domain#> "
    assert rows_by_name(admin.cmd("SHOW"))["quota.messages"] == ["50", "set here"]
    assert store.settings.get("quota.messages", account="alice@example.test") == 50
    assert admin.cmd("SET auth.free_failures 5") == (
        "-ERR: auth.free_failures cannot be set at domain level (only: server)\r\n<domain#> "
    )
    assert admin.cmd("CLEAR quota.messages").startswith("+OK: quota.messages now inherits")
    assert store.settings.get("quota.messages", account="alice@example.test") == 1000


def test_class_and_account_levels(store: Store, admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    admin.cmd("SET services.pop3 no")
    admin.cmd("ADD CLASS name staff")
    assert (
        admin.cmd("UPDATE CLASS name staff")
        == "+OK: in account class staff of example.test\r\n<domain-class#> "
    )
    assert rows_by_name(admin.cmd("SHOW"))["services.pop3"] == ["no", "inherited"]
    assert admin.cmd("SET services.pop3 yes").startswith("+OK: services.pop3 = yes")
    admin.cmd("BACK")
    assert admin.cmd("UPDATE CLASS name nobody").startswith("-ERR: account class 'nobody' does not exist")
    admin.cmd("UPDATE ACCOUNT name alice")
    assert rows_by_name(admin.cmd("SHOW"))["services.pop3"] == ["no", "inherited"]
    admin.cmd("SET class staff")
    assert rows_by_name(admin.cmd("SHOW"))["services.pop3"] == ["yes", "inherited"]
    admin.cmd("SET webmail.skin collwater")
    assert rows_by_name(admin.cmd("SHOW"))["webmail.skin"] == ["collwater", "set here"]
    assert store.settings.get("webmail.skin", account="alice@example.test") == "collwater"


def test_groups_have_no_settings(admin: Client) -> None:
    admin.cmd("UPDATE DOMAIN name example.test")
    admin.cmd("ADD GROUP name team")
    admin.cmd("UPDATE GROUP name team")
    assert admin.cmd("SHOW").endswith("+OK: group shown\r\n<domain-group#> ")
    assert admin.cmd("SET quota.messages 1").startswith("-ERR: SET is not available here (<domain-group#>)")


def test_stored_text_cannot_forge_a_reply_line(store: Store, admin: Client) -> None:
    store.settings.set("ndr.text", "line one\r\n+OK: forged\r\n<#> ")
    one = admin.cmd("SHOW ndr.text")
    assert "\r\n+OK: forged" not in one
    assert "ndr.text = line one\\r\\n+OK: forged\\r\\n<#> " in one
