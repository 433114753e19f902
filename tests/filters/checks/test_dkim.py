"""DKIM verification against a real DNS server on 127.0.0.1: messages signed by dkimpy with a key
published there verify; a changed body or header, a missing, revoked or broken key each get their own
result, and so does DNS trouble."""

from __future__ import annotations

from filters import dns
from filters.checks import authentication, dkim_verify
from tests.filters.checks import authworld
from tests.filters.checks.authworld import data_facts, make_env, message, signed
from tests.support.dnsserver import DnsServer

auth_dns = authworld.auth_dns  # the session's DNS server (a fixture)


def verify(server: DnsServer, raw: bytes) -> list[dkim_verify.DkimOutcome]:
    res = dns.shared()
    res.configure([server.address], 2)
    return dkim_verify.verify(raw, res)


def test_a_signed_message_verifies(auth_dns: DnsServer) -> None:
    (outcome,) = verify(auth_dns, signed(message("a@keys.test"), "keys.test"))
    assert (outcome.result, outcome.domain, outcome.selector) == ("pass", "keys.test", "sel")
    assert len(outcome.b_prefix) == 8


def test_a_changed_body_fails(auth_dns: DnsServer) -> None:
    raw = signed(message("a@keys.test"), "keys.test").replace(b"Just a note.", b"Just a forged note.")
    (outcome,) = verify(auth_dns, raw)
    assert outcome.result == "fail" and "body" in outcome.reason


def test_a_changed_signed_header_fails(auth_dns: DnsServer) -> None:
    raw = signed(message("a@keys.test"), "keys.test").replace(b"Subject: hello", b"Subject: win a prize")
    (outcome,) = verify(auth_dns, raw)
    assert outcome.result == "fail"


def test_relaxed_canonicalization_survives_refolding(auth_dns: DnsServer) -> None:
    raw = signed(message("a@keys.test"), "keys.test").replace(b"Subject: hello", b"Subject:   hello")
    assert verify(auth_dns, raw)[0].result == "pass"


def test_key_problems_are_permerrors(auth_dns: DnsServer) -> None:
    for selector in ("missing", "revoked", "garbage"):
        (outcome,) = verify(auth_dns, signed(message("a@keys.test"), "keys.test", selector))
        assert outcome.result == "permerror", (selector, outcome)


def test_a_key_that_cannot_be_fetched_is_a_temperror(auth_dns: DnsServer) -> None:
    """elsewhere.example is served by nobody: the lookup is refused, which is DNS trouble."""
    (outcome,) = verify(auth_dns, signed(message("a@elsewhere.example"), "elsewhere.example"))
    assert outcome.result == "temperror"


def test_a_malformed_signature_is_neutral(auth_dns: DnsServer) -> None:
    raw = b"DKIM-Signature: v=1; a=rsa-sha256; d=keys.test\r\n" + message("a@keys.test")
    (outcome,) = verify(auth_dns, raw)
    assert outcome.result == "neutral" and outcome.domain == "keys.test"


def test_every_signature_is_reported_up_to_the_limit(auth_dns: DnsServer) -> None:
    raw = signed(signed(message("a@keys.test"), "keys.test"), "reject.test")
    outcomes = verify(auth_dns, raw)
    assert [(o.result, o.domain) for o in outcomes] == [("pass", "reject.test"), ("pass", "keys.test")]
    res = dns.shared()
    assert len(dkim_verify.verify(raw, res, max_signatures=1)) == 1


def test_unsigned_messages_and_garbage_have_no_outcomes(auth_dns: DnsServer) -> None:
    assert verify(auth_dns, message("a@keys.test")) == []
    assert verify(auth_dns, b"\x00\xff not a message at all") == []


def test_authentication_results_reports_dkim(auth_dns: DnsServer) -> None:
    env = make_env(auth_dns.address)
    raw = signed(message("a@keys.test"), "keys.test")
    verdict = authentication.check(data_facts(raw, sender="a@keys.test"), env)
    assert verdict is not None and verdict.action == "accept"
    ((name, value),) = verdict.headers
    assert name == "Authentication-Results" and value.startswith("mx.example.test;")
    assert "dkim=pass header.d=keys.test header.s=sel header.b=" in value
    forged = raw.replace(b"Just a note.", b"Changed.")
    value = authentication.check(data_facts(forged, sender="a@keys.test"), env).headers[0][1]  # type: ignore[union-attr]
    assert "dkim=fail (" in value
    unsigned = authentication.check(data_facts(message("a@keys.test"), sender="a@keys.test"), env)
    assert unsigned is not None and "dkim=none" in unsigned.headers[0][1]
