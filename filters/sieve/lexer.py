"""Sieve tokens (RFC 5228 2.1-2.4, 8.1): text -> a list of ``Token`` with 1-based line and column.

Implementation notes:

* One compiled regular expression per token class, tried at the current offset; the lexer never
  backtracks and runs in time linear in the input, so hostile input cannot make it hang.
* Quoted strings: ``\\\\`` and ``\\"`` are the escapes; any other backslash drops itself (RFC 5228 2.4.2).
* ``text:`` multi-line strings end at a line holding a single ``.``; a leading ``..`` loses one dot
  (dot-stuffing). CRLF and bare LF are both accepted as line ends.
* Numbers take the ``K``/``M``/``G`` quantifiers (2^10, 2^20, 2^30); values beyond 2^63-1 are errors.
* Errors are ``SieveError("syntax", line, column, ...)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from filters import SieveError

IDENT: Final = "identifier"
TAG: Final = "tag"
NUMBER: Final = "number"
STRING: Final = "string"
PUNCT: Final = "punct"  # value is one of [ ] ( ) { } , ;
EOF: Final = "eof"

MAX_NUMBER: Final = 2**63 - 1
_QUANTIFIERS: Final = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}

_WHITESPACE = re.compile(r"[ \t\r\n]+")
_HASH_COMMENT = re.compile(r"#[^\n]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"([0-9]+)([KMGkmg]?)")
_QUOTED_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# after "text:": optional spaces/tabs, optional hash comment, then the line end
_TEXT_HEAD = re.compile(r"[ \t]*(?:#[^\n]*)?\r?\n")
_TEXT_END = re.compile(r"^\.\r?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: str | int
    line: int
    column: int


class _Position:
    """Maps offsets to (line, column) incrementally; offsets only grow."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0

    def at(self, offset: int) -> tuple[int, int]:
        if offset < self.offset:  # not expected, but stay correct
            self.offset, self.line, self.line_start = 0, 1, 0
        newlines = self.text.count("\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.offset, offset) + 1
        self.offset = offset
        return self.line, offset - self.line_start + 1


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one ``EOF`` token.

    Raises:
        SieveError: kind ``syntax`` at the offending character.
    """
    tokens: list[Token] = []
    pos = _Position(text)
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            m = _WHITESPACE.match(text, i)
            assert m is not None
            i = m.end()
            continue
        if c == "#":
            m = _HASH_COMMENT.match(text, i)
            assert m is not None
            i = m.end()
            continue
        line, col = pos.at(i)
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise SieveError("syntax", line, col, "unterminated /* comment")
            i = end + 2
            continue
        if c in "[](){},;":
            tokens.append(Token(PUNCT, c, line, col))
            i += 1
            continue
        if c == '"':
            m = _QUOTED_BODY.match(text, i + 1)
            assert m is not None
            if m.end() >= n:
                raise SieveError("syntax", line, col, "unterminated quoted string")
            tokens.append(Token(STRING, _ESCAPE.sub(r"\1", m.group()), line, col))
            i = m.end() + 1
            continue
        if c == ":":
            m = _IDENTIFIER.match(text, i + 1)
            if m is None:
                raise SieveError("syntax", line, col, "':' must start a tag such as :is")
            tokens.append(Token(TAG, m.group().lower(), line, col))
            i = m.end()
            continue
        if c.isascii() and c.isdigit():
            m = _NUMBER.match(text, i)
            assert m is not None
            value = int(m.group(1)) * _QUANTIFIERS[m.group(2).upper()]
            if value > MAX_NUMBER:
                raise SieveError("syntax", line, col, "number too large")
            tokens.append(Token(NUMBER, value, line, col))
            i = m.end()
            if i < n and (text[i].isalnum() or text[i] == "_"):
                raise SieveError("syntax", *pos.at(i), f"unexpected {text[i]!r} after a number")
            continue
        m = _IDENTIFIER.match(text, i)
        if m is not None:
            word = m.group()
            if word.lower() == "text" and text.startswith(":", m.end()):
                body, i = _multiline(text, m.end() + 1, line, col)
                tokens.append(Token(STRING, body, line, col))
                continue
            tokens.append(Token(IDENT, word.lower(), line, col))
            i = m.end()
            continue
        raise SieveError("syntax", line, col, f"unexpected character {c!r}")
    line, col = pos.at(n)
    tokens.append(Token(EOF, "", line, col))
    return tokens


def _multiline(text: str, start: int, line: int, col: int) -> tuple[str, int]:
    """The body of a ``text:`` string starting after the colon; returns (value, offset after it)."""
    head = _TEXT_HEAD.match(text, start)
    if head is None:
        raise SieveError("syntax", line, col, "text: must be followed by the end of the line")
    body_start = head.end()
    end = _TEXT_END.search(text, body_start)
    if end is None:
        raise SieveError("syntax", line, col, "unterminated text: string (no line with a single '.')")
    body = text[body_start : end.start()]
    lines = body.split("\n")
    stuffed = [ln[1:] if ln.startswith("..") else ln for ln in lines]
    after = end.end()
    if after < len(text) and text[after] == "\n":
        after += 1
    return "\n".join(stuffed), after
