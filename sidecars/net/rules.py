"""Allow and deny rules of a listener: which client addresses may connect, and under which limits.

A rule names a set of addresses (one address, a range ``first-last``, or a network written as CIDR
``10.0.0.0/8`` or network/mask ``10.0.0.0/255.0.0.0``; IPv4 or IPv6), a priority (1 is the strongest: a
LOWER number wins) and, for allow rules, optional connection limits for the addresses it covers.

Policy (:func:`decide`), for the client address of a new connection:

1. the strongest matching deny rule and the strongest matching allow rule are picked (ties within one
   kind go to the rule listed first);
2. neither matches: the connection is allowed and only the listener's own limits apply;
3. only a deny rule matches: refused;
4. only an allow rule matches: allowed, under that rule's limits (then the listener's);
5. both match: the stronger one decides; at equal priority the connection is allowed (under the allow
   rule's limits).

Rules are typed as one token each (the settings list type splits on commas and blanks)::

    SET[@PRIORITY][;KEY=VALUE...]
    192.0.2.7                         priority 100 (the default), no limits
    10.0.0.0/8@5;per_ip=50;max=500    priority 5, at most 50 connections per address, 500 in all
    2001:db8::/32@20
    192.0.2.10-192.0.2.99@1;new=100;new_per_ip=10;interval=60

Limit keys (allow rules only; 0 or absent means no limit of that kind): ``max`` (simultaneous
connections from the whole set), ``per_ip`` (simultaneous connections per address), ``new`` (new
connections from the whole set per interval), ``new_per_ip`` (new connections per address per
interval), ``interval`` (seconds, default 60).

Everything here is pure: no sockets, no clock.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_PRIORITY = 100
DEFAULT_INTERVAL = 60

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RuleError(ValueError):
    """A rule's text cannot be understood."""


@dataclass(frozen=True)
class Limits:
    """Connection limits; 0 means "no limit" for each number."""

    max_connections: int = 0
    max_per_ip: int = 0
    new_per_interval: int = 0
    new_per_ip_per_interval: int = 0
    interval_seconds: int = DEFAULT_INTERVAL

    @property
    def any(self) -> bool:
        return bool(
            self.max_connections or self.max_per_ip or self.new_per_interval or self.new_per_ip_per_interval
        )


@dataclass(frozen=True)
class AddressSet:
    """A contiguous block of addresses of one IP version, ``first`` to ``last`` inclusive."""

    version: int
    first: int
    last: int
    text: str

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            return False
        address = _unmapped(address)
        return address.version == self.version and self.first <= int(address) <= self.last

    @classmethod
    def parse(cls, text: str) -> AddressSet:
        """``192.0.2.7``, ``192.0.2.1-192.0.2.9``, ``10.0.0.0/8``, ``10.0.0.0/255.0.0.0``, ``2001:db8::/32``."""
        text = text.strip()
        try:
            if "-" in text:
                low_text, _, high_text = text.partition("-")
                low, high = ipaddress.ip_address(low_text.strip()), ipaddress.ip_address(high_text.strip())
                if low.version != high.version:
                    raise RuleError(f"range {text!r} mixes IPv4 and IPv6")
                if int(low) > int(high):
                    raise RuleError(f"range {text!r} ends before it starts")
                return cls(low.version, int(low), int(high), text)
            if "/" in text:
                net = ipaddress.ip_network(text, strict=False)
                return cls(net.version, int(net.network_address), int(net.broadcast_address), text)
            single = ipaddress.ip_address(text)
            return cls(single.version, int(single), int(single), text)
        except ValueError as exc:
            if isinstance(exc, RuleError):
                raise
            raise RuleError(f"{text!r} is not an address, a range a-b or a network: {exc}") from None


@dataclass(frozen=True)
class Rule:
    addresses: AddressSet
    priority: int = DEFAULT_PRIORITY
    limits: Limits = Limits()

    @property
    def text(self) -> str:
        return format_rule(self)

    def matches(self, address: IPAddress) -> bool:
        return address in self.addresses


