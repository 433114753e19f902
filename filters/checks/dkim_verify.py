"""DKIM verification (RFC 6376 6) of a received message, signature by signature, with dkimpy.

Why a wrapper: dkimpy answers True/False (or raises) for the first signature and asks DNS on its own;
Authentication-Results (RFC 8601 2.7.1) and DMARC want a result word per signature with the signing
domain, and our DNS must be the one asked. So each signature (up to ``dkim.max_signatures``) is
verified on its own with a lookup function that goes through ``filters.dns`` and remembers what it
saw, which tells the words apart:

* pass -- the signature verifies with a key of at least 1024 bits (RFC 8301 3.2);
* fail -- the body hash or the signature does not match (the message changed, or a forgery);
* neutral -- the signature field is malformed (a tag missing or unparsable) or has expired;
* permerror -- no key is published at SELECTOR._domainkey.DOMAIN, or the key is unusable (malformed,
  unknown algorithm, revoked with an empty p=, or shorter than 1024 bits);
* temperror -- the key could not be fetched now (DNS trouble).

A message without DKIM-Signature fields has no outcomes (Authentication-Results says dkim=none).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from filters import DnsTemporaryError
from filters import dns as fdns
from filters.checks.txt import txt_records

log = logging.getLogger("fieldpost.filters.checks.dkim")
_quiet = logging.getLogger("fieldpost.filters.checks.dkim.library")
_quiet.setLevel(logging.CRITICAL)  # dkimpy logs every failure as an error; our outcome says it once

MIN_KEY_BITS = 1024  # RFC 8301 3.2


@dataclass(frozen=True)
class DkimOutcome:
    result: str  # pass | fail | neutral | permerror | temperror
    domain: str  # d=, lower case ("" when the field could not be parsed)
    selector: str  # s=
    b_prefix: str  # the first characters of b=, to tell signatures apart (RFC 6008)
    reason: str  # for logs


class _KeyLookup:
    """dkimpy's ``dnsfunc``: the key record through our resolver; remembers a temporary failure and
    whether a record was found at all."""

    def __init__(self, res: fdns.Resolver) -> None:
        self.res = res
        self.temporary = False
        self.record: bytes | None = None

    def __call__(self, name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        try:
            records = txt_records(self.res, text)
        except DnsTemporaryError:
            self.temporary = True
            return None
        self.record = records[0] if records else None
        return self.record


def signatures(raw: bytes) -> list[bytes]:
    """The values of the message's DKIM-Signature fields, top first."""
    try:
        parsed = dkim.DKIM(raw)
    except Exception:
        return []
    return [value for name, value in parsed.headers if name.lower() == b"dkim-signature"]


def verify(raw: bytes, res: fdns.Resolver, *, max_signatures: int = 5) -> list[DkimOutcome]:
    """One outcome per DKIM-Signature field, top first, at most ``max_signatures`` of them."""
    found = signatures(raw)
    return [_verify_one(raw, idx, value, res) for idx, value in enumerate(found[:max_signatures])]


def _verify_one(raw: bytes, idx: int, value: bytes, res: fdns.Resolver) -> DkimOutcome:
    try:
        tags = parse_tag_value(value)
    except InvalidTagValueList as exc:
        return DkimOutcome("neutral", "", "", "", f"unparsable signature: {exc}")
    domain = tags.get(b"d", b"").decode("ascii", "replace").lower()
    selector = tags.get(b"s", b"").decode("ascii", "replace")
    b_prefix = "".join(tags.get(b"b", b"").decode("ascii", "replace").split())[:8]

    def outcome(result: str, reason: str) -> DkimOutcome:
        return DkimOutcome(result, domain, selector, b_prefix, reason)

    lookup = _KeyLookup(res)
    try:
        good = dkim.DKIM(raw, logger=_quiet, minkey=MIN_KEY_BITS).verify(idx=idx, dnsfunc=lookup)
    except dkim.KeyFormatError as exc:  # raised for a key shorter than MIN_KEY_BITS
        return outcome("permerror", str(exc))
    except dkim.ValidationError as exc:
        if "body hash mismatch" in str(exc):
            return outcome("fail", "the body has changed since it was signed")
        return outcome("neutral", str(exc))
    except dkim.DKIMException as exc:
        return outcome("neutral", str(exc))
    except Exception as exc:  # a hostile message must not take the check down with it
        log.warning("DKIM verification crashed on signature %d: %s", idx, exc)
        return outcome("neutral", f"cannot verify: {exc}")
    if good:
        return outcome("pass", "signature verified")
    if lookup.temporary:
        return outcome("temperror", "the key could not be fetched now")
    if lookup.record is None:
        return outcome("permerror", f"no key published at {selector}._domainkey.{domain}")
    try:
        dkim.evaluate_pk(f"{selector}._domainkey.{domain}", lookup.record)
    except Exception as exc:
        return outcome("permerror", f"unusable key: {exc}")
    return outcome("fail", "the signature does not match")
