"""A client of SpamAssassin's spamd: the SPAMC/1.2 protocol (spamd's PROTOCOL document).

One request per connection: ``<COMMAND> SPAMC/1.2``, ``Content-length``, an empty line, the message;
spamd answers ``SPAMD/<version> <code> <text>``, header lines (``Spam: True ; 7.3 / 5.0``,
``Content-length``), an empty line and, for SYMBOLS and PROCESS, a body, then closes.

* ``CHECK``: the verdict and score only.
* ``SYMBOLS``: the verdict plus the names of the rules that hit (comma separated body); what the chain
  level uses, so the report field can say why.
* ``PROCESS``: the message as spamd would rewrite it (its X-Spam-* fields, report); under SPAMC/1.2
  the verdict is read from the X-Spam-Status field of that message.
* ``PING``: ``SPAMD/1.5 0 PONG``; the failsafe's "is it back?" probe.

``parse_reply`` is pure; anything that is not this grammar raises ``ScannerReplyError`` (the message stays
queued, the reason is logged), never another exception. ``spam_level`` maps a score to our 1-10 level.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from filters.scanners import ScannerReplyError, Unscannable
from filters.scanners.transport import Connection

VERSION: Final = "SPAMC/1.2"
COMMANDS: Final = frozenset({"CHECK", "SYMBOLS", "PROCESS", "PING"})
#: Largest reply header block accepted; PROCESS bodies may be as large as the message plus a report.
MAX_HEADER_BYTES: Final = 16 * 1024
EX_OK: Final = 0
EX_DATAERR: Final = 65  # spamd could not read the message itself: it cannot be graded

_STATUS = re.compile(rb"SPAMD/(\d+)\.(\d+) +(\d+) +([^\r\n]*)")
_SPAM = re.compile(r"(?i)(true|false|yes|no)\s*;\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)")
_STATUS_FIELD = re.compile(
    r"(?im)^X-Spam-Status:\s*(yes|no),\s*score=(-?\d+(?:\.\d+)?)\s+required=(-?\d+(?:\.\d+)?)"
)
_SYMBOL = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


@dataclass(frozen=True)
class Reply:
    """What spamd said about a message."""

    code: int
    text: str
    is_spam: bool = False
    score: float = 0.0
    threshold: float = 0.0
    symbols: tuple[str, ...] = ()
    message: bytes | None = None  # PROCESS: the rewritten message


def request(command: str, raw: bytes = b"", user: str | None = None) -> bytes:
    """The bytes of one request (spamd PROTOCOL, "Requests")."""
    if command not in COMMANDS:
        raise ValueError(f"unknown spamd command {command!r}")
    head = f"{command} {VERSION}\r\n"
    if command != "PING":
        head += f"Content-length: {len(raw)}\r\n"
    if user:
        if not re.fullmatch(r"[\w.@+-]{1,200}", user):
            raise ValueError(f"spamd user {user!r} has characters the protocol cannot carry")
        head += f"User: {user}\r\n"
    return head.encode("ascii") + b"\r\n" + (raw if command != "PING" else b"")


def parse_reply(command: str, data: bytes) -> Reply:
    """Parse spamd's whole answer to ``command``.

    Raises:
        ScannerReplyError: not spamd's grammar, a missing verdict, or an error code.
        Unscannable: spamd could not read this message (EX_DATAERR).
    """
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")  # tolerate bare LF from a proxy in between
    if len(head) > MAX_HEADER_BYTES:
        raise ScannerReplyError(f"spamd reply header longer than {MAX_HEADER_BYTES} bytes")
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    status = _STATUS.fullmatch(lines[0]) if lines else None
    if status is None:
        raise ScannerReplyError(f"spamd reply does not start with a SPAMD status line: {data[:80]!r}")
    code, text = int(status.group(3)), status.group(4).decode("ascii", "replace").strip()
    if code == EX_DATAERR:
        raise Unscannable(f"spamd could not read the message: {code} {text}")
    if code != EX_OK:
        raise ScannerReplyError(f"spamd answered error {code} {text}")
    if command == "PING":
        if text != "PONG":
            raise ScannerReplyError(f"spamd answered PING with {text!r}")
        return Reply(code, text)
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name.strip():
            raise ScannerReplyError(f"spamd reply has a malformed header line {line[:80]!r}")
        fields[name.strip().lower()] = value.strip()
    length = fields.get("content-length")
    if length is not None and (not length.isdigit() or int(length) != len(body)):
        raise ScannerReplyError(f"spamd reply body is {len(body)} bytes, Content-length says {length!r}")
    spam = _SPAM.fullmatch(fields.get("spam", ""))
    if spam is None and command == "PROCESS":  # SPAMC/1.2 PROCESS: the verdict is in the message only
        spam = _STATUS_FIELD.search(body.partition(b"\r\n\r\n")[0].decode("latin-1"))
    if spam is None:
        raise ScannerReplyError(f"spamd reply has no readable Spam field: {fields.get('spam')!r}")
    reply = Reply(
        code,
        text,
        is_spam=spam.group(1).lower() in ("true", "yes"),
        score=float(spam.group(2)),
        threshold=float(spam.group(3)),
    )
    if command == "SYMBOLS":
        names = tuple(s.strip() for s in body.decode("ascii", "replace").split(",") if s.strip())
        if any(not _SYMBOL.fullmatch(n) for n in names):
            raise ScannerReplyError(f"spamd SYMBOLS body is not a list of rule names: {body[:80]!r}")
        return Reply(code, text, reply.is_spam, reply.score, reply.threshold, symbols=names)
    if command == "PROCESS":
        if not body:
            raise ScannerReplyError("spamd PROCESS reply carries no message")
        return Reply(code, text, reply.is_spam, reply.score, reply.threshold, message=body)
    return reply


def spam_level(score: float, threshold: float) -> int:
    """Our spam level, 1-10, from spamd's score and its required score.

    The level rises by one for each fifth of the threshold: below a fifth it is 1 (clean), exactly at
    the threshold (where spamd starts calling it spam) it is 6, at 1.8 times the threshold and beyond it
    is 10. A threshold of 0 or less (misconfigured) falls back to 5.
    """
    if threshold <= 0:
        threshold = 5.0
    if score <= 0 or math.isnan(score):
        return 1
    return max(1, min(10, 1 + math.floor(score / threshold * 5 + 1e-9)))


def call(address: str, command: str, raw: bytes = b"", *, timeout: float, user: str | None = None) -> Reply:
    """Send one request to the spamd at ``address`` and parse its answer.

    Raises:
        ScannerDown: not reachable, or no answer within ``timeout`` (per step).
        ScannerReplyError: a reply we cannot read.
        Unscannable: spamd could not read this message.
    """
    cap = MAX_HEADER_BYTES + (2 * len(raw) + 1024 * 1024 if command == "PROCESS" else 1024 * 1024)
    with Connection(address, timeout) as conn:
        conn.send(request(command, raw, user))
        data = conn.read_until_close(cap)
    if not data:
        raise ScannerReplyError(f"spamd at {address} closed the connection without answering {command}")
    return parse_reply(command, data)


def ping(address: str, *, timeout: float) -> None:
    """Ask spamd whether it is alive (PING -> PONG).

    Raises:
        ScannerDown: not reachable or too slow.
        ScannerReplyError: it answered something other than PONG.
    """
    call(address, "PING", timeout=timeout)
