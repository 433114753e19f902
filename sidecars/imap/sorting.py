"""SORT ordering (RFC 5256 section 3) with DISPLAYFROM/DISPLAYTO (RFC 5957), pure functions.

Why here: the session collects one ``SortInput`` per searched message from cached columns; the
ordering rules (keys, REVERSE, collation, the sequence-number tie-break) are the RFC's and are
tested here against it without a mailbox.

Rules applied, with their sources:
- Strings compare under i;ascii-casemap (RFC 4790 9.2, the default collation of RFC 5256 2.3):
  a-z fold to A-Z, everything else compares as UTF-8 octets (code point order is the same).
- FROM, TO, CC compare the IMAP addr-mailbox (the local part) of the first address; a missing
  address compares as the empty string, so such messages sort first.
- DISPLAYFROM, DISPLAYTO compare the first address's display name, or its addr-spec
  (local@domain) when the name is missing or empty (RFC 5957 section 3).
- DATE is the sent date: the Date header, else the internal date (RFC 5256 2.2); ARRIVAL is the
  internal date. Dates compare as instants (UTC); a naive datetime counts as UTC.
- SUBJECT compares base subjects (RFC 5256 2.1, ``threads.base_subject``).
- REVERSE reverses only the key that follows it; equal messages always end in ascending sequence
  number order, whatever was reversed (RFC 5256 section 3, the note on REVERSE).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sidecars.imap.threads import ascii_casemap, base_subject, sent_date

__all__ = ["SORT_KEYS", "SortInput", "parse_criteria", "sort"]

SORT_KEYS = frozenset({"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"})


@dataclass(frozen=True)
class SortInput:
    """What SORT needs of one searched message.

    ``from_addr``, ``to_addr`` and ``cc_addr`` are the addr-spec ("local@domain") of the first
    address of that header, or None; ``display_from`` and ``display_to`` the decoded display name
    of the first address (for a group, the group's name: RFC 5957 section 3), or None; ``subject`` the raw Subject value (RFC 2047 words allowed);
    ``date`` the parsed Date header, or None when it is missing or unparsable.
    """

    num: int
    internal_date: datetime
    date: datetime | None
    size: int
    subject: str | None = None
    from_addr: str | None = None
    to_addr: str | None = None
    cc_addr: str | None = None
    display_from: str | None = None
    display_to: str | None = None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _mailbox(addr: str | None) -> str:
    """The addr-mailbox of an addr-spec: the local part before the last "@", unquoted as the
    ENVELOPE shows it ('"a b"@x' compares as 'a b')."""
    if not addr:
        return ""
    local, at, _ = addr.rpartition("@")
    local = local if at else addr
    if len(local) >= 2 and local[0] == local[-1] == '"':
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
    return ascii_casemap(local)


def _display(name: str | None, addr: str | None) -> str:
    name = (name or "").strip()
    return ascii_casemap(name if name else (addr or ""))


_KEYS: dict[str, Callable[[SortInput], object]] = {
    "ARRIVAL": lambda m: _utc(m.internal_date),
    "CC": lambda m: _mailbox(m.cc_addr),
    "DATE": lambda m: sent_date(m.date, m.internal_date),
    "FROM": lambda m: _mailbox(m.from_addr),
    "SIZE": lambda m: m.size,
    "SUBJECT": lambda m: ascii_casemap(base_subject(m.subject)),
    "TO": lambda m: _mailbox(m.to_addr),
    "DISPLAYFROM": lambda m: _display(m.display_from, m.from_addr),
    "DISPLAYTO": lambda m: _display(m.display_to, m.to_addr),
}


def parse_criteria(criteria: Sequence[str]) -> list[tuple[str, bool]]:
    """``["REVERSE", "date", "SUBJECT"]`` -> ``[("DATE", True), ("SUBJECT", False)]``.

    Raises ValueError with a text fit for a BAD response: empty list, unknown key, REVERSE not
    followed by a key (RFC 5256 section 4: sort-criterion = ["REVERSE" SP] sort-key).
    """
    if not criteria:
        raise ValueError("SORT needs at least one sort criterion")
    parsed: list[tuple[str, bool]] = []
    reverse = False
    for word in criteria:
        key = word.upper()
        if key == "REVERSE":
            if reverse:
                raise ValueError("REVERSE must be followed by a sort key, not another REVERSE")
            reverse = True
            continue
        if key not in SORT_KEYS:
            raise ValueError(f"unknown sort key {word[:40]!r}")
        parsed.append((key, reverse))
        reverse = False
    if reverse:
        raise ValueError("REVERSE must be followed by a sort key")
    return parsed


def sort(msgs: Iterable[SortInput], criteria: Sequence[str]) -> list[int]:
    """Message numbers of ``msgs`` in SORT order (RFC 5256 section 3); ValueError on bad criteria.

    Sorting runs once per criterion, last criterion first, each pass stable and the first pass by
    sequence number: Python's sort keeps equal items in order even with ``reverse=True``, which is
    exactly the RFC's "REVERSE reverses one key, ties go by sequence number".
    """
    parsed = parse_criteria(criteria)
    order = sorted(msgs, key=lambda m: m.num)
    for key, reverse in reversed(parsed):
        order.sort(key=_KEYS[key], reverse=reverse)  # type: ignore[arg-type]  # keys of one kind compare
    return [m.num for m in order]
