"""store.countries on SQLite and PostgreSQL: loading the CSV shapes, looking addresses up at and around
range bounds (IPv4, IPv6, mapped), replacing the table, and refusing bad files without touching it."""

from __future__ import annotations

import pytest

from storage.countries import CountryRange
from storage.errors import InvalidInput
from storage.store import Store

# the common layout with a header, integer bounds, an unknown ("-") row and a comment
IP2LOCATION_STYLE = """\
"ip_from","ip_to","country_code","country_name"
# integer bounds: 1.0.0.0 - 1.0.0.255 and 1.0.1.0 - 1.0.3.255
"0","16777215","-","-"
"16777216","16777471","AU","Australia"
"16777472","16778239","CN","China"
"""
# MaxMind's legacy six-column layout
LEGACY = """\
"2.16.0.0","2.16.255.255","34603008","34668543","EU","Europe"
"5.0.0.0","5.255.255.255","83886080","100663295","DE","Germany"
"""
MIXED = """\
10.1.0.0/16,FR,France
2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,JP,Japan
2001:db9::/32,US
"""


def test_each_shape_loads_and_looks_up(store: Store) -> None:
    countries = store.countries
    assert countries.replace(IP2LOCATION_STYLE.splitlines() + LEGACY.splitlines() + MIXED.splitlines()) == 7
    assert countries.count() == 7
    assert countries.lookup("1.0.0.0") == CountryRange("1.0.0.0", "1.0.0.255", "AU", "Australia")
    assert countries.lookup("1.0.0.255") == CountryRange("1.0.0.0", "1.0.0.255", "AU", "Australia")
    assert countries.lookup("1.0.1.0") == CountryRange("1.0.1.0", "1.0.3.255", "CN", "China")
    assert countries.lookup("1.0.3.255").country == "CN"  # type: ignore[union-attr]
    assert countries.lookup("1.0.4.0") is None
    assert countries.lookup("0.255.255.255") is None  # the "-" row was not loaded
    assert countries.lookup("2.16.128.1").country == "EU"  # type: ignore[union-attr]
    assert countries.lookup("5.6.7.8").country == "DE"  # type: ignore[union-attr]
    assert countries.lookup("10.1.255.255") == CountryRange("10.1.0.0", "10.1.255.255", "FR", "France")
    assert countries.lookup("10.2.0.0") is None
    assert countries.lookup("2001:db8:1::5").country == "JP"  # type: ignore[union-attr]
    assert countries.lookup("2001:db9::1") == CountryRange(
        "2001:db9::", "2001:db9:ffff:ffff:ffff:ffff:ffff:ffff", "US"
    )
    assert countries.lookup("2001:dba::") is None
    assert countries.lookup("::ffff:1.0.0.7").country == "AU"  # type: ignore[union-attr]
    # an IPv4 number is not found as the IPv6 address with the same value, nor the reverse
    assert countries.lookup("::1.0.0.7") is None
    assert countries.lookup("not an address") is None


def test_ipv6_file_integers_and_mapped_ipv4(store: Store) -> None:
    mapped_start = 0xFFFF00000000 + 0x01000000  # ::ffff:1.0.0.0 as an IPv6 file writes it
    lines = [
        f'"{mapped_start}","{mapped_start + 255}","AU","Australia"',
        f'"{0x20010DB8 << 96}","{(0x20010DB8 << 96) + 2**96 - 1}","NL","Netherlands"',
    ]
    assert store.countries.replace(lines) == 2
    assert store.countries.lookup("1.0.0.9").country == "AU"  # type: ignore[union-attr]
    assert store.countries.lookup("2001:db8::1").country == "NL"  # type: ignore[union-attr]


def test_adjacent_ranges_of_one_country_are_merged(store: Store) -> None:
    lines = ["192.0.2.0,192.0.2.127,AQ", "192.0.2.128,192.0.2.255,AQ", "198.51.100.0,198.51.100.255,AQ"]
    assert store.countries.replace(lines) == 2
    assert store.countries.lookup("192.0.2.200") == CountryRange("192.0.2.0", "192.0.2.255", "AQ")


def test_an_import_replaces_the_whole_table(store: Store) -> None:
    store.countries.replace(["192.0.2.0/24,AQ"])
    assert store.countries.replace(["198.51.100.0/24,BV"]) == 1
    assert store.countries.lookup("192.0.2.1") is None
    assert store.countries.lookup("198.51.100.1").country == "BV"  # type: ignore[union-attr]
    assert store.countries.clear() == 1
    assert store.countries.count() == 0


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["192.0.2.0/24,AQ", "192.0.2.300,192.0.2.400,AQ"], "line 2: '192.0.2.300' is not an IP address"),
        (["192.0.2.0/24,AQ", "192.0.2.9,192.0.2.1,AQ"], "line 2: the range ends before it starts"),
        (["192.0.2.0/24,Antarctica"], "line 1: 'ANTARCTICA' is not a two-letter country code"),
        (["192.0.2.0,2001:db8::,AQ"], "line 1: the range mixes IPv4 and IPv6"),
        (["192.0.2.0/24,AQ", "a,b,c,d,e"], "line 2: expected START,END,CC"),
        (["192.0.2.0/24,AQ", "198.51.100.0/24,BV", "192.0.2.128/25,AQ"], "lines 1 and 3: the ranges overlap"),
        (["340282366920938463463374607431768211456,1,AQ"], "line 1: 3402823669"),
        (["ip_from,ip_to,country_code", '"0","16777215","-","-"'], "the file holds no country ranges"),
        (["garbage"], "the file holds no country ranges"),  # a lone first line reads as a header
    ],
)
def test_a_bad_file_is_refused_with_its_line_and_the_table_is_kept(
    store: Store, lines: list[str], message: str
) -> None:
    store.countries.replace(["203.0.113.0/24,BV"])
    with pytest.raises(InvalidInput) as caught:
        store.countries.replace(lines)
    assert message in str(caught.value)
    assert store.countries.count() == 1
    assert store.countries.lookup("203.0.113.5").country == "BV"  # type: ignore[union-attr]
