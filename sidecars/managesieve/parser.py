"""ManageSieve wire format (RFC 5804 section 4), pure: bytes -> lines of tokens, responses -> bytes.

Implementation notes:
- ``Reader.feed`` takes bytes in any chunking and returns what became complete: a ``Line`` (tokens of
  one command or one SASL response) or a ``Bad`` (the line was wrong; it has been skipped).
- Tokens: ``Atom`` (command names, numbers, ``*``) and ``String`` (quoted, or a literal ``{n}`` /
  ``{n+}``; both forms are accepted from clients and no continuation is sent, RFC 5804 4).
- Limits: a line (outside literals) longer than ``max_line`` is ``fatal`` (the session says BYE);
  a literal longer than ``max_literal`` is skipped unread and reported as ``too_large``.
- Strings are UTF-8 (RFC 5804 1.6 / 4); invalid UTF-8 is a ``Bad`` line.
"""

from __future__ import annotations

from dataclasses import dataclass

CRLF = b"\r\n"
_ATOM_STOP = frozenset(b' "{}()\r\n\\')


@dataclass(frozen=True)
class Atom:
    value: str


@dataclass(frozen=True)
class String:
    value: str
    literal: bool = False


Token = Atom | String


@dataclass(frozen=True)
class Line:
    tokens: tuple[Token, ...]


@dataclass(frozen=True)
class Bad:
    reason: str
    fatal: bool = False  # the stream cannot be resynchronised safely: close
    too_large: bool = False  # a literal over the limit (RFC 5804: QUOTA/MAXSIZE)


class _Incomplete(Exception):
    """More bytes are needed."""


class _Syntax(Exception):
    pass


class _TooLarge(Exception):
    def __init__(self, size: int, end: int) -> None:
        super().__init__(size)
        self.size = size
        self.end = end  # offset just after the literal's "}\r\n"


def _parse_line(buf: bytes, max_literal: int) -> tuple[tuple[Token, ...], int]:
    """Tokens of the first complete line in ``buf`` and the offset after its CRLF."""
    tokens: list[Token] = []
    pos = 0
    n = len(buf)
    while True:
        if pos >= n:
            raise _Incomplete
        c = buf[pos]
        if c == 0x0D:
            if pos + 1 >= n:
                raise _Incomplete
            if buf[pos + 1] != 0x0A:
                raise _Syntax("bare CR")
            return tuple(tokens), pos + 2
        if c == 0x20:
            pos += 1
            continue
        if c == 0x0A:
            raise _Syntax("bare LF")
        if c == 0x22:  # quoted
            out = bytearray()
            pos += 1
            while True:
                if pos >= n:
                    raise _Incomplete
                c = buf[pos]
                if c == 0x22:
                    pos += 1
                    break
                if c in (0x0D, 0x0A, 0x00):
                    raise _Syntax("CR, LF or NUL in a quoted string")
                if c == 0x5C:
                    if pos + 1 >= n:
                        raise _Incomplete
                    nxt = buf[pos + 1]
                    if nxt not in (0x22, 0x5C):
                        raise _Syntax('only \\\\ and \\" may be escaped in a quoted string')
                    out.append(nxt)
                    pos += 2
                    continue
                out.append(c)
                pos += 1
            tokens.append(String(_utf8(bytes(out))))
        elif c == 0x7B:  # literal {n} or {n+}
            close = buf.find(b"}", pos)
            if close < 0:
                if n - pos > 24:
                    raise _Syntax("bad literal length")
                raise _Incomplete
            spec = buf[pos + 1 : close]
            if spec.endswith(b"+"):
                spec = spec[:-1]
            if not spec or not spec.isdigit() or len(spec) > 12:
                raise _Syntax("bad literal length")
            size = int(spec)
            if n < close + 3:
                raise _Incomplete
            if buf[close + 1 : close + 3] != CRLF:
                raise _Syntax("a literal length must be followed by CRLF")
            start = close + 3
            if size > max_literal:
                raise _TooLarge(size, start)
            if n < start + size:
                raise _Incomplete
            tokens.append(String(_utf8(buf[start : start + size]), literal=True))
            pos = start + size
        else:
            end = pos
            while end < n and buf[end] not in _ATOM_STOP and buf[end] >= 0x20 and buf[end] != 0x7F:
                end += 1
            if end == pos:
                raise _Syntax(f"unexpected character {chr(c)!r}")
            if end >= n:
                raise _Incomplete
            tokens.append(Atom(buf[pos:end].decode("ascii", "replace")))
            pos = end
        if pos < n and buf[pos] not in (0x20, 0x0D):
            raise _Syntax("tokens must be separated by a space")


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Syntax("strings must be UTF-8") from exc


