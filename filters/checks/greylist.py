"""Greylisting: the first attempt of every new (client network, sender, recipient) triplet is refused
for now with "451 4.7.1 Temporary rejected by greylisting"; a real mail server queues the message and
retries, and its retry after ``greylist.delay_seconds`` is accepted. Most spam software never retries.

When: at each RCPT TO (``onRcptTo``): the triplet needs the recipient, and a 4xx reply to RCPT is what
every client handles well (RFC 5321 4.2.5: the client tries the recipient again later). Authenticated and
trusted clients are never greylisted (``run`` skips every check for them).

What is remembered (``storage.greylist``):

* triplets by the client's *network* (IPv4 /24, IPv6 /64 by default: ``greylist.ipv4_prefix`` and
  ``ipv6_prefix``), because big senders retry from another address of the same farm;
* a triplet that passed is accepted without delay until ``greylist.pass_ttl_seconds`` after its last use;
* a client network with ``greylist.auto_whitelist_passes`` passed triplets skips greylisting altogether
  while it keeps sending (``greylist.whitelist_ttl_seconds`` after its last mail).

Exemptions: ``greylist.exempt_networks`` (client), ``exempt_senders`` and ``exempt_recipients``
(address, domain or shell pattern; postmaster@* is a common one). If the store cannot be reached the
check raises, ``run`` logs it, and the mail is not greylisted: a broken greylist must not stop mail.

``prune(store)`` removes expired rows; the processing service calls it periodically.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from filters.checks import Env, Facts, Verdict
from filters.checks.common import (
    IPAddress,
    address_matches,
    client_address,
    in_networks,
    now,
    setting,
    store_of,
)
from storage.greylist import GreylistPolicy

if TYPE_CHECKING:
    from storage.store import Store

EVENT = "onRcptTo"
POLICY_SETTINGS = (
    "greylist.delay_seconds",
    "greylist.retry_window_seconds",
    "greylist.pass_ttl_seconds",
    "greylist.auto_whitelist_passes",
    "greylist.whitelist_ttl_seconds",
)
SETTINGS = (
    "greylist.enabled",
    *POLICY_SETTINGS,
    "greylist.ipv4_prefix",
    "greylist.ipv6_prefix",
    "greylist.exempt_networks",
    "greylist.exempt_senders",
    "greylist.exempt_recipients",
)
REPLY = Verdict("tempfail", 451, "4.7.1", "Temporary rejected by greylisting")


def policy_from(values: Mapping[str, Any]) -> GreylistPolicy:
    return GreylistPolicy(
        delay=timedelta(seconds=int(values["greylist.delay_seconds"])),
        retry_window=timedelta(seconds=int(values["greylist.retry_window_seconds"])),
        pass_ttl=timedelta(seconds=int(values["greylist.pass_ttl_seconds"])),
        auto_whitelist_passes=int(values["greylist.auto_whitelist_passes"]),
        whitelist_ttl=timedelta(seconds=int(values["greylist.whitelist_ttl_seconds"])),
    )


def network_of(address: IPAddress, ipv4_prefix: int, ipv6_prefix: int) -> str:
    """The network a client address is greylisted as (``192.0.2.0/24``, ``2001:db8:1:2::/64``)."""
    prefix = ipv4_prefix if address.version == 4 else ipv6_prefix
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def check(facts: Facts, env: Env) -> Verdict | None:
    if not setting(env, "greylist.enabled") or not facts.recipient:
        return None
    address = client_address(facts.ip)
    if address is None or in_networks(address, setting(env, "greylist.exempt_networks")):
        return None
    sender = facts.sender or ""
    if sender and address_matches(sender, setting(env, "greylist.exempt_senders")):
        return None
    if address_matches(facts.recipient, setting(env, "greylist.exempt_recipients")):
        return None
    net = network_of(
        address, int(setting(env, "greylist.ipv4_prefix")), int(setting(env, "greylist.ipv6_prefix"))
    )
    policy = policy_from({name: setting(env, name) for name in POLICY_SETTINGS})
    answer = store_of(env).greylist.check(net, sender, facts.recipient, policy, now=now(env))
    return None if answer.accepted else REPLY


def prune(store: Store, *, now: datetime | None = None) -> int:
    """Delete expired greylisting rows with the lifetimes of the current settings; returns how many.

    Runs even while greylisting is off, so turning it off leaves no state behind for long.
    """
    values = store.settings.effective_many(POLICY_SETTINGS)
    return int(store.greylist.prune(policy_from(values), now=now))
