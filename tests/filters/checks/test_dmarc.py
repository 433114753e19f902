"""DMARC (RFC 7489) against a real DNS server on 127.0.0.1: policy discovery, alignment through DKIM or
SPF, relaxed and strict modes, sp= and pct=, and what each policy does to a failing message."""

from __future__ import annotations

import pytest

from filters import dns
from filters.checks import authentication, dmarc
from filters.checks.spf import SpfOutcome
from tests.filters.checks import authworld
from tests.filters.checks.authworld import (
    GOOD_IP,
    STRANGER_IP,
    data_facts,
    make_env,
    message,
    signed,
)
from tests.support.dnsserver import DnsServer

auth_dns = authworld.auth_dns  # the session's DNS server (a fixture)


def check(
    server: DnsServer, raw: bytes, *, ip: str = STRANGER_IP, sender: str = "x@fail.spf.test", **settings
):  # type: ignore[no-untyped-def]
    """The end-of-DATA verdict for ``raw`` from ``ip`` (by default a stranger, so SPF does not pass)."""
    return authentication.check(data_facts(raw, ip=ip, sender=sender), make_env(server.address, **settings))


def results(verdict) -> str:  # type: ignore[no-untyped-def]
    return dict(verdict.headers)["Authentication-Results"]


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("example.com", "example.com"),
        ("mail.example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("child.parent.test", "parent.test"),
        ("co.uk", "co.uk"),  # a public suffix is its own
    ],
)
def test_organizational_domain(domain: str, org: str) -> None:
    assert dmarc.organizational_domain(domain) == org


def test_alignment_modes() -> None:
    assert dmarc.aligned("mail.reject.test", "reject.test", "r")
    assert not dmarc.aligned("mail.reject.test", "reject.test", "s")
    assert dmarc.aligned("Reject.Test", "reject.test", "s")
    assert not dmarc.aligned("reject.test.evil.test", "reject.test", "r")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"v=DMARC1; p=reject", dmarc.DmarcPolicy("reject", found_at="d")),
        (b"v=DMARC1;p=quarantine;sp=none;adkim=s;aspf=s;pct=25", dmarc.DmarcPolicy("quarantine", "none", "s", "s", 25, "d")),
        (b"v=DMARC1; p=bogus; rua=mailto:x@d", dmarc.DmarcPolicy("none", found_at="d")),  # 6.6.3 step 6
        (b"v=DMARC1; p=bogus", None),
        (b"v=DMARC1; p=reject; pct=500", dmarc.DmarcPolicy("reject", found_at="d")),
        (b"p=reject; v=DMARC1", None),  # v= must come first
        (b"v=spf1 -all", None),
    ],
)  # fmt: skip
def test_parse_record(text: bytes, expected: dmarc.DmarcPolicy | None) -> None:
    assert dmarc.parse_record(text, "d") == expected


def test_reject_policy_refuses_mail_that_fails(auth_dns: DnsServer) -> None:
    verdict = check(auth_dns, message("ceo@reject.test"))
    assert verdict is not None and (verdict.action, verdict.code, verdict.status) == ("reject", 550, "5.7.1")
    assert "reject.test" in verdict.text
    assert "dmarc=fail (p=reject dis=reject) header.from=reject.test" in results(verdict)


def test_aligned_dkim_passes_even_when_spf_fails(auth_dns: DnsServer) -> None:
    verdict = check(auth_dns, signed(message("ceo@reject.test"), "reject.test"))
    assert verdict is not None and verdict.action == "accept"
    value = results(verdict)
    assert "spf=fail smtp.mailfrom=x@fail.spf.test" in value and "dmarc=pass" in value


def test_relaxed_spf_alignment_passes(auth_dns: DnsServer) -> None:
    verdict = check(auth_dns, message("ceo@reject.test"), ip=GOOD_IP, sender="bounce@mail.reject.test")
    assert verdict is not None and verdict.action == "accept"
    assert "spf=pass" in results(verdict) and "dmarc=pass" in results(verdict)


def test_unaligned_passes_do_not_count(auth_dns: DnsServer) -> None:
    """SPF passes for keys.test and keys.test signed it, but the author is reject.test."""
    raw = signed(message("ceo@reject.test"), "keys.test")
    verdict = check(auth_dns, raw, ip=GOOD_IP, sender="x@keys.test")
    assert verdict is not None and verdict.code == 550
    assert "spf=pass" in results(verdict) and "dkim=pass header.d=keys.test" in results(verdict)


def test_strict_alignment_needs_the_exact_domain(auth_dns: DnsServer) -> None:
    """Both identifiers share the organizational domain (enough for relaxed), neither is the author's."""
    for org, code in (("strict.test", 550), ("reject.test", None)):
        raw = signed(message(f"ceo@child.{org}"), org)
        verdict = check(auth_dns, raw, ip=GOOD_IP, sender=f"x@mail.{org}")
        assert verdict is not None and (verdict.code if verdict.refuses else None) == code, org


