"""The connection-time checks' state on the console: SHOW FILTERING (greylisting counts, country table)
and DNSBL LOOKUP against a real DNS server on 127.0.0.1; bad input; who may look."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from filters.checks import greylist
from storage.store import Store
from tests.filters.checks.world import ZONES
from tests.sidecars.cli.conftest import ALICE, Client, MakeClient, table
from tests.support.dnsserver import DnsServer

TOP = "<#> "
COUNTRIES = ["192.0.2.0,192.0.2.255,AQ,Antarctica", "198.51.100.0/24,BV,Bouvet Island"]


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


def rows(reply: str) -> dict[str, str]:
    return {row[0]: row[1] if len(row) > 1 else "" for row in table(reply)}


def test_show_filtering(store: Store, admin: Client) -> None:
    assert rows(admin.cmd("SHOW FILTERING")) == {
        "greylisting": "off",
        "greylist_pending_triplets": "0",
        "greylist_passed_triplets": "0",
        "greylist_client_networks": "0",
        "greylist_whitelisted_networks": "0",
        "dnsbl": "off",
        "dnsbl_zones": "-",
        "country_check": "off",
        "country_table_ranges": "0",
    }
    store.countries.replace(COUNTRIES)
    policy = greylist.policy_from(store.settings.effective_many(greylist.POLICY_SETTINGS))
    store.greylist.check("192.0.2.0/24", "a@far.test", "alice@example.test", policy)
    store.greylist.check("192.0.2.0/24", "b@far.test", "alice@example.test", policy)
    assert admin.cmd("SET greylist.enabled yes").startswith("+OK")
    assert admin.cmd('SET dnsbl.zones "bl.test=2, weak.test"').startswith("+OK")
    reply = admin.cmd("SHOW FILTERING")
    assert reply.endswith("+OK: filtering state shown\r\n" + TOP)
    shown = rows(reply)
    assert (shown["greylisting"], shown["greylist_pending_triplets"]) == ("on", "2")
    assert shown["dnsbl_zones"] == "bl.test=2, weak.test"
    assert shown["country_table_ranges"] == "2"
    assert admin.cmd("SHOW FILTERING now").startswith("-ERR: SHOW FILTERING: parameter 'now' has no value")


def test_dnsbl_lookup(store: Store, admin: Client, dns_server: DnsServer) -> None:
    assert admin.cmd("DNSBL LOOKUP ip 192.0.2.10") == (
        "-ERR: no DNS block lists are configured (setting dnsbl.zones)\r\n" + TOP
    )
    admin.cmd(f"SET dns.nameservers {dns_server.address}")
    admin.cmd("SET dns.timeout_seconds 2")
    admin.cmd('SET dnsbl.zones "bl.test=2, weak.test"')
    reply = admin.cmd("DNSBL LOOKUP ip 192.0.2.20")
    assert reply.endswith("+OK: 192.0.2.20: listed by 1 of 2 list(s) asked\r\n" + TOP)
    assert table(reply) == [["bl.test", "not listed"], ["weak.test", "listed", "127.0.0.4, weight 1"]]
    reply = admin.cmd("DNSBL LOOKUP ip [127.0.0.2]")
    assert reply.endswith("+OK: 127.0.0.2: listed by 1 of 2 list(s) asked\r\n" + TOP)
    assert table(reply)[0] == [
        "bl.test",
        "listed",
        "127.0.0.2, weight 2: Listed for sending spam; see https://bl.test/127.0.0.2",
    ]
    reply = admin.cmd("DNSBL LOOKUP ip 192.0.2.30")
    assert table(reply) == [["bl.test", "not listed"], ["weak.test", "not listed"]]
    assert reply.endswith("+OK: 192.0.2.30: listed by 0 of 2 list(s) asked\r\n" + TOP)
    assert admin.cmd("DNSBL LOOKUP ip 999.1.1.1") == "-ERR: not an IP address: '999.1.1.1'\r\n" + TOP
    assert admin.cmd("DNSBL LOOKUP").startswith("-ERR: DNSBL LOOKUP: missing parameter ip")
    admin.cmd("UPDATE DOMAIN name example.test")
    assert admin.cmd("DNSBL LOOKUP ip 192.0.2.10").startswith("-ERR: DNSBL LOOKUP is not available here")


def test_country_lookup(store: Store, admin: Client) -> None:
    assert admin.cmd("COUNTRY LOOKUP ip 192.0.2.7") == (
        "+OK: 192.0.2.7: in no range of the country table\r\n" + TOP
    )
    store.countries.replace(COUNTRIES)
    assert admin.cmd("COUNTRY LOOKUP ip 192.0.2.7") == (
        "+OK: 192.0.2.7: AQ (Antarctica), range 192.0.2.0 - 192.0.2.255\r\n" + TOP
    )
    assert admin.cmd("COUNTRY LOOKUP ip 203.0.113.1").startswith("+OK: 203.0.113.1: in no range")
    assert admin.cmd("COUNTRY LOOKUP ip localhost") == "-ERR: not an IP address: 'localhost'\r\n" + TOP


def test_who_may_look(store: Store, make_client: MakeClient) -> None:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    server.admins.add("sec", "secpass123", server_rights="security")
    server.set_setting("dnsbl.zones", "bl.test")
    dora = make_client()
    assert dora.login("dora", "dorapass12").endswith(TOP)
    for line in ("SHOW FILTERING", "DNSBL LOOKUP ip 192.0.2.10", "COUNTRY LOOKUP ip 192.0.2.10"):
        reply = dora.cmd(line)
        assert reply.startswith("-ERR: only a server administrator may do this") and "'security'" in reply
    help_ = dora.cmd("HELP")
    assert "SHOW FILTERING" not in help_ and "DNSBL LOOKUP" not in help_ and "COUNTRY" not in help_
    sec = make_client()
    assert sec.login("sec", "secpass123").endswith(TOP)
    assert rows(sec.cmd("SHOW FILTERING"))["dnsbl_zones"] == "bl.test"
    assert "DNSBL LOOKUP ip A" in sec.cmd("HELP DNSBL")
    assert sec.cmd("COUNTRY LOOKUP ip 192.0.2.7").startswith("+OK: 192.0.2.7: in no range")


def test_greylist_prune_and_forget(store: Store, admin: Client) -> None:
    from datetime import UTC, datetime, timedelta

    policy = greylist.policy_from(store.settings.effective_many(greylist.POLICY_SETTINGS))
    old = datetime.now(UTC) - timedelta(days=400)
    store.greylist.check("192.0.2.0/24", "old@far.test", ALICE, policy, now=old)
    store.greylist.check("192.0.2.0/24", "new@far.test", ALICE, policy)
    assert admin.cmd("GREYLIST PRUNE") == "+OK: greylisting: 1 expired entries removed\r\n" + TOP
    assert rows(admin.cmd("SHOW FILTERING"))["greylist_pending_triplets"] == "1"
    assert admin.cmd("GREYLIST PRUNE") == "+OK: greylisting: 0 expired entries removed\r\n" + TOP
    assert admin.cmd("GREYLIST FORGET").startswith("+OK: greylisting: 1 entries forgotten; every sender")
    assert rows(admin.cmd("SHOW FILTERING"))["greylist_pending_triplets"] == "0"
    assert admin.cmd("GREYLIST FORGET all").startswith("-ERR: GREYLIST FORGET: parameter 'all' has no value")
    assert admin.cmd("GREYLIST").startswith("-ERR: unknown command 'GREYLIST'")


def test_countries_load_and_clear(store: Store, admin: Client, tmp_path: Path) -> None:
    table_file = tmp_path / "countries.csv"
    table_file.write_text("\n".join(COUNTRIES) + "\n")
    assert admin.cmd(f"COUNTRIES LOAD file {table_file}") == (
        f"+OK: country table loaded: 2 ranges from {table_file}\r\n" + TOP
    )
    assert admin.cmd("COUNTRY LOOKUP ip 198.51.100.9").startswith("+OK: 198.51.100.9: BV (Bouvet Island)")
    bad = tmp_path / "bad.csv"
    bad.write_text("this,is,not\na,country,table\n")
    reply = admin.cmd(f"COUNTRIES LOAD file {bad}")
    assert reply.startswith("-ERR: ") and reply.endswith(TOP)
    assert store.countries.lookup("198.51.100.9") is not None  # all or nothing: the old table stays
    assert admin.cmd("COUNTRIES LOAD file countries.csv") == (
        "-ERR: countries.csv: give an absolute path (the file is on the server)\r\n" + TOP
    )
    assert admin.cmd(f"COUNTRIES LOAD file {tmp_path / 'gone.csv'}").startswith("-ERR: ")
    assert admin.cmd("COUNTRIES LOAD file /dev/null") == "-ERR: /dev/null is not a regular file\r\n" + TOP
    assert admin.cmd("COUNTRIES LOAD").startswith("-ERR: COUNTRIES LOAD: missing parameter file")
    assert admin.cmd("COUNTRIES CLEAR") == "+OK: country table emptied: 2 ranges removed\r\n" + TOP
    assert store.countries.lookup("198.51.100.9") is None


def test_who_may_change(store: Store, make_client: MakeClient, tmp_path: Path) -> None:
    server = store.for_admin("admin")
    server.admins.add("dora", "dorapass12")
    server.admins.grant("example.test", admin="dora", rights="all")
    server.admins.add("sec", "secpass123", server_rights="security")
    store.countries.replace(COUNTRIES)
    table_file = tmp_path / "countries.csv"
    table_file.write_text(COUNTRIES[0] + "\n")
    dora = make_client()
    dora.login("dora", "dorapass12")
    for line in ("GREYLIST PRUNE", "GREYLIST FORGET", "COUNTRIES CLEAR", f"COUNTRIES LOAD file {table_file}"):
        assert dora.cmd(line).startswith("-ERR: only a server administrator may do this"), line
    assert "GREYLIST" not in dora.cmd("HELP") and "COUNTRIES" not in dora.cmd("HELP")
    sec = make_client()
    sec.login("sec", "secpass123")
    assert sec.cmd(f"COUNTRIES LOAD file {table_file}") == (
        "-ERR: only a server administrator may do this\r\n" + TOP
    )
    assert "COUNTRIES LOAD" not in sec.cmd("HELP") and "COUNTRIES CLEAR" in sec.cmd("HELP")
    assert store.countries.lookup("198.51.100.9") is not None
    assert sec.cmd("GREYLIST PRUNE").startswith("+OK: greylisting: 0 expired")
    assert sec.cmd("COUNTRIES CLEAR") == "+OK: country table emptied: 2 ranges removed\r\n" + TOP
