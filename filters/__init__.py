"""The filter engine: what happens to a queued message before delivery, and the DNS it needs.

Modules:

* ``filters.chain``: ``run(store, queued_message, raw) -> Verdict`` — the levels in order (scanners,
  sender lists, identity confirmation, Sieve), each deciding actions per recipient.
* ``filters.actions``: the actions (keep, fileinto, discard, reject, redirect, add_header) and ``Verdict``.
* ``filters.disposition``: what a recipient's actions do to its copy (folders, flags, redirects,
  reject, discard), as the processing service applies them.
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


class NullMx(NoMailHost):
    """The domain says it accepts no mail with a null MX (RFC 7505): checks refuse it with 5.7.27."""


class SieveError(FilterError):
    """A Sieve script is wrong: ``kind`` says at which stage, ``line``/``column`` (1-based) where.

    Kinds, the manual's five classes:

    * ``syntax``: the text is not made of Sieve tokens (unterminated string, stray character);
    * ``parse``: the tokens do not form commands (missing ``;``, unbalanced brackets);
    * ``semantic``: unknown command or test, ``elsif``/``else`` without ``if``, ``require`` misplaced;
    * ``validation``: wrong arguments, an extension used without ``require``, limits exceeded;
    * ``runtime``: evaluation failed (bad regular expression, incompatible actions); the caller falls
      back to implicit keep and logs it.
    """

    KINDS = frozenset({"syntax", "parse", "semantic", "validation", "runtime"})

    def __init__(self, kind: str, line: int, column: int, message: str = "") -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown Sieve error kind {kind!r}")
        self.kind = kind
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{kind} error at line {line}, column {column}: {message}")

    def __reduce__(self) -> tuple[type[SieveError], tuple[str, int, int, str]]:
        return (type(self), (self.kind, self.line, self.column, self.message))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SieveError):
            return NotImplemented
        return (self.kind, self.line, self.column, self.message) == (
            other.kind,
            other.line,
            other.column,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.line, self.column, self.message))
