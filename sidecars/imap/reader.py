"""Command framing for IMAP: bytes in any chunking -> whole command lines with their literals.

RFC 3501 2.2.1 and 4.3: a command is a line ending in CRLF, except that a line ending in ``{n}``
(synchronising literal) or ``{n+}`` (LITERAL+, RFC 7888) is followed by exactly n bytes of literal
data and then the rest of the command. The reader finds those boundaries and nothing else; the
tokenizer in :mod:`sidecars.imap.tokens` reads what is between them.

Implementation notes:
- Limits, each answered with an :class:`Refusal` event carrying the command's tag and a clear text:
  the command text without its literals (``max_line``), each literal (``max_literal``, changeable
  after login), and the number of literals of one command (``MAX_LITERALS``).
- A synchronising literal makes the reader emit :class:`NeedContinuation`; the session answers
  "+ Ready" (or refuses it, and the client never sends the bytes). A too-large non-synchronising
  literal is read and thrown away (the client sends it regardless), then the rest of its command too.
- Literals above ``SPOOL_AFTER`` bytes go to a spooled temporary file as they arrive, so a 50 MB
  APPEND is held once, not once in a buffer and once in a list of chunks.
- ``command_bytes`` counts the bytes fed since the current command began, refused or skipped parts
  included; ``command_limit`` is the most one command may take (its text, one literal at the limit,
  and ``COMMAND_SLACK``). The reader itself never needs it (it holds no more than the limits above);
  the connection uses it to stop a COMPRESS=DEFLATE stream that inflates past it, since skipping
  what a bomb inflates to would otherwise cost unbounded CPU for a few bytes read.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from typing import IO

MAX_LINE = 64 * 1024
MAX_LITERALS = 1000
SPOOL_AFTER = 256 * 1024
SPOOL_MEMORY = 1024 * 1024
COMMAND_SLACK = 64 * 1024

_LITERAL_END = re.compile(rb"~?\{(\d{1,12})(\+?)\}$")


class Literal:
    """The bytes of one literal: in memory when small, spooled to a temporary file when large."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._chunks: list[bytes] = []
        self._file: IO[bytes] | None = None
        self._have = 0
        if size > SPOOL_AFTER:
            self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - closed by close()

    def write(self, data: bytes) -> None:
        self._have += len(data)
        if self._file is not None:
            self._file.write(data)
        else:
            self._chunks.append(data)

    @property
    def missing(self) -> int:
        return self.size - self._have

    def read(self) -> bytes:
        """The whole literal (read once by APPEND; small literals are joined)."""
        if self._file is None:
            if len(self._chunks) != 1:
                self._chunks = [b"".join(self._chunks)]
            return self._chunks[0]
        self._file.seek(0)
        return self._file.read()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass(frozen=True)
class CommandLine:
    """One whole command: ``texts[i]`` is followed by ``literals[i]``; markers are removed."""

    texts: tuple[bytes, ...]
    literals: tuple[Literal, ...]


@dataclass(frozen=True)
class NeedContinuation:
    """A synchronising literal was announced: the client waits for "+" before sending it."""

    size: int


@dataclass(frozen=True)
class Refusal:
    """A limit was crossed; the command (tag may be "*" when unknown) is refused with ``text``."""

    tag: str
    text: str


Event = CommandLine | NeedContinuation | Refusal


def tag_of(text: bytes) -> str:
    tag = text.split(b" ", 1)[0].strip()
    if not tag or len(tag) > 64 or not all(33 <= c < 127 and c not in b'(){%*"\\+' for c in tag):
        return "*"
    return tag.decode("ascii")


