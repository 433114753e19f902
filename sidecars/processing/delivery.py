"""Local delivery: a verdict's local targets into the recipients' folders.

Implementation notes:

* One ``store.mail.deliver`` per target (folder, added headers, flags), so all local recipients of one
  target share one stored copy. Each copy gets the Return-Path of the envelope sender (RFC 5321 4.4).
* Exactly-once: a recipient is passed in ``mark_sent`` with its last copy, so storage marks it ``sent``
  in the same transaction that stores that copy; a crash later in the pass never delivers it again, and
  one before the commit loses nothing.
* The common case (every recipient local, all delivered by the last copy, nothing to relay or report)
  also removes the queued message in that transaction (``finish_queue``): one commit per message.
* A storage error or a full mailbox is temporary (451 4.3.0 / 452 4.2.2, ``Pass.retry_later``); any other
  refusal storage names (no such mailbox) is a permanent 550 5.1.1.
* Forwarders and groups with outside members come back from storage as ``external`` addresses; they get
  one new queued message, so their relaying has its own retries and reports.
* Reports to the sender are ``mailflow.bounces``' (the CLI's bounce sends them the same way).
* A message carrying a meeting request, answer or cancellation (iMIP) updates the calendar of each
  local account it was stored for, after that delivery committed (``mailflow.meetings.incoming``; a
  failure there is logged and never undoes or retries the delivery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from filters.disposition import Target
from mailflow import reports
from mailflow.meetings import imip, incoming
from sidecars.processing import content, targets
from sidecars.processing.outcome import Pass
from storage.errors import StorageError
from storage.models import DeliveryProblem
from storage.queue import QueuedMessage, QueuedRecipient

if TYPE_CHECKING:
    from storage.store import Store


def deliver_local(
    store: Store,
    msg: QueuedMessage,
    body: bytes,
    groups: dict[Target, list[str]],
    by_rcpt: dict[str, QueuedRecipient],
    out: Pass,
    log: Any = None,
    hostname: str = "",
    *,
    may_finish: bool = False,
) -> None:
    """Store one copy per target for its recipients not already failed; outcomes go to ``out``.

    ``may_finish``: nothing but these local deliveries is left to do for the message (no relaying);
    then the delivery that leaves every recipient delivered also removes the queued message, in its
    own commit (``out.queue_finished``)."""
    remaining = {a: sum(1 for g in groups.values() if a in g) for g in groups.values() for a in g}
    external: list[str] = []
    items = list(groups.items())
    for index, (target, addresses) in enumerate(items):
        todo = [a for a in addresses if a not in out.failed and a not in out.temporary]
        if not todo:
            continue
        folder = target.folder
        targets.prepare_folder(store, todo, target, log)
        copy = content.with_return_path(content.with_headers(body, target.headers), msg.sender)
        last_copy = [a for a in todo if remaining[a] == 1]  # done once this delivery commits
        finish = (
            may_finish
            and not any(later for _t, later in items[index + 1 :])
            and not (out.failed or out.temporary or out.silent or out.waiting)
            and set(by_rcpt) <= out.delivered | set(last_copy)
        )
        try:
            result = store.mail.deliver(
                copy, todo, folder, queue_id=msg.id, mark_sent=last_copy, finish_queue=finish
            )
        except StorageError as exc:
            for a in todo:
                out.retry_later(by_rcpt[a], f"451 4.3.0 local delivery failed: {exc}", "4.3.0")
            continue
        external += result.external
        out.queue_finished = result.queue_finished
        if result.delivered and imip.cheap_check(body):
            for address, (folder_id, _uid) in result.delivered.items():
                incoming.handle_delivery(
                    store, address, body, hostname=hostname, folder_id=folder_id, log=log
                )
        targets.apply_flags(store, result.delivered, target, log, f"queue {msg.id}")
        for a in todo:
            remaining[a] -= 1
            failure = result.failed.get(a)
            if failure is None:
                if remaining[a] == 0:  # marked "sent" inside deliver's transaction
                    out.delivered.add(a)
            elif failure.problem is DeliveryProblem.MAILBOX_FULL:
                out.retry_later(by_rcpt[a], f"452 4.2.2 {failure.text}", "4.2.2")
            else:
                out.failed[a] = reports.RecipientStatus(a, "5.1.1", f"550 5.1.1 {failure.text}")
    if external:  # forwarders and groups with outside members: a new queued message for them
        store.queue.enqueue(body, msg.sender, sorted(set(external)), origin={"forwarded_from": msg.id})
