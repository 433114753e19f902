"""Read receipts: RFC 8098 message disposition notifications a reader sends when its user agrees.

A message asks for one with ``Disposition-Notification-To``. The reader (WebMail today, JMAP later)
shows a prompt; when the user agrees, :func:`send_receipt` builds the notification and hands it to
:func:`mailflow.submission.submit` like any mail the user sends (filters, queue, relay), from the user's
own address.

Choices, with their RFC:

- the envelope sender is null (RFC 8098 2.1: "the MDN MUST be sent with a null return path"), so a
  receipt that cannot be delivered never comes back as a bounce;
- the disposition is ``manual-action/MDN-sent-manually; displayed`` (RFC 8098 3.2.6): the user saw the
  message and chose to send it; nothing is sent automatically;
- the report has the human-readable part, the ``message/disposition-notification`` part and no copy of
  the original (RFC 8098 3: the third part is optional, and leaving it out leaks nothing more);
- the reader marks the message ``$MDNSent`` (RFC 3503) whether the user sends or declines, so no client
  asks again.
"""

from __future__ import annotations

import email.header
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from mailflow.submission import Accepted, Envelope, Origin, Refused, submit
from storage.models import Account
from storage.store import Store

USER_AGENT = "Fieldpost"
DISPLAYED_MANUALLY = "manual-action/MDN-sent-manually; displayed"


@dataclass(frozen=True)
class Displayed:
    """What the receipt says about the message that was read."""

    requester: str  # the Disposition-Notification-To address
    reader: str  # the user's address (Final-Recipient)
    subject: str  # decoded subject of the original
    message_id: str  # the original's Message-ID ("" if it had none)
    sent: str  # the original's Date field as sent ("" if none)
    #: RFC 8098 3.2.6 disposition-mode and type; a JMAP client (RFC 9007 MDN/send) may name another
    disposition: str = DISPLAYED_MANUALLY
    #: the report's own subject and human-readable text; "" for the default ones (RFC 9007 lets a JMAP
    #: client write them)
    report_subject: str = ""
    report_text: str = ""


def _one_line(text: str, limit: int = 998) -> str:
    """A header value that cannot start another field: controls become spaces, length is capped."""
    return "".join(ch if ch.isprintable() else " " for ch in text)[:limit].strip()


def _encoded(text: str) -> str:
    """RFC 2047 encoded words when ``text`` is not ASCII."""
    if text.isascii():
        return text
    return email.header.Header(text, "utf-8").encode()


def build_receipt(item: Displayed, *, hostname: str, now: datetime | None = None) -> bytes:
    """The RFC 8098 report (CRLF line ends)."""
    now = now or datetime.now(UTC)
    text = item.report_text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    item = Displayed(
        requester=_one_line(item.requester),
        reader=_one_line(item.reader),
        subject=_one_line(item.subject),
        message_id=_one_line(item.message_id),
        sent=_one_line(item.sent),
        disposition=_one_line(item.disposition),
        report_subject=_one_line(item.report_subject),
    )
    boundary = f"mdn-{uuid.uuid4().hex}"
    subject = item.report_subject or (f"Read: {item.subject}" if item.subject else "Read receipt")
    human = text or (
        f"Your message to {item.reader}"
        + (f" of {item.sent}" if item.sent else "")
        + (f' with the subject "{item.subject}"' if item.subject else "")
        + " was displayed. This does not mean that it was read or understood."
    )
    fields = [
        f"Reporting-UA: {hostname}; {USER_AGENT}",
        f"Final-Recipient: rfc822; {item.reader}",
        *([f"Original-Message-ID: {item.message_id}"] if item.message_id else []),
        f"Disposition: {item.disposition}",
    ]
    lines = [
        f"From: {item.reader}",
        f"To: {item.requester}",
        f"Subject: {_encoded(subject)}",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{uuid.uuid4().hex}@{hostname}>",
        *([f"In-Reply-To: {item.message_id}", f"References: {item.message_id}"] if item.message_id else []),
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=disposition-notification; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        human,
        f"--{boundary}",
        "Content-Type: message/disposition-notification",
        "",
        *fields,
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def send_receipt(
    store: Store, account: Account, item: Displayed, origin: Origin, *, now: datetime | None = None
) -> Accepted | Refused:
    """Queue the receipt for ``item.requester`` as ``account`` (null envelope sender, RFC 8098 2.1)."""
    raw = build_receipt(item, hostname=origin.hostname, now=now)
    envelope = Envelope(sender="", recipients=(item.requester,), body="8BITMIME")
    return submit(store, account, envelope, raw, origin, now=now)
