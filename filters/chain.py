"""The filter chain: what should happen to a queued message, recipient by recipient.

``run(store, queued_message, raw) -> Verdict`` is the one interface between the processing service and
the filter engine. The chain is: scanners (anti-virus, anti-spam) -> server Sieve -> domain Sieve ->
account Sieve. Each level may keep, file into a folder, discard, reject, redirect or add headers; the
caller (sidecars/processing, WebMail's "test this filter") applies the actions, the chain never delivers.

Today no filter exists yet, so the chain is empty: every recipient gets a single ``Keep()`` (local
recipients: INBOX; remote ones: relay unchanged). That is the real behaviour of an empty chain, not a stub:
the filter-engine issue adds levels to ``LEVELS`` and nothing else changes for the caller.

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


#: One level of the chain: (store, queued message, raw, recipients, actions so far) -> actions. Empty today.
Level = Callable[
    [Any, Any, bytes, Sequence[str], dict[str, tuple[Action, ...]]], dict[str, tuple[Action, ...]]
]
LEVELS: list[Level] = []


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
