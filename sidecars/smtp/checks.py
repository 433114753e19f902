"""The connection-time checks (``filters.checks``: SPF, DKIM/DMARC, DNSBL, greylisting...) as one SMTP
session runs them.

Why a module of its own: the session knows the state (HELO name, sender, recipients, message) and the
order of replies; the checks know nothing of SMTP. This glue turns the session's state into
``filters.checks.Facts``, a ``Verdict`` into a reply, and keeps the header fields the checks want added:
those from onConnect/onEhlo for every message of the session, later ones for the current transaction
(both end up right below our Received field, see ``headers``).

Rules of application:

* the acceptance rules come first (``sidecars.smtp.acceptance``): the session calls the checks only when
  the rules did not refuse at that event, and not at all when a rule said ``accept`` (an explicit
  whitelist entry outranks every check);
* only the MX listener is checked: the submission listeners require AUTH, and checking a client there
  before it has logged in (a DNS block list at connect, say) would lock users out of their own server;
* an authenticated client or one in ``smtp.trusted_networks`` is never checked (``Facts.trusted``);
* the checks' settings are read once per session, with the session's others (``policy.load``); the
  ``server.hostname`` the checks see is the name the session greets with (their authserv-id/receiver);
* the local domains are read at most once a minute per process, not per session.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import filters.checks as checks
from filters.checks.authentication import without_forged_results
from sidecars.smtp import replies as R
from sidecars.smtp.message import Transaction

if TYPE_CHECKING:
    from sidecars.smtp.conversation import SessionContext
    from storage.store import Store

EARLY = ("onConnect", "onEhlo")  # fields from these events go on every message of the session
DOMAINS_TTL = 60.0


class SessionChecks:
    def __init__(self, ctx: SessionContext, cfg: dict[str, Any]) -> None:
        """``ctx`` is the session's SessionContext, ``cfg`` the settings ``policy.load`` read."""
        settings = {name: cfg[name] for name in checks.settings_needed() if name in cfg}
        settings["server.hostname"] = ctx.hostname
        self.env = checks.Env(ctx.store, settings)
        self._early: dict[str, list[tuple[str, str]]] = {}  # onConnect/onEhlo fields, for every message
        self._txn: tuple[Transaction | None, list[tuple[str, str]]] = (
            None,
            [],
        )  # later ones, per transaction
        self._active = ctx.listener == "smtp" and bool(checks.REGISTRY)
        self._store = ctx.store
        self._hostname: str = ctx.hostname
        self._ip: str = ctx.peer_ip
        self._log: logging.LoggerAdapter[Any] | logging.Logger = ctx.log

    def headers(self, txn: Transaction) -> list[tuple[str, str]]:
        """The fields for ``txn``'s message: those of onConnect/onEhlo (a repeated EHLO replaces its own),
        then those of its own events. They go right below Received, above the acceptance rules' fields
        (RFC 8601 4: Authentication-Results belongs at the top, with the trace fields)."""
        early = [pair for event in EARLY for pair in self._early.get(event, [])]
        return early + (self._txn[1] if self._txn[0] is txn else [])

    def _fields(self, txn: Transaction) -> list[tuple[str, str]]:
        if self._txn[0] is not txn:  # a new transaction (MAIL after RSET or after the last message)
            self._txn = (txn, [])
        return self._txn[1]

    def run(self, event: str, txn: Transaction, *, trusted: bool, **facts: Any) -> R.Reply | None:
        """Run ``event``'s checks; keep their header fields; the first refusal as a reply, or None."""
        if not self._active or trusted:
            return None
        found = checks.Facts(
            ip=self._ip, trusted=trusted, local_domains=local_domains(self._store, self._log), **facts
        )
        verdicts = checks.run(event, found, self.env)
        if event in EARLY:
            self._early[event] = []
        for verdict in verdicts:
            if verdict.refuses:
                self._log.info(
                    "%s check refused: %d %s %s", event, verdict.code, verdict.status, verdict.text
                )
                return R.Reply(verdict.code, verdict.status, "").with_text(verdict.text)
            (self._early[event] if event in EARLY else self._fields(txn)).extend(verdict.headers)
        return None

    def message(
        self, txn: Transaction, raw: bytes, *, trusted: bool, helo: str | None
    ) -> tuple[R.Reply | None, bytes]:
        """The onDataReceived checks on a finished message: (refusal or None, the message to queue).
        Authentication-Results fields that claim to be ours are removed first (RFC 8601 5)."""
        if self._active and not trusted:
            raw = without_forged_results(raw, self._hostname)
        recipients = tuple(txn.recipients)
        refusal = self.run(
            "onDataReceived",
            txn,
            trusted=trusted,
            helo=helo,
            sender=txn.sender,
            recipients=recipients,
            raw=raw,
        )
        return refusal, raw


_domains: tuple[float, int, frozenset[str]] | None = None  # (read at, id of the store, names)
_domains_lock = threading.Lock()


def local_domains(store: Store, log: logging.LoggerAdapter[Any] | logging.Logger) -> frozenset[str]:
    """The names and aliases of the local domains, re-read at most every DOMAINS_TTL seconds."""
    global _domains
    now = time.monotonic()
    with _domains_lock:
        cached = _domains
    if cached is not None and cached[1] == id(store) and now - cached[0] < DOMAINS_TTL:
        return cached[2]
    try:
        names = frozenset(name.lower() for d in store.domains.list() for name in (d.name, *d.aliases))
    except Exception:
        log.exception("cannot read the local domains for the connection checks")
        return cached[2] if cached is not None else frozenset()
    with _domains_lock:
        _domains = (now, id(store), names)
    return names
