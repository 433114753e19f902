"""IMAP command tokens (RFC 3501 9, pure): the text between literals -> atoms, quoted strings, literals and
parenthesised lists, and the small readers the per-command grammars share (``Tokens``, ``astring``,
``number``, ``flag_name``...). Every syntax problem raises :class:`ParseError`.

Kept apart from ``parser.py``, which turns a whole command line into a ``Command`` through the
grammars: the grammars need these tokens, and the parser needs the grammars.

Implementation notes:
- Atoms are read leniently: any run of bytes other than SP, parentheses, DQUOTE and CTLs. "[" and
  "]" are ordinary atom characters (RFC 3501 9 ATOM-CHAR, ASTRING-CHAR), except that after a FETCH
  section item's name (BODY, BODY.PEEK, BINARY...) a ``[...]`` part is read as a whole, so
  ``BODY[HEADER.FIELDS (FROM TO)]<0.100>`` is one atom for the FETCH grammar to take apart.
- Quoted strings accept UTF-8 (RFC 6855 allows it once UTF8=ACCEPT is enabled; refusing it before
  would break clients that send UTF-8 search strings with CHARSET UTF-8).
- Nesting of parenthesised lists is capped at ``MAX_DEPTH``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sidecars.imap.reader import CommandLine, Literal

MAX_DEPTH = 32
MAX_TOKENS = 100_000


class ParseError(ValueError):
    """Bad command syntax; ``tag`` is the command's tag when it could be read, else "*"."""

    def __init__(self, text: str, tag: str = "*") -> None:
        super().__init__(text)
        self.text = text
        self.tag = tag


@dataclass(frozen=True)
class Atom:
    value: str

    def upper(self) -> str:
        return self.value.upper()


@dataclass(frozen=True)
class String:
    """A quoted string or a literal; ``literal`` keeps a large one unread (APPEND)."""

    value: bytes
    literal: Literal | None = field(default=None, compare=False)

    def text(self) -> str:
        return self.value.decode("utf-8", "replace")


Token = Atom | String | tuple[Any, ...]


class Tokens:
    """A cursor over one command's tokens."""

    def __init__(self, items: list[Token]) -> None:
        self.items = items
        self.pos = 0

    def more(self) -> bool:
        return self.pos < len(self.items)

    def peek(self) -> Token | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self, what: str) -> Token:
        if self.pos >= len(self.items):
            raise ParseError(f"missing {what}")
        item = self.items[self.pos]
        self.pos += 1
        return item

    def atom(self, what: str) -> str:
        item = self.next(what)
        if not isinstance(item, Atom):
            raise ParseError(f"expected {what}")
        return item.value

    def astring(self, what: str) -> str:
        item = self.next(what)
        return astring(item, what)

    def string_bytes(self, what: str) -> bytes:
        item = self.next(what)
        if isinstance(item, String):
            return item.value
        if isinstance(item, Atom):
            return item.value.encode()
        raise ParseError(f"expected {what}")

    def number(self, what: str, *, nz: bool = False, big: bool = False) -> int:
        return number(self.atom(what), what, nz=nz, big=big)

    def list(self, what: str) -> tuple[Any, ...]:
        item = self.next(what)
        if not isinstance(item, tuple):
            raise ParseError(f"expected a parenthesised list of {what}")
        return item

    def end(self) -> None:
        if self.more():
            raise ParseError("unexpected extra arguments")


def astring(item: Token, what: str) -> str:
    if isinstance(item, String):
        if item.literal is not None and item.literal.size > 1024 * 1024:
            raise ParseError(f"{what} is longer than 1 MiB")
        try:
            return item.value.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(f"{what} is not valid UTF-8") from None
    if isinstance(item, Atom):
        return item.value
    raise ParseError(f"expected {what}, not a list")


def number(text: str, what: str, *, nz: bool = False, big: bool = False) -> int:
    """RFC 3501 number (32-bit) or RFC 7162 mod-sequence-value (63-bit) with ``big``."""
    limit = (1 << 63) - 1 if big else (1 << 32) - 1
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise ParseError(f"{what} must be a number")
    value = int(text)
    if value > limit or (nz and value == 0):
        raise ParseError(f"{what} is out of range")
    return value


_SPECIALS = b' ()"\r\n'


