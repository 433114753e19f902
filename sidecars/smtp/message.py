"""The message a transaction carries: envelope, body accumulated under the size cap, and its hop count.

It exists so that session.py keeps only the state machine: what a transaction holds, how the body is
counted against the size limit while it streams in (RFC 1870), how Received hops are counted for loop
detection (RFC 5321 6.3) and which protocol name the Received field gives (RFC 3848, RFC 6531 7.3) are
plain data and pure functions. Which reply a failed check earns is decided elsewhere (handoff, session);
the header repair and the Received field itself are written by ``mailflow.submission``, which every way
into the queue shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mailflow.header_block import header_fields


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

    def add_recipient(self, address: str, params: dict[str, Any]) -> None:
        """An accepted RCPT with its DSN parameters (RFC 3461 4.1, 4.2); a repeated address counts once."""
        if address.lower() in (r.lower() for r in self.recipients):
            return
        self.recipients.append(address)
        dsn: dict[str, Any] = {"notify": list(params["NOTIFY"])} if "NOTIFY" in params else {}
        if "ORCPT" in params:
            dsn["orcpt"] = params["ORCPT"]
        self.dsn[address] = dsn

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
