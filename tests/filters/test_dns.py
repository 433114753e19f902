"""filters.dns against a DNS server on 127.0.0.1: MX order, implicit MX, null MX, negative answers, TTLs."""

from __future__ import annotations

import pytest

from filters import DnsNotFound, DnsTemporaryError, NoMailHost, NullMx
from filters.dns import MailHost, Resolver, parse_nameserver
from tests.support.dnsserver import TEST_ZONE, DnsServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dns_server():
    with DnsServer({"test.": TEST_ZONE}) as server:
        yield server


def test_mx_sorted_by_preference(dns_server):
    resolver = Resolver([dns_server.address])
    assert resolver.mail_hosts("far.test") == [MailHost(10, "mx.far.test"), MailHost(20, "backup.far.test")]
    assert resolver.addresses("mx.far.test") == ["127.0.0.2"]


def test_domain_without_mx_is_its_own_mail_host(dns_server):
    assert Resolver([dns_server.address]).mail_hosts("implicit.test") == [
        MailHost(0, "implicit.test", implicit=True)
    ]


def test_null_mx_and_no_records_mean_no_mail(dns_server):
    resolver = Resolver([dns_server.address])
    with pytest.raises(NullMx, match="null MX"):
        resolver.mail_hosts("nomail.test")
    with pytest.raises(NoMailHost, match="no MX") as bare:
        resolver.mail_hosts("bare.test")
    assert not isinstance(bare.value, NullMx)  # the checks answer 5.1.8 here, 5.7.27 for a null MX


def test_unknown_domain_is_permanent_and_cached(dns_server):
    clock = FakeClock()
    resolver = Resolver([dns_server.address], clock=clock)
    for _ in range(2):
        with pytest.raises(DnsNotFound):
            resolver.mail_hosts("nowhere.test")
    assert dns_server.queries.count(("nowhere.test.", "MX")) == 1
    clock.now += 31  # the SOA minimum of the test zone is 30 s
    with pytest.raises(DnsNotFound):
        resolver.mail_hosts("nowhere.test")
    assert dns_server.queries.count(("nowhere.test.", "MX")) == 2


def test_answers_are_cached_for_their_ttl(dns_server):
    clock = FakeClock()
    resolver = Resolver([dns_server.address], clock=clock)
    resolver.mail_hosts("far.test")
    clock.now += 299
    resolver.mail_hosts("far.test")
    assert dns_server.queries.count(("far.test.", "MX")) == 1
    clock.now += 2
    resolver.mail_hosts("far.test")
    assert dns_server.queries.count(("far.test.", "MX")) == 2


def test_nameservers_are_tried_in_order(dns_server):
    dead = "127.0.0.1:1"
    resolver = Resolver([dead, dns_server.address], timeout=3)
    assert resolver.mail_hosts("far.test")[0].name == "mx.far.test"


def test_unreachable_nameserver_is_a_temporary_error():
    resolver = Resolver(["127.0.0.1:1"], timeout=1)
    with pytest.raises(DnsTemporaryError):
        resolver.mail_hosts("far.test")


def test_ip_literal_needs_no_lookup():
    assert Resolver(["127.0.0.1:1"], timeout=1).addresses("[127.0.0.2]") == ["127.0.0.2"]


def test_nameserver_forms():
    assert parse_nameserver("10.0.0.1") == ("10.0.0.1", 53)
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    assert parse_nameserver("::1") == ("::1", 53)
