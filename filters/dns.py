"""One resolver per process, shared by everything that looks names up (SMTP out today; SPF, DNSBL and the
receiving checks later), with its own TTL-respecting cache.

Implementation notes:

* Nameservers come from the ``dns.nameservers`` setting, in order ("ip" or "ip:port", "[v6]:port");
  empty means the system's (/etc/resolv.conf). ``configure_from(store)`` re-reads the settings, so a
  change applies at the next batch of lookups; the cache is dropped when the nameservers change.
* Positive answers are cached for their TTL, negative ones (NXDOMAIN, no data) for the zone's SOA
  minimum as the resolver reports it (RFC 2308), capped at ``NEGATIVE_TTL_MAX``. Temporary failures are
  never cached.
* ``mail_hosts`` follows RFC 5321 5.1: MX records sorted by preference (equal preferences shuffled), a
  null MX (RFC 7505) means "no mail", and a domain without MX records is its own mail host when it has
  A or AAAA records (the implicit MX).
* dnspython uses plain sockets; under gevent's monkey patching they cooperate like any other socket.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from filters import DnsNotFound, DnsTemporaryError, NoMailHost, NullMx

if TYPE_CHECKING:
    from storage.contracts import WithSettings

NEGATIVE_TTL_MAX = 3600
NEGATIVE_TTL_DEFAULT = 60
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class MailHost:
    preference: int
    name: str
    implicit: bool = False  # no MX records: the domain itself (RFC 5321 5.1)


def parse_nameserver(text: str) -> tuple[str, int]:
    """``"10.0.0.1"`` -> ("10.0.0.1", 53); ``"127.0.0.1:5353"``; ``"[::1]:5353"``; ``"::1"``."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


@dataclass
class _Entry:
    expires: float
    records: list[str] | None  # None: the name does not exist
    error: bool = False  # the domain exists but has no data of this type


class Resolver:
    """Lookups with a TTL cache over dnspython. Thread- and greenlet-safe (one lock around the cache)."""

    def __init__(
        self,
        nameservers: Sequence[str] = (),
        timeout: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._clock = clock
        self._max = max_entries
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()
        self._config: tuple[tuple[str, ...], float] | None = None
        self._resolver = dns.resolver.Resolver(configure=False)
        self.configure(nameservers, timeout)

    def configure(self, nameservers: Sequence[str], timeout: float) -> None:
        """Use these nameservers (empty: the system's) and this timeout per lookup."""
        wanted = (tuple(nameservers), float(timeout))
        if wanted == self._config:
            return
        if nameservers:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(*parse_nameserver(ns)) for ns in nameservers
            ]
        else:
            try:
                resolver = dns.resolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration:
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = ["127.0.0.1"]
        resolver.timeout = min(timeout, 2.0)
        resolver.lifetime = timeout
        resolver.cache = None  # ours below, which also keeps negative answers
        with self._lock:
            self._resolver = resolver
            self._config = wanted
            self._cache.clear()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    # -- raw lookups --------------------------------------------------------------------------------

    def lookup(self, name: str, rdtype: str) -> list[str]:
        """Records of one type as text (empty list: the name exists but has none).

        Raises:
            DnsNotFound: the name does not exist.
            DnsTemporaryError: no usable answer now (timeout, SERVFAIL, refused).
        """
        key = (name.lower().rstrip(".") + ".", rdtype.upper())
        now = self._clock()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and entry.expires > now:
                return _cached(key[0], entry)
            resolver = self._resolver
        entry = self._query(resolver, key[0], key[1], now)
        with self._lock:
            if len(self._cache) >= self._max:
                for old in [k for k, e in self._cache.items() if e.expires <= now] or list(self._cache)[:1]:
                    self._cache.pop(old, None)
            self._cache[key] = entry
        return _cached(key[0], entry)

    def _query(self, resolver: dns.resolver.Resolver, name: str, rdtype: str, now: float) -> _Entry:
        try:
            answer = resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            return _Entry(now + _negative_ttl(exc), None)
        except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.YXDOMAIN) as exc:
            raise DnsTemporaryError(f"DNS lookup of {name} {rdtype} failed: {exc}") from None
        except dns.exception.DNSException as exc:
            raise DnsTemporaryError(f"DNS lookup of {name} {rdtype} failed: {exc}") from None
        if answer.rrset is None:
            ttl = max(0.0, min(answer.expiration - time.time(), NEGATIVE_TTL_MAX))
            return _Entry(now + ttl, [], error=True)
        return _Entry(now + answer.rrset.ttl, [rd.to_text() for rd in answer.rrset])

    # -- what mail needs ----------------------------------------------------------------------------

    def mail_hosts(self, domain: str) -> list[MailHost]:
        """Where mail for ``domain`` goes, best first (RFC 5321 5.1).

        Raises:
            DnsNotFound: the domain does not exist.
            NoMailHost: neither MX nor A/AAAA records; ``NullMx`` (a subclass) for a null MX.
            DnsTemporaryError: try later.
        """
        records = self.lookup(domain, "MX")
        hosts: list[MailHost] = []
        for text in records:
            pref, _, target = text.partition(" ")
            hosts.append(MailHost(int(pref), target.rstrip(".").lower()))
        if len(hosts) == 1 and hosts[0].name == "":
            raise NullMx(f"{domain} accepts no mail (null MX)")
        hosts = [h for h in hosts if h.name]
        if hosts:
            random.shuffle(hosts)
            return sorted(hosts, key=lambda h: h.preference)  # stable: equal preferences stay shuffled
        if self.addresses(domain):
            return [MailHost(0, domain.lower().rstrip("."), implicit=True)]
        raise NoMailHost(f"{domain} has no MX and no address records")

    def addresses(self, host: str) -> list[str]:
        """IPv4 then IPv6 addresses of ``host`` (an IP literal is returned as is).

        Raises:
            DnsNotFound: the name does not exist.
            DnsTemporaryError: try later.
        """
        literal = host.strip("[]")
        if _is_ip(literal):
            return [literal]
        found = self.lookup(host, "A")
        try:
            found += self.lookup(host, "AAAA")
        except DnsTemporaryError:
            if not found:
                raise
        return found


def _cached(name: str, entry: _Entry) -> list[str]:
    if entry.records is None:
        raise DnsNotFound(f"{name.rstrip('.')} does not exist")
    return list(entry.records)


def _negative_ttl(exc: dns.resolver.NXDOMAIN) -> float:
    try:
        responses: dict[Any, Any] = exc.responses()  # type: ignore[no-untyped-call]
    except Exception:
        return NEGATIVE_TTL_DEFAULT
    for response in responses.values():
        for rrset in getattr(response, "authority", []):
            if rrset.rdtype == dns.rdatatype.SOA:
                return float(min(rrset.ttl, rrset[0].minimum, NEGATIVE_TTL_MAX))
    return NEGATIVE_TTL_DEFAULT


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_shared: Resolver | None = None
_shared_lock = threading.Lock()


def shared() -> Resolver:
    """The process-wide resolver (system nameservers until ``configure_from`` is called)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Resolver()
        return _shared


def configure_from(store: WithSettings) -> Resolver:
    """The shared resolver, set to the nameservers and timeout of the settings in ``store``."""
    values = store.settings.effective_many(("dns.nameservers", "dns.timeout_seconds"))
    resolver = shared()
    resolver.configure(values["dns.nameservers"], float(values["dns.timeout_seconds"]))
    return resolver
