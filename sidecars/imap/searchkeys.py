"""SEARCH keys (RFC 3501 6.4.4 and 9), ESEARCH return options (RFC 4731), SORT and THREAD
arguments (RFC 5256), MODSEQ (RFC 7162 3.1.5) and "$" (RFC 5182).

A key is a :class:`Key` node: ``Key("OR", (a, b))``, ``Key("FROM", ("alice",))``,
``Key("SINCE", (date,))``... The top level of a command is an implicit AND.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sidecars.imap.sequence import parse_sequence
from sidecars.imap.tokens import Atom, ParseError, String, Tokens, astring, flag_name

MAX_DEPTH = 64
NO_ARG = {
    "ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "NEW", "OLD", "RECENT", "SEEN",
    "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN",
}  # fmt: skip
STRING_ARG = {"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"}
DATE_ARG = {"BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"}
RETURN_OPTIONS = {"MIN", "MAX", "ALL", "COUNT", "SAVE"}
SORT_KEYS = {"ARRIVAL", "CC", "DATE", "FROM", "REVERSE", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}
THREAD_ALGORITHMS = {"REFERENCES", "ORDEREDSUBJECT"}
CHARSETS = {"UTF-8", "US-ASCII"}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class Key:
    op: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SearchSpec:
    uid: bool
    key: Key  # an AND of the command's keys
    returns: frozenset[str] | None  # None: plain SEARCH reply; else ESEARCH (RFC 4731)
    charset: str = "UTF-8"


@dataclass(frozen=True)
class SortSpec:
    uid: bool
    criteria: tuple[str, ...]
    key: Key


@dataclass(frozen=True)
class ThreadSpec:
    uid: bool
    algorithm: str
    key: Key


class BadCharset(ParseError):
    """RFC 3501 6.4.4: an unsupported charset gets NO [BADCHARSET (...)], not BAD."""


def parse_search(t: Tokens, *, uid: bool) -> SearchSpec:
    returns: frozenset[str] | None = None
    first = t.peek()
    if isinstance(first, Atom) and first.upper() == "RETURN":
        t.next("RETURN")
        opts = {_atom(x, "return option") for x in t.list("return options")}
        unknown = opts - RETURN_OPTIONS
        if unknown:
            raise ParseError(f"unknown SEARCH return option {sorted(unknown)[0]}")
        returns = frozenset(opts or {"ALL"})
    charset = _charset(t, optional=True)
    return SearchSpec(uid, _keys(t), returns, charset)


def parse_sort(t: Tokens, *, uid: bool) -> SortSpec:
    # RFC 5256 3: SORT (sort-criteria) charset search-keys
    raw = [_atom(x, "sort criterion") for x in t.list("sort criteria")]
    if not raw:
        raise ParseError("empty sort criteria")
    for i, c in enumerate(raw):
        if c not in SORT_KEYS:
            raise ParseError(f"unknown sort criterion {c}")
        if c == "REVERSE" and (i + 1 == len(raw) or raw[i + 1] == "REVERSE"):
            raise ParseError("REVERSE must precede a sort key")
    charset = _charset(t, optional=False)
    del charset
    return SortSpec(uid, tuple(raw), _keys(t))


def parse_thread(t: Tokens, *, uid: bool) -> ThreadSpec:
    algorithm = t.atom("threading algorithm").upper()
    if algorithm not in THREAD_ALGORITHMS:
        raise ParseError(
            f"unknown threading algorithm {algorithm[:30]} (REFERENCES and ORDEREDSUBJECT exist)"
        )
    _charset(t, optional=False)
    return ThreadSpec(uid, algorithm, _keys(t))


def _charset(t: Tokens, *, optional: bool) -> str:
    if optional:
        first = t.peek()
        if not (isinstance(first, Atom) and first.upper() == "CHARSET"):
            return "UTF-8"
        t.next("CHARSET")
    name = t.astring("charset").upper()
    if name not in CHARSETS:
        raise BadCharset(f"charset {name[:40]} is not supported")
    return name


def _keys(t: Tokens) -> Key:
    keys = []
    while t.more():
        keys.append(_key(t, 0))
    if not keys:
        raise ParseError("missing search key")
    return keys[0] if len(keys) == 1 else Key("AND", tuple(keys))


def _key(t: Tokens, depth: int) -> Key:
    if depth > MAX_DEPTH:
        raise ParseError(f"search keys nested deeper than {MAX_DEPTH} levels")
    item = t.next("search key")
    if isinstance(item, tuple):
        inner = Tokens(list(item))
        keys = []
        while inner.more():
            keys.append(_key(inner, depth + 1))
        if not keys:
            raise ParseError("empty parenthesised search key")
        return keys[0] if len(keys) == 1 else Key("AND", tuple(keys))
    if not isinstance(item, Atom):
        raise ParseError("expected a search key")
    name = item.upper()
    if name in NO_ARG:
        return Key(name)
    if name in STRING_ARG:
        return Key(name, (_string(t, name),))
    if name in DATE_ARG:
        return Key(name, (_date(t.next(f"{name} date")),))
    if name == "HEADER":
        field = t.astring("header field name")
        if not field or any(c <= " " or c == ":" for c in field):
            raise ParseError("invalid header field name")
        return Key(name, (field, _string(t, name)))
    if name in ("KEYWORD", "UNKEYWORD"):
        return Key(name, (flag_name(t.next("keyword")),))
    if name in ("LARGER", "SMALLER"):
        return Key(name, (t.number(f"{name} size", big=True),))
    if name == "NOT":
        return Key(name, (_key(t, depth + 1),))
    if name == "OR":
        return Key(name, (_key(t, depth + 1), _key(t, depth + 1)))
    if name == "UID":
        return Key(name, (parse_sequence(t.atom("UID set")),))
    if name == "MODSEQ":
        # RFC 7162 3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer
        if isinstance(t.peek(), String):
            t.next("entry name")
            kind = t.atom("entry type").lower()
            if kind not in ("priv", "shared", "all"):
                raise ParseError("MODSEQ entry type is priv, shared or all")
        return Key(name, (t.number("mod-sequence", big=True),))
    if name[:1].isdigit() or name[:1] in "*$":
        return Key("SEQ", (parse_sequence(item.value),))
    raise ParseError(f"unknown search key {name[:40]}")


def _string(t: Tokens, name: str) -> str:
    return astring(t.next(f"{name} string"), f"{name} string")


def _atom(item: Any, what: str) -> str:
    if not isinstance(item, Atom):
        raise ParseError(f"expected {what}")
    return item.upper()


def _date(item: Any) -> date:
    # RFC 3501 date: 1*2DIGIT "-" date-month "-" 4DIGIT, optionally quoted
    text = item.value if isinstance(item, Atom) else item.text() if isinstance(item, String) else ""
    try:
        day, month, year = text.split("-")
        if not (1 <= len(day) <= 2 and len(year) == 4):
            raise ValueError(text)
        return date(int(year), _MONTHS.index(month.upper()) + 1, int(day))
    except ValueError:
        raise ParseError(f"invalid date {text[:30]!r}; expected like 1-Feb-1994") from None


def uses(key: Key, ops: set[str]) -> bool:
    """Whether any node of the tree is one of ``ops``."""
    if key.op in ops:
        return True
    return any(isinstance(a, Key) and uses(a, ops) for a in key.args)
