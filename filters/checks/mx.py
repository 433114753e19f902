"""Sender domain check: the domain of the envelope sender must be able to receive mail, or bounces and
replies to the message would have nowhere to go (and the address is most likely made up).

When: at MAIL FROM (``onMailFrom``), the moment the sender is known. The null sender (bounces, RFC 5321
4.5.5), address literals and the server's own domains are not checked.

What counts as able to receive mail is what delivery uses (``filters.dns.Resolver.mail_hosts``,
RFC 5321 5.1): MX records, else A/AAAA records of the domain itself (the implicit MX). Failures:

* the domain does not exist (NXDOMAIN): 5.1.8 "bad sender's system address" (RFC 3463);
* a null MX (RFC 7505): the domain says it sends no mail, 5.7.27 (RFC 7505 section 4.2);
* neither MX nor address records: 5.1.8.

``mx_check.policy`` says what a failure gets: "mark" (X-Fieldpost-MX-Check header field, accepted),
"tempfail" (450) or "reject" (550). A DNS timeout or SERVFAIL always gets 451 4.4.3 with a refusing
policy (the client retries later) and "temperror" with "mark": DNS trouble never refuses mail for good.
"""

from __future__ import annotations

from filters import DnsNotFound, DnsTemporaryError, NoMailHost, NullMx
from filters.checks import Env, Facts, Verdict
from filters.checks.common import DNS_SETTINGS, domain_of, log, resolver, setting

EVENT = "onMailFrom"
SETTINGS = ("mx_check.policy", *DNS_SETTINGS)
HEADER = "X-Fieldpost-MX-Check"


def verify(domain: str, env: Env) -> tuple[str, str, str]:
    """(outcome, enhanced status detail "X.Y" or "", text); outcome is pass, fail or temperror."""
    try:
        hosts = resolver(env).mail_hosts(domain)
    except DnsNotFound:
        return "fail", "1.8", f"Sender domain {domain} does not exist"
    except NullMx:
        return "fail", "7.27", f"Sender domain {domain} accepts no mail (null MX)"
    except NoMailHost:
        return "fail", "1.8", f"Sender domain {domain} has no mail server (no MX and no address records)"
    except DnsTemporaryError as exc:
        return "temperror", "4.3", str(exc)
    return "pass", "", hosts[0].name if hosts else domain


def check(facts: Facts, env: Env) -> Verdict | None:
    policy = setting(env, "mx_check.policy")
    if policy == "off" or not facts.sender:
        return None
    domain = domain_of(facts.sender)
    if not domain or domain.startswith("[") or domain in facts.local_domains:
        return None
    outcome, detail, text = verify(domain, env)
    if outcome == "pass":
        return None
    if policy == "mark":
        return Verdict(headers=((HEADER, f"{outcome} domain={domain}"),))
    if outcome == "temperror":
        log.info("sender domain %s could not be checked now: %s", domain, text)
        return Verdict(
            "tempfail", 451, "4.4.3", f"Sender domain {domain} cannot be checked now, try again later"
        )
    log.info("sender domain check failed: %s", text)
    if policy == "tempfail":
        return Verdict("tempfail", 450, f"4.{detail}", text)
    return Verdict("reject", 550, f"5.{detail}", text)
