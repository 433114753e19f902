"""The header fields a reader shows, decoded into plain text (never markup).

Addresses and the subject come from the envelope storage cached at delivery (raw, as IMAP needs them)
and are decoded here (RFC 2047 words, RFC 5322 quoting); the few fields the envelope does not hold
(Disposition-Notification-To, RFC 8098 2.1; List-Unsubscribe is not used) are read from the top-level
header block, which is sliced from the stored message by offset. Every value is a ``str`` of text: a
Subject of ``<script>`` stays the nine characters it is, and templates escape it like any text.

Limits: a header block longer than ``MAX_HEADER_BYTES`` is read only that far; a displayed value is at
most ``MAX_VALUE_CHARS`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from storage.mime import AddressList, Envelope, address_list_text, decode_header_text
from storage.mime.addresses import address_string
from storage.mime.headers import parse_date

MAX_HEADER_BYTES = 256 * 1024
MAX_VALUE_CHARS = 4000


@dataclass(frozen=True)
class HeaderView:
    """What the reader shows above a message; every field is plain text."""

    subject: str
    from_: str  # "Name <addr>, ..."
    from_address: str | None  # the first sender's addr-spec, for "always show images from"
    to: str
    cc: str
    reply_to: str  # "" when it is the sender's own address
    sender: str  # who sent it on behalf of From (RFC 5322 3.6.2 Sender); "" when it is From itself
    date: datetime | None
    date_text: str  # the Date field as sent, for the raw view and when it does not parse
    message_id: str
    read_receipt_to: str | None  # Disposition-Notification-To's first address (RFC 8098 2.1)


def _clip(text: str) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _first_address(addresses: AddressList) -> str | None:
    for a in addresses:
        if a.host is not None:
            return address_string(a)
    return None


def _specs(addresses: AddressList) -> set[str]:
    """The addr-specs of a list, lower-cased (so "Bob <bob@x>" and "bob@x" are the same mailbox)."""
    return {spec.lower() for spec in map(address_string, addresses) if spec is not None}


def read_receipt_address(header_block: bytes) -> str | None:
    """The address a read receipt is asked for, or None (RFC 8098 2.1: one or more mailboxes; the first
    is used)."""
    message = BytesHeaderParser(policy=compat32).parsebytes(header_block[:MAX_HEADER_BYTES])
    value = message.get("Disposition-Notification-To")
    if not value:
        return None
    for _, address in getaddresses([str(value)]):
        if "@" in address and not any(ch.isspace() or ch in '<>"' for ch in address):
            return address[:320]
    return None


def header_view(envelope: Envelope, header_block: bytes) -> HeaderView:
    """The reader's header fields from the cached envelope and the message's top-level header block."""
    from_ = _clip(address_list_text(envelope.from_))
    reply_to = _clip(address_list_text(envelope.reply_to))
    sender = _clip(address_list_text(envelope.sender))
    return HeaderView(
        subject=_clip(decode_header_text(envelope.subject)),
        from_=from_,
        from_address=_first_address(envelope.from_),
        to=_clip(address_list_text(envelope.to)),
        cc=_clip(address_list_text(envelope.cc)),
        reply_to="" if reply_to == from_ else reply_to,  # IMAP's envelope copies From when there is none
        sender="" if _specs(envelope.sender) <= _specs(envelope.from_) else sender,  # likewise
        date=parse_date(envelope.date),
        date_text=_clip(envelope.date or ""),
        message_id=_clip(envelope.message_id or ""),
        read_receipt_to=read_receipt_address(header_block),
    )