class Reader:
    """Incremental splitter of client bytes into lines of tokens."""

    def __init__(self, max_line: int, max_literal: int) -> None:
        self.max_line = max_line
        self.max_literal = max_literal
        self._buf = b""
        self._skip = 0  # octets of an oversized literal still to drop
        self._to_eol = False  # drop up to the next CRLF (after an error)
        self._dead = False

    def feed(self, data: bytes) -> list[Line | Bad]:
        if self._dead:
            return []
        self._buf += data
        out: list[Line | Bad] = []
        while self._buf:
            if self._skip:
                dropped = min(self._skip, len(self._buf))
                self._buf = self._buf[dropped:]
                self._skip -= dropped
                continue
            if self._to_eol:
                end = self._buf.find(CRLF)
                if end < 0:
                    self._buf = self._buf[-1:] if self._buf.endswith(b"\r") else b""
                    break
                self._buf = self._buf[end + 2 :]
                self._to_eol = False
                continue
            try:
                tokens, used = _parse_line(self._buf, self.max_literal)
            except _Incomplete:
                if self._line_part() > self.max_line:
                    self._dead = True
                    self._buf = b""
                    out.append(Bad(f"line longer than {self.max_line} octets", fatal=True))
                break
            except _TooLarge as big:
                self._buf = self._buf[big.end :]
                self._skip = big.size
                self._to_eol = True
                out.append(Bad(f"literal of {big.size} octets exceeds {self.max_literal}", too_large=True))
                continue
            except _Syntax as exc:
                out.append(Bad(str(exc)))
                self._to_eol = True
                # resume after the offending line's CRLF (a quoted string cannot hide one)
                continue
            self._buf = self._buf[used:]
            out.append(Line(tokens))
        return out

    def _line_part(self) -> int:
        """Octets of the pending line that are not inside literals (approximation: all but literals)."""
        size = len(self._buf)
        pos = 0
        literal_octets = 0
        while True:
            open_ = self._buf.find(b"{", pos)
            if open_ < 0:
                break
            close = self._buf.find(b"}\r\n", open_)
            if close < 0:
                break
            spec = self._buf[open_ + 1 : close].rstrip(b"+")
            if not spec.isdigit() or len(spec) > 12:
                break
            literal_octets += min(int(spec), size - close - 3)
            pos = close + 3 + int(spec)
        return size - literal_octets


# -- responses --------------------------------------------------------------------------------------


def quoted(text: str) -> bytes:
    return b'"' + text.encode("utf-8").replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def literal(text: str) -> bytes:
    data = text.encode("utf-8")
    return b"{%d}\r\n" % len(data) + data


def string(text: str) -> bytes:
    """Quoted when it can be (short, no CR/LF/NUL), else a literal (RFC 5804 4: literal-s2c)."""
    if len(text) <= 1024 and not any(ch in text for ch in "\r\n\0"):
        return quoted(text)
    return literal(text)


def response(kind: str, code: str | None = None, text: str | None = None) -> bytes:
    """``OK``/``NO``/``BYE`` [``(CODE)``] [text] CRLF; ``code`` is sent as given (it may hold strings)."""
    parts = [kind.encode()]
    if code:
        parts.append(b"(" + code.encode("utf-8") + b")")
    if text is not None:
        parts.append(string(text))
    return b" ".join(parts) + CRLF


def capability_lines(capabilities: list[tuple[str, str | None]]) -> bytes:
    out = b""
    for name, value in capabilities:
        out += quoted(name) + (b" " + string(value) if value is not None else b"") + CRLF
    return out
