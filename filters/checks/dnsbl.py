"""DNS block lists (DNSBL, RFC 5782): refuse clients whose address the configured lists name.

When: at MAIL FROM (``onMailFrom``). By then the client has had its chance to authenticate, and an
authenticated client (or one of ``smtp.trusted_networks``) is never refused by a block list; ``run``
skips every check for those (``Facts.trusted``). The sender domain is known too, for the exclusions.

How a list is asked (RFC 5782 section 2): the client address reversed — IPv4 by octets
(192.0.2.99 -> ``99.2.0.192.ZONE``), IPv6 by nibbles (section 2.4) — looked up as an A record. An answer
in 127.0.0.0/8 means "listed"; on a listing the TXT record of the same name, when there is one, is the
list's reason and goes into the reply. Answers outside 127.0.0.0/8 (a resolver that invents addresses
for unknown names) and the 127.255.255.0/24 error codes some lists return to over-eager clients are not
listings: they are logged and ignored.

Scoring: each zone has a weight (``ZONE=WEIGHT``, default 1); the client is refused when the weights of
the lists naming it add up to ``dnsbl.threshold`` (default 1: any one listing). A listing below the
threshold only adds the X-Fieldpost-DNSBL header field. ``dnsbl.action`` "mark" never refuses.

A list that does not answer (timeout, SERVFAIL) counts as not listing the client: a broken block list
must not stop mail. Lookups go through the shared resolver and its TTL cache, one zone after the other.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

import dns.rdata
import dns.rdataclass
import dns.rdatatype

from filters import DnsError, DnsNotFound
from filters.checks import Env, Facts, Verdict
from filters.checks.common import (
    DNS_SETTINGS,
    IPAddress,
    client_address,
    domain_matches,
    domain_of,
    in_networks,
    log,
    reply_text,
    resolver,
    setting,
)

EVENT = "onMailFrom"
SETTINGS = (
    "dnsbl.enabled",
    "dnsbl.zones",
    "dnsbl.threshold",
    "dnsbl.action",
    "dnsbl.exclude_networks",
    "dnsbl.exclude_sender_domains",
    *DNS_SETTINGS,
)
HEADER = "X-Fieldpost-DNSBL"
MAX_WEIGHT = 100
_LISTED = ipaddress.ip_network("127.0.0.0/8")
_ERROR_CODES = ipaddress.ip_network("127.255.255.0/24")


@dataclass(frozen=True)
class Zone:
    name: str
    weight: int = 1


@dataclass(frozen=True)
class Listing:
    zone: Zone
    codes: tuple[str, ...]  # the A records that said "listed"
    reason: str  # the TXT record, or ""


def parse_zone(entry: str) -> Zone:
    """``bl.example.org`` or ``bl.example.org=3``.

    Raises:
        ValueError: not a zone name, or a weight that is not a whole number from 1 to ``MAX_WEIGHT``.
    """
    name, sep, weight = entry.strip().partition("=")
    name = name.strip().strip(".").lower()
    if not name or " " in name or "." not in name:
        raise ValueError(f"DNSBL zone {entry!r}: expected a DNS zone name like bl.example.org[=WEIGHT]")
    if not sep:
        return Zone(name)
    if not weight.strip().isdigit() or not 1 <= int(weight) <= MAX_WEIGHT:
        raise ValueError(f"DNSBL zone {entry!r}: the weight must be a whole number from 1 to {MAX_WEIGHT}")
    return Zone(name, int(weight))


def query_name(address: IPAddress, zone: str) -> str:
    """The name asked for ``address`` in ``zone`` (RFC 5782 2.1 and 2.4)."""
    if address.version == 4:
        return ".".join(reversed(str(address).split("."))) + "." + zone
    return ".".join(reversed(address.exploded.replace(":", ""))) + "." + zone


def lookup(address: IPAddress, zone: Zone, env: Env) -> Listing | None:
    """Whether ``zone`` lists ``address``; None when it does not, or cannot say now."""
    name = query_name(address, zone.name)
    res = resolver(env)
    try:
        records = res.lookup(name, "A")
    except DnsNotFound:
        return None
    except DnsError as exc:
        log.warning("DNSBL %s did not answer for %s (%s); counting it as not listed", zone.name, address, exc)
        return None
    codes: list[str] = []
    for record in records:
        try:
            code = ipaddress.IPv4Address(record)
        except ValueError:
            continue
        if code in _LISTED and code not in _ERROR_CODES:
            codes.append(record)
        else:
            log.warning(
                "DNSBL %s answered %s for %s: not a listing code, ignored", zone.name, record, address
            )
    if not codes:
        return None
    try:
        reason = " ".join(_txt(record) for record in res.lookup(name, "TXT"))
    except DnsError:
        reason = ""
    return Listing(zone, tuple(sorted(codes)), reply_text(reason, 160))


@lru_cache(maxsize=64)
def _zones(entries: tuple[str, ...]) -> tuple[Zone, ...]:
    """The zones of the setting; a bad entry is logged once (per setting value) and skipped."""
    zones: list[Zone] = []
    for entry in entries:
        try:
            zones.append(parse_zone(entry))
        except ValueError as exc:
            log.warning("%s; this zone is skipped", exc)
    return tuple(zones)


def _txt(record: str) -> str:
    """The text of a TXT record as the resolver shows it (quoted strings with escapes)."""
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, record)
    except Exception:
        return ""
    return "".join(s.decode("utf-8", "replace") for s in getattr(rdata, "strings", ()))


def check(facts: Facts, env: Env) -> Verdict | None:
    if not setting(env, "dnsbl.enabled"):
        return None
    address = client_address(facts.ip)
    if address is None:
        return None
    if in_networks(address, setting(env, "dnsbl.exclude_networks")):
        return None
    zones = _zones(tuple(setting(env, "dnsbl.zones")))
    listings = [hit for zone in zones if (hit := lookup(address, zone, env)) is not None]
    if not listings:
        return None
    names = ", ".join(hit.zone.name for hit in listings)
    score = sum(hit.zone.weight for hit in listings)
    header = (HEADER, f"listed ip={address}; zones={names}; score={score}")
    action = setting(env, "dnsbl.action")
    sender_domain = domain_of(facts.sender or "")
    excluded = bool(sender_domain) and domain_matches(
        sender_domain, setting(env, "dnsbl.exclude_sender_domains")
    )
    if score < int(setting(env, "dnsbl.threshold")) or action == "mark" or excluded:
        return Verdict(headers=(header,))
    reason = next((f" ({hit.reason})" for hit in listings if hit.reason), "")
    text = f"Client address {address} is listed by {names}{reason}"
    log.info("DNSBL: refusing %s, listed by %s", address, names)
    if action == "tempfail":
        return Verdict("tempfail", 451, "4.7.1", text)
    return Verdict("reject", 550, "5.7.1", text)
