"""Message sequence numbers <-> UIDs of one selected mailbox, sized for a million messages.

Why: every FETCH/STORE/SEARCH/EXPUNGE in a selected state converts between the two numberings.
A session must keep its own view (RFC 3501 section 5.5 and RFC 2180 4.1: sequence numbers only
change when the session itself reports EXPUNGE), so each session holds one ``UidMap``. A plain
``array('I')`` of the UIDs in ascending order costs 4 bytes a message (4 MB for 1M messages, no
per-int objects), and ascending order makes every lookup a binary search.

API (all numbers are ints; "*" in a range is ``None`` or the ``star`` sentinel, 0 by default, the
same sentinel as ``sequence.STAR`` so ``SequenceSet.ranges`` can be passed straight in):

    m = UidMap([3, 7, 9])          # UIDs strictly ascending, 1..2**32-1
    len(m), 7 in m, list(m)        # 3, True, [3, 7, 9]
    m.max_uid                      # 9 (0 when empty)
    m.seq_of(7) -> 2               # None if the UID is not in the mailbox; O(log n)
    m.uid_of(2) -> 7               # SequenceError if not 1..len; O(1)
    m.append([10, 12])             # new messages (EXISTS); each above max_uid, else ValueError
    m.expunge(7) -> 2              # the number to report in "* 2 EXPUNGE"; KeyError if absent
    m.expunge_many([3, 9]) -> [3, 1]   # report in this order (descending); one O(n) pass
    m.resolve_seqset([(1, None)]) -> UIDs, ascending, no duplicates
    m.resolve_uidset([(5, 100)]) -> UIDs present in 5..100, ascending
    m.seqset_pairs(...), m.uidset_pairs(...) -> [(seq, uid), ...] for FETCH responses

Rules (RFC 3501 section 9, seq-range, and 6.4.8): ranges may be given in either order ("4:2" is
"2:4"); in a UID set "*" is the largest UID, so "100:*" matches the last message even when its
UID is below 100, UIDs not in the mailbox are ignored, and an empty mailbox yields nothing. In a
sequence set a number above the message count, or "*" in an empty mailbox, is an error the
client must get as BAD (RFC 3501 section 9 note on seq-number): ``resolve_seqset`` raises
``SequenceError`` unless ``strict=False``, which clamps instead (for SEARCH, where RFC 3501 only
asks for the messages that match).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

__all__ = ["MAX_UID", "SequenceError", "UidMap"]

MAX_UID = 0xFFFFFFFF
_TYPECODE = "I" if array("I").itemsize == 4 else "L"

Range = tuple[int | None, int | None]


class SequenceError(ValueError):
    """A message sequence number outside 1..number of messages (answer BAD)."""


class UidMap:
    """The selected mailbox's UIDs in sequence order; position + 1 is the sequence number."""

    __slots__ = ("_uids",)

    def __init__(self, uids: Iterable[int] = ()) -> None:
        self._uids = array(_TYPECODE)
        self.append(uids)

    def __len__(self) -> int:
        return len(self._uids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._uids)

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and self.seq_of(uid) is not None

    def __repr__(self) -> str:
        return f"UidMap(<{len(self._uids)} messages, max UID {self.max_uid}>)"

    @property
    def max_uid(self) -> int:
        return self._uids[-1] if self._uids else 0

    def seq_of(self, uid: int) -> int | None:
        i = bisect_left(self._uids, uid)
        return i + 1 if i < len(self._uids) and self._uids[i] == uid else None

    def uid_of(self, seq: int) -> int:
        if not 1 <= seq <= len(self._uids):
            raise SequenceError(f"no message {seq}: the mailbox has {len(self._uids)} messages")
        return self._uids[seq - 1]

    def append(self, uids: Iterable[int]) -> None:
        """Add new messages; UIDs must ascend strictly and exceed every UID already present."""
        new = array(_TYPECODE)
        last = self.max_uid
        for uid in uids:
            if not last < uid <= MAX_UID:
                raise ValueError(f"UID {uid} is not above {last} (UIDs ascend strictly within 1..{MAX_UID})")
            new.append(uid)
            last = uid
        self._uids.extend(new)

    def expunge(self, uid: int) -> int:
        """Remove one message; returns the sequence number it had, for "* n EXPUNGE"."""
        seq = self.seq_of(uid)
        if seq is None:
            raise KeyError(uid)
        del self._uids[seq - 1]
        return seq

    def expunge_many(self, uids: Iterable[int]) -> list[int]:
        """Remove every listed UID that is present; returns sequence numbers, highest first.

        Reported in this order each number is still valid when the client reads it (removing a
        higher number does not shift the lower ones). Absent UIDs are skipped.
        """
        positions = sorted({i for i in (self._index(uid) for uid in uids) if i is not None})
        if not positions:
            return []
        kept = array(_TYPECODE)
        start = 0
        for pos in positions:
            kept.extend(self._uids[start:pos])
            start = pos + 1
        kept.extend(self._uids[start:])
        self._uids = kept
        return [pos + 1 for pos in reversed(positions)]

    def _index(self, uid: int) -> int | None:
        seq = self.seq_of(uid)
        return None if seq is None else seq - 1

    # -- sequence sets -----------------------------------------------------------------------

    def _seq_spans(self, ranges: Iterable[Range], star: int, strict: bool) -> list[tuple[int, int]]:
        count = len(self._uids)
        spans: list[tuple[int, int]] = []
        for lo, hi in ranges:
            ends = []
            for end in (lo, hi):
                if end is None or end == star:
                    if strict and not count:
                        raise SequenceError('"*" used in an empty mailbox')
                    ends.append(count)
                elif strict and not 1 <= end <= count:
                    raise SequenceError(f"no message {end}: the mailbox has {count} messages")
                else:
                    ends.append(end)
            a, b = min(ends), max(ends)
            a, b = max(a, 1), min(b, count)
            if a <= b:
                spans.append((a - 1, b))
        return spans

    def _uid_spans(self, ranges: Iterable[Range], star: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        if not self._uids:
            return spans
        top = self._uids[-1]
        for lo, hi in ranges:
            a, b = (top if end is None or end == star else end for end in (lo, hi))
            a, b = min(a, b), max(a, b)
            i, j = bisect_left(self._uids, a), bisect_right(self._uids, b)
            if i < j:
                spans.append((i, j))
        return spans

    @staticmethod
    def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        merged: list[tuple[int, int]] = []
        for i, j in sorted(spans):
            if merged and i <= merged[-1][1]:
                if j > merged[-1][1]:
                    merged[-1] = (merged[-1][0], j)
            else:
                merged.append((i, j))
        return merged

    def _collect(self, spans: list[tuple[int, int]]) -> list[int]:
        out: list[int] = []
        for i, j in self._merge(spans):
            out.extend(self._uids[i:j].tolist())
        return out

    def _pairs(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for i, j in self._merge(spans):
            out.extend(zip(range(i + 1, j + 1), self._uids[i:j].tolist(), strict=True))
        return out

    def resolve_seqset(self, ranges: Iterable[Range], star: int = 0, *, strict: bool = True) -> list[int]:
        """UIDs of the messages a sequence-number set names, ascending, each once."""
        return self._collect(self._seq_spans(ranges, star, strict))

    def resolve_uidset(self, ranges: Iterable[Range], star: int = 0) -> list[int]:
        """UIDs present in a UID set, ascending, each once; absent UIDs are ignored."""
        return self._collect(self._uid_spans(ranges, star))

    def seqset_pairs(
        self, ranges: Iterable[Range], star: int = 0, *, strict: bool = True
    ) -> list[tuple[int, int]]:
        """(sequence number, UID) of each message a sequence-number set names, ascending."""
        return self._pairs(self._seq_spans(ranges, star, strict))

    def uidset_pairs(self, ranges: Iterable[Range], star: int = 0) -> list[tuple[int, int]]:
        """(sequence number, UID) of each present message a UID set names, ascending."""
        return self._pairs(self._uid_spans(ranges, star))
