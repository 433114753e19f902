"""A message's header block as the queue takes it: the unfolded fields (RFC 5322 2.2.3) and the repair of
a badly folded block (RFC 5322 2.2.3, 2.1.1) before the message is queued.

Mailers still send header lines that neither start a field nor continue one, and lines past the 998-octet
limit; a queued message with such a header confuses every parser after us (filters, IMAP ENVELOPE, the
relay's peer). Whatever hands a message to the queue (SMTP, later WebMail and JMAP) gets the same repair
through ``mailflow.submission``. Pure functions on bytes.
"""

from __future__ import annotations

import re


def header_fields(raw: bytes, limit: int = 256 * 1024) -> list[tuple[str, str]]:
    """The unfolded header fields of a message (up to the first empty line, at most ``limit`` octets)."""
    end = raw.find(b"\r\n\r\n", 0, limit)
    block = raw[: end if end >= 0 else min(len(raw), limit)]
    fields: list[tuple[str, str]] = []
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, _, value = line.partition(":")
            fields.append((name.strip(), value.strip()))
    return fields


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
