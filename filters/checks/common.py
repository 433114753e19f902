"""Helpers the DNSBL, reverse DNS, MX, greylisting and country checks share: reading their settings,
the resolver they ask, lists of client networks and of sender/recipient patterns, and the clock.

Why here and not in each check: the same setting shapes ("CIDR list", "address, domain or pattern
list") appear in several checks, and a bad entry must be handled the same way everywhere: skipped with
a log line, never an exception that would silence the whole check (or, worse, refuse mail).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from filters import dns
from filters.checks import Env

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger("fieldpost.filters.checks")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: every check that looks names up reads these too, so the session hands them over with the rest
DNS_SETTINGS = ("dns.nameservers", "dns.timeout_seconds")


def store_of(env: Env) -> Store:
    """The store a check reads its state from; an ``Env`` built without one (the CLI's DNSBL lookup) is
    a caller's mistake that ``checks.run`` logs, like any other failing check, rather than refusing mail."""
    if env.store is None:
        raise RuntimeError("this check needs the store, and the Env it was given has none")
    return env.store


def setting(env: Env, name: str) -> Any:
    """The value the session read for ``name``, else the registry default (a caller that built ``Env``
    with only some settings still gets a working check, with that setting at its documented default)."""
    if name in env.settings:
        return env.settings[name]
    from storage import settings as registry

    default = registry.get(name).default
    return list(default) if isinstance(default, tuple) else default


def now(env: Env) -> datetime:
    """The check's clock: ``env.now()`` when a test gives one, else the real UTC time."""
    if env.now is None:
        return datetime.now(UTC)
    value: datetime = env.now()
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def resolver(env: Env) -> dns.Resolver:
    """The process-wide resolver, pointed at the nameservers of the settings (a no-op when unchanged)."""
    shared = dns.shared()
    shared.configure(list(setting(env, "dns.nameservers")), float(setting(env, "dns.timeout_seconds")))
    return shared


def client_address(ip: str) -> IPAddress | None:
    """The client's address, with an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) unmapped; None for
    something that is not an address (a Unix socket peer, say)."""
    try:
        address = ipaddress.ip_address(ip.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=256)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    out: list[IPNetwork] = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            log.warning("ignoring %r: not an IP address or network (CIDR)", entry)
    return tuple(out)


def in_networks(address: IPAddress, entries: Iterable[str]) -> bool:
    """Whether ``address`` lies in one of ``entries`` (addresses or CIDR networks; bad ones are logged
    and ignored)."""
    return any(address.version == net.version and address in net for net in _networks(tuple(entries)))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def domain_matches(domain: str, entries: Iterable[str]) -> bool:
    """``example.com`` matches itself; ``.example.com`` matches its subdomains and itself."""
    domain = domain.lower().rstrip(".")
    for entry in entries:
        entry = entry.strip().lower().rstrip(".")
        if not entry:
            continue
        if entry.startswith("."):
            if domain == entry[1:] or domain.endswith(entry):
                return True
        elif domain == entry:
            return True
    return False


def address_matches(address: str, entries: Iterable[str]) -> bool:
    """An entry is an address (``a@example.com``), a domain (``example.com``, ``.example.com`` for its
    subdomains too) or a shell pattern (``*@lists.example.org``, ``postmaster@*``); case-insensitive."""
    address = address.strip().lower()
    domain = domain_of(address)
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        if any(c in entry for c in "*?["):
            if fnmatch.fnmatchcase(address, entry):
                return True
        elif "@" in entry:
            if address == entry:
                return True
        elif domain and domain_matches(domain, (entry,)):
            return True
    return False


def reply_text(text: str, limit: int = 200) -> str:
    """Text from outside (a DNS TXT record) made safe for one SMTP reply line: printable ASCII only,
    at most ``limit`` characters."""
    cleaned = "".join(c if " " <= c <= "~" else " " for c in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."