@dataclass(frozen=True)
class Decision:
    """Outcome for one client address: allowed or not, and the rule that decided (None: no rule)."""

    allowed: bool
    rule: Rule | None = None

    @property
    def limits(self) -> Limits | None:
        """Limits of the allow rule that let the connection in, if it has any."""
        if self.allowed and self.rule is not None and self.rule.limits.any:
            return self.rule.limits
        return None


_LIMIT_KEYS = {
    "max": "max_connections",
    "per_ip": "max_per_ip",
    "new": "new_per_interval",
    "new_per_ip": "new_per_ip_per_interval",
    "interval": "interval_seconds",
}


def parse_rule(text: str) -> Rule:
    """One rule from its typed form ``SET[@PRIORITY][;KEY=VALUE...]``.

    Raises:
        RuleError: the text does not follow that form.
    """
    head, *options = text.strip().split(";")
    where, at, priority_text = head.partition("@")
    priority = DEFAULT_PRIORITY
    if at:
        if not priority_text.strip().isdigit():
            raise RuleError(f"rule {text!r}: the priority after '@' must be a whole number >= 0")
        priority = int(priority_text)
    numbers: dict[str, int] = {}
    for option in options:
        if not option.strip():
            continue
        key, eq, value = option.partition("=")
        field = _LIMIT_KEYS.get(key.strip().lower())
        if not eq or field is None:
            raise RuleError(f"rule {text!r}: unknown limit {option!r} (known: {', '.join(_LIMIT_KEYS)})")
        if not value.strip().isdigit():
            raise RuleError(f"rule {text!r}: limit {key.strip()} must be a whole number >= 0")
        numbers[field] = int(value)
    if numbers.get("interval_seconds", DEFAULT_INTERVAL) < 1:
        raise RuleError(f"rule {text!r}: the interval must be at least 1 second")
    return Rule(AddressSet.parse(where), priority, Limits(**numbers))


def format_rule(rule: Rule) -> str:
    """The typed form of a rule (``parse_rule(format_rule(r)) == r``)."""
    parts = [f"{rule.addresses.text}@{rule.priority}"]
    defaults = Limits()
    for key, field in _LIMIT_KEYS.items():
        value = getattr(rule.limits, field)
        if value != getattr(defaults, field):
            parts.append(f"{key}={value}")
    return ";".join(parts)


def parse_rules(texts: Iterable[str]) -> tuple[list[Rule], list[str]]:
    """Parse every rule that can be parsed; return them with the error messages of the others."""
    rules: list[Rule] = []
    errors: list[str] = []
    for text in texts:
        try:
            rules.append(parse_rule(text))
        except RuleError as exc:
            errors.append(str(exc))
    return rules, errors


def strongest(rules: Sequence[Rule], address: IPAddress) -> Rule | None:
    """The matching rule with the lowest priority number (the first listed among equals)."""
    best: Rule | None = None
    for rule in rules:
        if rule.matches(address) and (best is None or rule.priority < best.priority):
            best = rule
    return best


def decide(allow_rules: Sequence[Rule], deny_rules: Sequence[Rule], ip: str | IPAddress) -> Decision:
    """Whether a connection from ``ip`` may go on, by the policy in this module's docstring."""
    address = _unmapped(ipaddress.ip_address(ip) if isinstance(ip, str) else ip)
    deny = strongest(deny_rules, address)
    allow = strongest(allow_rules, address)
    if deny is None:
        return Decision(True, allow)
    if allow is None or deny.priority < allow.priority:
        return Decision(False, deny)
    return Decision(True, allow)  # the allow rule is stronger, or as strong: allowed


def _unmapped(address: IPAddress) -> IPAddress:
    """``::ffff:192.0.2.7`` (an IPv4 client on a dual-stack socket) counts as ``192.0.2.7``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
