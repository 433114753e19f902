"""The DNSBL check against a real DNS server on 127.0.0.1: listings, weights and threshold, the reason in
the reply, exclusions, and what non-listing answers and a dead list do."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest

import filters.checks as checks
from filters.checks import Facts, dnsbl
from tests.filters.checks.world import ZONES, make_env
from tests.support.dnsserver import DnsServer


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


def env(server: DnsServer, **settings: Any) -> checks.Env:
    base: dict[str, Any] = {"dnsbl_enabled": True, "dnsbl_zones": ["bl.test"]}
    base.update(settings)
    return make_env(server.address, **base)


def mail_from(ip: str, sender: str = "someone@far.test", trusted: bool = False) -> Facts:
    return Facts(ip=ip, helo="client.far.test", sender=sender, trusted=trusted)


def test_query_names_follow_rfc_5782() -> None:
    assert dnsbl.query_name(ipaddress.ip_address("192.0.2.99"), "bl.test") == "99.2.0.192.bl.test"
    assert dnsbl.query_name(ipaddress.ip_address("2001:db8:1:2::ab"), "bl.test") == (
        "b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test"
    )


def test_a_listed_client_is_refused_with_the_list_and_its_reason(dns_server: DnsServer) -> None:
    verdict = dnsbl.check(mail_from("127.0.0.2"), env(dns_server))
    assert verdict is not None
    assert (verdict.action, verdict.code, verdict.status) == ("reject", 550, "5.7.1")
    assert verdict.text == (
        "Client address 127.0.0.2 is listed by bl.test (Listed for sending spam; see https://bl.test/127.0.0.2)"
    )


def test_the_reason_is_cleaned_of_line_breaks(dns_server: DnsServer) -> None:
    verdict = dnsbl.check(mail_from("192.0.2.10"), env(dns_server))
    assert (
        verdict is not None
        and verdict.text == "Client address 192.0.2.10 is listed by bl.test (Listed for spam)"
    )


def test_an_ipv6_client_is_looked_up_by_nibbles(dns_server: DnsServer) -> None:
    verdict = dnsbl.check(mail_from("2001:db8::5"), env(dns_server))
    assert verdict is not None and verdict.refuses and "2001:db8::5 is listed by bl.test" in verdict.text
    assert dnsbl.check(mail_from("2001:db8::6"), env(dns_server)) is None


@pytest.mark.parametrize("ip", ["192.0.2.30", "192.0.2.11", "192.0.2.12", "::ffff:192.0.2.30"])
def test_unlisted_clients_and_non_listing_answers_pass(dns_server: DnsServer, ip: str) -> None:
    """192.0.2.11 gets the 127.255.255.254 error code, 192.0.2.12 an address outside 127/8: neither
    means "listed"."""
    assert dnsbl.check(mail_from(ip), env(dns_server)) is None


def test_weights_add_up_to_the_threshold(dns_server: DnsServer) -> None:
    weighted = env(dns_server, dnsbl_zones=["bl.test=2", "weak.test"], dnsbl_threshold=3)
    both = dnsbl.check(mail_from("192.0.2.10"), weighted)  # bl.test (2) + weak.test (1)
    assert both is not None and both.refuses and "listed by bl.test, weak.test" in both.text
    one = dnsbl.check(mail_from("192.0.2.20"), weighted)  # weak.test only: 1 < 3, marked
    assert one is not None and not one.refuses
    assert one.headers == (("X-Fieldpost-DNSBL", "listed ip=192.0.2.20; zones=weak.test; score=1"),)


def test_mark_and_tempfail_actions(dns_server: DnsServer) -> None:
    marked = dnsbl.check(mail_from("127.0.0.2"), env(dns_server, dnsbl_action="mark"))
    assert marked is not None and marked.action == "accept"
    assert marked.headers == (("X-Fieldpost-DNSBL", "listed ip=127.0.0.2; zones=bl.test; score=1"),)
    later = dnsbl.check(mail_from("127.0.0.2"), env(dns_server, dnsbl_action="tempfail"))
    assert later is not None and (later.action, later.code, later.status) == ("tempfail", 451, "4.7.1")


def test_excluded_networks_and_sender_domains(dns_server: DnsServer) -> None:
    assert (
        dnsbl.check(mail_from("127.0.0.2"), env(dns_server, dnsbl_exclude_networks=["127.0.0.0/30"])) is None
    )
    by_domain = env(dns_server, dnsbl_exclude_sender_domains=[".partner.test"])
    kept = dnsbl.check(mail_from("127.0.0.2", "news@lists.partner.test"), by_domain)
    assert kept is not None and not kept.refuses and kept.headers  # accepted, still marked
    refused = dnsbl.check(mail_from("127.0.0.2", "news@partner.test.evil"), by_domain)
    assert refused is not None and refused.refuses


def test_off_by_default_and_without_zones(dns_server: DnsServer) -> None:
    assert dnsbl.check(mail_from("127.0.0.2"), make_env(dns_server.address)) is None
    assert dnsbl.check(mail_from("127.0.0.2"), env(dns_server, dnsbl_zones=[])) is None


def test_a_dead_list_or_a_bad_zone_entry_does_not_stop_mail(dns_server: DnsServer) -> None:
    """unserved.example is answered REFUSED (a list that is down); "bad zone" is not a zone name."""
    settings = env(dns_server, dnsbl_zones=["unserved.example", "bad zone", "bl.test=500", "bl.test"])
    verdict = dnsbl.check(mail_from("127.0.0.2"), settings)
    assert (
        verdict is not None
        and verdict.refuses
        and verdict.text.startswith("Client address 127.0.0.2 is listed by bl.test ")
    )
    assert dnsbl.check(mail_from("192.0.2.30"), settings) is None


def test_trusted_and_authenticated_clients_are_never_refused(dns_server: DnsServer) -> None:
    """Through the registry, as the SMTP session calls it."""
    settings = env(dns_server, spf_enabled=False)
    assert checks.run("onMailFrom", mail_from("127.0.0.2", trusted=True), settings) == []
    refused = checks.run("onMailFrom", mail_from("127.0.0.2"), settings)
    assert [v.code for v in refused] == [550]


@pytest.mark.parametrize("entry", ["bl", "", "bl.test=0", "bl.test=x", "bl.test=101"])
def test_bad_zone_entries(entry: str) -> None:
    with pytest.raises(ValueError):
        dnsbl.parse_zone(entry)
    assert dnsbl.parse_zone(" BL.Test.=7 ") == dnsbl.Zone("bl.test", 7)
