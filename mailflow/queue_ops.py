"""What an operator does to the mail queue: list, show, retry, delete and bounce queued messages.

The CLI (``fieldpost queue ...``) calls these today and WebAdmin will: they work on storage directly,
so the processing service need not run. They take what has a ``queue`` (``storage.contracts.WithQueue``):
an administrator's view (``store.for_admin(name)``, whose every queue call checks that they may) or,
for the system's own work, the store. ``bounce`` writes the same report a failed delivery produces
(``mailflow.bounces``). Errors are typed: ``storage.NotFound`` for an unknown id, ``Busy`` for a message
a worker holds right now; the caller words them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mailflow import bounces, reports
from mailflow.recipients import DONE, is_local
from storage.names import utcnow
from storage.queue import QueuedMessage

if TYPE_CHECKING:
    from storage.contracts import QueueAdministration, WithQueue
    from storage.store import Store

LIST_LIMIT = 100_000
BOUNCE_REASON = "returned to the sender by the postmaster"


class Busy(Exception):
    """The message is being processed right now (a worker's lease on it has not run out)."""

    def __init__(self, qid: int) -> None:
        super().__init__(f"queued message {qid} is being processed right now")
        self.qid = qid


@dataclass(frozen=True)
class Shown:
    """One queued message as ``show`` gives it: the row and the text of its header block."""

    message: QueuedMessage
    header: str


def list_messages(
    store: WithQueue,
    *,
    sender: str | None = None,
    recipient: str | None = None,
    states: Sequence[str] | None = None,
    min_size: int | None = None,
    failure: str | None = None,
    limit: int = LIST_LIMIT,
) -> list[QueuedMessage]:
    """The queued messages that match every filter given (substring matches, case-insensitive).

    Args:
        failure: text the message's last error or one of its recipients' last errors contains.
    """
    messages = store.queue.list(
        sender=sender, recipient=recipient, states=states, min_size=min_size, limit=limit
    )
    if not failure:
        return messages
    needle = failure.lower()
    return [
        m
        for m in messages
        if needle in (m.last_error or "").lower()
        or any(needle in (r.last_error or "").lower() for r in m.recipients)
    ]


def show(store: WithQueue, qid: int) -> Shown:
    """The message's row and header block.

    Raises:
        storage.NotFound: no such queued message.
    """
    message = store.queue.get(qid)
    raw = store.queue.raw(qid)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return Shown(message, head.decode("utf-8", "replace"))


def retry(store: WithQueue, qid: int | None, *, now: datetime | None = None) -> int:
    """Make one message (``qid``), or every queued message (None) not being processed, due now; returns
    how many. A message still marked ``processing`` whose worker's lease ran out becomes ``send-failure``.

    Raises:
        storage.NotFound: no such queued message.
        Busy: ``qid`` is being processed right now.
    """
    now = now or utcnow()
    if qid is None:
        targets = [m for m in store.queue.list(limit=LIST_LIMIT) if m.state != "processing"]
    else:
        m = store.queue.get(qid)
        if m.state == "processing" and m.next_attempt_at > now:
            raise Busy(m.id)
        targets = [m]
    for m in targets:
        state = m.state if m.state != "processing" else "send-failure"
        store.queue.defer(m.id, now, state=state, error=m.last_error)
    return len(targets)


def delete(store: WithQueue, qid: int) -> None:
    """Remove a message without telling anyone."""
    store.queue.finish(qid)


def bounce(
    store: Store,
    qid: int,
    *,
    hostname: str,
    reason: str = BOUNCE_REASON,
    now: datetime | None = None,
    queue: QueueAdministration | None = None,
) -> int:
    """Give up on a queued message now: report its pending recipients to the sender (unless it is the
    null sender), mark them failed, then remove it. Returns how many recipients were reported.

    ``queue`` is the queue as the operator may act on it (an administrator's ``for_admin(...).queue``;
    default ``store.queue``); the report itself is sent on the system path (``store``).

    Raises:
        storage.NotFound: no such queued message.
    """
    queue = queue if queue is not None else store.queue
    msg = queue.get(qid)
    now = now or utcnow()
    pending = [r for r in msg.recipients if r.state not in DONE]
    statuses = [
        reports.RecipientStatus(
            r.address, "5.0.0", f"{reason}; last error: {r.last_error or 'none'}", None, reports.orcpt(r)
        )
        for r in pending
    ]
    if statuses and msg.sender:
        values = bounces.report_settings(store, msg.sender)
        raw = queue.raw(qid)
        bounces.send_report(store, reports.FAILED, msg, raw, statuses, values, hostname=hostname, now=now)
    for r in pending:
        state = "local-error" if is_local(store, r.address) else "relay-error"
        queue.set_recipient(qid, r.address, state, reason)
    queue.finish(qid)
    return len(statuses)
