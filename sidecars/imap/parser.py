"""IMAP command syntax (RFC 3501 9, pure): a framed command line -> a frozen :class:`Command`.

The tokenizer (:mod:`sidecars.imap.tokens`) turns the text between literals into atoms, quoted strings,
literals and parenthesised lists; per-command argument parsers (FETCH, SEARCH, STORE... in
:mod:`sidecars.imap.grammar`) turn the tokens into typed values. Every syntax problem raises
:class:`~sidecars.imap.tokens.ParseError`, which the session answers with a tagged BAD; nothing else is
raised for any input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sidecars.imap import grammar
from sidecars.imap.reader import CommandLine
from sidecars.imap.tokens import Atom, ParseError, Token, Tokens, tokenize


@dataclass(frozen=True)
class Command:
    tag: str
    name: str  # upper-case; "UID FETCH" etc. for UID commands
    args: tuple[Token, ...]
    spec: Any = None  # the typed arguments, from the command's grammar


def parse_command(line: CommandLine) -> Command:
    """Tag, name and typed arguments of one command line.

    Raises:
        ParseError: any syntax error (with the tag when it could be read).
    """
    first = line.texts[0]
    tag = "*"
    try:
        tokens = tokenize(line)
        if not tokens or not isinstance(tokens[0], Atom):
            raise ParseError("missing tag")
        tag = tokens[0].value
        if not _valid_tag(tag):
            tag = "*"
            raise ParseError("invalid tag")
        if len(tokens) < 2 or not isinstance(tokens[1], Atom):
            raise ParseError("missing command name")
        name = tokens[1].value.upper()
        rest = tokens[2:]
        if name == "UID":
            if not rest or not isinstance(rest[0], Atom):
                raise ParseError(
                    "UID needs a command: COPY, MOVE, FETCH, SEARCH, SORT, THREAD, STORE or EXPUNGE"
                )
            name = "UID " + rest[0].value.upper()
            rest = rest[1:]
        spec = grammar.parse_args(name, Tokens(list(rest)))
        return Command(tag, name, tuple(rest), spec)
    except ParseError as exc:
        exc.tag = tag if tag != "*" else _guess_tag(first)
        raise
    except (ValueError, IndexError, OverflowError) as exc:  # a grammar bug must still be a BAD
        raise ParseError(f"syntax error: {exc}", tag) from None


def _valid_tag(tag: str) -> bool:
    return bool(tag) and len(tag) <= 64 and all(33 <= ord(c) < 127 and c not in '(){%*"\\+' for c in tag)


def _guess_tag(first: bytes) -> str:
    tag = first.split(b" ", 1)[0].decode("ascii", "replace")
    return tag if _valid_tag(tag) else "*"
