"""Typed arguments of every IMAP command (RFC 3501 9 and the extensions' ABNF), from tokens.

``parse_args(name, tokens)`` is the one entry point; each command's arguments become a frozen value
the session's handler takes as is. FETCH items live in :mod:`sidecars.imap.fetchitems` and SEARCH keys
in :mod:`sidecars.imap.searchkeys`; this module holds the rest and the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sidecars.imap.fetchitems import parse_fetch
from sidecars.imap.mailboxargs import (
    Create,
    ListArgs,
    Select,
    Status,
    parse_create,
    parse_list,
    parse_lsub,
    parse_select,
    parse_status,
)
from sidecars.imap.searchkeys import parse_search, parse_sort, parse_thread
from sidecars.imap.sequence import SequenceSet, parse_sequence
from sidecars.imap.tokens import Atom, ParseError, String, Tokens, flag_name, number, upper_atom


@dataclass(frozen=True)
class Login:
    user: str
    password: str


@dataclass(frozen=True)
class Authenticate:
    mechanism: str
    initial: bytes | None  # SASL-IR (RFC 4959); b"" for "="


@dataclass(frozen=True)
class MailboxArg:
    mailbox: str


@dataclass(frozen=True)
class Rename:
    old: str
    new: str


@dataclass(frozen=True)
class Append:
    mailbox: str
    flags: tuple[str, ...]
    date: datetime | None
    message: String


@dataclass(frozen=True)
class Store:
    sequence: SequenceSet
    mode: str  # add | remove | replace
    silent: bool
    flags: tuple[str, ...]
    unchanged_since: int | None


@dataclass(frozen=True)
class CopyArgs:
    sequence: SequenceSet
    mailbox: str


@dataclass(frozen=True)
class Sequence:
    sequence: SequenceSet


@dataclass(frozen=True)
class Words:
    words: tuple[str, ...]


@dataclass(frozen=True)
class IdArgs:
    fields: tuple[tuple[str, str | None], ...] | None


@dataclass(frozen=True)
class AclArgs:
    mailbox: str
    identifier: str = ""
    rights: str = ""


@dataclass(frozen=True)
class SetQuota:
    root: str
    limits: tuple[tuple[str, int], ...]


__all__ = ["Create", "ListArgs", "Select", "Status", "flag_name"]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _none(t: Tokens) -> None:
    t.end()


def _login(t: Tokens) -> Login:
    user, password = t.astring("user name"), t.astring("password")
    t.end()
    return Login(user, password)


def _authenticate(t: Tokens) -> Authenticate:
    mech = t.atom("SASL mechanism").upper()
    initial: bytes | None = None
    if t.more():
        initial = t.string_bytes("initial response")
    t.end()
    return Authenticate(mech, initial)


def _mailbox(t: Tokens) -> MailboxArg:
    mailbox = t.astring("mailbox name")
    t.end()
    return MailboxArg(mailbox)


def _rename(t: Tokens) -> Rename:
    old, new = t.astring("mailbox name"), t.astring("new mailbox name")
    t.end()
    return Rename(old, new)


def _append(t: Tokens) -> Append:
    # RFC 3501 6.3.11: APPEND mailbox [flag-list] [date-time] literal
    mailbox = t.astring("mailbox name")
    flags: tuple[str, ...] = ()
    date = None
    if isinstance(t.peek(), tuple):
        flags = tuple(flag_name(f) for f in t.list("flags"))
    nxt = t.peek()
    if isinstance(nxt, String) and nxt.literal is None:
        date = parse_datetime(nxt.value.decode("ascii", "replace"))
        t.next("date")
    message = t.next("message literal")
    if isinstance(message, Atom) and message.upper() == "UTF8":
        # RFC 6855 4: UTF8 (literal8) carries a message with raw UTF-8 header fields
        wrapped = t.next("UTF8 message")
        if not isinstance(wrapped, tuple) or len(wrapped) != 1:
            raise ParseError("UTF8 needs the message as (~{n} literal)")
        message = wrapped[0]
    if not isinstance(message, String) or message.literal is None:
        raise ParseError("APPEND needs the message as a literal")
    t.end()
    return Append(mailbox, flags, date, message)


def _store(t: Tokens) -> Store:
    seq = parse_sequence(t.atom("sequence set"))
    unchanged = None
    if isinstance(t.peek(), tuple):
        mods = list(t.list("STORE modifiers"))
        if (
            len(mods) != 2
            or upper_atom(mods[0], "modifier") != "UNCHANGEDSINCE"
            or not isinstance(mods[1], Atom)
        ):
            raise ParseError("the only STORE modifier is UNCHANGEDSINCE n (RFC 7162)")
        unchanged = number(mods[1].value, "UNCHANGEDSINCE", big=True)
    op = t.atom("FLAGS, +FLAGS or -FLAGS").upper()
    silent = op.endswith(".SILENT")
    base = op.removesuffix(".SILENT")
    modes = {"FLAGS": "replace", "+FLAGS": "add", "-FLAGS": "remove"}
    if base not in modes:
        raise ParseError("expected FLAGS, +FLAGS or -FLAGS (with optional .SILENT)")
    if isinstance(t.peek(), tuple):
        flags = tuple(flag_name(f) for f in t.list("flags"))
    else:
        flags = tuple(flag_name(t.next("flag")) for _ in range(len(t.items) - t.pos))
        if not flags and modes[base] != "replace":
            raise ParseError("no flags given")
    t.end()
    if any(f.upper() == "\\RECENT" for f in flags):
        raise ParseError("\\Recent cannot be stored")
    return Store(seq, modes[base], silent, flags, unchanged)


def _copy(t: Tokens) -> CopyArgs:
    seq = parse_sequence(t.atom("sequence set"))
    mailbox = t.astring("mailbox name")
    t.end()
    return CopyArgs(seq, mailbox)


def _sequence(t: Tokens) -> Sequence:
    seq = parse_sequence(t.atom("sequence set"))
    t.end()
    return Sequence(seq)


def _enable(t: Tokens) -> Words:
    words = tuple(t.atom("capability").upper() for _ in range(len(t.items)))
    if not words:
        raise ParseError("ENABLE needs at least one capability")
    return Words(words)


def _compress(t: Tokens) -> Words:
    words = (t.atom("compression mechanism").upper(),)
    t.end()
    return Words(words)


def _id(t: Tokens) -> IdArgs:
    # RFC 2971 3.1: "(" field value ... ")" / NIL
    item = t.next("ID parameters")
    t.end()
    if isinstance(item, Atom) and item.upper() == "NIL":
        return IdArgs(None)
    if not isinstance(item, tuple) or len(item) % 2 or len(item) > 60:
        raise ParseError("ID needs NIL or a list of up to 30 field/value pairs")
    fields: list[tuple[str, str | None]] = []
    for i in range(0, len(item), 2):
        key = item[i]
        if not isinstance(key, String):
            raise ParseError("ID field names are strings")
        value = item[i + 1]
        if isinstance(value, Atom) and value.upper() == "NIL":
            fields.append((key.text()[:30], None))
        elif isinstance(value, String):
            fields.append((key.text()[:30], value.text()[:1024]))
        else:
            raise ParseError("ID values are strings or NIL")
    return IdArgs(tuple(fields))


def _acl(count: int) -> Callable[[Tokens], AclArgs]:
    def parse(t: Tokens) -> AclArgs:
        values = [t.astring(what) for what in ("mailbox name", "identifier", "rights")[:count]]
        t.end()
        return AclArgs(*values)

    return parse


def _setquota(t: Tokens) -> SetQuota:
    root = t.astring("quota root")
    items = list(t.list("resource limits"))
    if len(items) % 2:
        raise ParseError("SETQUOTA needs resource/limit pairs")
    limits = []
    for i in range(0, len(items), 2):
        name = upper_atom(items[i], "resource name")
        if not isinstance(items[i + 1], Atom):
            raise ParseError("a quota limit is a number")
        limits.append((name, number(items[i + 1].value, "quota limit", big=True)))
    t.end()
    return SetQuota(root, tuple(limits))


def parse_datetime(text: str) -> datetime:
    """RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded)."""
    try:
        date_part, time_part, zone = text.strip().split(" ") if text[:1] != " " else text[1:].split(" ")
        day, month, year = date_part.split("-")
        mon = MONTHS.index(month.capitalize()) + 1
        hh, mm, ss = (int(x) for x in time_part.split(":"))
        sign = -1 if zone[0] == "-" else 1
        if zone[0] not in "+-" or len(zone) != 5 or not zone[1:].isdigit():
            raise ValueError(zone)
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        value = datetime(int(year), mon, int(day), hh, mm, ss, tzinfo=timezone(offset))
        return value.astimezone(UTC)
    except (ValueError, IndexError):
        raise ParseError(f'invalid date-time {text!r}; expected like "17-Jul-1996 02:44:25 -0700"') from None


PARSERS: dict[str, Callable[[Tokens], Any]] = {
    "CAPABILITY": _none,
    "NOOP": _none,
    "LOGOUT": _none,
    "STARTTLS": _none,
    "LOGIN": _login,
    "AUTHENTICATE": _authenticate,
    "ID": _id,
    "ENABLE": _enable,
    "COMPRESS": _compress,
    "NAMESPACE": _none,
    "SELECT": parse_select,
    "EXAMINE": parse_select,
    "CREATE": parse_create,
    "DELETE": _mailbox,
    "RENAME": _rename,
    "SUBSCRIBE": _mailbox,
    "UNSUBSCRIBE": _mailbox,
    "LIST": parse_list,
    "LSUB": parse_lsub,
    "STATUS": parse_status,
    "APPEND": _append,
    "CHECK": _none,
    "CLOSE": _none,
    "UNSELECT": _none,
    "EXPUNGE": _none,
    "IDLE": _none,
    "SEARCH": lambda t: parse_search(t, uid=False),
    "UID SEARCH": lambda t: parse_search(t, uid=True),
    "FETCH": lambda t: parse_fetch(t, uid=False),
    "UID FETCH": lambda t: parse_fetch(t, uid=True),
    "STORE": _store,
    "UID STORE": _store,
    "COPY": _copy,
    "UID COPY": _copy,
    "MOVE": _copy,
    "UID MOVE": _copy,
    "UID EXPUNGE": _sequence,
    "SORT": lambda t: parse_sort(t, uid=False),
    "UID SORT": lambda t: parse_sort(t, uid=True),
    "THREAD": lambda t: parse_thread(t, uid=False),
    "UID THREAD": lambda t: parse_thread(t, uid=True),
    "GETACL": _acl(1),
    "MYRIGHTS": _acl(1),
    "LISTRIGHTS": _acl(2),
    "DELETEACL": _acl(2),
    "SETACL": _acl(3),
    "GETQUOTA": _mailbox,
    "GETQUOTAROOT": _mailbox,
    "SETQUOTA": _setquota,
}


def parse_args(name: str, tokens: Tokens) -> Any:
    parser = PARSERS.get(name)
    if parser is None:
        raise ParseError(f"unknown command {name[:40]}")
    return parser(tokens)
