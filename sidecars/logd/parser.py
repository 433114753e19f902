"""Log records on the wire: one UDP datagram is one line in the log files' format (fieldpost/logs.py)::

    MM-DD HH:MM:SS +ZZZZ LL host SERVICE:SESSIONID: text

Pure: bytes in, a :class:`Record` or a :class:`BadRecord` reason out. Continuation lines of a multi-line
record (a traceback) are indented by the sender and kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: level bits a record may carry (critical, error, warning, info, protocol)
LEVEL_BITS = frozenset({1, 2, 4, 8, 16})
MAX_RECORD = 65507  # the largest UDP payload over IPv4
_LINE = re.compile(
    r"(?P<stamp>\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}) (?P<level>\d\d) (?P<host>[A-Za-z0-9._:\[\]-]{1,255}) "
    r"(?P<service>[A-Za-z][A-Za-z0-9_-]{0,31}):(?P<session>[0-9a-f]{8}): (?P<text>.*)",
    re.DOTALL,
)


class BadRecord(ValueError):
    """A datagram that is not a log record; the message says why (the log service counts them)."""


@dataclass(frozen=True)
class Record:
    """One log record as received; ``line`` is what the files get, unchanged."""

    stamp: str
    level: int
    host: str
    service: str  # lower-case
    session: str
    text: str
    line: str


def parse(datagram: bytes) -> Record:
    """The record in one datagram.

    Raises:
        BadRecord: empty, too long, not UTF-8, not in the line format, or an unknown level bit.
    """
    if not datagram:
        raise BadRecord("empty datagram")
    if len(datagram) > MAX_RECORD:
        raise BadRecord("datagram too long")
    try:
        line = datagram.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise BadRecord("not UTF-8") from None
    if "\x00" in line:
        raise BadRecord("NUL in record")
    found = _LINE.fullmatch(line)
    if found is None:
        raise BadRecord("not a log line (MM-DD HH:MM:SS +ZZZZ LL host SERVICE:SESSION: text)")
    level = int(found["level"])
    if level not in LEVEL_BITS:
        raise BadRecord(f"unknown level {found['level']}")
    # a bare carriage return or newline not followed by the indent would forge a second record
    text = found["text"].replace("\r\n", "\n")
    text = "\n    ".join(part.removeprefix("    ") for part in text.replace("\r", "\n").split("\n"))
    line = line[: found.start("text")] + text
    return Record(
        found["stamp"], level, found["host"], found["service"].lower(), found["session"], text, line
    )
