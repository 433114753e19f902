"""SORT ordering (RFC 5256 section 3) with DISPLAYFROM/DISPLAYTO (RFC 5957), pure functions.

Why here: the session collects one ``SortInput`` per searched message from cached columns; the
ordering rules (keys, REVERSE, collation, the sequence-number tie-break) are the RFC's and are
tested here against it without a mailbox.

Rules applied, with their sources:
- Strings compare under i;ascii-casemap (RFC 4790 9.2, the default collation of RFC 5256 2.3):
  a-z fold to A-Z, everything else compares as UTF-8 octets (code point order is the same).
- FROM, TO, CC compare the addr-mailbox of the first address structure of the ENVELOPE field
  (RFC 5256 section 3): the unquoted local part, or for a group (``Team: a@x;``) the group name,
  since RFC 3501 7.4.2 makes the group-start marker an address whose addr-mailbox holds it. No
  address (header missing or empty) compares as the empty string, so such messages sort first.
- DISPLAYFROM, DISPLAYTO compare the DISPLAY value of that first address (RFC 5957 section 3):
  its addr-name with RFC 2047 words decoded when that is not empty, else addr-mailbox "@"
  addr-host, else (a group marker) addr-mailbox, else the empty string. A name from a comment
  (``a@x (Name)``) counts: the envelope puts it in addr-name.
- DATE is the sent date: the Date header, else the internal date (RFC 5256 2.2); ARRIVAL is the
  internal date. Dates compare as instants (UTC); a naive datetime counts as UTC.
- SUBJECT compares base subjects (RFC 5256 2.1, ``threads.base_subject``).
- REVERSE reverses only the key that follows it; equal messages always end in ascending sequence
  number order, whatever was reversed (RFC 5256 section 3, the note on REVERSE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sidecars.imap.threads import ascii_casemap, base_subject, sent_date
from storage.mime import AddressList, decode_header_text

__all__ = ["SORT_KEYS", "SortInput", "display_key", "mailbox_key", "parse_criteria", "sort"]

SORT_KEYS = frozenset({"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"})


@dataclass(frozen=True)
class SortInput:
    """What SORT needs of one searched message.

    ``from_``, ``to`` and ``cc`` are the ENVELOPE address lists cached at delivery (group markers
    included); ``subject`` the raw Subject value (RFC 2047 words allowed); ``date`` the parsed
    Date header, or None when it is missing or unparsable.
    """

    num: int
    internal_date: datetime
    date: datetime | None
    size: int
    subject: str | None = None
    from_: AddressList = ()
    to: AddressList = ()
    cc: AddressList = ()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def mailbox_key(addresses: AddressList) -> str:
    """RFC 5256 section 3 FROM/TO/CC: the addr-mailbox of the first address, "" when none."""
    first = addresses[0] if addresses else None
    return ascii_casemap(first.mailbox or "") if first is not None else ""


def display_key(addresses: AddressList) -> str:
    """RFC 5957 section 3: the DISPLAY sort value of the first address, "" when none."""
    if not addresses:
        return ""
    first = addresses[0]
    name = decode_header_text(first.name) if first.name is not None else ""
    if name:
        value = name
    elif first.mailbox is not None and first.host is not None:
        value = f"{first.mailbox}@{first.host}"
    else:
        value = first.mailbox or ""
    return ascii_casemap(value)


_KEYS: dict[str, Callable[[SortInput], object]] = {
    "ARRIVAL": lambda m: _utc(m.internal_date),
    "CC": lambda m: mailbox_key(m.cc),
    "DATE": lambda m: sent_date(m.date, m.internal_date),
    "FROM": lambda m: mailbox_key(m.from_),
    "SIZE": lambda m: m.size,
    "SUBJECT": lambda m: ascii_casemap(base_subject(m.subject)),
    "TO": lambda m: mailbox_key(m.to),
    "DISPLAYFROM": lambda m: display_key(m.from_),
    "DISPLAYTO": lambda m: display_key(m.to),
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
