"""Handing a message to the queue: the one path from a protocol (SMTP today, WebMail compose and JMAP
later) into ``storage.queue``.

``submit`` takes who is sending (the authenticated account, or None for mail from another server), the
envelope and the message text, and returns ``Accepted`` (with the queue id) or ``Refused`` (a typed
reason). In this order:

1. Anti-impersonation (authenticated senders only; storage/senders.py decides): the envelope sender must
   be an address the account may send as, and so must every address of the ``From:`` header field(s)
   and of ``Sender:`` (unless ``smtp.allow_any_header_from`` is on for the account). The one exception
   is "send on behalf": ``From:`` may name a mailbox that granted it when ``Sender:`` names the account.
2. The header block is repaired (``header_block``) and scanner verdict fields a sender brought along
   are removed (only our own scanners may grade a message, ``filters.headers.SCANNER_FIELDS``).
3. The trace fields go on top (``trace``: Received naming the authenticated account, then the fields the
   caller's checks and rules added) and the Return-Path of the envelope sender (so local delivery can
   reuse the queued bytes).
4. ``store.queue.enqueue``: the blob is fsync'd and the envelope committed before it returns, so an
   ``Accepted`` result is durable: the caller may answer "queued" / "sent" only after getting one.

A protocol maps a ``Refused`` to its own reply (SMTP: 5.7.1 for the anti-impersonation refusals, 451 4.3.0
when storage failed); ``Refusal.temporary`` says which class of reply it is (try again later or not).
Protocols with an earlier point to refuse a sender (SMTP's MAIL FROM) call ``sender_refusal`` there too.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from filters.headers import SCANNER_FIELDS, with_return_path, without_fields
from mailflow import header_block, trace
from storage.models import Account

if TYPE_CHECKING:
    from storage.contracts import WithSenders
    from storage.store import Store

Log = logging.LoggerAdapter[Any] | logging.Logger


class Refusal(enum.Enum):
    """Why a message was not queued."""

    SENDER_NOT_OWNED = "sender-not-owned"  # the envelope sender is not the account's to use
    FROM_NOT_OWNED = "from-not-owned"  # a From: header address is not the account's to use
    UNAVAILABLE = "unavailable"  # storage failed; nothing was queued, the same message may be tried again

    @property
    def temporary(self) -> bool:
        """Whether trying again later may succeed (SMTP: a 4xx reply rather than 5xx)."""
        return self is Refusal.UNAVAILABLE


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    address: str = ""  # the address refused (SENDER_NOT_OWNED, FROM_NOT_OWNED)


@dataclass(frozen=True)
class Accepted:
    queue_id: int
    size: int  # of the queued text, trace fields included


@dataclass(frozen=True)
class Envelope:
    """The envelope as the queue keeps it; the optional parts are SMTP's (RFC 6152, 6531, 3461)."""

    sender: str  # "" is the null reverse-path
    recipients: Sequence[str]
    dsn: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # per recipient: notify, orcpt
    body: str | None = None  # BODY=8BITMIME / BINARYMIME
    smtputf8: bool = False
    ret: str | None = None  # RET=FULL / HDRS
    envid: str | None = None  # ENVID


@dataclass(frozen=True)
class Origin:
    """Who handed the message over, as the Received field and the queue row record it."""

    peer_ip: str
    peer_port: int
    hostname: str  # our name, the Received field's "by"
    listener: str  # which listener (smtp, submission, submissions, webmail...)
    session_id: str
    trace_id: str  # the Received field's "id"
    protocol: str  # the Received field's "with" (RFC 3848 for SMTP: ESMTPSA...)
    tls: bool
    helo: str | None  # the Received field's "from" name
    keep_folder: str | None = None  # the folder the keep files into instead of INBOX (Remote POP's target)


def header_from_addresses(headers: Iterable[tuple[str, str]], field_name: str = "from") -> list[str]:
    """The addresses of the ``From:`` field(s) (RFC 5322 3.6.2: a mailbox-list; or of another address
    field, ``field_name`` in lower case), lower-cased; a group's name or an empty list gives none, an
    address without a domain is kept as it is (and refused)."""
    values = [value for name, value in headers if name.lower() == field_name]
    return [address.strip().lower() for _, address in getaddresses(values) if address.strip()]


