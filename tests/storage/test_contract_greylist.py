"""store.greylist on SQLite and PostgreSQL: the life of a triplet (new, early, passed, known, stale),
auto-whitelisting of client networks, expiry by ``prune``, and one pass counted once under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from storage.errors import InvalidInput
from storage.greylist import EARLY, KNOWN, NEW, PASSED, WHITELISTED, GreylistPolicy
from storage.store import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NET = "192.0.2.0/24"
POLICY = GreylistPolicy(
    delay=timedelta(minutes=5),
    retry_window=timedelta(hours=4),
    pass_ttl=timedelta(days=30),
    auto_whitelist_passes=3,
    whitelist_ttl=timedelta(days=10),
)


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def test_first_attempt_then_early_retry_then_pass(store: Store) -> None:
    g = store.greylist
    first = g.check(NET, "a@far.test", "alice@example.test", POLICY, now=T0)
    assert (first.outcome, first.retry_at, first.accepted) == (NEW, at(minutes=5), False)
    early = g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(minutes=4, seconds=59))
    assert (early.outcome, early.retry_at, early.accepted) == (EARLY, at(minutes=5), False)
    passed = g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(minutes=5))
    assert (passed.outcome, passed.accepted) == (PASSED, True)
    assert g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(days=2)).outcome == KNOWN


def test_each_part_of_the_triplet_counts_and_case_does_not(store: Store) -> None:
    g = store.greylist
    assert g.check(NET, "a@far.test", "alice@example.test", POLICY, now=T0).outcome == NEW
    later = at(minutes=6)
    assert g.check(NET, "A@Far.Test", "Alice@Example.TEST", POLICY, now=later).outcome == PASSED
    assert g.check(NET, "b@far.test", "alice@example.test", POLICY, now=later).outcome == NEW
    assert g.check(NET, "a@far.test", "bob@example.test", POLICY, now=later).outcome == NEW
    assert g.check("198.51.100.0/24", "a@far.test", "alice@example.test", POLICY, now=later).outcome == NEW
    assert g.check(NET, "", "alice@example.test", POLICY, now=later).outcome == NEW  # the null sender


def test_a_retry_after_the_window_starts_over(store: Store) -> None:
    g = store.greylist
    g.check(NET, "a@far.test", "alice@example.test", POLICY, now=T0)
    again = g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(hours=4, seconds=1))
    assert (again.outcome, again.retry_at) == (NEW, at(hours=4, minutes=5, seconds=1))
    assert (
        g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(hours=4, minutes=6)).outcome == PASSED
    )


def test_a_passed_triplet_unused_past_its_ttl_is_greylisted_again(store: Store) -> None:
    g = store.greylist
    g.check(NET, "a@far.test", "alice@example.test", POLICY, now=T0)
    g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(minutes=10))
    # each use moves the expiry: 29 days, then 29 more, is still known
    assert g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(days=29)).outcome == KNOWN
    assert g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(days=58)).outcome == KNOWN
    assert g.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(days=89)).outcome == NEW


def _pass(store: Store, sender: str, start: datetime, net: str = NET) -> None:
    assert store.greylist.check(net, sender, "alice@example.test", POLICY, now=start).outcome == NEW
    assert (
        store.greylist.check(net, sender, "alice@example.test", POLICY, now=start + POLICY.delay).outcome
        == PASSED
    )


def test_a_network_with_enough_passes_is_whitelisted_while_it_keeps_sending(store: Store) -> None:
    for i in range(3):
        _pass(store, f"s{i}@far.test", at(hours=i))
    g = store.greylist
    assert g.check(NET, "new@far.test", "bob@example.test", POLICY, now=at(hours=3)).outcome == WHITELISTED
    assert (
        g.check("198.51.100.0/24", "new@far.test", "bob@example.test", POLICY, now=at(hours=3)).outcome == NEW
    )
    # mail every 9 days keeps the 10-day whitelisting alive...
    assert g.check(NET, "x@far.test", "bob@example.test", POLICY, now=at(days=9)).outcome == WHITELISTED
    assert g.check(NET, "y@far.test", "bob@example.test", POLICY, now=at(days=18)).outcome == WHITELISTED
    # ... and 10 idle days end it; the passes are counted afresh
    assert g.check(NET, "z@far.test", "bob@example.test", POLICY, now=at(days=28, seconds=1)).outcome == NEW
    stats = g.stats(POLICY, now=at(days=28, seconds=1))
    assert (stats.clients, stats.whitelisted) == (0, 0)


def test_two_passes_are_not_enough_for_three_and_zero_never_whitelists(store: Store) -> None:
    _pass(store, "s0@far.test", T0)
    _pass(store, "s1@far.test", at(hours=1))
    assert (
        store.greylist.check(NET, "s2@far.test", "alice@example.test", POLICY, now=at(hours=2)).outcome == NEW
    )
    never = GreylistPolicy(auto_whitelist_passes=0)
    for i in range(5):
        assert (
            store.greylist.check("203.0.113.0/24", f"n{i}@far.test", "a@example.test", never, now=T0).outcome
            == NEW
        )
        store.greylist.check("203.0.113.0/24", f"n{i}@far.test", "a@example.test", never, now=at(minutes=6))
    assert (
        store.greylist.check(
            "203.0.113.0/24", "more@far.test", "a@example.test", never, now=at(hours=1)
        ).outcome
        == NEW
    )


def test_prune_deletes_only_expired_rows(store: Store) -> None:
    g = store.greylist
    g.check(NET, "pending-old@far.test", "alice@example.test", POLICY, now=T0)
    _pass(store, "passed@far.test", T0)
    g.check(NET, "pending-new@far.test", "alice@example.test", POLICY, now=at(hours=3))
    stats = g.stats(POLICY, now=at(hours=3))
    assert (stats.pending, stats.passed, stats.clients, stats.whitelisted) == (2, 1, 1, 0)
    assert g.prune(POLICY, now=at(hours=4, minutes=1)) == 1  # the old pending triplet
    assert g.prune(POLICY, now=at(hours=4, minutes=1)) == 0
    assert (
        g.check(NET, "pending-new@far.test", "alice@example.test", POLICY, now=at(hours=4, minutes=1)).outcome
        == PASSED
    )
    assert g.check(NET, "passed@far.test", "alice@example.test", POLICY, now=at(hours=5)).outcome == KNOWN
    # 30 days later: both passed triplets and the client row are gone
    assert g.prune(POLICY, now=at(days=31)) == 3
    assert g.stats(POLICY, now=at(days=31)) == type(stats)(0, 0, 0, 0)


def test_clear_forgets_everything(store: Store) -> None:
    _pass(store, "a@far.test", T0)
    assert store.greylist.clear() == 2
    assert (
        store.greylist.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(hours=1)).outcome == NEW
    )


@pytest.mark.parametrize("client", ["", "x" * 65])
def test_bad_client_network_is_refused(store: Store, client: str) -> None:
    with pytest.raises(InvalidInput):
        store.greylist.check(client, "a@far.test", "alice@example.test", POLICY, now=T0)


def test_concurrent_retries_pass_once(store: Store) -> None:
    """Eight connections retrying the same triplet at the same moment: one passes, the rest find it
    known, and the client network's pass is counted once (two more passes whitelist it, not one)."""
    store.greylist.check(NET, "a@far.test", "alice@example.test", POLICY, now=T0)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def retry() -> None:
        barrier.wait(timeout=30)
        outcomes.append(
            store.greylist.check(NET, "a@far.test", "alice@example.test", POLICY, now=at(minutes=6)).outcome
        )

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == sorted([PASSED] + [KNOWN] * 7)
    _pass(store, "b@far.test", at(hours=1))
    assert (
        store.greylist.check(NET, "c@far.test", "alice@example.test", POLICY, now=at(hours=2)).outcome == NEW
    )
