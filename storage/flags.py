"""Message flags: the five IMAP system flags as a bit set, keywords as a space-separated atom list.

A bit set keeps "unseen" and "deleted" queries on an integer column; keywords are rare enough to live in
one text column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from storage.errors import InvalidInput

SEEN, ANSWERED, FLAGGED, DELETED, DRAFT = 1, 2, 4, 8, 16
SYSTEM = {
    "\\Seen": SEEN,
    "\\Answered": ANSWERED,
    "\\Flagged": FLAGGED,
    "\\Deleted": DELETED,
    "\\Draft": DRAFT,
}
_BY_LOWER = {k.lower(): (k, v) for k, v in SYSTEM.items()}
# RFC 3501 9 flag-keyword = atom: printable ASCII but the atom-specials ( ) { SP % * " \ ] (so "[", "}", ","
# and "/" are in); a backslash would make it a system flag.
_KEYWORD = re.compile(r"^[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]{1,100}$")
MAX_KEYWORDS = 100


def encode(flags: Iterable[str]) -> tuple[int, str]:
    """``{"\\Seen", "$Label1"}`` -> ``(1, "$Label1")``; system flag names are case-insensitive."""
    bits = 0
    keywords: list[str] = []
    for f in flags:
        if f.startswith("\\"):
            known = _BY_LOWER.get(f.lower())
            if known is None:
                raise InvalidInput(f"unknown system flag {f}")
            bits |= known[1]
        else:
            if not _KEYWORD.match(f) or f.upper() == "NIL":  # NIL: RFC 3501 4.5, no value, never a name
                raise InvalidInput(f"invalid keyword {f!r}")
            if f not in keywords:
                keywords.append(f)
    if len(keywords) > MAX_KEYWORDS:
        raise InvalidInput(f"at most {MAX_KEYWORDS} keywords per message")
    return bits, " ".join(keywords)


def decode(bits: int, keywords: str) -> frozenset[str]:
    names = {name for name, bit in SYSTEM.items() if bits & bit}
    if keywords:
        names.update(keywords.split(" "))
    return frozenset(names)


def apply(mode: str, bits: int, keywords: str, new_bits: int, new_keywords: str) -> tuple[int, str]:
    """Combine current flags with a STORE-style change: mode is "add", "remove" or "replace"."""
    if mode == "replace":
        return new_bits, new_keywords
    current = keywords.split(" ") if keywords else []
    change = new_keywords.split(" ") if new_keywords else []
    if mode == "add":
        merged = current + [k for k in change if k not in current]
        if len(merged) > MAX_KEYWORDS:
            raise InvalidInput(f"at most {MAX_KEYWORDS} keywords per message")
        return bits | new_bits, " ".join(merged)
    if mode == "remove":
        return bits & ~new_bits, " ".join(k for k in current if k not in change)
    raise InvalidInput(f"unknown flag change mode {mode!r}")
