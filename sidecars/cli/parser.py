"""The administrator's text console (port 7000): lines in, words and parameters out, replies back.

Pure functions and small value types; no sockets, no storage, no gevent, so the whole grammar can be
fuzzed. The wire format:

* one command per line, ended by LF (a CR before it is dropped); lines longer than ``MAX_LINE`` octets
  are refused whole (the reader skips to the next LF and reports :class:`TooLong` once);
* a command is words separated by spaces or tabs; a word may be written in double quotes to hold spaces,
  with ``\\"`` and ``\\\\`` inside; command words and parameter names are case-insensitive;
* parameters are ``name value`` pairs after the command words (``ADD ACCOUNT name bob password s3cret``);
* replies end with ``+OK: text`` or ``-ERR: reason``; a listing is an aligned table above the ``+OK``
  line; then the prompt of the current context (``<#> ``, ``<domain#> ``...) without a line end, which
  is how a script knows the server waits for its next command.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_LINE = 8 * 1024
MAX_WORDS = 64
#: a shown value longer than this is cut (the table stays readable; SHOW name gives the whole value)
MAX_CELL = 200


class ParseError(ValueError):
    """A line that is not a command: the message says what is wrong with it."""


@dataclass(frozen=True)
class TooLong:
    """A line longer than ``MAX_LINE`` octets was skipped."""

    length: int


class LineReader:
    """Whole lines from bytes in any chunking; an over-long line is dropped and reported once."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self.buffer = b""
        self.skipping = 0  # octets of an over-long line dropped so far (0: not skipping)

    def feed(self, data: bytes) -> list[bytes | TooLong]:
        out: list[bytes | TooLong] = []
        self.buffer += data
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if self.skipping:
                    self.skipping += len(self.buffer)
                    self.buffer = b""
                elif len(self.buffer) > self.max_line:
                    self.skipping = len(self.buffer)
                    self.buffer = b""
                return out
            line, self.buffer = self.buffer[:end], self.buffer[end + 1 :]
            if self.skipping:
                out.append(TooLong(self.skipping + len(line)))
                self.skipping = 0
                continue
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_line:
                out.append(TooLong(len(line)))
                continue
            out.append(line)


def decode(line: bytes) -> str:
    """The line as text.

    Raises:
        ParseError: not UTF-8, or it holds control characters (other than tab).
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("the line is not valid UTF-8") from None
    if any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in text):
        raise ParseError("control characters are not allowed")
    return text


def words(text: str) -> list[str]:
    """Split a line into words; double quotes group, backslash escapes ``"`` and ``\\`` inside them.

    Raises:
        ParseError: an unterminated quote, a bad escape, or more than ``MAX_WORDS`` words.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return out
        if len(out) >= MAX_WORDS:
            raise ParseError(f"more than {MAX_WORDS} words")
        if text[i] == '"':
            i += 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise ParseError("unterminated quoted string")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    if i + 1 >= n or text[i + 1] not in '"\\':
                        raise ParseError('only \\" and \\\\ may follow a backslash in quotes')
                    chars.append(text[i + 1])
                    i += 2
                    continue
                chars.append(c)
                i += 1
            if i < n and text[i] not in " \t":
                raise ParseError("a quoted string must be followed by a space")
            out.append("".join(chars))
        else:
            start = i
            while i < n and text[i] not in " \t":
                if text[i] == '"':
                    raise ParseError("a quote may only start a word")
                i += 1
            out.append(text[start:i])


def quote(value: str) -> str:
    """``value`` as one word: bare when it can be, else in double quotes (``words`` reads it back)."""
    if value and not any(c in value for c in ' \t"\\'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parameters(
    given: Sequence[str], required: Iterable[str] = (), optional: Iterable[str] = ()
) -> dict[str, str]:
    """``["name", "bob", "password", "x"]`` -> ``{"name": "bob", "password": "x"}`` (names lower-cased).

    Raises:
        ParseError: a name without a value, an unknown or repeated name, or a required one missing.
    """
    wanted = {name.lower(): name for name in (*required, *optional)}
    out: dict[str, str] = {}
    if len(given) % 2:
        raise ParseError(f"parameter {given[-1][:40]!r} has no value")
    for key, value in zip(given[::2], given[1::2], strict=True):
        name = key.lower()
        if name not in wanted:
            allowed = ", ".join(wanted.values()) or "none"
            raise ParseError(f"unknown parameter {key[:40]!r} (parameters: {allowed})")
        if name in out:
            raise ParseError(f"parameter {wanted[name]} given twice")
        out[name] = value
    missing = [name for name in required if name.lower() not in out]
    if missing:
        raise ParseError(f"missing parameter {missing[0]}")
    return out


# -- replies --------------------------------------------------------------------------------------------


def printable(value: str) -> str:
    """A value fit for one reply line: control characters shown as escapes, so stored text can never
    end a line early or forge a ``+OK``."""
    if all(32 <= ord(c) != 127 for c in value):
        return value
    return "".join(c if 32 <= ord(c) != 127 else repr(c)[1:-1] for c in value)


def ok(text: str) -> bytes:
    return f"+OK: {printable(text)}\r\n".encode()


def err(text: str) -> bytes:
    return f"-ERR: {printable(text)}\r\n".encode()


def prompt(path: Sequence[str]) -> bytes:
    """The prompt of a context path: ``<#> `` at the top, ``<domain#> ``, ``<domain-account#> ``..."""
    return f"<{'-'.join(path)}#> ".encode()


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """An aligned table: a header line, a line of dashes, one line per row (cells cut at ``MAX_CELL``;
    the last column is not padded)."""
    cells = [[_cell(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    out = []
    for index, row in enumerate(cells):
        padded = [c.ljust(widths[i]) for i, c in enumerate(row[:-1])] + [row[-1]]
        out.append(_safe("  ".join(padded).rstrip()))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "".join(line + "\r\n" for line in out).encode()


def lines(texts: Iterable[str]) -> bytes:
    """Free text lines above a reply (help, details), each made printable."""
    return "".join(_safe(printable(t)) + "\r\n" for t in texts).encode()


def _safe(line: str) -> str:
    """A body line never reads as a reply or a prompt: one that would is indented by a space."""
    return " " + line if line.startswith(("+OK", "-ERR", "<")) else line


def _cell(value: str) -> str:
    value = printable(value)
    return value if len(value) <= MAX_CELL else value[: MAX_CELL - 3] + "..."
