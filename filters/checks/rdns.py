"""Reverse DNS check: the client's address must have a name (PTR record) that resolves back to it
("forward-confirmed reverse DNS"), as most well-run mail servers do and most infected hosts do not.

When: at MAIL FROM (``onMailFrom``), so that an authenticated client (submission from a home line, which
rarely has reverse DNS) has been recognised and is skipped like every trusted client.

How (the usual FCrDNS test; RFC 1912 section 2.1 asks every address to have a matching PTR and A):

1. the PTR records of the reversed address (``in-addr.arpa``/``ip6.arpa``); none, or no such name, fails;
2. for each name (at most ``MAX_NAMES``), its A and AAAA records; the check passes as soon as one of them
   is the client's address.

What a failure gets is ``rdns.policy``: "mark" adds an X-Fieldpost-RDNS header field and accepts,
"tempfail" answers 450 and "reject" 550, both with the RFC 7372 status 5.7.25/4.7.25 ("reverse DNS
validation failed"). When DNS cannot answer now, the refusing policies answer 451 4.4.3 (the client
will retry) and "mark" marks "temperror"; the check never refuses for a DNS outage permanently.
"""

from __future__ import annotations

import dns.reversename

from filters import DnsError, DnsNotFound, DnsTemporaryError
from filters.checks import Env, Facts, Verdict
from filters.checks.common import DNS_SETTINGS, IPAddress, client_address, in_networks, log, resolver, setting

EVENT = "onMailFrom"
SETTINGS = ("rdns.policy", "rdns.exclude_networks", *DNS_SETTINGS)
HEADER = "X-Fieldpost-RDNS"
MAX_NAMES = 10  # PTR names followed for one address: a client cannot make us do more lookups


class Outcome:
    PASS, FAIL, TEMPERROR = "pass", "fail", "temperror"


def verify(address: IPAddress, env: Env) -> tuple[str, str]:
    """(outcome, detail): ``pass`` with the confirmed name, ``fail`` or ``temperror`` with the reason."""
    res = resolver(env)
    reverse = dns.reversename.from_address(str(address)).to_text()
    try:
        names = [n.rstrip(".").lower() for n in res.lookup(reverse, "PTR")]
    except DnsNotFound:
        return Outcome.FAIL, f"{address} has no reverse DNS name"
    except DnsTemporaryError as exc:
        return Outcome.TEMPERROR, str(exc)
    if not names:
        return Outcome.FAIL, f"{address} has no reverse DNS name"
    temporary = ""
    for name in names[:MAX_NAMES]:
        try:
            found = res.addresses(name)
        except DnsTemporaryError as exc:
            temporary = str(exc)
            continue
        except DnsError:
            continue
        if any(client_address(a) == address for a in found):
            return Outcome.PASS, name
    if temporary:
        return Outcome.TEMPERROR, temporary
    return Outcome.FAIL, f"the reverse DNS name {names[0]} of {address} does not resolve back to it"


def check(facts: Facts, env: Env) -> Verdict | None:
    policy = setting(env, "rdns.policy")
    if policy == "off":
        return None
    address = client_address(facts.ip)
    if address is None or in_networks(address, setting(env, "rdns.exclude_networks")):
        return None
    outcome, detail = verify(address, env)
    if outcome == Outcome.PASS:
        return None
    header = (
        HEADER,
        f"{outcome} ip={address}; {detail}" if outcome == Outcome.FAIL else f"{outcome} ip={address}",
    )
    if policy == "mark":
        return Verdict(headers=(header,))
    if outcome == Outcome.TEMPERROR:
        log.info("reverse DNS of %s could not be checked now: %s", address, detail)
        return Verdict(
            "tempfail", 451, "4.4.3", f"Reverse DNS of {address} cannot be checked now, try again later"
        )
    log.info("reverse DNS check failed: %s", detail)
    if policy == "tempfail":
        return Verdict("tempfail", 450, "4.7.25", f"Reverse DNS validation failed: {detail}")
    return Verdict("reject", 550, "5.7.25", f"Reverse DNS validation failed: {detail}")
