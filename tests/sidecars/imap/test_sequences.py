"""Sequence number <-> UID maps and sequence-set resolution (RFC 3501 sections 5.5, 6.4.8, 9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sidecars.imap.sequences import MAX_UID, SequenceError, UidMap

STAR = 0  # the sentinel sidecars.imap.sequence uses for "*"


@pytest.fixture
def box() -> UidMap:
    return UidMap([3, 5, 9, 10, 20])


def test_lookups(box: UidMap) -> None:
    assert len(box) == 5 and list(box) == [3, 5, 9, 10, 20] and box.max_uid == 20
    assert [box.seq_of(u) for u in (3, 9, 20, 4, 1, 21)] == [1, 3, 5, None, None, None]
    assert [box.uid_of(s) for s in (1, 3, 5)] == [3, 9, 20]
    assert 9 in box and 4 not in box and "9" not in box
    for bad in (0, 6, -1):
        with pytest.raises(SequenceError, match="mailbox has 5 messages"):
            box.uid_of(bad)


def test_empty_map() -> None:
    empty = UidMap()
    assert len(empty) == 0 and empty.max_uid == 0 and empty.seq_of(1) is None
    assert empty.resolve_uidset([(1, STAR)]) == []
    assert empty.resolve_seqset([(1, STAR)], strict=False) == []
    with pytest.raises(SequenceError, match="empty mailbox"):
        empty.resolve_seqset([(STAR, STAR)])


def test_append_requires_strictly_ascending_new_uids(box: UidMap) -> None:
    box.append([21, 30])
    assert list(box)[-2:] == [21, 30] and box.seq_of(30) == 7
    for bad in ([30], [29], [31, 31], [0], [MAX_UID + 1]):
        with pytest.raises(ValueError, match="ascend strictly"):
            box.append(bad)
    assert len(box) == 7  # a rejected batch adds nothing
    box.append([MAX_UID])
    assert box.max_uid == MAX_UID


def test_expunge_reports_the_old_sequence_number(box: UidMap) -> None:
    assert box.expunge(9) == 3
    assert list(box) == [3, 5, 10, 20] and box.seq_of(10) == 3
    with pytest.raises(KeyError):
        box.expunge(9)


def test_expunge_many_reports_highest_first(box: UidMap) -> None:
    assert box.expunge_many([20, 3, 9, 9, 777]) == [5, 3, 1]
    assert list(box) == [5, 10]
    assert box.expunge_many([]) == [] and box.expunge_many([1]) == []


def test_seqset_resolution(box: UidMap) -> None:
    assert box.resolve_seqset([(1, 1)]) == [3]
    assert box.resolve_seqset([(2, 4)]) == [5, 9, 10]
    assert box.resolve_seqset([(4, 2)]) == [5, 9, 10]  # either order
    assert box.resolve_seqset([(STAR, STAR)]) == [20]
    assert box.resolve_seqset([(3, STAR)]) == [9, 10, 20]
    assert box.resolve_seqset([(None, 4)]) == [10, 20]  # None also means "*"
    assert box.resolve_seqset([(1, 2), (2, 3), (5, 5), (1, 1)]) == [3, 5, 9, 20]  # merged, once each
    assert box.seqset_pairs([(4, STAR), (1, 1)]) == [(1, 3), (4, 10), (5, 20)]


@pytest.mark.parametrize("ranges", [[(6, 6)], [(1, 6)], [(0, 2)], [(2, 3), (9, 9)]])
def test_seqset_beyond_the_mailbox_is_an_error(box: UidMap, ranges: list[tuple[int, int]]) -> None:
    with pytest.raises(SequenceError):
        box.resolve_seqset(ranges, star=-1)  # a star sentinel that is never used here, so 0 is a number


def test_seqset_beyond_the_mailbox_clamps_when_not_strict(box: UidMap) -> None:
    assert box.resolve_seqset([(4, 99)], strict=False) == [10, 20]
    assert box.resolve_seqset([(6, 9)], strict=False) == []


def test_uidset_resolution(box: UidMap) -> None:
    assert box.resolve_uidset([(1, 9)]) == [3, 5, 9]
    assert box.resolve_uidset([(9, 1)]) == [3, 5, 9]
    assert box.resolve_uidset([(4, 4), (6, 8), (21, 21)]) == []  # absent UIDs are ignored
    assert box.resolve_uidset([(STAR, STAR)]) == [20]
    assert box.resolve_uidset([(100, STAR)]) == [20]  # RFC 3501 6.4.8: "*" is the largest UID
    assert box.resolve_uidset([(10, None), (1, 5)]) == [3, 5, 10, 20]
    assert box.resolve_uidset([(1, 4294967295)]) == [3, 5, 9, 10, 20]
    assert box.uidset_pairs([(9, STAR)]) == [(3, 9), (4, 10), (5, 20)]


def test_a_million_messages() -> None:
    uids = range(2, 2_000_002, 2)
    big = UidMap(uids)
    assert len(big) == 1_000_000 and big.max_uid == 2_000_000
    assert big.seq_of(1_000_000) == 500_000 and big.seq_of(999_999) is None
    assert big.uid_of(1_000_000) == 2_000_000
    everything = big.resolve_uidset([(1, STAR)])
    assert len(everything) == 1_000_000 and everything[0] == 2 and everything[-1] == 2_000_000
    assert big.resolve_seqset([(999_999, STAR), (1, 2)]) == [2, 4, 1_999_998, 2_000_000]
    assert big.expunge(1_000_000) == 500_000 and big.seq_of(1_000_002) == 500_000
    assert big.expunge_many(range(2, 200_002, 2)) == list(range(100_000, 0, -1))
    assert len(big) == 899_999 and big.uid_of(1) == 200_002


uid_lists = st.lists(st.integers(1, 60), unique=True).map(sorted)
ends = st.one_of(st.just(STAR), st.integers(1, 70))
range_lists = st.lists(st.tuples(ends, ends), min_size=1, max_size=5)


@given(uid_lists, range_lists)
def test_uidset_matches_a_plain_model(uids: list[int], ranges: list[tuple[int, int]]) -> None:
    top = uids[-1] if uids else 0
    wanted: set[int] = set()
    for lo, hi in ranges:
        a, b = (top if e == STAR else e for e in (lo, hi))
        wanted |= {u for u in uids if min(a, b) <= u <= max(a, b)}
    box = UidMap(uids)
    assert box.resolve_uidset(ranges) == sorted(wanted)
    assert box.uidset_pairs(ranges) == [(uids.index(u) + 1, u) for u in sorted(wanted)]


@given(uid_lists, range_lists)
def test_seqset_matches_a_plain_model(uids: list[int], ranges: list[tuple[int, int]]) -> None:
    count = len(uids)
    values = [count if e == STAR else e for lo, hi in ranges for e in (lo, hi)]
    box = UidMap(uids)
    if count == 0 or max(values) > count:
        with pytest.raises(SequenceError):
            box.resolve_seqset(ranges)
        return
    wanted: set[int] = set()
    for lo, hi in ranges:
        a, b = sorted(count if e == STAR else e for e in (lo, hi))
        wanted |= set(range(a, b + 1))
    assert box.seqset_pairs(ranges) == [(s, uids[s - 1]) for s in sorted(wanted)]


class UidMapMachine(RuleBasedStateMachine):
    """A session's view through appends and expunges, against a plain list."""

    def __init__(self) -> None:
        super().__init__()
        self.model: list[int] = []
        self.box = UidMap()

    @rule(gaps=st.lists(st.integers(1, 5), max_size=5))
    def append(self, gaps: list[int]) -> None:
        new, last = [], self.model[-1] if self.model else 0
        for gap in gaps:
            last += gap
            new.append(last)
        self.box.append(new)
        self.model.extend(new)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def expunge(self, data: st.DataObject) -> None:
        uid = data.draw(st.sampled_from(self.model))
        assert self.box.expunge(uid) == self.model.index(uid) + 1
        self.model.remove(uid)

    @rule(uids=st.lists(st.integers(1, 40), max_size=6))
    def expunge_many(self, uids: list[int]) -> None:
        seqs = self.box.expunge_many(uids)
        expected = []
        for uid in sorted(set(uids) & set(self.model), reverse=True):  # report order: highest first
            expected.append(self.model.index(uid) + 1)
            self.model.remove(uid)
        assert seqs == expected

    @invariant()
    def same_view(self) -> None:
        assert list(self.box) == self.model and len(self.box) == len(self.model)
        for seq, uid in enumerate(self.model, start=1):
            assert self.box.seq_of(uid) == seq and self.box.uid_of(seq) == uid


TestUidMapMachine = UidMapMachine.TestCase
TestUidMapMachine.settings = settings(max_examples=60, stateful_step_count=25)
