"""The end of a message: the checks that can still refuse it, then the durable hand-off to the queue.

It exists so that session.py keeps only the state machine. Once the last octet of DATA or BDAT LAST is
in, the order is fixed: a refusal an onBodyChunk rule chose while the text streamed in, size (RFC 1870,
including the MX recipients' own limits), NUL characters, mail loops (RFC 5321 6.3), the
onHeadersReceived and onDataReceived acceptance rules; then the header repair (message.repair_header),
the trace fields (RFC 5321 4.4) and ``store.queue.enqueue``. Each function returns the reply to send:
"250 queued" only after enqueue has returned (blob fsync'd, rows committed), 451 4.3.0 when it failed,
so nothing accepted is ever dropped. The session passes its rule evaluation in as ``policy`` (it owns
the size caps and added headers)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from filters.headers import SCANNER_FIELDS, with_return_path, without_fields
from sidecars.smtp import message, stream
from sidecars.smtp import replies as R
from sidecars.smtp.message import Transaction

Policy = Callable[..., R.Reply | None]  # (event, **facts) -> refusal or None


@dataclass(frozen=True)
class Origin:
    """Who handed the message over, as the Received field and the queue row record it."""

    peer_ip: str
    peer_port: int
    hostname: str
    listener: str
    session_id: str
    tls: bool
    helo: str | None
    esmtp: bool
    auth: str | None  # the login, when authenticated


def protocol(origin: Origin, txn: Transaction) -> str:
    return message.protocol_name(
        esmtp=origin.esmtp,
        smtputf8="SMTPUTF8" in txn.params,
        tls=origin.tls,
        authenticated=origin.auth is not None,
    )


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
    headers = tuple(stream.header_fields(raw))
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


def enqueue(
    store: Any,
    log: logging.LoggerAdapter[Any] | logging.Logger,
    txn: Transaction,
    raw: bytes,
    origin: Origin,
    *,
    added: list[tuple[str, str]],
    txn_count: int,
) -> R.Reply:
    """Repair the header, stamp the trace fields and queue it; QUEUED only once the queue holds it durably."""
    raw, repaired = message.repair_header(raw)
    raw = without_fields(raw, SCANNER_FIELDS)  # only our own scanners may grade a message
    if repaired:
        log.info("repaired %d badly folded or overlong header lines", repaired)
    name = protocol(origin, txn)
    stamped = with_return_path(
        message.trace_fields(
            helo=origin.helo,
            peer_ip=origin.peer_ip,
            hostname=origin.hostname,
            protocol=name,
            session_id=origin.session_id,
            txn_count=txn_count,
            recipients=txn.recipients,
            added=added,
            now=datetime.now(UTC),
            auth=origin.auth,
        )
        + raw,
        txn.sender,  # stamped here so local delivery can reuse the queued bytes (filters/headers.py)
    )
    record = {
        "ip": origin.peer_ip,
        "port": origin.peer_port,
        "helo": origin.helo,
        "auth": origin.auth,
        "listener": origin.listener,
        "session_id": origin.session_id,
        "tls": origin.tls,
        "protocol": name,
        "body": txn.params.get("BODY"),
        "smtputf8": "SMTPUTF8" in txn.params,
        "ret": txn.params.get("RET"),
        "envid": txn.params.get("ENVID"),
    }
    try:
        qid = store.queue.enqueue(stamped, txn.sender, list(txn.recipients), origin=record, dsn=txn.dsn)
    except Exception:
        log.exception("enqueue failed")
        return R.STORAGE_ERROR
    log.info("queued id=%s from=<%s> rcpts=%d size=%d", qid, txn.sender, len(txn.recipients), len(stamped))
    return R.QUEUED.format(id=qid)
