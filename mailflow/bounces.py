"""Getting a delivery report to the sender of a queued message.

It exists apart from ``reports`` (which only writes the report) because sending one is a storage
matter: a report to a local sender is delivered at once; when that fails for a reason other than "does
not exist" (a full mailbox, storage down) it is queued like any other mail, so it gets retries of its own.
Reports go out with the null reverse-path (RFC 5321 4.5.5), so they never cause reports themselves.
The processing service sends its failure reports and delay warnings here, and ``queue_ops.bounce`` the
report of a message the operator returns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from filters.headers import with_return_path
from mailflow import reports
from mailflow.recipients import domain_of, is_local
from storage.errors import InvalidInput, NotFound, StorageError
from storage.models import DeliveryProblem
from storage.queue import QueuedMessage

if TYPE_CHECKING:
    from storage.store import Store


def report_settings(store: Store, sender: str) -> dict[str, Any]:
    """The ``ndr.*`` settings that shape a report to ``sender``: its domain's when it is one of ours,
    else the server's."""
    domain_id = None
    if sender:
        try:
            domain_id = store.domains.id_by_name(domain_of(sender))
        except (NotFound, InvalidInput):
            domain_id = None
    return dict(store.settings.effective_many(reports.SETTINGS, domain_id=domain_id))


def send_report(
    store: Store,
    action: str,
    msg: QueuedMessage,
    raw: bytes,
    statuses: Sequence[reports.RecipientStatus],
    values: Mapping[str, Any],
    *,
    hostname: str,
    now: datetime,
    retry_until: datetime | None = None,
    log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> None:
    """Compose a report (``reports.FAILED`` / ``reports.DELAYED``) on ``msg`` and get it to its sender.

    Args:
        values: the ``ndr.*`` settings of the sender's domain (``report_settings``).
        retry_until: when a delayed message is given up (named in a delay warning).
    """
    report = reports.compose(
        action,
        values,
        hostname=hostname,
        msg=msg,
        raw=raw,
        statuses=statuses,
        retry_until=retry_until,
        now=now,
    )
    if is_local(store, msg.sender):
        try:
            result = store.mail.deliver(with_return_path(report, ""), [msg.sender])
            if result.delivered:
                return
            failure = result.failed.get(msg.sender)
            if failure is not None and failure.problem is DeliveryProblem.NO_SUCH_ADDRESS:
                if log is not None:
                    log.warning("queue %d: report to %s dropped: %s", msg.id, msg.sender, failure)
                return
        except StorageError as exc:
            if log is not None:
                log.warning("queue %d: report to %s not delivered now: %s", msg.id, msg.sender, exc)
    store.queue.enqueue(report, "", [msg.sender], origin={"report_for": msg.id})
