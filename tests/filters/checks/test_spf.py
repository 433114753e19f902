"""SPF at MAIL FROM against a real DNS server on 127.0.0.1: the seven results, the policy the settings
choose for each, and the Received-SPF field (RFC 7208 9.1)."""

from __future__ import annotations

import pytest

from filters.checks import Facts, run, spf
from tests.filters.checks import authworld
from tests.filters.checks.authworld import GOOD_IP, STRANGER_IP, make_env
from tests.support.dnsserver import DnsServer

auth_dns = authworld.auth_dns  # the session's DNS server (a fixture)


def facts(sender: str, ip: str = GOOD_IP, helo: str = "client.example.net") -> Facts:
    return Facts(ip=ip, helo=helo, sender=sender)


@pytest.mark.parametrize(
    ("sender", "ip", "result"),
    [
        ("a@pass.spf.test", GOOD_IP, "pass"),
        ("a@pass.spf.test", STRANGER_IP, "fail"),
        ("a@fail.spf.test", GOOD_IP, "fail"),
        ("a@softfail.spf.test", GOOD_IP, "softfail"),
        ("a@neutral.spf.test", GOOD_IP, "neutral"),
        ("a@none.spf.test", GOOD_IP, "none"),
        ("a@nothing.spf.test", GOOD_IP, "none"),  # no such domain
        ("a@permerror.spf.test", GOOD_IP, "permerror"),
        ("a@temperror.spf.test", GOOD_IP, "temperror"),
        ("a@mx.spf.test", GOOD_IP, "pass"),  # through the MX record and its address
        ("a@mx.spf.test", STRANGER_IP, "fail"),
    ],
)
def test_the_seven_results(auth_dns: DnsServer, sender: str, ip: str, result: str) -> None:
    verdict = spf.check(facts(sender, ip), make_env(auth_dns.address, **{"spf.permerror_action": "mark"}))
    assert verdict is not None
    ((name, value),) = verdict.headers
    assert name == "Received-SPF" and value.split()[0] == result
    assert (
        f"client-ip={ip};" in value and f'envelope-from="{sender}";' in value and "identity=mailfrom" in value
    )


def test_default_policy_accepts_pass_neutral_none_softfail_and_fail(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address)
    for domain in ("pass", "neutral", "none", "softfail", "fail"):
        verdict = spf.check(facts(f"a@{domain}.spf.test"), env)
        assert verdict is not None and verdict.action == "accept", domain


def test_permerror_rejects_and_temperror_tempfails(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address)
    perm = spf.check(facts("a@permerror.spf.test"), env)
    assert perm is not None and (perm.action, perm.code, perm.status) == ("reject", 550, "5.7.24")
    assert "permerror.spf.test" in perm.text
    temp = spf.check(facts("a@temperror.spf.test"), env)
    assert temp is not None and (temp.action, temp.code, temp.status) == ("tempfail", 451, "4.7.24")


def test_fail_rejects_when_set_so(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address, **{"spf.fail_action": "reject"})
    verdict = spf.check(facts("a@fail.spf.test"), env)
    assert verdict is not None and (verdict.code, verdict.status) == (550, "5.7.23")
    assert GOOD_IP in verdict.text
    softfail = spf.check(facts("a@softfail.spf.test"), env)
    assert softfail is not None and softfail.action == "accept"


def test_marking_instead_of_refusing(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address, **{"spf.permerror_action": "mark", "spf.temperror_action": "mark"})
    for domain in ("permerror", "temperror"):
        verdict = spf.check(facts(f"a@{domain}.spf.test"), env)
        assert verdict is not None and verdict.action == "accept"
        assert verdict.headers[0][1].startswith(domain)


def test_the_null_sender_is_checked_through_the_helo_name(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address)
    verdict = spf.check(facts("", helo="helo.spf.test"), env)
    assert verdict is not None
    value = verdict.headers[0][1]
    assert (
        value.startswith("pass ")
        and "identity=helo" in value
        and 'envelope-from="postmaster@helo.spf.test"' in value
    )
    stranger = spf.check(facts("", ip=STRANGER_IP, helo="helo.spf.test"), env)
    assert stranger is not None and stranger.headers[0][1].startswith("fail ")


def test_the_receiver_is_our_host_name_and_odd_values_are_quoted(auth_dns: DnsServer) -> None:
    verdict = spf.check(facts("a@pass.spf.test", helo='we"ird (name)'), make_env(auth_dns.address))
    assert verdict is not None
    value = verdict.headers[0][1]
    assert "receiver=mx.example.test;" in value and "(mx.example.test: " in value
    assert 'helo="we\\"ird (name)"' in value


def test_disabled_or_trusted_clients_are_not_checked(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address, **{"spf.enabled": False})
    assert spf.check(facts("a@permerror.spf.test"), env) is None
    trusted = Facts(ip=GOOD_IP, helo="x", sender="a@permerror.spf.test", trusted=True)
    assert run("onMailFrom", trusted, make_env(auth_dns.address)) == []


def test_dns_goes_to_our_resolver(auth_dns: DnsServer) -> None:
    """pyspf's own DNS code would ask the system's resolver; ours asks the server in the settings."""
    before = len(auth_dns.queries)
    spf.check(facts("a@neutral.spf.test", ip="192.0.2.77"), make_env(auth_dns.address))
    from filters import dns

    dns.shared().clear()
    spf.check(facts("a@neutral.spf.test", ip="192.0.2.77"), make_env(auth_dns.address))
    assert ("neutral.spf.test.", "TXT") in auth_dns.queries[before:]


@pytest.mark.parametrize(
    ("sender", "helo"),
    [("", "[192.0.2.1]"), ("", "localhost"), ("", "bad..name.test"), ("a@[192.0.2.1]", "client.example.net")],
)
def test_names_that_cannot_have_a_record_are_none_without_asking(
    auth_dns: DnsServer, sender: str, helo: str
) -> None:
    """RFC 7208 4.3: a malformed or single-label name gives "none" at once (and so never a 451)."""
    before = len(auth_dns.queries)
    verdict = spf.check(facts(sender, helo=helo), make_env(auth_dns.address))
    assert verdict is not None and verdict.action == "accept" and verdict.headers[0][1].startswith("none ")
    assert auth_dns.queries[before:] == []
