"""The sender-domain check against a real DNS server on 127.0.0.1: MX or address records pass; no such
domain, a null MX or no mail host fail as the policy says; DNS trouble only ever delays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from filters.checks import Facts, mx
from tests.filters.checks.world import ZONES, make_env
from tests.support.dnsserver import DnsServer


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


def facts(sender: str) -> Facts:
    return Facts(ip="192.0.2.10", sender=sender, local_domains=frozenset({"example.test"}))


@pytest.mark.parametrize(
    "sender",
    [
        "a@good.senders.test",
        "a@implicit.senders.test",  # no MX, an A record: the implicit MX
        "",  # the null sender (bounces) is never checked
        "a@example.test",  # our own domain
        "a@[192.0.2.1]",  # an address literal
    ],
)
def test_senders_that_can_receive_mail_pass(dns_server: DnsServer, sender: str) -> None:
    assert mx.check(facts(sender), make_env(dns_server.address, mx_check_policy="reject")) is None


@pytest.mark.parametrize(
    ("domain", "status", "text"),
    [
        ("nothing.senders.test", "1.8", "Sender domain nothing.senders.test does not exist"),
        ("nullmx.senders.test", "7.27", "Sender domain nullmx.senders.test accepts no mail (null MX)"),
        (
            "bare.senders.test",
            "1.8",
            "Sender domain bare.senders.test has no mail server (no MX and no address records)",
        ),
    ],
)
def test_senders_without_a_mail_host_by_policy(
    dns_server: DnsServer, domain: str, status: str, text: str
) -> None:
    rejected = mx.check(
        facts(f"Someone@{domain.upper()}"), make_env(dns_server.address, mx_check_policy="reject")
    )
    assert rejected is not None
    assert (rejected.action, rejected.code, rejected.status, rejected.text) == (
        "reject",
        550,
        f"5.{status}",
        text,
    )
    later = mx.check(facts(f"a@{domain}"), make_env(dns_server.address, mx_check_policy="tempfail"))
    assert later is not None and (later.code, later.status) == (450, f"4.{status}")
    marked = mx.check(facts(f"a@{domain}"), make_env(dns_server.address, mx_check_policy="mark"))
    assert marked is not None and not marked.refuses
    assert marked.headers == (("X-Fieldpost-MX-Check", f"fail domain={domain}"),)


def test_dns_trouble_delays_and_never_rejects(dns_server: DnsServer) -> None:
    """far.example is outside every zone of the test server: REFUSED, a temporary failure."""
    for policy in ("reject", "tempfail"):
        verdict = mx.check(facts("a@far.example"), make_env(dns_server.address, mx_check_policy=policy))
        assert verdict is not None and (verdict.action, verdict.code, verdict.status) == (
            "tempfail",
            451,
            "4.4.3",
        )
        assert verdict.text == "Sender domain far.example cannot be checked now, try again later"
    marked = mx.check(facts("a@far.example"), make_env(dns_server.address, mx_check_policy="mark"))
    assert marked is not None and marked.headers == (
        ("X-Fieldpost-MX-Check", "temperror domain=far.example"),
    )


def test_off_by_default(dns_server: DnsServer) -> None:
    assert mx.check(facts("a@nothing.senders.test"), make_env(dns_server.address)) is None