@dataclass
class Reader:
    max_line: int = MAX_LINE
    max_literal: int = 64 * 1024
    _buf: bytearray = field(default_factory=bytearray)
    _texts: list[bytes] = field(default_factory=list)
    _literals: list[Literal] = field(default_factory=list)
    _literal: Literal | None = None
    _skip: int = 0  # bytes of a refused non-synchronising literal still to throw away
    _discarding: bool = False  # the current command was refused: drop it up to its end
    _line_total: int = 0
    command_bytes: int = 0  # bytes fed since the current command began

    @property
    def command_limit(self) -> int:
        """The most bytes one command may take, literal included."""
        return self.max_line + self.max_literal + COMMAND_SLACK

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        pos, size = 0, len(data)
        while pos < size:
            if self._skip:
                n = min(self._skip, size - pos)
                self._skip -= n
                self.command_bytes += n
                pos += n
                continue
            if self._literal is not None:
                n = min(self._literal.missing, size - pos)
                self._literal.write(data[pos : pos + n])
                self.command_bytes += n
                pos += n
                if self._literal.missing == 0:
                    self._literals.append(self._literal)
                    self._literal = None
                continue
            end = data.find(b"\n", pos)
            if end < 0:
                self._buf += data[pos:]
                self.command_bytes += size - pos
                pos = size
                if self._line_total + len(self._buf) > self.max_line and not self._discarding:
                    first = self._texts[0] if self._texts else bytes(self._buf[:80])
                    events.append(Refusal(tag_of(first), self._too_long()))
                    self._discarding = True
                if self._discarding:
                    del self._buf[: max(0, len(self._buf) - 64)]  # keep a tail to spot a literal marker
                continue
            self._buf += data[pos:end]
            self.command_bytes += end + 1 - pos
            pos = end + 1
            line = bytes(self._buf)
            self._buf.clear()
            if line.endswith(b"\r"):
                line = line[:-1]
            events.extend(self._line(line))
        return events

    def _too_long(self) -> str:
        return f"command line too long (the limit is {self.max_line} bytes, literals not counted)"

    def _line(self, line: bytes) -> list[Event]:
        match = _LITERAL_END.search(line)
        tag = tag_of(self._texts[0] if self._texts else line)
        if not self._discarding:
            self._line_total += len(line)
            if self._line_total > self.max_line:
                self._discarding = True
                return self._refuse_and_maybe_skip(match, Refusal(tag, self._too_long()))
        if match is None:
            return self._finish(line)
        size, nonsync = int(match.group(1)), bool(match.group(2))
        if self._discarding:
            if nonsync:
                self._skip = size
            else:  # the client waits for "+" that will not come; it has had its refusal already
                self._reset()
            return []
        if size > self.max_literal:
            self._discarding = nonsync  # its remaining text follows the thrown-away literal
            refusal = Refusal(tag, f"literal of {size} bytes is larger than the limit of {self.max_literal}")
            if nonsync:
                self._skip = size
            else:
                self._reset()
            return [refusal]
        if len(self._literals) >= MAX_LITERALS:
            self._discarding = nonsync
            if nonsync:
                self._skip = size
            else:
                self._reset()
            return [Refusal(tag, f"too many literals in one command (the limit is {MAX_LITERALS})")]
        cut = match.start() + (1 if line[match.start() : match.start() + 1] == b"~" else 0)
        self._texts.append(line[:cut])  # a literal8 keeps its "~" for the tokenizer (RFC 3516)
        literal = Literal(size)
        if size:
            self._literal = literal
        else:
            self._literals.append(literal)
        return [] if nonsync else [NeedContinuation(size)]

    def _refuse_and_maybe_skip(self, match: re.Match[bytes] | None, refusal: Refusal) -> list[Event]:
        if match is None:
            self._reset()
        elif match.group(2):
            self._skip = int(match.group(1))
        else:
            self._reset()
        return [refusal]

    def _finish(self, line: bytes) -> list[Event]:
        if self._discarding:
            self._reset()
            return []
        texts = (*self._texts, line)
        literals = tuple(self._literals)
        self._texts, self._literals, self._line_total = [], [], 0
        self.command_bytes = 0
        return [CommandLine(texts, literals)]

    def _reset(self) -> None:
        for literal in self._literals:
            literal.close()
        self._texts, self._literals, self._line_total = [], [], 0
        self._discarding = False
        self.command_bytes = 0

    def abandon(self) -> None:
        """Drop a half-read command (a sync literal the session refused)."""
        self._reset()
        self._literal = None