def sender_refusal(store: WithSenders, account: Account | None, address: str) -> Refused | None:
    """Anti-impersonation for the envelope sender: an authenticated account sends as itself, its aliases,
    or with a "send as" grant; mail not from an account (another server) and the null sender pass.

    Raises:
        Whatever storage raises when it cannot answer (the caller's temporary failure).
    """
    if account is None or not address or store.senders.may_send_as(account.id, address):
        return None
    return Refused(Refusal.SENDER_NOT_OWNED, address)


def header_from_refusal(store: WithSenders, account: Account | None, raw: bytes) -> Refused | None:
    """Anti-impersonation for the ``From:`` and ``Sender:`` fields: the first address the account may
    not use (a "send on behalf" ``From:`` is the account's to use when ``Sender:`` is its own).

    Raises:
        Whatever storage raises when it cannot answer (the caller's temporary failure).
    """
    if account is None:
        return None
    fields = header_block.header_fields(raw)
    foreign = store.senders.foreign_header_from(
        account.id, header_from_addresses(fields), header_from_addresses(fields, "sender")
    )
    return None if foreign is None else Refused(Refusal.FROM_NOT_OWNED, foreign)


def submit(
    store: Store,
    account: Account | None,
    envelope: Envelope,
    raw: bytes,
    origin: Origin,
    *,
    added: Iterable[tuple[str, str]] = (),
    log: Log | None = None,
    now: datetime | None = None,
) -> Accepted | Refused:
    """Check, stamp and durably queue one message (see the module's docstring for the order).

    Args:
        account: the authenticated account; None for mail another server hands over (no sender checks).
        raw: the message text, CRLF line ends.
        added: header fields to put right below the Received field (checks' and rules' verdicts).
        log: where the outcome is logged (the session's logger, so lines carry its id).
        now: the Received field's date (the current time when None).
    """
    log = log or logging.getLogger(__name__)
    try:
        refused = sender_refusal(store, account, envelope.sender)
        if refused is None:
            refused = header_from_refusal(store, account, raw)
    except Exception:
        log.exception("sender check failed")
        return Refused(Refusal.UNAVAILABLE)
    if refused is not None:
        return refused
    raw, repaired = header_block.repair_header(raw)
    raw = without_fields(raw, SCANNER_FIELDS)
    if repaired:
        log.info("repaired %d badly folded or overlong header lines", repaired)
    stamped = with_return_path(
        trace.trace_fields(
            helo=origin.helo,
            peer_ip=origin.peer_ip,
            hostname=origin.hostname,
            protocol=origin.protocol,
            trace_id=origin.trace_id,
            recipients=envelope.recipients,
            added=added,
            now=now or datetime.now(UTC),
            auth=account.address if account is not None else None,
        )
        + raw,
        envelope.sender,
    )
    try:
        qid = store.queue.enqueue(
            stamped,
            envelope.sender,
            list(envelope.recipients),
            origin=_queue_origin(origin, envelope, account),
            dsn=dict(envelope.dsn),
        )
    except Exception:
        log.exception("enqueue failed")
        return Refused(Refusal.UNAVAILABLE)
    log.info(
        "queued id=%s from=<%s> rcpts=%d size=%d",
        qid,
        envelope.sender,
        len(envelope.recipients),
        len(stamped),
    )
    return Accepted(qid, len(stamped))


def _queue_origin(origin: Origin, envelope: Envelope, account: Account | None) -> dict[str, Any]:
    """The queue row's ``origin``: what processing reads back (auth enables the footer; ret, envid, body
    and smtputf8 shape reports and relaying) and what ``fieldpost queue show`` prints."""
    return {
        "ip": origin.peer_ip,
        "port": origin.peer_port,
        "helo": origin.helo,
        "auth": account.address if account is not None else None,
        "listener": origin.listener,
        "session_id": origin.session_id,
        "tls": origin.tls,
        "protocol": origin.protocol,
        "body": envelope.body,
        "smtputf8": envelope.smtputf8,
        "ret": envelope.ret,
        "envid": envelope.envid,
        **({"keep_folder": origin.keep_folder} if origin.keep_folder else {}),
    }
