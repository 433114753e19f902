"""Country filtering: the check over a real store's IP-to-country table (blocked and allowed lists,
unknown addresses, skip ranges), and the table loaded and queried with ``fieldpost filters countries``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import filters.checks as checks
from fieldpost import config as configuration
from filters.checks import Env, Facts, country
from storage import open_store
from storage.countries import parse_csv
from storage.errors import InvalidInput
from storage.store import Store
from tests.fieldpost.conftest import run_cli
from tests.support.service import init_demo

TABLE = """\
ip_from,ip_to,country_code,country_name
192.0.2.0,192.0.2.255,AQ,Antarctica
198.51.100.0/24,BV,Bouvet Island
2001:db8::/32,TF
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    st.countries.replace(TABLE.splitlines())
    yield st
    st.close()


def env(store: Store, **settings: Any) -> Env:
    values: dict[str, Any] = {"country.enabled": True}
    values.update({k.replace("__", "."): v for k, v in settings.items()})
    return Env(store=store, settings=values)


def mail_from(ip: str, trusted: bool = False) -> Facts:
    return Facts(ip=ip, sender="someone@far.test", trusted=trusted)


def test_blocked_countries_are_refused_and_others_marked(store: Store) -> None:
    e = env(store, country__blocked=["aq", "TF"])
    refused = country.check(mail_from("192.0.2.77"), e)
    assert refused is not None
    assert (refused.action, refused.code, refused.status, refused.text) == (
        "reject",
        550,
        "5.7.1",
        "Mail from 192.0.2.77 (AQ) is not accepted: its country is blocked",
    )
    v6 = country.check(mail_from("2001:db8::25"), e)
    assert v6 is not None and v6.refuses and "(TF)" in v6.text
    accepted = country.check(mail_from("198.51.100.1"), e)
    assert accepted is not None and not accepted.refuses
    assert accepted.headers == (("X-Fieldpost-Country", "BV"),)
    assert country.check(mail_from("203.0.113.9"), e) is None  # unknown, accepted by default


def test_an_allow_list_refuses_every_other_country(store: Store) -> None:
    e = env(store, country__allowed=["BV"])
    assert country.check(mail_from("198.51.100.1"), e).refuses is False  # type: ignore[union-attr]
    assert country.check(mail_from("192.0.2.1"), e).refuses is True  # type: ignore[union-attr]


def test_unknown_addresses_by_setting_and_skip_ranges(store: Store) -> None:
    strict = env(store, country__unknown="reject", country__skip_networks=["203.0.113.0/25"])
    refused = country.check(mail_from("203.0.113.200"), strict)
    assert (
        refused is not None
        and refused.text == "Mail from 203.0.113.200 is not accepted: its country is unknown"
    )
    assert country.check(mail_from("203.0.113.9"), strict) is None  # skipped
    skip_blocked = env(store, country__blocked=["AQ"], country__skip_networks=["192.0.2.64/26"])
    assert country.check(mail_from("192.0.2.70"), skip_blocked) is None
    assert country.check(mail_from("192.0.2.130"), skip_blocked).refuses  # type: ignore[union-attr]


def test_off_by_default_and_trusted_clients_skip(store: Store) -> None:
    assert (
        country.check(mail_from("192.0.2.1"), Env(store=store, settings={"country.blocked": ["AQ"]})) is None
    )
    e = env(store, country__blocked=["AQ"], spf__enabled=False)
    assert checks.run("onMailFrom", mail_from("192.0.2.1", trusted=True), e) == []
    assert [v.code for v in checks.run("onMailFrom", mail_from("192.0.2.1"), e)] == [550]


def test_the_cli_loads_and_looks_up_the_table(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init_demo(data, "mx.example.test")
    good = tmp_path / "countries.csv"
    good.write_text(TABLE)
    loaded = run_cli("filters", "countries", "import", str(good), "--data", str(data), check=True)
    assert loaded.stdout == f"country table loaded: 3 ranges from {good}\n"
    found = run_cli("filters", "countries", "lookup", "192.0.2.9", "--data", str(data), check=True)
    assert found.stdout == "192.0.2.9: AQ (Antarctica), range 192.0.2.0 - 192.0.2.255\n"
    missing = run_cli("filters", "countries", "lookup", "203.0.113.1", "--data", str(data), check=True)
    assert missing.stdout == "203.0.113.1: in no range of the country table\n"

    bad = tmp_path / "bad.csv"
    bad.write_text("10.0.0.0/8,FR\n10.9.0.0,10.9.0.255,DE\n")
    refused = run_cli("filters", "countries", "import", str(bad), "--data", str(data))
    assert (refused.returncode, refused.stderr) == (
        1,
        "fieldpost: error: lines 1 and 2: the ranges overlap\n",
    )
    not_ip = run_cli("filters", "countries", "lookup", "not-an-ip", "--data", str(data))
    assert (not_ip.returncode, not_ip.stderr) == (1, "fieldpost: error: not an IP address: 'not-an-ip'\n")

    config = configuration.load(data)
    st = open_store(config.database_url, config.blob_dir)
    try:  # the failed import left the loaded table as it was
        verdict = country.check(mail_from("192.0.2.9"), env(st, country__blocked=["AQ"]))
        assert verdict is not None and verdict.refuses
    finally:
        st.close()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from('0123456789abcdef.:/,"#- \tAQZ\r\n\x00\ufeff'), max_size=60),
        max_size=8,
    )
)
def test_any_file_gives_ranges_or_a_clear_error(lines: list[str]) -> None:
    try:
        rows = list(parse_csv(lines))
    except InvalidInput as exc:
        assert str(exc)
        return
    assert all(r.start <= r.end and len(r.country) == 2 for r in rows)


def test_a_byte_order_mark_a_comment_before_the_header_and_a_huge_field() -> None:
    rows = list(parse_csv(["\ufeff# exported", "ip_from,ip_to,cc", "192.0.2.0,192.0.2.9,AQ"]))
    assert [(r.country, r.line) for r in rows] == [("AQ", 3)]
    with pytest.raises(InvalidInput, match="line 2: field larger than field limit"):
        list(parse_csv(["192.0.2.0,192.0.2.9,AQ", '"' + "x" * 200_000 + '",1,AQ']))