def test_quarantine_marks_the_message_as_spam(auth_dns: DnsServer) -> None:
    verdict = check(auth_dns, message("ceo@quarantine.test"))
    assert verdict is not None and verdict.action == "accept"
    assert dict(verdict.headers)["X-Fieldpost-Spam-Level"].startswith("10")
    assert "dmarc=fail (p=quarantine dis=quarantine)" in results(verdict)


def test_p_none_only_reports(auth_dns: DnsServer) -> None:
    verdict = check(auth_dns, message("ceo@monitor.test"))
    assert verdict is not None and verdict.action == "accept"
    assert [name for name, _ in verdict.headers] == ["Authentication-Results"]
    assert "dmarc=fail (p=none dis=none) header.from=monitor.test" in results(verdict)


def test_subdomain_policy_applies_to_subdomains_only(auth_dns: DnsServer) -> None:
    sub = check(auth_dns, message("ceo@child.parent.test"))
    assert sub is not None and sub.code == 550
    top = check(auth_dns, message("ceo@parent.test"))
    assert top is not None and top.action == "accept"


def test_pct_zero_applies_the_next_milder_policy(auth_dns: DnsServer) -> None:
    verdict = check(auth_dns, message("ceo@sampled.test"))
    assert verdict is not None and verdict.action == "accept"
    assert "dmarc=fail (p=reject dis=quarantine)" in results(verdict)
    assert "X-Fieldpost-Spam-Level" in dict(verdict.headers)


def test_pct_samples_failing_mail(auth_dns: DnsServer) -> None:
    """pct=30: a draw below 30 (of 0..99) applies p=reject, the others get quarantine (RFC 7489 6.6.4)."""
    res = dns.shared()
    res.configure([auth_dns.address], 2)
    raw = message("ceo@half.test")
    spf = SpfOutcome("fail", "", "mailfrom", "fail.spf.test", STRANGER_IP, "x@fail.spf.test", "h")
    drawn = [dmarc.evaluate(raw, spf, [], res, sample=lambda n=n: n).disposition for n in (0, 29, 30, 99)]
    assert drawn == ["reject", "reject", "quarantine", "quarantine"]


def test_no_policy_no_author_and_dns_trouble_accept(auth_dns: DnsServer) -> None:
    for raw, word in (
        (message("ceo@nopolicy.test"), "dmarc=none header.from=nopolicy.test"),
        (message("ceo@unanswered.example"), "dmarc=temperror header.from=unanswered.example"),
        (b"Subject: no author\r\n\r\nbody\r\n", "dmarc=permerror"),
    ):
        verdict = check(auth_dns, raw)
        assert verdict is not None and verdict.action == "accept"
        assert word in results(verdict)


def test_several_author_domains_the_failing_one_decides(auth_dns: DnsServer) -> None:
    raw = message("ceo@monitor.test").replace(
        b"From: Someone <ceo@monitor.test>", b"From: a@monitor.test, b@reject.test"
    )
    verdict = check(auth_dns, raw)
    assert verdict is not None and verdict.code == 550


def test_settings_soften_or_disable(auth_dns: DnsServer) -> None:
    softened = check(auth_dns, message("ceo@reject.test"), **{"dmarc.reject_action": "quarantine"})
    assert softened is not None and softened.action == "accept"
    assert "X-Fieldpost-Spam-Level" in dict(softened.headers)
    off = check(auth_dns, message("ceo@reject.test"), **{"dmarc.enabled": False})
    assert off is not None and off.action == "accept" and "dmarc=" not in results(off)
    nothing = check(
        auth_dns,
        message("ceo@reject.test"),
        **{"dmarc.enabled": False, "dkim.verify": False, "spf.enabled": False},
    )
    assert nothing is None


def test_forged_results_claiming_our_name_are_removed() -> None:
    raw = (
        b"Authentication-Results: mx.example.test; dmarc=pass\r\n\theader.from=reject.test\r\n"
        b"Authentication-Results: mx.example.test.other; spf=pass\r\n"
        b"Authentication-Results: upstream.example; spf=pass\r\n"
        b"Subject: s\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n"
    )
    assert authentication.without_forged_results(raw, "mx.example.test") == (
        b"Authentication-Results: mx.example.test.other; spf=pass\r\n"
        b"Authentication-Results: upstream.example; spf=pass\r\n"
        b"Subject: s\r\n\r\nAuthentication-Results: mx.example.test; in the body\r\n"
    )


def test_an_address_literal_author_has_no_policy_and_asks_nothing(auth_dns: DnsServer) -> None:
    before = len(auth_dns.queries)
    verdict = check(auth_dns, message("ceo@[192.0.2.1]"), ip=GOOD_IP, sender="")
    assert verdict is not None and "dmarc=none" in results(verdict)
    assert [q for q in auth_dns.queries[before:] if q[0].startswith("_dmarc")] == []
