"""The message a transaction carries: envelope, body accumulated under the size cap, and its trace fields.

It exists so that session.py keeps only the state machine: what a transaction holds, how the body is
counted against the size limit while it streams in (RFC 1870), how Received hops are counted for loop
detection (RFC 5321 6.3) and how the Received field is written (RFC 5321 4.4, RFC 3848, RFC 6531 7.3)
are plain data and pure functions, and so is the repair of a badly folded header (RFC 5322 2.2.3) before
the message is queued. Which reply a failed check earns is decided elsewhere (handoff, session).
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


MAX_LINE = 998  # RFC 5322 2.1.1: octets per line, without CRLF
_FIELD_START = re.compile(rb"[!-9;-~]+[ \t]*:")
_WSP = b" \t"


def repair_header(raw: bytes) -> tuple[bytes, int]:
    """The message with its header block repaired, and how many lines were changed.

    Lines inside the header block that neither start a field ("Name:") nor continue one (leading
    whitespace) are joined to the field above by prefixing a space; header lines longer than 998
    octets are folded before whitespace where there is some (a line with none stays as it is). Octets
    are never decoded, so 8-bit header text is kept byte for byte; the body is not touched. A message
    whose first line is not a field has no header block and is returned unchanged.
    """
    end = raw.find(b"\r\n\r\n")
    block, rest = (
        (raw[:end], raw[end:])
        if end >= 0
        else (raw.removesuffix(b"\r\n"), raw[len(raw.removesuffix(b"\r\n")) :])
    )
    lines = block.split(b"\r\n")
    if not lines or not _FIELD_START.match(lines[0]):
        return raw, 0
    out: list[bytes] = []
    changed = 0
    for line in lines:
        if line[:1] not in (b" ", b"\t") and not _FIELD_START.match(line):
            line = b" " + line
            changed += 1
        if len(line) > MAX_LINE:
            folded = _fold(line)
            changed += len(folded) > 1
            out += folded
        else:
            out.append(line)
    return (b"\r\n".join(out) + rest, changed) if changed else (raw, 0)


def _fold(line: bytes) -> list[bytes]:
    """Split an overlong header line before whitespace, each piece at most MAX_LINE octets where it can be.

    A cut never leaves a piece without text: not inside "Name: " nor inside a continuation's indent.
    """
    pieces = []
    head = line.find(b":") + 1
    while len(line) > MAX_LINE:
        floor = head + len(line[head:]) - len(line[head:].lstrip(_WSP))  # the first octet of text
        cut = max(line.rfind(b" ", floor + 1, MAX_LINE + 1), line.rfind(b"\t", floor + 1, MAX_LINE + 1))
        if cut < 0:  # no whitespace early enough: cut at the first that comes, if any
            later = [i for i in (line.find(b" ", MAX_LINE), line.find(b"\t", MAX_LINE)) if i > 0]
            if not later:
                break
            cut = min(later)
        pieces.append(line[:cut])
        line, head = line[cut:], 0
    pieces.append(line)
    return pieces


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
    auth: str | None = None,
) -> bytes:
    """The Received field (RFC 5321 4.4) followed by ``added`` fields, CRLF-terminated.

    ``auth`` (the login of an authenticated session) is named in a comment after the from clause, as
    "(authenticated as alice@example.test)": RFC 3848's ``with ESMTPA`` says that the client
    authenticated, this says as whom, so a recipient or postmaster can trace a message to its account.
    """
    literal = f"[IPv6:{peer_ip}]" if ":" in peer_ip else f"[{peer_ip}]"
    msg_id = re.sub(r"[^A-Za-z0-9.-]", "", f"{session_id}.{txn_count}") or "0"
    stamp = format_datetime(now)
    lines = [f"Received: from {helo} ({literal})"]
    if auth is not None:
        lines.append(f"\t(authenticated as {_comment_text(auth)})")
    lines.append(f"\tby {hostname} (Fieldpost) with {protocol} id {msg_id}")
    if len(recipients) == 1:
        lines.append(f"\tfor <{recipients[0]}>")
    lines[-1] += f"; {stamp}"
    lines += [f"{name}: {value}" for name, value in added]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _comment_text(text: str) -> str:
    """``text`` safe inside an RFC 5322 comment: parentheses and backslashes quoted, no line breaks."""
    text = re.sub(r"[\r\n]+", " ", text)
    return re.sub(r"([()\\])", r"\\\1", text)
