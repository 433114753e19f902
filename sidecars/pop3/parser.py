"""POP3 wire format (RFC 1939, RFC 2449): command lines in, status lines and multi-line answers out.

Pure functions and small state machines, no sockets, no storage: the reader splits any chunking of the
input into lines, ``parse`` turns a line into a :class:`Command`, and the answer helpers build what the
server writes. Multi-line bodies are produced lazily: ``dot_stuffed`` and ``top_lines`` take an iterator
of byte chunks (a message read from the blob store piece by piece) and yield pieces again, so a message
is never held whole in memory.

Limits: a line may hold ``MAX_LINE`` octets with its CRLF. RFC 2449 4 allows 255 for commands; SASL
responses (RFC 5034 4) are longer, so the limit is larger and the same for every line. A longer line is
answered once with an error and skipped up to its end; the session goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_LINE = 8192
MAX_KEYWORD = 4


@dataclass(frozen=True)
class Line:
    """One complete line, without its line end."""

    text: bytes


@dataclass(frozen=True)
class TooLong:
    """A line longer than ``MAX_LINE`` (its bytes were dropped)."""

    limit: int


@dataclass(frozen=True)
class Command:
    """A command line: the keyword in upper case and the rest of the line after one space."""

    name: str
    argument: str

    @property
    def args(self) -> list[str]:
        """The argument split at spaces (RFC 1939 3: arguments are separated by a single space)."""
        return self.argument.split(" ") if self.argument else []


class BadCommand(ValueError):
    """A line that is not a POP3 command (the reason is the error text for the client)."""


class Reader:
    """Splits input of any chunking into lines (CRLF or a lone LF ends one)."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self.buffer = bytearray()
        self.skipping = False  # inside an overlong line, dropping bytes up to its end

    def feed(self, data: bytes) -> Iterator[Line | TooLong]:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > self.max_line:
                    self.buffer.clear()
                    if not self.skipping:
                        self.skipping = True
                        yield TooLong(self.max_line)
                return
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            if self.skipping:
                self.skipping = False
                continue
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) + 2 > self.max_line:
                yield TooLong(self.max_line)
                continue
            yield Line(line)


def parse(line: bytes) -> Command:
    """A command line (without its CRLF) -> Command.

    Raises:
        BadCommand: empty, not UTF-8, control characters, or a keyword that is not 3-4 letters.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise BadCommand("the command line is not valid UTF-8") from None
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadCommand("control characters in the command line")
    if not text:
        raise BadCommand("empty command line")
    name, _, argument = text.partition(" ")
    if not (3 <= len(name) <= MAX_KEYWORD and name.isascii() and name.isalpha()):
        raise BadCommand("a command is a keyword of 3 or 4 letters")
    return Command(name.upper(), argument)


def number(text: str, *, zero: bool = False) -> int:
    """A message number or count argument (decimal digits only, at most 10).

    Raises:
        BadCommand: not a plain positive decimal number.
    """
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise BadCommand(f"not a number: {text[:20]!r}")
    value = int(text)
    if value == 0 and not zero:
        raise BadCommand("message numbers start at 1")
    return value


def ok(text: str = "") -> bytes:
    """A positive status line (RFC 1939 3)."""
    return b"+OK" + (b" " + text.encode("utf-8") if text else b"") + b"\r\n"


def err(text: str, code: str | None = None) -> bytes:
    """A negative status line, with an RFC 2449 8 / RFC 3206 response code when given."""
    prefix = f"[{code}] " if code else ""
    return b"-ERR " + (prefix + text).encode("utf-8") + b"\r\n"


def continuation(data: str) -> bytes:
    """An AUTH challenge line (RFC 5034 4): "+ " and base64 (may be empty)."""
    return b"+ " + data.encode("ascii") + b"\r\n"


TERMINATOR = b".\r\n"


def multiline(lines: Iterable[str]) -> bytes:
    """Short multi-line bodies (CAPA, LIST, UIDL), dot-stuffed, with the terminating line."""
    out = bytearray()
    for line in lines:
        data = line.encode("utf-8")
        if data.startswith(b"."):
            out += b"."
        out += data + b"\r\n"
    return bytes(out + TERMINATOR)


def dot_stuffed(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A message's bytes as a multi-line body (RFC 1939 3): every line starting with "." gets one more,
    a last line without its end gets CRLF, and ".CRLF" ends it. Chunks may split lines anywhere."""
    at_line_start = True
    for chunk in chunks:
        if not chunk:
            continue
        stuffed = chunk.replace(b"\n.", b"\n..")
        if at_line_start and stuffed.startswith(b"."):
            stuffed = b"." + stuffed
        at_line_start = chunk.endswith(b"\n")
        yield stuffed
    yield TERMINATOR if at_line_start else b"\r\n" + TERMINATOR


def top_lines(chunks: Iterable[bytes], body_lines: int) -> Iterator[bytes]:
    """TOP (RFC 1939 7): the header, the blank line after it, and the first ``body_lines`` lines of the
    body, from a message read in chunks; reading stops as soon as enough has been given."""
    in_header = True
    previous_lf = True  # at the start of a line; a blank line ends the header
    remaining = body_lines
    pending_cr = False  # the header ended with "\r" at a chunk's end: its "\n" comes next
    for chunk in chunks:
        start = 0
        if in_header:
            end = _header_end(chunk, previous_lf, pending_cr)
            if end < 0:
                previous_lf = chunk.endswith(b"\n")
                pending_cr = previous_lf is False and chunk.endswith(b"\r") and _line_is_cr(chunk)
                yield chunk
                continue
            yield chunk[:end]
            in_header = False
            start = end
        if remaining <= 0:
            return
        pos = start
        while remaining > 0:
            nl = chunk.find(b"\n", pos)
            if nl < 0:
                break
            remaining -= 1
            pos = nl + 1
        if remaining <= 0:
            yield chunk[start:pos]
            return
        yield chunk[start:]


def _line_is_cr(chunk: bytes) -> bool:
    """The chunk ends with a line holding only "\\r" (a CRLF blank line split before its LF)."""
    return chunk == b"\r" or chunk.endswith(b"\n\r")


def _header_end(chunk: bytes, previous_lf: bool, pending_cr: bool) -> int:
    """Offset just past the blank line ending the header in ``chunk``, or -1 if it is not in it."""
    if pending_cr and chunk.startswith(b"\n"):
        return 1
    if previous_lf:
        if chunk.startswith(b"\r\n"):
            return 2
        if chunk.startswith(b"\n"):
            return 1
    best = -1
    for blank in (b"\n\r\n", b"\n\n"):
        found = chunk.find(blank)
        if found >= 0 and (best < 0 or found + len(blank) < best):
            best = found + len(blank)
    return best