def tokenize(line: CommandLine) -> list[Token]:
    """All tokens of a command (tag and command name included)."""
    stack: list[list[Token]] = [[]]
    count = 0
    for index, text in enumerate(line.texts):
        literal8 = index < len(line.literals) and text.endswith(b"~")
        if literal8:
            text = text[:-1]
        pos, size = 0, len(text)
        while pos < size:
            c = text[pos]
            if c == 0x20:
                pos += 1
                continue
            count += 1
            if count > MAX_TOKENS:
                raise ParseError("too many arguments")
            if c == 0x28:  # (
                if len(stack) > MAX_DEPTH:
                    raise ParseError(f"lists nested deeper than {MAX_DEPTH} levels")
                stack.append([])
                pos += 1
            elif c == 0x29:  # )
                if len(stack) == 1:
                    raise ParseError("unbalanced ')'")
                done = stack.pop()
                stack[-1].append(tuple(done))
                pos += 1
            elif c == 0x22:  # "
                value, pos = _quoted(text, pos + 1)
                stack[-1].append(String(value))
            elif c < 0x20 or c == 0x7F:
                raise ParseError("control character in command")
            else:
                value_b, pos = _atom(text, pos)
                stack[-1].append(Atom(value_b.decode("utf-8", "replace")))
        if index < len(line.literals):
            literal = line.literals[index]
            big = literal.size > 1024 * 1024
            value = b"" if big else literal.read()
            if b"\x00" in value and not literal8:
                raise ParseError("NUL is not allowed in a literal (RFC 3501 9 CHAR8)")
            stack[-1].append(String(value, literal))
    if len(stack) != 1:
        raise ParseError("unbalanced '('")
    return stack[0]


def _quoted(text: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    size = len(text)
    while pos < size:
        c = text[pos]
        if c == 0x22:
            return bytes(out), pos + 1
        if c == 0x5C:  # backslash: only \\ and \" are defined
            if pos + 1 >= size or text[pos + 1] not in b'"\\':
                raise ParseError("bad escape in quoted string")
            out.append(text[pos + 1])
            pos += 2
            continue
        if c in (0x0D, 0x0A, 0):
            raise ParseError("CR, LF or NUL in quoted string")
        out.append(c)
        pos += 1
    raise ParseError("unterminated quoted string")


#: The FETCH items whose "[section]" may hold spaces and parentheses (RFC 3501 9 section, RFC 3516).
_SECTION_ITEMS = frozenset({b"BODY", b"BODY.PEEK", b"BINARY", b"BINARY.PEEK", b"BINARY.SIZE"})


def _atom(text: bytes, pos: int) -> tuple[bytes, int]:
    """An atom, or a FETCH section item (``BODY[HEADER.FIELDS (A B)]<0.10>``) read as one token.

    RFC 3501 9: "[" is an ATOM-CHAR and "]" an ASTRING-CHAR, so anywhere else they are ordinary
    characters (``SELECT a[b`` names the mailbox "a[b"); brackets group only right after a section
    item's name, and a "[" there that is never closed is an ordinary character too."""
    start, size = pos, len(text)
    while pos < size:
        c = text[pos]
        if c == 0x5B and text[start:pos].upper() in _SECTION_ITEMS:  # [
            end = _section_end(text, pos + 1)
            if end is not None:
                pos = end
                continue
        if c in _SPECIALS:
            break
        if c < 0x20 or c == 0x7F:
            raise ParseError("control character in command")
        pos += 1
    return text[start:pos], pos


def _section_end(text: bytes, pos: int) -> int | None:
    """The position after the "]" closing a section opened just before ``pos``, or None."""
    depth, size = 1, len(text)
    while pos < size:
        c = text[pos]
        if c == 0x5B:
            depth += 1
        elif c == 0x5D:
            depth -= 1
            if not depth:
                return pos + 1
        elif c < 0x20 or c == 0x7F:
            raise ParseError("control character in command")
        elif c == 0x22:  # a quoted string inside brackets: keep it whole
            try:
                _, pos = _quoted(text, pos + 1)
            except ParseError:
                return None
            continue
        pos += 1
    return None


def upper_atom(item: Any, what: str) -> str:
    if not isinstance(item, Atom):
        raise ParseError(f"expected {what}")
    return item.upper()


def flag_name(item: Any) -> str:
    """A flag or keyword (RFC 3501 flag); system flags keep the case the client gave."""
    if not isinstance(item, Atom) or not item.value:
        raise ParseError("flags are atoms such as \\Seen or $Label1")
    value = item.value
    if value.startswith("\\"):
        if not value[1:].isascii() or not value[1:].replace("-", "").isalnum():
            raise ParseError(f"invalid flag {value}")
    elif any(c in value for c in '(){%*"\\]') or not value.isascii():
        raise ParseError(f"invalid keyword {value}")
    elif value.upper() == "NIL":
        # RFC 3501 4.5: NIL stands for a missing value; clients read "FLAGS (NIL)" as no keyword at all
        raise ParseError("NIL is not a keyword (RFC 3501 4.5: NIL means no value)")
    return value
