"""The reverse DNS check against a real DNS server on 127.0.0.1: forward-confirmed names pass, missing or
lying PTR records fail as the policy says, and DNS trouble only ever delays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from filters.checks import Facts, rdns
from tests.filters.checks.world import ZONES, make_env
from tests.support.dnsserver import DnsServer


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


def facts(ip: str) -> Facts:
    return Facts(ip=ip, helo="client.far.test", sender="someone@far.test")


@pytest.mark.parametrize(
    ("ip", "name"),
    [
        ("192.0.2.10", "good.hosts.test"),
        ("192.0.2.13", "multi.hosts.test"),  # the second of two PTR names confirms
        ("2001:db8::10", "v6.hosts.test"),
        ("::ffff:127.0.0.5", "mail.hosts.test"),
    ],
)
def test_forward_confirmed_names_pass(dns_server: DnsServer, ip: str, name: str) -> None:
    env = make_env(dns_server.address, rdns_policy="reject")
    assert rdns.check(facts(ip), env) is None
    assert rdns.verify(rdns.client_address(ip), env) == ("pass", name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ip", "detail"),
    [
        ("192.0.2.14", "192.0.2.14 has no reverse DNS name"),
        ("192.0.2.11", "the reverse DNS name liar.hosts.test of 192.0.2.11 does not resolve back to it"),
        ("192.0.2.12", "the reverse DNS name gone.hosts.test of 192.0.2.12 does not resolve back to it"),
    ],
)
def test_failures_by_policy(dns_server: DnsServer, ip: str, detail: str) -> None:
    rejected = rdns.check(facts(ip), make_env(dns_server.address, rdns_policy="reject"))
    assert rejected is not None
    assert (rejected.action, rejected.code, rejected.status) == ("reject", 550, "5.7.25")
    assert rejected.text == f"Reverse DNS validation failed: {detail}"
    later = rdns.check(facts(ip), make_env(dns_server.address, rdns_policy="tempfail"))
    assert later is not None and (later.action, later.code, later.status) == ("tempfail", 450, "4.7.25")
    marked = rdns.check(facts(ip), make_env(dns_server.address, rdns_policy="mark"))
    assert marked is not None and not marked.refuses
    assert marked.headers == (("X-Fieldpost-RDNS", f"fail ip={ip}; {detail}"),)


def test_dns_trouble_delays_and_never_rejects(dns_server: DnsServer) -> None:
    """198.51.100.0/24's reverse zone is served by nobody here: the lookup fails temporarily."""
    for policy in ("reject", "tempfail"):
        verdict = rdns.check(facts("198.51.100.7"), make_env(dns_server.address, rdns_policy=policy))
        assert verdict is not None and (verdict.action, verdict.code, verdict.status) == (
            "tempfail",
            451,
            "4.4.3",
        )
    marked = rdns.check(facts("198.51.100.7"), make_env(dns_server.address, rdns_policy="mark"))
    assert marked is not None and marked.headers == (("X-Fieldpost-RDNS", "temperror ip=198.51.100.7"),)


def test_off_by_default_and_exclusions(dns_server: DnsServer) -> None:
    assert rdns.check(facts("192.0.2.14"), make_env(dns_server.address)) is None
    excluded = make_env(
        dns_server.address, rdns_policy="reject", rdns_exclude_networks=["192.0.2.0/28", "junk"]
    )
    assert rdns.check(facts("192.0.2.14"), excluded) is None
    assert rdns.check(facts("unix-socket"), make_env(dns_server.address, rdns_policy="reject")) is None
