"""HELP SETTING / SHOW SETTINGDOC: a setting's registry entry (or a section's settings) on the console, in
any context and for any administrator; bad names get a clear error."""

from __future__ import annotations

from storage import settings as registry
from storage.store import Store
from tests.sidecars.cli.conftest import Client, MakeClient, table

TOP = "<#> "


def test_one_setting(admin: Client) -> None:
    reply = admin.cmd("HELP SETTING dnsbl.action")
    assert reply.endswith("+OK: dnsbl.action described\r\n" + TOP)
    assert table(reply) == [
        ["setting", "dnsbl.action"],
        ["type", "enum"],
        ["levels", "server"],
        ["default", "reject"],
        ["limits", "reject / tempfail / mark"],
        ["help", registry.get("dnsbl.action").help],
    ]
    assert table(admin.cmd("show settingdoc dnsbl.zones"))[1:5] == [
        ["type", "list of str"],
        ["levels", "server"],
        ["default", '""'],
        ["limits", "length 0-260"],
    ]
    admin.cmd("UPDATE DOMAIN name example.test")
    quota = table(admin.cmd("SHOW SETTINGDOC quota.messages"))
    assert quota[2] == ["levels", "server, domain, class, account"] and quota[4] == ["limits", ">= 0"]


def test_a_section(admin: Client) -> None:
    reply = admin.cmd("HELP SETTING rpop")
    names = sorted(n for n in registry.REGISTRY if n.startswith("rpop."))
    assert [row[0] for row in table(reply)] == names
    assert reply.endswith(f"+OK: {len(names)} setting(s) in section rpop\r\n" + TOP)


def test_bad_names(admin: Client) -> None:
    assert admin.cmd("HELP SETTING quota.nothing") == "-ERR: unknown setting 'quota.nothing'\r\n" + TOP
    reply = admin.cmd("HELP SETTING nosuchsection")
    assert reply.startswith("-ERR: no setting section 'nosuchsection' (sections: ") and "rpop" in reply
    assert admin.cmd("HELP SETTING").startswith(
        "-ERR: HELP SETTING: give one setting name (quota.messages) or section (quota)"
    )
    assert admin.cmd("HELP SETTING a.b c.d").startswith("-ERR: HELP SETTING: give one setting name")
    assert "SHOW SETTINGDOC" in admin.cmd("HELP SHOW")  # HELP with other words still lists commands


def test_a_delegated_administrator_may_read_the_reference(store: Store, make_client: MakeClient) -> None:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="none")
    dora = make_client()
    assert dora.login("dora", "dorapass12").endswith(TOP)
    assert dora.cmd("SHOW auth.free_failures").startswith("-ERR: only a server administrator")  # values: no
    assert table(dora.cmd("HELP SETTING auth.free_failures"))[0] == ["setting", "auth.free_failures"]
