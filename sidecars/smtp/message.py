"""The message a transaction carries: envelope, body accumulated under the size cap, and its trace fields.

It exists so that session.py keeps only the state machine: what a transaction holds, how the body is
counted against the size limit while it streams in (RFC 1870), how Received hops are counted for loop
detection (RFC 5321 6.3) and how the Received field is written (RFC 5321 4.4, RFC 3848, RFC 6531 7.3)
are plain data and pure functions. Which reply a failed check earns is decided by the session.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from sidecars.smtp.stream import header_fields


@dataclass
class Transaction:
    sender: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    dsn: dict[str, dict[str, Any]] = field(default_factory=dict)
    rcpt_attempted: bool = False
    max_size: int | None = None
    recipient_limits: dict[str, int] = field(default_factory=dict)  # MX: local recipients' own size limits
    add_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    size: int = 0
    bdat: bool = False
    too_big: bool = False
    refusal: Any = None  # the reply an onBodyChunk rule chose; the rest of the text is discarded
    headers: tuple[tuple[str, str], ...] | None = None  # known once the header block is complete

    def size_limit(self, server_limit: int) -> int:
        """The cap for this message: the server's (or account's) limit, lowered by the acceptance rules
        and by the smallest limit of its local recipients (the whole message is refused over it)."""
        return min(server_limit, self.max_size or server_limit, *self.recipient_limits.values())

    def add_body(self, data: bytes, server_limit: int) -> None:
        """Count ``data``; past the limit the message is read to its end but nothing more is kept."""
        self.size += len(data)
        if self.refusal is not None:
            return
        if self.size > self.size_limit(server_limit):
            self.too_big = True
            self.body.clear()  # keep reading to the end, keep nothing
        elif not self.too_big:
            self.body += data

    def refuse(self, reply: Any) -> None:
        """An onBodyChunk rule refused the message: read it to its end, keep nothing."""
        self.refusal = reply
        self.body.clear()

    def header_block(self) -> tuple[tuple[str, str], ...] | None:
        """The header fields, once the text so far holds the empty line that ends them (parsed once)."""
        if self.headers is None and b"\r\n\r\n" in self.body[: 256 * 1024]:
            self.headers = tuple(header_fields(bytes(self.body)))
        return self.headers


def received_count(headers: Iterable[tuple[str, str]]) -> int:
    """How many Received fields (hops) the message already has."""
    return sum(1 for name, _ in headers if name.lower() == "received")


def protocol_name(*, esmtp: bool, smtputf8: bool, tls: bool, authenticated: bool) -> str:
    # RFC 3848 and RFC 6531 7.3: SMTP, ESMTP[S][A], UTF8SMTP[S][A]
    if not esmtp:
        return "SMTP"
    name = "UTF8SMTP" if smtputf8 else "ESMTP"
    return name + ("S" if tls else "") + ("A" if authenticated else "")


def trace_fields(
    *,
    helo: str | None,
    peer_ip: str,
    hostname: str,
    protocol: str,
    session_id: str,
    txn_count: int,
    recipients: list[str],
    added: Iterable[tuple[str, str]],
    now: datetime,
) -> bytes:
    """The Received field (RFC 5321 4.4) followed by ``added`` fields, CRLF-terminated."""
    literal = f"[IPv6:{peer_ip}]" if ":" in peer_ip else f"[{peer_ip}]"
    msg_id = re.sub(r"[^A-Za-z0-9.-]", "", f"{session_id}.{txn_count}") or "0"
    stamp = format_datetime(now)
    lines = [
        f"Received: from {helo} ({literal})",
        f"\tby {hostname} (Fieldpost) with {protocol} id {msg_id}",
    ]
    if len(recipients) == 1:
        lines.append(f"\tfor <{recipients[0]}>")
    lines[-1] += f"; {stamp}"
    lines += [f"{name}: {value}" for name, value in added]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
