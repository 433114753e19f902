"""Sequence sets (RFC 3501 9 sequence-set, RFC 5182 "$"): parsing and resolving against a mailbox.

A set is kept as ranges, never expanded up front, so ``1:4294967295`` costs nothing until it is
resolved against the real message numbers or UIDs of the selected mailbox.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from sidecars.imap.tokens import ParseError

STAR = 0  # "*": the largest number in use
MAX_RANGES = 10_000


@dataclass(frozen=True)
class SequenceSet:
    ranges: tuple[tuple[int, int], ...]
    saved: bool = False  # "$": the result saved by SEARCH RETURN (SAVE)

    def resolve_numbers(self, count: int) -> list[int]:
        """Message sequence numbers 1..count in the set, ascending (RFC 3501 6.4.8: "*" = count)."""
        out: set[int] = set()
        for lo, hi in self.ranges:
            a = count if lo == STAR else lo
            b = count if hi == STAR else hi
            a, b = min(a, b), max(a, b)
            out.update(range(max(a, 1), min(b, count) + 1))
        return sorted(out)

    def resolve_uids(self, uids: list[int]) -> list[int]:
        """The UIDs of ``uids`` (sorted) in the set; "*" is the largest UID in use (RFC 3501 6.4.8)."""
        if not uids:
            return []
        top = uids[-1]
        out: set[int] = set()
        for lo, hi in self.ranges:
            a = top if lo == STAR else lo
            b = top if hi == STAR else hi
            a, b = min(a, b), max(a, b)
            i, j = bisect.bisect_left(uids, a), bisect.bisect_right(uids, b)
            out.update(uids[i:j])
        return sorted(out)

    def contains(self, value: int, top: int) -> bool:
        for lo, hi in self.ranges:
            a = top if lo == STAR else lo
            b = top if hi == STAR else hi
            if min(a, b) <= value <= max(a, b):
                return True
        return False

    def values(self) -> list[int]:
        """Explicit numbers of a set without "*" (QRESYNC known UIDs), capped by MAX_RANGES ranges."""
        out: list[int] = []
        for lo, hi in self.ranges:
            out.extend(range(min(lo, hi), max(lo, hi) + 1))
        return out


def parse_sequence(text: str, *, allow_star: bool = True) -> SequenceSet:
    """``"1:3,5,7:*"`` or ``"$"``.

    Raises:
        ParseError: not a sequence set.
    """
    if text == "$":
        return SequenceSet((), saved=True)
    parts = text.split(",")
    if len(parts) > MAX_RANGES:
        raise ParseError(f"sequence set has more than {MAX_RANGES} parts")
    ranges = []
    for part in parts:
        ends = part.split(":")
        if len(ends) > 2 or not part:
            raise ParseError(f"invalid sequence set {text[:40]!r}")
        values = [_seq_number(e, text, allow_star) for e in ends]
        ranges.append((values[0], values[-1]))
    return SequenceSet(tuple(ranges))


def _seq_number(value: str, text: str, allow_star: bool) -> int:
    if value == "*" and allow_star:
        return STAR
    if (
        not value.isascii()
        or not value.isdigit()
        or len(value) > 10
        or int(value) == 0
        or int(value) >= 1 << 32
    ):
        raise ParseError(f"invalid sequence set {text[:40]!r}")
    return int(value)


def format_set(values: list[int]) -> str:
    """Ascending numbers -> compact "1:3,7" (for COPYUID, VANISHED, ESEARCH ALL)."""
    if not values:
        return ""
    parts = []
    start = prev = values[0]
    for v in values[1:]:
        if v == prev + 1:
            prev = v
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = v
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)
