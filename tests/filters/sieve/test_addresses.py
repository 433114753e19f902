"""Address parts (RFC 5228 2.7.4, RFC 5233) and the addresses of a header field (RFC 5322 3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filters.sieve.addresses import address_part, header_addresses


@pytest.mark.parametrize(
    ("address", "part", "expected"),
    [
        ("Ken+sieve@example.org", "all", "Ken+sieve@example.org"),
        ("Ken+sieve@example.org", "localpart", "Ken+sieve"),
        ("Ken+sieve@example.org", "domain", "example.org"),
        # RFC 5233 4: user and detail split at the first separator
        ("ken+sieve@example.org", "user", "ken"),
        ("ken+sieve@example.org", "detail", "sieve"),
        ("ken+sieve+more@example.org", "detail", "sieve+more"),
        ("ken+@example.org", "user", "ken"),
        ("ken+@example.org", "detail", ""),  # "user+": the detail is the empty string
        ("ken@example.org", "user", "ken"),
        ("ken@example.org", "detail", None),  # no separator: a :detail test fails
        ("+sieve@example.org", "user", ""),
        ("+sieve@example.org", "detail", "sieve"),
        ('"odd@local"@example.org', "localpart", '"odd@local"'),  # the last "@" ends the local part
        ('"odd@local"@example.org', "domain", "example.org"),
        ("<ken@example.org>", "all", "ken@example.org"),
        ("postmaster", "localpart", "postmaster"),
        ("postmaster", "domain", None),
        ("", "all", ""),  # the null reverse-path (RFC 5228 5.4)
        ("", "detail", ""),
    ],
)
def test_address_part(address: str, part: str, expected: str | None) -> None:
    assert address_part(address, part) == expected


def test_other_separators() -> None:
    assert address_part("ken-sieve@example.org", "detail", separator="-") == "sieve"
    assert address_part("ken-a+b@example.org", "user", separator="+-") == "ken"  # any of the characters
    assert address_part("ken-a+b@example.org", "detail", separator="+-") == "a+b"
    assert address_part("ken+a@example.org", "detail", separator="") is None


def test_unknown_part() -> None:
    with pytest.raises(ValueError):
        address_part("a@b", "host")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ken@example.org", ["ken@example.org"]),
        ("Ken Murchison <ken@example.org>", ["ken@example.org"]),
        ('"Murchison, Ken" <ken@example.org>, tim@example.org', ["ken@example.org", "tim@example.org"]),
        ("ken@example.org (Ken, the author), tim@example.org", ["ken@example.org", "tim@example.org"]),
        ("Friends: a@x.test, B <b@y.test>;, c@z.test", ["a@x.test", "b@y.test", "c@z.test"]),
        ("undisclosed-recipients:;", []),  # a group name is not an address (RFC 5228 5.1)
        ("<@relay.test,@other.test:ken@example.org>", ["ken@example.org"]),  # obsolete route dropped
        ('"quoted local"@example.org', ['"quoted local"@example.org']),
        ("ken @ example . org", ["ken@example.org"]),  # obs-local-part with folding whitespace
        ("user@[192.0.2.1]", ["user@[192.0.2.1]"]),
        ("Ken\r\n <ken@example.org>", ["ken@example.org"]),
        ("<>", []),
        ("", []),
        (",,", []),
    ],
)
def test_header_addresses(value: str, expected: list[str]) -> None:
    assert header_addresses(value) == expected


@given(st.text(max_size=80))
def test_header_addresses_never_raises(value: str) -> None:
    for address in header_addresses(value):
        assert address
        for part in ("all", "localpart", "domain", "user", "detail"):
            address_part(address, part)
