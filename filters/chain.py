"""The filter chain: what should happen to a queued message, recipient by recipient.

``run(store, queued_message, raw) -> Verdict`` is the one interface between the processing service and
the filter engine. The chain is: scanners (anti-virus, anti-spam) -> server Sieve -> domain Sieve ->
account Sieve. Each level may keep, file into a folder, discard, reject, redirect or add headers; the
caller (sidecars/processing, WebMail's "test this filter") applies the actions, the chain never delivers.

``LEVELS`` holds the levels in order; each gets the actions decided so far and returns the new ones.
Every recipient starts with a single ``Keep()`` (local recipients: INBOX; remote ones: relay unchanged).
Today the one level is Sieve (``filters.sieve_level``): for each local recipient its server, domain and
account scripts run in that order; a level that sets a destination (keep, fileinto, discard, reject,
redirect) replaces the destinations decided before it ("the last one wins"), added headers accumulate,
a script that fails to compile or to run counts as an implicit keep (and is logged), and vacation
replies are queued by the level itself (once per sender and period). Scanners come before it.

Failsafe: a filter that errors or is unreachable raises ``FilterUnavailable``; the caller then keeps the
message queued and runs the whole chain again on the next attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from filters import FilterUnavailable

__all__ = [
    "Action",
    "AddHeader",
    "Discard",
    "FileInto",
    "FilterUnavailable",
    "Keep",
    "Redirect",
    "Reject",
    "Verdict",
    "run",
]


@dataclass(frozen=True)
class Keep:
    """Deliver as usual: local recipients to INBOX, remote ones onward (RFC 5228 4.3)."""


@dataclass(frozen=True)
class FileInto:
    """Deliver to this folder of the recipient's mailbox (RFC 5228 4.1); INBOX when it does not exist."""

    folder: str


@dataclass(frozen=True)
class Discard:
    """Drop silently for this recipient (RFC 5228 4.4)."""


@dataclass(frozen=True)
class Reject:
    """Refuse for this recipient and tell the sender why (RFC 5429)."""

    text: str


@dataclass(frozen=True)
class Redirect:
    """Send a copy, envelope unchanged but for the recipient, to another address (RFC 5228 4.2)."""

    address: str


@dataclass(frozen=True)
class AddHeader:
    """Prepend a header field to this recipient's copy (RFC 5293)."""

    name: str
    value: str


Action = Keep | FileInto | Discard | Reject | Redirect | AddHeader


@dataclass(frozen=True)
class Verdict:
    """Actions per recipient address (as queued). A recipient missing from ``actions`` is kept."""

    actions: dict[str, tuple[Action, ...]] = field(default_factory=dict)

    def for_recipient(self, address: str) -> tuple[Action, ...]:
        return self.actions.get(address) or (Keep(),)


#: One level of the chain: (store, queued message, raw, recipients, actions so far) -> actions.
Level = Callable[
    [Any, Any, bytes, Sequence[str], dict[str, tuple[Action, ...]]], dict[str, tuple[Action, ...]]
]


def sieve(
    store: Any,
    queued_message: Any,
    raw: bytes,
    recipients: Sequence[str],
    actions: dict[str, tuple[Action, ...]],
) -> dict[str, tuple[Action, ...]]:
    """Server, domain and account Sieve scripts (``filters.sieve_level``; imported here, not above,
    because the Sieve actions subclass this module's types)."""
    from filters import sieve_level

    return sieve_level.run_level(store, queued_message, raw, recipients, actions)


LEVELS: list[Level] = [sieve]


def run(store: Any, queued_message: Any, raw: bytes, *, recipients: Sequence[str] | None = None) -> Verdict:
    """Run the chain for ``recipients`` (default: every recipient of the queued message).

    Args:
        store: the storage Store (filters read scripts and settings from it).
        queued_message: a ``storage.queue.QueuedMessage`` (envelope, origin).
        raw: the message as it will be delivered.
        recipients: the recipients still to handle on this attempt.

    Raises:
        FilterUnavailable: a filter failed or is down; nothing was decided, try the whole chain later.
    """
    wanted = list(recipients if recipients is not None else (r.address for r in queued_message.recipients))
    actions: dict[str, tuple[Action, ...]] = {r: (Keep(),) for r in wanted}
    for level in LEVELS:
        try:
            actions = level(store, queued_message, raw, wanted, actions)
        except FilterUnavailable:
            raise
        except Exception as exc:  # a broken filter must not lose or wrongly deliver mail: failsafe
            raise FilterUnavailable(f"filter {getattr(level, '__name__', level)!r} failed: {exc}") from exc
    return Verdict(actions)
