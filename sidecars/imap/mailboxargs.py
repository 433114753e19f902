"""Arguments of the mailbox commands: CREATE (RFC 6154 USE), SELECT/EXAMINE (RFC 7162 CONDSTORE and
QRESYNC parameters), LIST/LSUB (RFC 5258 selection and return options, RFC 5819 STATUS) and STATUS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sidecars.imap.sequence import SequenceSet, parse_sequence
from sidecars.imap.tokens import Atom, ParseError, Tokens, astring, flag_name, number, upper_atom

STATUS_ITEMS = frozenset({"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ", "SIZE"})


@dataclass(frozen=True)
class Create:
    mailbox: str
    use: tuple[str, ...]  # RFC 6154 5.1 USE (\Drafts ...)


@dataclass(frozen=True)
class Select:
    mailbox: str
    condstore: bool
    qresync: tuple[int, int, SequenceSet | None, tuple[SequenceSet, SequenceSet] | None] | None


@dataclass(frozen=True)
class ListArgs:
    reference: str
    patterns: tuple[str, ...]
    selection: frozenset[str]
    returns: frozenset[str]
    status_items: tuple[str, ...]
    extended: bool  # LIST-EXTENDED syntax was used (RFC 5258)
    lsub: bool = False


@dataclass(frozen=True)
class Status:
    mailbox: str
    items: tuple[str, ...]


def parse_create(t: Tokens) -> Create:
    mailbox = t.astring("mailbox name")
    use: list[str] = []
    if t.more():
        params = list(t.list("CREATE parameters"))
        while params:
            key = params.pop(0)
            if not isinstance(key, Atom) or key.upper() != "USE" or not params:
                raise ParseError("unknown CREATE parameter (only USE is supported, RFC 6154)")
            values = params.pop(0)
            if not isinstance(values, tuple):
                raise ParseError("USE needs a list of special-use attributes")
            use += [flag_name(v) for v in values]
    t.end()
    return Create(mailbox, tuple(use))


def parse_select(t: Tokens) -> Select:
    mailbox = t.astring("mailbox name")
    condstore, qresync = False, None
    if t.more():
        params = list(t.list("SELECT parameters"))
        while params:
            key = params.pop(0)
            name = key.upper() if isinstance(key, Atom) else ""
            if name == "CONDSTORE":
                condstore = True
            elif name == "QRESYNC" and params and isinstance(params[0], tuple):
                qresync = _qresync(params.pop(0))
            else:
                raise ParseError("unknown SELECT parameter (CONDSTORE and QRESYNC are supported)")
    t.end()
    return Select(mailbox, condstore, qresync)


def _qresync(
    values: tuple[Any, ...],
) -> tuple[int, int, SequenceSet | None, tuple[SequenceSet, SequenceSet] | None]:
    # RFC 7162 3.2.5: (uidvalidity mod-sequence-value [known-uids [seq-match-data]])
    items = list(values)
    if len(items) < 2 or not all(isinstance(i, Atom) for i in items[:2]):
        raise ParseError("QRESYNC needs (uidvalidity modseq [known-uids [(seqs uids)]])")
    uidvalidity = number(items[0].value, "UIDVALIDITY", nz=True)
    modseq = number(items[1].value, "mod-sequence", big=True)
    known: SequenceSet | None = None
    match: tuple[SequenceSet, SequenceSet] | None = None
    rest = items[2:]
    if rest and isinstance(rest[0], Atom):
        known = parse_sequence(rest.pop(0).value, allow_star=False)
    if (
        rest
        and isinstance(rest[0], tuple)
        and len(rest[0]) == 2
        and all(isinstance(x, Atom) for x in rest[0])
    ):
        pair = rest.pop(0)
        match = (
            parse_sequence(pair[0].value, allow_star=False),
            parse_sequence(pair[1].value, allow_star=False),
        )
    if rest:
        raise ParseError("bad QRESYNC parameter")
    return uidvalidity, modseq, known, match


def parse_list(t: Tokens) -> ListArgs:
    # RFC 3501 6.3.8, RFC 5258 (LIST-EXTENDED), RFC 5819 (LIST-STATUS)
    selection: set[str] = set()
    extended = False
    if isinstance(t.peek(), tuple):
        extended = True
        selection = {upper_atom(x, "selection option") for x in t.list("selection options")}
    reference = t.astring("reference name")
    item = t.next("mailbox pattern")
    if isinstance(item, tuple):
        extended = True
        patterns = tuple(astring(x, "mailbox pattern") for x in item)
        if not patterns:
            raise ParseError("empty pattern list")
    else:
        patterns = (astring(item, "mailbox pattern"),)
    returns: set[str] = set()
    status_items: tuple[str, ...] = ()
    if t.more():
        if upper_atom(t.next("RETURN"), "RETURN") != "RETURN":
            raise ParseError("expected RETURN")
        extended = True
        opts = list(t.list("return options"))
        while opts:
            name = upper_atom(opts.pop(0), "return option")
            if name == "STATUS":
                if not opts or not isinstance(opts[0], tuple):
                    raise ParseError("RETURN STATUS needs a list of status items")
                status_items = _status_items(opts.pop(0))
            returns.add(name)
    t.end()
    known_sel = {"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"}
    if not selection <= known_sel:
        raise ParseError(f"unknown LIST selection option {sorted(selection - known_sel)[0]}")
    if selection == {"RECURSIVEMATCH"} or (
        "RECURSIVEMATCH" in selection and selection <= {"RECURSIVEMATCH", "REMOTE"}
    ):
        raise ParseError("RECURSIVEMATCH needs another selection option (RFC 5258 3.1)")
    known_ret = {"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS", "MYRIGHTS"}
    if not returns <= known_ret:
        raise ParseError(f"unknown LIST return option {sorted(returns - known_ret)[0]}")
    return ListArgs(reference, patterns, frozenset(selection), frozenset(returns), status_items, extended)


def parse_lsub(t: Tokens) -> ListArgs:
    reference, pattern = t.astring("reference name"), t.astring("mailbox pattern")
    t.end()
    return ListArgs(reference, (pattern,), frozenset(), frozenset(), (), False, lsub=True)


def _status_items(values: tuple[Any, ...]) -> tuple[str, ...]:
    items = tuple(upper_atom(v, "status item") for v in values)
    unknown = [i for i in items if i not in STATUS_ITEMS]
    if unknown:
        raise ParseError(f"unknown status item {unknown[0]}")
    if not items:
        raise ParseError("empty status item list")
    return items


def parse_status(t: Tokens) -> Status:
    mailbox = t.astring("mailbox name")
    items = _status_items(t.list("status items"))
    t.end()
    return Status(mailbox, items)
