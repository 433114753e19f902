"""Connection-time checks: what SMTP receiving asks about a client, its sender and its message before it
answers "250" (the manual's SPF, DomainKeys, DNSBL, DNS checks, greylisting and country filtering).

Why one package: each check is a small module with a pure-ish function from what the session knows
(``Facts``) to an optional ``Verdict``; the SMTP session does not know which checks exist, it calls
``run(event, facts, env)`` at each event and applies the first refusal, and collects the header fields
every check wants added (Received-SPF, Authentication-Results...). Checks never touch sockets other than
DNS through ``filters.dns`` and never decide delivery: they only accept, refuse or annotate.

Events are the acceptance rules' (``sidecars.smtp.acceptance.EVENTS``): onConnect, onEhlo, onMailFrom,
onRcptTo, onDataReceived. A check registered for an event is called with the facts known then.

Module layout: each check module defines ``EVENT`` (the event it runs at), ``SETTINGS`` (the registry
names it reads) and ``check(facts, env) -> Verdict | None``. ``REGISTRY`` below lists them in the order
they run. Authenticated clients and trusted networks skip every check (the manual: authenticated senders
are never blocked); ``Facts.trusted`` says so and ``run`` returns nothing for them.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.store import Store

log = logging.getLogger("fieldpost.filters.checks")


@dataclass(frozen=True)
class Facts:
    """What the session knows at an event; later events know more."""

    ip: str
    helo: str | None = None
    sender: str | None = None  # "" for the null sender
    recipient: str | None = None  # the recipient of this RCPT (onRcptTo)
    recipients: tuple[str, ...] = ()  # every accepted recipient (onDataReceived)
    raw: bytes | None = None  # the whole message as received (onDataReceived)
    trusted: bool = False  # authenticated, or from smtp.trusted_networks
    local_domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Verdict:
    """A check's answer. ``action`` is "accept" (annotate only), "reject" (5xx) or "tempfail" (4xx)."""

    action: str = "accept"
    code: int = 250
    status: str = "2.0.0"
    text: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # fields to add to the message (name, value)

    @property
    def refuses(self) -> bool:
        return self.action in ("reject", "tempfail")


@dataclass
class Env:
    """What checks may use besides the facts: the store (settings, greylist state), the session's
    settings as read at its start, and a clock for tests."""

    store: Store | None  # None where no check that reads the store runs (the CLI's DNSBL lookup)
    settings: dict[str, Any] = field(default_factory=dict)
    now: Any = None  # callable returning a datetime (UTC); None: the real clock


# Check modules, in the order they run at their event. A module named here that is not importable is a
# programming error and fails loudly at import.
REGISTRY: tuple[str, ...] = (
    # client and sender reputation (onMailFrom: cheap table lookup first, then DNS), then greylisting
    # (onRcptTo); see docs/filters.md
    "country",
    "dnsbl",
    "rdns",
    "mx",
    "greylist",
    # sender authentication (docs/filters.md "SPF, DKIM and DMARC"): SPF at onMailFrom; DKIM, DMARC and
    # the Authentication-Results field at onDataReceived
    "spf",
    "authentication",
)


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"filters.checks.{name}") for name in REGISTRY]


def settings_needed() -> tuple[str, ...]:
    """Every setting the registered checks read (the session loads them once at its start)."""
    names: list[str] = []
    for module in _modules():
        names.extend(n for n in getattr(module, "SETTINGS", ()) if n not in names)
    return tuple(names)


def run(event: str, facts: Facts, env: Env) -> list[Verdict]:
    """The verdicts of the checks registered for ``event``, stopping after the first refusal.

    A check that raises is logged and treated as having said nothing (a broken check must not stop
    mail); DNS trouble that should tempfail is the check's own decision to make.
    """
    if facts.trusted:
        return []
    out: list[Verdict] = []
    for module in _modules():
        if getattr(module, "EVENT", None) != event:
            continue
        try:
            verdict = module.check(facts, env)
        except Exception:
            log.exception("check %s failed at %s; ignoring it", module.__name__, event)
            continue
        if verdict is None:
            continue
        out.append(verdict)
        if verdict.refuses:
            break
    return out
