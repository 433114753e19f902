"""Header edits shared by receiving and delivery: the Return-Path trace field and our scanner fields.

RFC 5321 4.4 gives the Return-Path field to the server that makes the final delivery, and says a relay
does not add one. Fieldpost stamps it when a message enters the queue, because most queued mail is
delivered here: the mailbox copy is then byte for byte the queued one, so delivery takes a reference
on the queued blob instead of writing a second copy. Mail that leaves for another server has the field
removed on the way out.
"""

from __future__ import annotations

import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(header lines, each with its own line break; the rest from the empty line on)."""
    m = _HEADER_END.search(raw)
    if not m:
        return raw, b""
    eol = m.group(0)[: m.group(0).index(b"\n") + 1]  # the break that ends the last field
    cut = m.start() + len(eol)
    return raw[:cut], raw[cut:]


#: Fields only Fieldpost may write: the verdicts of our scanners, read by Sieve's spamtest and virustest.
#: A message arriving from outside with them set would grade itself, so receiving removes them.
SCANNER_FIELDS = ("x-fieldpost-spam-level", "x-fieldpost-virus-level")


def without_fields(raw: bytes, names: tuple[str, ...]) -> bytes:
    """The message with every field of the given names (and its continuation lines) removed."""
    head, rest = _split(raw)
    lowered = head.lower()
    if not any(name.encode() + b":" in lowered for name in names):
        return raw
    prefixes = tuple(name.encode() + b":" for name in names)
    kept: list[bytes] = []
    skipping = False
    for line in re.split(rb"(?<=\n)", head):
        if not line:
            continue
        if line[:1] not in (b" ", b"\t"):
            skipping = line.lower().startswith(prefixes)
        if not skipping:
            kept.append(line)
    return b"".join(kept) + rest


def without_return_path(raw: bytes) -> bytes:
    """The message with every Return-Path field (and its continuation lines) removed."""
    return without_fields(raw, ("return-path",))


def with_return_path(raw: bytes, sender: str) -> bytes:
    """The message with one Return-Path field, ``<sender>``, on top (earlier ones removed).

    Idempotent: applied to its own output it returns the same bytes.
    """
    return b"Return-Path: <" + sender.encode("utf-8") + b">\r\n" + without_return_path(raw)
