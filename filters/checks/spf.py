"""SPF (RFC 7208) at MAIL FROM: may this client send mail for the sender's domain?

The evaluation is pyspf's; its DNS goes through our resolver (``filters.dns``) by replacing
pyspf's module-level ``DNSLookup`` once at import. The process has one resolver by design, so one
replacement serves every session.

Policy, as the manual describes it and the ``spf.*`` settings tune it:

* pass, neutral, none, softfail: accepted, with a Received-SPF field (RFC 7208 9.1) saying so;
* fail: ``spf.fail_action`` -- ``mark`` (the default: accepted with the field, the manual's behaviour)
  or ``reject`` with 550 5.7.23 (RFC 7372 3.2);
* permerror (a broken record): ``spf.permerror_action``, by default refused with 550 5.7.24;
* temperror (DNS trouble): ``spf.temperror_action``, by default 451 4.7.24 so the client tries later
  (RFC 7208 8.6) -- DNS trouble never refuses mail for good.

The null sender is checked through the HELO name (RFC 7208 2.4). ``evaluate`` is also what the
Authentication-Results check calls at the end of DATA for DMARC (the DNS answers are cached by then).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import spf as pyspf

from filters import DnsNotFound, DnsTemporaryError
from filters import dns as fdns
from filters.checks import Facts, Verdict
from filters.checks.common import DNS_SETTINGS, resolver, setting
from filters.checks.txt import txt_strings

log = logging.getLogger("fieldpost.filters.checks.spf")

EVENT = "onMailFrom"
SETTINGS = (
    "spf.enabled",
    "spf.fail_action",
    "spf.permerror_action",
    "spf.temperror_action",
    "server.hostname",
    *DNS_SETTINGS,
)
RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")
#: Longest time one SPF evaluation may spend in DNS, all lookups together (RFC 7208 4.6.4: at least 20 s).
TIME_LIMIT = 20.0
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


@dataclass(frozen=True)
class SpfOutcome:
    result: str  # one of RESULTS
    explanation: str  # pyspf's reason, for logs and refusals (never put in a header comment)
    identity: str  # "mailfrom", or "helo" for the null sender
    domain: str  # the domain whose policy was checked
    ip: str
    sender: str  # the checked identity as an address (postmaster@HELO for the null sender)
    helo: str


def evaluate(ip: str, sender: str | None, helo: str | None, *, time_limit: float = TIME_LIMIT) -> SpfOutcome:
    """The SPF result for a client at ``ip`` sending as ``sender`` after ``helo`` (RFC 7208 2.3, 2.4).

    Call ``common.resolver(env)`` first so the shared resolver has the session's settings.
    """
    helo = (helo or "").strip("[]")
    identity = "mailfrom" if sender else "helo"
    checked = sender if sender else f"postmaster@{helo}"
    domain = checked.rpartition("@")[2]
    if not checkable_domain(domain):  # RFC 7208 4.3: malformed or single-label: "none", without asking DNS
        return SpfOutcome(
            "none", f"{domain!r} is not a domain name to check", identity, domain, ip, checked, helo
        )
    try:
        query = pyspf.query(i=ip, s=checked, h=helo, querytime=time_limit)
        result, _code, explanation = query.check()
    except Exception as exc:  # pyspf is strict about odd input; a crash there is no reason to refuse
        log.warning("SPF evaluation of %s for %s failed: %s", domain, ip, exc)
        return SpfOutcome("temperror", str(exc), identity, domain, ip, checked, helo)
    if result not in RESULTS:
        result = "permerror"
    return SpfOutcome(result, str(explanation), identity, domain, ip, checked, helo)


def checkable_domain(domain: str) -> bool:
    """A multi-label domain name with labels of 1..63 letters, digits, '-' or '_' (not an address
    literal, not "localhost")."""
    labels = domain.rstrip(".").split(".")
    return len(labels) > 1 and all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def check(facts: Facts, env: Any) -> Verdict | None:
    """The onMailFrom check: a refusal for permerror/temperror (and fail when set so), else the field."""
    if not setting(env, "spf.enabled") or facts.sender is None:
        return None
    resolver(env)
    outcome = evaluate(facts.ip, facts.sender, facts.helo)
    receiver = setting(env, "server.hostname") or "localhost"
    header = (("Received-SPF", received_spf(outcome, receiver)),)
    log.info("SPF %s for %s from %s (%s)", outcome.result, outcome.domain, outcome.ip, outcome.explanation)
    reason = outcome.explanation[:200]
    if outcome.result == "fail" and setting(env, "spf.fail_action") == "reject":
        text = f"SPF: {outcome.ip} is not allowed to send mail for {outcome.domain}"
        return Verdict("reject", 550, "5.7.23", text, header)
    if outcome.result == "permerror" and setting(env, "spf.permerror_action") == "reject":
        return Verdict(
            "reject", 550, "5.7.24", f"SPF record of {outcome.domain} is invalid: {reason}", header
        )
    if outcome.result == "temperror" and setting(env, "spf.temperror_action") == "tempfail":
        text = f"SPF record of {outcome.domain} could not be read now, try again later"
        return Verdict("tempfail", 451, "4.7.24", text, header)
    return Verdict(headers=header)


_COMMENTS = {
    "pass": "domain of {sender} designates {ip} as permitted sender",
    "fail": "domain of {sender} does not designate {ip} as permitted sender",
    "softfail": "transitioning domain of {sender} does not designate {ip} as permitted sender",
    "neutral": "{ip} is neither permitted nor denied by domain of {sender}",
    "none": "domain of {sender} does not designate permitted sender hosts",
    "permerror": "the SPF record of the domain of {sender} is invalid",
    "temperror": "the SPF record of the domain of {sender} could not be read",
}


def received_spf(outcome: SpfOutcome, receiver: str) -> str:
    """The value of a Received-SPF field (RFC 7208 9.1): result, a comment, then key=value pairs."""
    comment = _COMMENTS[outcome.result].format(sender=outcome.sender, ip=outcome.ip)
    comment = re.sub(r"[()\\\r\n]", "", comment)
    pairs = [
        f"client-ip={outcome.ip}",
        f"envelope-from={_value(outcome.sender)}",
        f"helo={_value(outcome.helo)}",
        f"receiver={_value(receiver)}",
        f"identity={outcome.identity}",
    ]
    return f"{outcome.result} ({receiver}: {comment}) " + "; ".join(pairs)


def _value(text: str) -> str:
    """A dot-atom as is, anything else as a quoted-string (RFC 5322 3.2.4)."""
    if _ATOM.fullmatch(text) and not text.startswith(".") and ".." not in text:
        return text
    return '"' + re.sub(r'(["\\])', r"\\\1", re.sub(r"[\r\n]", "", text)) + '"'


# -- pyspf's DNS, through our resolver ------------------------------------------------------------------


def _lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> list[tuple[Any, Any]]:
    """pyspf's ``DNSLookup`` contract: [((name, type), value)], where A/AAAA values are address text,
    MX (preference, host), PTR the host name, TXT/SPF a tuple of byte strings. No such name or no such
    records: an empty list; DNS trouble: ``pyspf.TempError`` (which pyspf turns into temperror)."""
    if qtype not in ("A", "AAAA", "MX", "PTR", "TXT", "SPF"):
        return []
    try:
        records = fdns.shared().lookup(name, qtype)
    except DnsNotFound:
        return []
    except DnsTemporaryError as exc:
        raise pyspf.TempError(f"DNS {exc}") from None
    out: list[tuple[Any, Any]] = []
    for text in records:
        value: Any
        if qtype == "MX":
            pref, _, host = text.partition(" ")
            value = (int(pref), host.rstrip("."))
        elif qtype == "PTR":
            value = text.rstrip(".")
        elif qtype in ("TXT", "SPF"):
            value = txt_strings(text)
        else:
            value = text
        out.append(((name, qtype), value))
    return out


pyspf.DNSLookup = _lookup
