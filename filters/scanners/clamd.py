"""A client of ClamAV's clamd: INSTREAM and PING (clamd(8), "COMMANDS").

Commands use the ``z`` prefix, so each request and each reply ends with a NUL byte. INSTREAM sends the
message as chunks, each a 4-byte big-endian length and that many bytes, ended by a zero-length chunk;
clamd answers ``stream: OK``, ``stream: <signature> FOUND`` or ``<text> ERROR`` (for example when the
stream passes its StreamMaxLength: ``INSTREAM size limit exceeded. ERROR``).

We refuse to send a message over ``max_bytes`` ourselves (``Unscannable``) rather than let clamd cut the
stream: the operator sets the same limit on both sides, and the unscannable action decides the rest.
``parse_scan_reply`` is pure and raises only our error types.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from filters.scanners import ScannerReplyError, Unscannable
from filters.scanners.transport import Connection

CHUNK_BYTES: Final = 64 * 1024
MAX_REPLY_BYTES: Final = 4096
#: Signature name prefixes that mean "possibly": heuristic finds and potentially unwanted applications.
POSSIBLE_PREFIXES: Final = ("Heuristics.", "PUA.")


@dataclass(frozen=True)
class Result:
    """clamd's verdict on one stream: ``virus`` is the signature name, None when clean."""

    virus: str | None

    @property
    def level(self) -> int:
        """Our virus level (the manual's scale): 1 clean, 4 possibly infected, 5 infected."""
        if self.virus is None:
            return 1
        return 4 if self.virus.startswith(POSSIBLE_PREFIXES) else 5


def instream_request(raw: bytes, chunk_bytes: int = CHUNK_BYTES) -> list[bytes]:
    """The pieces to send for INSTREAM: the command, the chunks, the terminating empty chunk."""
    pieces = [b"zINSTREAM\0"]
    for start in range(0, len(raw), chunk_bytes):
        chunk = raw[start : start + chunk_bytes]
        pieces.append(struct.pack(">I", len(chunk)) + chunk)
    pieces.append(struct.pack(">I", 0))
    return pieces


def parse_scan_reply(data: bytes) -> Result:
    """Parse clamd's INSTREAM reply (without the trailing NUL).

    Raises:
        Unscannable: clamd reports an error about this stream (size limit, a scan error).
        ScannerReplyError: the reply is not clamd's grammar.
    """
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ScannerReplyError(f"clamd reply is not text: {data[:80]!r}") from None
    if text.endswith(" ERROR"):
        raise Unscannable(f"clamd could not scan the message: {text[:200]}")
    label, sep, verdict = text.partition(": ")
    if not sep or label != "stream":
        raise ScannerReplyError(f"clamd reply is not an INSTREAM result: {text[:80]!r}")
    if verdict == "OK":
        return Result(None)
    if verdict.endswith(" FOUND") and len(verdict) > len(" FOUND") and "\n" not in verdict:
        return Result(verdict[: -len(" FOUND")].strip())
    raise ScannerReplyError(f"clamd reply is not an INSTREAM result: {text[:80]!r}")


def scan(address: str, raw: bytes, *, timeout: float, max_bytes: int) -> Result:
    """Scan ``raw`` with the clamd at ``address``.

    Raises:
        Unscannable: larger than ``max_bytes``, or clamd reported an error on it.
        ScannerDown: not reachable or too slow.
        ScannerReplyError: an unreadable reply.
    """
    if len(raw) > max_bytes:
        raise Unscannable(f"message of {len(raw)} bytes is over the virus scan limit of {max_bytes} bytes")
    with Connection(address, timeout) as conn:
        for piece in instream_request(raw):
            conn.send(piece)
        return parse_scan_reply(conn.read_until(b"\0", MAX_REPLY_BYTES))


def ping(address: str, *, timeout: float) -> None:
    """Ask clamd whether it is alive.

    Raises:
        ScannerDown: not reachable or too slow.
        ScannerReplyError: it answered something other than PONG.
    """
    with Connection(address, timeout) as conn:
        conn.send(b"zPING\0")
        reply = conn.read_until(b"\0", MAX_REPLY_BYTES)
    if reply.strip() != b"PONG":
        raise ScannerReplyError(f"clamd answered PING with {reply[:80]!r}")
