"""Delivery status notifications the server writes itself: the final failure report (NDR) and the delay
warning, both RFC 3464 ``multipart/report; report-type=delivery-status`` (RFC 6522) messages.

Part 1 is the human-readable text (opening text from ``ndr.text`` / ``ndr.delay_text``, then one line per
recipient with the reason); part 2 the machine-readable ``message/delivery-status``; part 3, as
``ndr.attach`` says, the original header (``text/rfc822-headers``), the whole original
(``message/rfc822``) or nothing. Reports go out with the null reverse-path, so they never cause reports
themselves (RFC 5321 4.5.5).
"""

from __future__ import annotations

import email.header
import email.parser
import email.policy
import email.utils
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.queue import QueuedMessage, QueuedRecipient

FAILED = "failed"
DELAYED = "delayed"
# the settings (per sender domain) that shape a report; ``mailflow.bounces.report_settings`` reads them
SETTINGS = ("ndr.sender", "ndr.subject", "ndr.text", "ndr.delay_subject", "ndr.delay_text", "ndr.attach")


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def header_block(raw: bytes) -> bytes:
    """The original's header block, without the empty line that ends it (the whole text when it has none)."""
    m = _HEADER_END.search(raw)
    return raw[: m.start()] if m else raw


@dataclass(frozen=True)
class RecipientStatus:
    address: str
    status: str  # RFC 3463 code, "5.1.1"
    diagnostic: str  # the reply or reason
    remote_mta: str | None = None
    original_recipient: str | None = None  # the ORCPT parameter, "rfc822;a@b"


@dataclass(frozen=True)
class ReportText:
    sender: str  # From: of the report
    subject: str  # with {subject} for the original subject
    intro: str
    attach: str  # headers | message | none


def original_subject(raw: bytes) -> str:
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(header_block(raw))
        return str(headers.get("Subject", "")).strip()
    except Exception:
        return ""


def _encoded(value: str) -> str:
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return email.header.Header(value, "utf-8").encode()


def build_report(
    *,
    action: str,
    text: ReportText,
    hostname: str,
    to: str,
    raw: bytes,
    arrival: datetime,
    recipients: Sequence[RecipientStatus],
    envid: str | None = None,
    retry_until: datetime | None = None,
    now: datetime,
) -> bytes:
    """The whole report message, CRLF line ends."""
    boundary = f"=_report_{uuid.uuid4().hex}"
    subject = text.subject.replace("{subject}", original_subject(raw) or "(no subject)")
    lines = [
        f"From: {text.sender}",
        f"To: <{to}>",
        f"Subject: {_encoded(subject)}",
        f"Date: {email.utils.format_datetime(now)}",
        f"Message-ID: <{uuid.uuid4().hex}@{hostname}>",
        "Auto-Submitted: auto-replied",  # RFC 3834 5
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a delivery status notification in MIME format.",
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        "",
        text.intro,
        "",
    ]
    for r in recipients:
        lines.append(f"  <{r.address}>: {r.diagnostic}")
    if action == DELAYED and retry_until is not None:
        lines += ["", f"Delivery will be tried until {email.utils.format_datetime(retry_until)}."]
    lines += ["", f"--{boundary}", "Content-Type: message/delivery-status", ""]
    # RFC 3464 2.2: per-message fields
    lines.append(f"Reporting-MTA: dns; {hostname}")
    if envid:
        lines.append(f"Original-Envelope-Id: {envid}")
    lines.append(f"Arrival-Date: {email.utils.format_datetime(arrival)}")
    for r in recipients:  # RFC 3464 2.3: per-recipient fields
        lines.append("")
        if r.original_recipient:
            lines.append(f"Original-Recipient: {r.original_recipient}")
        lines += [f"Final-Recipient: rfc822; {r.address}", f"Action: {action}", f"Status: {r.status}"]
        if r.remote_mta:
            lines.append(f"Remote-MTA: dns; {r.remote_mta}")
        diagnostic = " ".join(r.diagnostic.split())
        if diagnostic[:3].isdigit():
            lines.append(f"Diagnostic-Code: smtp; {diagnostic}")
        else:
            lines.append(f"Diagnostic-Code: x-fieldpost; {diagnostic}")
        lines.append(f"Last-Attempt-Date: {email.utils.format_datetime(now)}")
        if action == DELAYED and retry_until is not None:
            lines.append(f"Will-Retry-Until: {email.utils.format_datetime(retry_until)}")
    lines.append("")
    head = "\r\n".join(lines).encode("utf-8") + b"\r\n"
    tail = b""
    if text.attach == "headers":
        tail = (
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n".encode()
            + header_block(raw).rstrip(b"\r\n")
            + b"\r\n\r\n"
        )
    elif text.attach == "message":
        tail = (
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n".encode()
            + raw.rstrip(b"\r\n")
            + b"\r\n\r\n"
        )
    return head + tail + f"--{boundary}--\r\n".encode()


def compose(
    action: str,
    values: Mapping[str, Any],
    *,
    hostname: str,
    msg: QueuedMessage,
    raw: bytes,
    statuses: Sequence[RecipientStatus],
    retry_until: datetime | None,
    now: datetime,
) -> bytes:
    """A report for queued message ``msg`` with the ``ndr.*`` settings of the sender's domain."""
    final = action == FAILED
    text = ReportText(
        sender=values["ndr.sender"] or f"MAILER-DAEMON@{hostname}",
        subject=values["ndr.subject" if final else "ndr.delay_subject"],
        intro=values["ndr.text" if final else "ndr.delay_text"],
        attach=values["ndr.attach"],
    )
    return build_report(
        action=action,
        text=text,
        hostname=hostname,
        to=msg.sender,
        raw=raw,
        arrival=msg.received_at,
        recipients=statuses,
        envid=msg.origin.get("envid"),
        retry_until=None if final else retry_until,
        now=now,
    )


def orcpt(r: QueuedRecipient) -> str | None:
    """The recipient's RFC 3461 ORCPT as queued."""
    value = r.dsn.get("orcpt") if r.dsn else None
    return str(value) if value else None


def wants(r: QueuedRecipient, kind: str, default: bool = True) -> bool:
    """RFC 3461 4.1: NOTIFY=NEVER or a list without ``kind`` (FAILURE, DELAY) suppresses that report."""
    notify = r.dsn.get("notify") if r.dsn else None
    if not notify:
        return default
    values = {v.strip().upper() for v in (notify.split(",") if isinstance(notify, str) else notify)}
    return kind in values
