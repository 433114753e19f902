"""The filter engine: what happens to a queued message before delivery, and the DNS it needs.

Modules:

* ``filters.chain``: ``run(store, queued_message, raw) -> Verdict`` — the actions (keep, fileinto,
  discard, reject, redirect, add_header) the processing service applies per recipient.
* ``filters.dns``: the process-wide resolver (MX with the implicit-MX fallback, A/AAAA, TTL cache).

Each package has its own small exception family; these are the filter engine's.
"""

from __future__ import annotations


class FilterError(Exception):
    """Base class of the filter engine's errors."""


class FilterUnavailable(FilterError):
    """A filter (scanner, Sieve engine...) errored or is down: keep the message queued and retry later."""


class DnsError(FilterError):
    """A DNS lookup failed."""


class DnsTemporaryError(DnsError):
    """Timeout, SERVFAIL, no reachable nameserver: worth trying again later."""


class DnsNotFound(DnsError):
    """The name does not exist (NXDOMAIN): a permanent failure."""


class NoMailHost(DnsError):
    """The domain exists but accepts no mail: a null MX (RFC 7505) or neither MX nor address records."""
