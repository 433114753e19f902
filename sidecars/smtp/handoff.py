"""The end of a message: the checks that can still refuse it, then the durable hand-off to the queue.

It exists so that session.py keeps only the state machine. Once the last octet of DATA or BDAT LAST is
in, the order is fixed: a refusal an onBodyChunk rule chose while the text streamed in, size (RFC 1870,
including the MX recipients' own limits), NUL characters, mail loops (RFC 5321 6.3), the
onHeadersReceived and onDataReceived acceptance rules; then ``mailflow.submission.submit`` (the
anti-impersonation checks of an authenticated sender, the header repair, the trace fields of RFC 5321
4.4 and the durable enqueue) and ``reply_for`` its result: "250 queued" only once the queue holds the
message (blob fsync'd, rows committed), 451 4.3.0 when storage failed, so nothing accepted is ever
dropped. The session passes its rule evaluation in as ``policy`` (it owns the size caps and added
headers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailflow import submission
from mailflow.header_block import header_fields
from sidecars.smtp import message
from sidecars.smtp import replies as R
from sidecars.smtp.message import Transaction
from storage.models import Account

Policy = Callable[..., R.Reply | None]  # (event, **facts) -> refusal or None


def refusal(
    txn: Transaction, raw: bytes, *, nul: bool, limit: int, max_received: int, policy: Policy
) -> R.Reply | None:
    """The reply that refuses the finished message, or None when it may be queued."""
    if txn.refusal is not None:  # an onBodyChunk rule refused it while it streamed in
        reply: R.Reply = txn.refusal
        return reply
    limit = txn.size_limit(limit)
    if txn.too_big or len(raw) > limit:
        return R.SIZE_EXCEEDED.format(limit=limit)
    if nul:
        return R.NUL_IN_MESSAGE
    headers = tuple(header_fields(raw))
    hops = message.received_count(headers)
    if hops > max_received:
        return R.LOOP_DETECTED.format(count=hops)
    for event in ("onHeadersReceived", "onDataReceived"):
        facts: dict[str, Any] = {"sender": txn.sender, "size": len(raw)}
        if event == "onHeadersReceived":
            facts["headers"] = headers
        if len(txn.recipients) == 1:
            facts["recipient"] = txn.recipients[0]
        refused = policy(event, **facts)
        if refused is not None:
            return refused
        if txn.max_size and len(raw) > txn.max_size:
            return R.SIZE_EXCEEDED.format(limit=txn.max_size)
    return None


def envelope_of(txn: Transaction) -> submission.Envelope:
    """The transaction's envelope as ``mailflow.submission`` queues it (RFC 6152, 6531, 3461 parameters)."""
    return submission.Envelope(
        sender=txn.sender,
        recipients=tuple(txn.recipients),
        dsn=txn.dsn,
        body=txn.params.get("BODY"),
        smtputf8="SMTPUTF8" in txn.params,
        ret=txn.params.get("RET"),
        envid=txn.params.get("ENVID"),
    )


def reply_for(result: submission.Accepted | submission.Refused, account: Account | None) -> R.Reply:
    """SMTP's answer to the end of the text: "250 queued" only for a message the queue holds durably;
    the anti-impersonation refusals are 550 5.7.1 (RFC 5321 4.3.2: the end of DATA is refused with 550
    or 554), a storage failure 451 4.3.0 (nothing was queued: the client tries again)."""
    if isinstance(result, submission.Accepted):
        return R.QUEUED.format(id=result.queue_id)
    user = account.address if account is not None else ""
    if result.reason is submission.Refusal.FROM_NOT_OWNED:
        return R.FROM_NOT_OWNED.format(address=result.address, user=user)
    if result.reason is submission.Refusal.SENDER_NOT_OWNED:
        return R.SENDER_NOT_OWNED_AT_DATA.format(address=result.address, user=user)
    return R.STORAGE_ERROR
