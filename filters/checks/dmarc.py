"""DMARC evaluation (RFC 7489): does the From domain's policy accept what SPF and DKIM found?

Steps, each cited where it is done:

* the author domain comes from the From header field (6.6.1); a message naming several domains is
  evaluated for each, and of those that fail the one with the strictest disposition decides;
* the policy record is looked up at ``_dmarc.<domain>``, then at ``_dmarc.<organizational domain>``
  (6.6.3); no record or several records mean no policy (dmarc=none);
* identifier alignment (3.1): DKIM's d= and SPF's checked domain (MAIL FROM, or HELO for the null
  sender) must equal the author domain (strict, ``adkim=s``/``aspf=s``) or share its organizational
  domain (relaxed, the default);
* the message passes when one aligned identifier passed; otherwise the policy applies: ``sp=`` for a
  subdomain whose record was found at the organizational domain, else ``p=``; ``pct=`` applies it to
  that share of failing mail, the rest gets the next milder treatment (6.6.4).

The organizational domain is the public suffix plus one label (3.2), from the Public Suffix List that
the ``publicsuffixlist`` package ships (no network at run time; a name under a suffix the list does not
know counts its last label as the suffix, the list's default rule). Aggregate and failure reports (rua=,
ruf=) are not sent.
"""

from __future__ import annotations

import email.parser
import email.policy
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from filters import DnsTemporaryError
from filters import dns as fdns
from filters.checks.dkim_verify import DkimOutcome
from filters.checks.spf import SpfOutcome, checkable_domain
from filters.checks.txt import txt_records

POLICIES = ("none", "quarantine", "reject")
_MILDER = {"reject": "quarantine", "quarantine": "none", "none": "none"}
_VERSION = re.compile(rb"^v\s*=\s*DMARC1\s*(;|$)")


@dataclass(frozen=True)
class DmarcPolicy:
    """A parsed record (RFC 7489 6.3)."""

    p: str
    sp: str | None = None
    adkim: str = "r"
    aspf: str = "r"
    pct: int = 100
    found_at: str = ""  # the domain whose _dmarc record this is


@dataclass(frozen=True)
class DmarcOutcome:
    result: str  # pass | fail | none | temperror | permerror
    from_domain: str
    policy: str = "none"  # what the domain asks for failing mail
    disposition: str = "none"  # what is done (after pct sampling; "none" for passing mail)
    reason: str = ""


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """The registered domain of ``domain`` (RFC 7489 3.2); a public suffix is its own."""
    domain = domain.lower().rstrip(".")
    return _psl().privatesuffix(domain) or domain


def aligned(identifier: str, author: str, mode: str) -> bool:
    """Identifier alignment (RFC 7489 3.1.1, 3.1.2): strict needs the same name, relaxed the same
    organizational domain."""
    identifier, author = identifier.lower().rstrip("."), author.lower().rstrip(".")
    if not identifier or not author:
        return False
    if mode == "s":
        return identifier == author
    return organizational_domain(identifier) == organizational_domain(author)


def parse_record(text: bytes, found_at: str) -> DmarcPolicy | None:
    """A policy from one TXT record, or None when it is not a usable DMARC record (RFC 7489 6.3, 6.6.3
    step 6: without a valid p= but with rua= the record counts as p=none)."""
    if not _VERSION.match(text):
        return None
    tags: dict[str, str] = {}
    for part in text.decode("ascii", "replace").split(";")[1:]:
        name, sep, value = part.partition("=")
        if sep and name.strip().lower() not in tags:
            tags[name.strip().lower()] = value.strip()
    p, sp = tags.get("p", "").lower(), tags.get("sp", "").lower() or None
    if p not in POLICIES or (sp is not None and sp not in POLICIES):
        if "rua" not in tags:
            return None
        p, sp = "none", None
    try:
        pct = min(100, max(0, int(tags.get("pct", "100"))))
    except ValueError:
        pct = 100
    adkim = "s" if tags.get("adkim", "r").lower() == "s" else "r"
    aspf = "s" if tags.get("aspf", "r").lower() == "s" else "r"
    return DmarcPolicy(p, sp, adkim, aspf, pct, found_at)


def fetch_policy(res: fdns.Resolver, domain: str) -> DmarcPolicy | None:
    """The policy for ``domain``: its own record, else its organizational domain's (RFC 7489 6.6.3).

    Raises:
        filters.DnsTemporaryError: a lookup failed for now.
    """
    org = organizational_domain(domain)
    for where in dict.fromkeys((domain.lower(), org)):
        records = [r for r in txt_records(res, f"_dmarc.{where}") if _VERSION.match(r)]
        if len(records) > 1:
            return None  # 6.6.3 step 5: several records, no DMARC processing
        if records:
            return parse_record(records[0], where)
    return None


def author_domains(raw: bytes) -> list[str]:
    """The domains of the From header field's addresses, in order, without repeats (RFC 7489 6.6.1)."""
    end = raw.find(b"\r\n\r\n")
    head = raw[: end + 2] if end >= 0 else raw
    parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
    values = [str(v) for v in parsed.get_all("From") or []]
    domains = [addr.rpartition("@")[2].strip().lower().rstrip(".") for _name, addr in getaddresses(values)]
    return list(dict.fromkeys(d for d in domains if d))


def evaluate(
    raw: bytes,
    spf: SpfOutcome | None,
    dkims: Sequence[DkimOutcome],
    res: fdns.Resolver,
    *,
    sample: Callable[[], int] = lambda: random.randrange(100),
) -> DmarcOutcome:
    """The DMARC outcome of a message. ``sample`` draws 0..99 for pct= (tests pass a fixed one)."""
    domains = author_domains(raw)
    if not domains:
        return DmarcOutcome("permerror", "", reason="no author domain in the From field")
    outcomes = [_evaluate_domain(d, spf, dkims, res, sample) for d in domains]
    failed = [o for o in outcomes if o.result == "fail"]
    return max(failed, key=lambda o: POLICIES.index(o.disposition)) if failed else outcomes[0]


def _evaluate_domain(
    author: str,
    spf: SpfOutcome | None,
    dkims: Sequence[DkimOutcome],
    res: fdns.Resolver,
    sample: Callable[[], int],
) -> DmarcOutcome:
    if not checkable_domain(author):  # an address literal or a single label: nobody publishes a policy there
        return DmarcOutcome("none", author, reason="not a domain name that can have a policy")
    try:
        policy = fetch_policy(res, author)
    except DnsTemporaryError as exc:
        return DmarcOutcome("temperror", author, reason=str(exc))
    if policy is None:
        return DmarcOutcome("none", author, reason="no DMARC policy published")
    requested = policy.p
    if policy.sp is not None and policy.found_at != author:
        requested = policy.sp
    if any(d.result == "pass" and aligned(d.domain, author, policy.adkim) for d in dkims):
        return DmarcOutcome("pass", author, requested, "none", "aligned DKIM signature")
    if spf is not None and spf.result == "pass" and aligned(spf.domain, author, policy.aspf):
        return DmarcOutcome("pass", author, requested, "none", "aligned SPF pass")
    disposition = requested if sample() < policy.pct else _MILDER[requested]
    return DmarcOutcome("fail", author, requested, disposition, "no aligned SPF or DKIM pass")
