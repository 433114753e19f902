"""Routing rules for outbound mail: which host takes mail for a destination domain.

A rule is typed ``DOMAIN=[USER:PASSWORD@]HOST[:PORT]`` in the ``relay.routes`` setting:

* ``example.com=smart.isp.test:587`` — mail for example.com goes to that smarthost, not to its MX;
* ``.example.com=...`` — every subdomain of example.com (not example.com itself);
* ``*=relay.isp.test`` — everything else (the default route);
* ``USER:PASSWORD@`` — authenticate with SMTP AUTH (PLAIN or LOGIN, after STARTTLS when offered).

The most specific rule wins: an exact domain, then the longest matching ``.suffix``, then ``*``. A domain
without a rule goes to its MX hosts on ``relay.port``. HOST may be an IP literal in brackets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class RouteError(ValueError):
    """A routing rule that cannot be read."""


@dataclass(frozen=True)
class Route:
    pattern: str
    host: str
    port: int | None = None  # None: relay.port
    user: str | None = None
    password: str | None = None

    def matches(self, domain: str) -> bool:
        if self.pattern == "*":
            return True
        if self.pattern.startswith("."):
            return domain.endswith(self.pattern)
        return domain == self.pattern

    @property
    def rank(self) -> int:
        """Higher is more specific."""
        if self.pattern == "*":
            return 0
        if self.pattern.startswith("."):
            return len(self.pattern)
        return 10_000


def parse_route(text: str) -> Route:
    pattern, sep, target = text.strip().partition("=")
    if not sep or not pattern or not target:
        raise RouteError(f"routing rule {text!r}: expected DOMAIN=[USER:PASSWORD@]HOST[:PORT]")
    user = password = None
    if "@" in target:
        creds, _, target = target.rpartition("@")
        user, sep, password = creds.partition(":")
        if not sep or not user:
            raise RouteError(f"routing rule {text!r}: credentials must be USER:PASSWORD")
    host, port = target, None
    if target.startswith("["):
        host, _, rest = target.partition("]")
        host += "]"
        if rest.startswith(":"):
            port = _port(text, rest[1:])
    elif ":" in target:
        host, _, p = target.rpartition(":")
        port = _port(text, p)
    if not host or host == "[]":
        raise RouteError(f"routing rule {text!r}: no host")
    return Route(pattern.lower(), host.lower(), port, user, password)


def _port(text: str, value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise RouteError(f"routing rule {text!r}: bad port {value!r}")
    return int(value)


def route_for(domain: str, rules: Iterable[Route]) -> Route | None:
    """The most specific rule for ``domain``, or None (deliver to its MX hosts)."""
    domain = domain.lower()
    best = None
    for rule in rules:
        if rule.matches(domain) and (best is None or rule.rank > best.rank):
            best = rule
    return best
