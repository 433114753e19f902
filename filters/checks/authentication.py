"""The end-of-DATA authentication check: SPF, DKIM and DMARC results in one Authentication-Results
field (RFC 8601), and the DMARC decision.

Why one check for three methods: DMARC is defined on the SPF and DKIM results of the same message, and
RFC 8601 wants one field per authentication service listing them together. SPF itself is decided at
MAIL FROM (``filters.checks.spf``, which also writes Received-SPF); here it is evaluated again for the
report and for DMARC -- cheap, the DNS answers are in the resolver's cache by then.

Decisions (``dmarc.*`` settings): a message failing DMARC whose domain asks for p=reject is refused
with 550 5.7.1 (or, with ``dmarc.reject_action = quarantine``, treated like p=quarantine); p=quarantine
adds ``X-Fieldpost-Spam-Level: 10`` so the spam handling files it in Junk and Sieve's spamtest sees it
as certain spam; p=none, pass, none and DNS trouble (temperror) accept and only report.

The authserv-id is the server's host name (``server.hostname``, which the SMTP session fills in with
the name it greets with). RFC 8601 5: fields that arrive claiming our authserv-id are forgeries, and
``without_forged_results`` removes them before the message is queued.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from filters.checks import Facts, Verdict, dkim_verify, dmarc, spf
from filters.checks.common import DNS_SETTINGS, resolver, setting

log = logging.getLogger("fieldpost.filters.checks.authentication")

EVENT = "onDataReceived"
SETTINGS = (
    "spf.enabled",
    "dkim.verify",
    "dkim.max_signatures",
    "dmarc.enabled",
    "dmarc.reject_action",
    "server.hostname",
    *DNS_SETTINGS,
)
QUARANTINE_FIELD = ("X-Fieldpost-Spam-Level", "10 (DMARC quarantine)")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def check(facts: Facts, env: Any) -> Verdict | None:
    """Report SPF/DKIM/DMARC; refuse or quarantine by the DMARC policy."""
    do_spf, do_dkim, do_dmarc = (setting(env, n) for n in ("spf.enabled", "dkim.verify", "dmarc.enabled"))
    if facts.raw is None or not (do_spf or do_dkim or do_dmarc):
        return None
    res = resolver(env)
    spf_outcome = spf.evaluate(facts.ip, facts.sender, facts.helo) if do_spf else None
    dkims = (
        dkim_verify.verify(facts.raw, res, max_signatures=int(setting(env, "dkim.max_signatures")))
        if do_dkim or do_dmarc
        else []
    )
    dmarc_outcome = dmarc.evaluate(facts.raw, spf_outcome, dkims, res) if do_dmarc else None
    methods: list[str] = []
    if spf_outcome is not None:
        methods.append(spf_result(spf_outcome))
    if do_dkim:
        methods += [dkim_result(d) for d in dkims] or ["dkim=none"]
    if dmarc_outcome is not None:
        methods.append(dmarc_result(dmarc_outcome))
    authserv = setting(env, "server.hostname") or "localhost"
    headers: tuple[tuple[str, str], ...] = (("Authentication-Results", results_value(authserv, methods)),)
    if dmarc_outcome is None or dmarc_outcome.result != "fail":
        return Verdict(headers=headers)
    log.info(
        "DMARC fail for %s from %s: policy %s, disposition %s",
        dmarc_outcome.from_domain, facts.ip, dmarc_outcome.policy, dmarc_outcome.disposition,
    )  # fmt: skip
    disposition = dmarc_outcome.disposition
    if disposition == "reject" and setting(env, "dmarc.reject_action") == "reject":
        text = f"Message refused by the DMARC policy of {dmarc_outcome.from_domain}"
        return Verdict("reject", 550, "5.7.1", text, headers)
    if disposition in ("reject", "quarantine"):
        return Verdict(headers=(*headers, QUARANTINE_FIELD))
    return Verdict(headers=headers)


# -- the field (RFC 8601 2.2) ---------------------------------------------------------------------------


def results_value(authserv_id: str, methods: list[str]) -> str:
    """``authserv-id; method=result ...; ...``, one method per folded line; "none" when there are none."""
    if not methods:
        return f"{authserv_id}; none"
    return f"{authserv_id};\r\n\t" + ";\r\n\t".join(methods)


def spf_result(o: spf.SpfOutcome) -> str:
    """RFC 8601 2.7.2: the checked identity as smtp.mailfrom, or smtp.helo for the null sender."""
    if o.identity == "helo":
        return f"spf={o.result} smtp.helo={_pvalue(o.helo)}"
    return f"spf={o.result} smtp.mailfrom={_pvalue(o.sender)}"


def dkim_result(o: dkim_verify.DkimOutcome) -> str:
    """RFC 8601 2.7.1 and RFC 6008: header.d, header.s and the start of header.b."""
    out = f"dkim={o.result}"
    if o.result != "pass":
        out += f" ({_comment(o.reason)})"
    for prop, value in (("header.d", o.domain), ("header.s", o.selector), ("header.b", o.b_prefix)):
        if value:
            out += f" {prop}={_pvalue(value)}"
    return out


def dmarc_result(o: dmarc.DmarcOutcome) -> str:
    """RFC 7489 11.2: dmarc=RESULT header.from=DOMAIN; the policy and what was done as a comment."""
    out = f"dmarc={o.result}"
    if o.result in ("pass", "fail"):
        out += f" (p={o.policy} dis={o.disposition})"
    if o.from_domain:
        out += f" header.from={_pvalue(o.from_domain)}"
    return out


def _pvalue(text: str) -> str:
    """A property value (RFC 8601 2.2): a dot-atom, local-part@domain, or else a quoted-string."""
    local, at, domain = text.rpartition("@")
    if _DOT_ATOM.fullmatch(domain) and (not at or not local or _DOT_ATOM.fullmatch(local)):
        return text
    return '"' + re.sub(r'(["\\])', r"\\\1", re.sub(r"[\r\n]", "", text)) + '"'


def _comment(text: str) -> str:
    return re.sub(r"[()\\\r\n]", "", text)[:120]


def without_forged_results(raw: bytes, authserv_id: str) -> bytes:
    """``raw`` without Authentication-Results fields that claim ``authserv_id`` (RFC 8601 5)."""
    if b"authentication-results:" not in raw[: raw.find(b"\r\n\r\n") + 2].lower():
        return raw
    forged = re.compile(
        rb"(?im)^authentication-results:\s*" + re.escape(authserv_id.encode()) + rb"(?=[\s;(]|$)"
    )
    kept = raw
    while True:
        match = forged.search(kept[: kept.find(b"\r\n\r\n") + 2])
        if match is None:
            return kept
        kept = _drop_field_at(kept, match.start())


def _drop_field_at(raw: bytes, start: int) -> bytes:
    """``raw`` without the header field starting at ``start`` (and its continuation lines)."""
    end = raw.find(b"\r\n", start)
    while end >= 0 and raw[end + 2 : end + 3] in (b" ", b"\t"):
        end = raw.find(b"\r\n", end + 2)
    return raw[:start] + (raw[end + 2 :] if end >= 0 else b"")
