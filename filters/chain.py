"""The filter chain: what should happen to a queued message, recipient by recipient.

``run(store, queued_message, raw) -> Verdict`` is the one interface between the processing service and
the filter engine. The chain is: scanners (anti-virus, anti-spam) -> server sender lists and each
account's blocked senders (``filters.lists``) -> identity confirmation (``filters.identity``) -> server
Sieve -> domain Sieve -> account Sieve. Each level may keep, file into a folder, discard, reject, redirect or
add headers (the types are in ``filters.actions``); the caller (sidecars/processing, WebMail's "test this
filter") applies the actions, reading them through ``filters.disposition``; the chain never delivers. This
module holds only the order of the levels and how they hand over to each other.

``LEVELS`` holds the levels in order; each gets the actions decided so far and returns the new ones.
Every recipient starts with a single ``Keep()`` (local recipients: INBOX; remote ones: relay unchanged).
The Sieve level (``filters.sieve_level``) runs, for each local recipient, its server, domain and
account scripts run in that order; a level that sets a destination (keep, fileinto, discard, reject,
redirect) replaces the destinations decided before it ("the last one wins"), added headers accumulate,
a script that fails to compile or to run counts as an implicit keep (and is logged), and vacation
replies are queued by the level itself (once per sender and period).

A level that adds ``Final()`` to a recipient's actions has taken the last decision for it (a black-listed
sender refused, a blocked sender sent to Trash): later levels do not see that recipient, so no Sieve
script can undo it; ``Final`` itself is removed from the verdict. Scanners that must skip their spam
actions for trusted senders ask ``filters.lists.spam_exempt`` (server white list, safe senders).

A level may also return the message rewritten (the scanners write the spam and virus level fields that
Sieve's spamtest/virustest read, and apply milters' edits): later levels see it, and ``Verdict.message``
carries it to delivery.

Failsafe: a filter that errors or is unreachable raises ``FilterUnavailable``; the caller then keeps the
message queued and runs the whole chain again on the next attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from filters import FilterUnavailable, lists, sieve_level
from filters import identity as identity_level
from filters.actions import Action, Final, Keep, Verdict
from filters.scanners import level as scanner_level

if TYPE_CHECKING:
    from storage.queue import QueuedMessage
    from storage.store import Store

__all__ = ["LEVELS", "FilterUnavailable", "Level", "run"]


#: One level of the chain: (store, queued message, raw, recipients, actions so far) -> actions, or
#: (actions, rewritten message): later levels and delivery then see the rewritten message.
Level = Callable[
    ["Store", "QueuedMessage", bytes, Sequence[str], dict[str, tuple[Action, ...]]],
    dict[str, tuple[Action, ...]] | tuple[dict[str, tuple[Action, ...]], bytes],
]


def scanners(
    store: Store,
    queued_message: QueuedMessage,
    raw: bytes,
    recipients: Sequence[str],
    actions: dict[str, tuple[Action, ...]],
) -> tuple[dict[str, tuple[Action, ...]], bytes]:
    """Anti-virus, anti-spam and milters (``filters.scanners.level``): writes the spam/virus level fields."""
    return scanner_level.run_level(store, queued_message, raw, recipients, actions)


def sieve(
    store: Store,
    queued_message: QueuedMessage,
    raw: bytes,
    recipients: Sequence[str],
    actions: dict[str, tuple[Action, ...]],
) -> dict[str, tuple[Action, ...]]:
    """Server, domain and account Sieve scripts (``filters.sieve_level``)."""
    return sieve_level.run_level(store, queued_message, raw, recipients, actions)


def sender_lists(
    store: Store,
    queued_message: QueuedMessage,
    raw: bytes,
    recipients: Sequence[str],
    actions: dict[str, tuple[Action, ...]],
) -> dict[str, tuple[Action, ...]]:
    """Server black list and each account's blocked senders (``filters.lists``)."""
    return lists.run_level(store, queued_message, raw, recipients, actions)


def identity(
    store: Store,
    queued_message: QueuedMessage,
    raw: bytes,
    recipients: Sequence[str],
    actions: dict[str, tuple[Action, ...]],
) -> dict[str, tuple[Action, ...]]:
    """Identity confirmation (challenge/response) for accounts that turned it on (``filters.identity``)."""
    return identity_level.run_level(store, queued_message, raw, recipients, actions)


LEVELS: list[Level] = [scanners, sender_lists, identity, sieve]


def run(
    store: Store, queued_message: QueuedMessage, raw: bytes, *, recipients: Sequence[str] | None = None
) -> Verdict:
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
    seen = raw
    for level in LEVELS:
        open_ = [r for r in wanted if not any(isinstance(a, Final) for a in actions.get(r, ()))]
        if not open_:
            break
        try:
            out = level(store, queued_message, seen, open_, actions)
            actions, seen = out if isinstance(out, tuple) else (out, seen)
        except FilterUnavailable:
            raise
        except Exception as exc:  # a broken filter must not lose or wrongly deliver mail: failsafe
            raise FilterUnavailable(f"filter {getattr(level, '__name__', level)!r} failed: {exc}") from exc
    final: dict[str, tuple[Action, ...]] = {
        r: tuple(a for a in acts if not isinstance(a, Final)) for r, acts in actions.items()
    }
    return Verdict(final, message=None if seen is raw else seen)
