"""What a filter level can decide for one recipient: the action types and the chain's ``Verdict``.

These are the filter engine's vocabulary, kept apart from the pipeline that orders the levels
(``filters.chain``) and from what the actions mean for the stored copy (``filters.disposition``), so a
level, a Sieve action subclass or a caller that only reads a verdict imports no pipeline.

Each level returns, per recipient, a tuple of actions. ``Final`` is not an action but a marker: the
recipient's decision is taken and later levels must not see it (the chain removes it from the verdict).
The Sieve engine adds subclasses carrying its extensions (flags, ``:copy``, ``:create``) in
``filters.sieve.actions``; code that reads actions tests with ``isinstance``, so it honours those too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Action",
    "Actions",
    "AddHeader",
    "Discard",
    "FileInto",
    "Final",
    "Keep",
    "Redirect",
    "Reject",
    "Verdict",
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
class Final:
    """Not an action: a marker that this recipient's decision is taken and later levels must skip it."""


@dataclass(frozen=True)
class AddHeader:
    """Prepend a header field to this recipient's copy (RFC 5293)."""

    name: str
    value: str


Action = Keep | FileInto | Discard | Reject | Redirect | AddHeader | Final

#: Actions per recipient address, as the levels pass them along the chain.
Actions = dict[str, tuple[Action, ...]]


@dataclass(frozen=True)
class Verdict:
    """Actions per recipient address (as queued). A recipient missing from ``actions`` is kept."""

    actions: dict[str, tuple[Action, ...]] = field(default_factory=dict)
    #: The message as a level rewrote it (the scanners' level fields, a milter's edits); None: unchanged.
    message: bytes | None = None

    def for_recipient(self, address: str) -> tuple[Action, ...]:
        return self.actions.get(address) or (Keep(),)
