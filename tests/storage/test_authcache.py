"""Tests for storage.authcache: the verification cache and brute-force throttling (fake clock, no sleeping)."""

from __future__ import annotations

from typing import Any

import pytest

from storage.authcache import AuthCache, Throttle


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# ----------------------------------------------------------------------------------------- AuthCache


def test_cache_hit_and_miss(clock: FakeClock) -> None:
    cache = AuthCache(60, clock=clock)
    assert not cache.check(1, "pw", 0)
    cache.remember(1, "pw", 0)
    assert cache.check(1, "pw", 0)
    assert not cache.check(1, "pw2", 0)
    assert not cache.check(2, "pw", 0)  # the account id is part of the keyed hash


def test_cache_wrong_password_does_not_evict_good_entry(clock: FakeClock) -> None:
    cache = AuthCache(60, clock=clock)
    cache.remember(1, "pw", 0)
    assert not cache.check(1, "guess", 0)
    assert cache.check(1, "pw", 0)


def test_cache_expiry(clock: FakeClock) -> None:
    cache = AuthCache(60, clock=clock)
    cache.remember(1, "pw", 0)
    clock.advance(59.9)
    assert cache.check(1, "pw", 0)
    clock.advance(0.1)
    assert not cache.check(1, "pw", 0)
    assert len(cache) == 0  # expired entry dropped


def test_cache_generation_change_invalidates(clock: FakeClock) -> None:
    cache = AuthCache(60, clock=clock)
    cache.remember(1, "old", 4)
    assert cache.check(1, "old", 4)
    # Another process changed the password: the DB now says generation 5.
    assert not cache.check(1, "old", 5)
    assert not cache.check(1, "old", 4)  # the stale entry is gone for good
    cache.remember(1, "new", 5)
    assert cache.check(1, "new", 5)
    assert not cache.check(1, "old", 5)


def test_cache_forget_and_clear(clock: FakeClock) -> None:
    cache = AuthCache(60, clock=clock)
    cache.remember(1, "pw", 0)
    cache.remember(2, "pw", 0)
    cache.forget(1)
    cache.forget(99)  # unknown ids are fine
    assert not cache.check(1, "pw", 0)
    assert cache.check(2, "pw", 0)
    cache.clear()
    assert len(cache) == 0


def test_cache_evicts_oldest(clock: FakeClock) -> None:
    cache = AuthCache(60, max_entries=3, clock=clock)
    for account in (1, 2, 3):
        cache.remember(account, "pw", 0)
    cache.remember(1, "pw", 0)  # refreshed: now the newest
    cache.remember(4, "pw", 0)  # evicts 2, the oldest
    assert len(cache) == 3
    assert not cache.check(2, "pw", 0)
    assert all(cache.check(a, "pw", 0) for a in (1, 3, 4))


def test_cache_ttl_zero_disables(clock: FakeClock) -> None:
    cache = AuthCache(0, clock=clock)
    cache.remember(1, "pw", 0)
    assert not cache.check(1, "pw", 0)
    assert len(cache) == 0


def test_cache_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        AuthCache(-1)
    with pytest.raises(ValueError):
        AuthCache(60, max_entries=0)


def _walk(value: Any, seen: set[int]) -> list[Any]:
    """Every object reachable from ``value`` through attributes and containers."""
    if id(value) in seen:
        return []
    seen.add(id(value))
    found = [value]
    children: list[Any] = []
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = list(value)
    elif hasattr(value, "__dict__") and not callable(value):
        children = list(vars(value).values())
    for child in children:
        found.extend(_walk(child, seen))
    return found


def test_cache_never_holds_the_password(clock: FakeClock) -> None:
    password = "Sup3r-Secret-Passw0rd"
    cache = AuthCache(60, clock=clock)
    cache.remember(7, password, 1)
    assert cache.check(7, password, 1)
    for value in _walk(cache, set()):
        if isinstance(value, str):
            assert password not in value
        if isinstance(value, (bytes, bytearray)):
            assert password.encode() not in value
    assert password not in repr(vars(cache))


def test_cache_non_utf8_password(clock: FakeClock) -> None:
    cache = AuthCache(60, clock=clock)
    cache.remember(1, "\ud800", 0)
    assert cache.check(1, "\ud800", 0)


# ----------------------------------------------------------------------------------------- Throttle


def test_throttle_free_allowance(clock: FakeClock) -> None:
    throttle = Throttle(clock)
    for _ in range(3):
        throttle.record_failure("alice", "192.0.2.1")
        assert throttle.delay_for("alice", "192.0.2.1") == 0.0
    throttle.record_failure("alice", "192.0.2.1")
    assert throttle.delay_for("alice", "192.0.2.1") == 1.0
    assert not throttle.is_locked("alice", "192.0.2.1")


def test_throttle_backoff_doubles_and_caps(clock: FakeClock) -> None:
    throttle = Throttle(clock, free_failures=3, base_delay=1, max_delay=60)
    delays = []
    for _ in range(12):
        throttle.record_failure("alice", None)
        delays.append(throttle.delay_for("alice", None))
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_throttle_delay_counts_down_from_last_failure(clock: FakeClock) -> None:
    throttle = Throttle(clock, free_failures=0, base_delay=4)
    throttle.record_failure("alice", None)
    assert throttle.delay_for("alice", None) == 4.0
    clock.advance(3)
    assert throttle.delay_for("alice", None) == 1.0
    clock.advance(1)
    assert throttle.delay_for("alice", None) == 0.0


def test_throttle_account_and_ip_counted_separately(clock: FakeClock) -> None:
    throttle = Throttle(clock, free_failures=1)
    # One address guessing many accounts: the address is throttled, the accounts are not.
    for name in ("a", "b", "c"):
        throttle.record_failure(name, "198.51.100.7")
    assert throttle.delay_for(None, "198.51.100.7") > 0
    assert throttle.delay_for("a", None) == 0
    assert throttle.delay_for("a", "203.0.113.9") == 0
    assert throttle.delay_for("a", "198.51.100.7") > 0  # the larger of the two applies


def test_throttle_account_case_and_ipv6_prefix(clock: FakeClock) -> None:
    throttle = Throttle(clock, free_failures=1)
    throttle.record_failure("Alice@Example.COM", "2001:db8::1")
    throttle.record_failure("alice@example.com", "2001:db8::ffff")
    assert throttle.delay_for("ALICE@example.com", None) > 0
    assert throttle.delay_for(None, "2001:db8::42") > 0  # same /64
    assert throttle.delay_for(None, "2001:db8:0:1::1") == 0  # another /64
    throttle.record_failure(None, "::ffff:192.0.2.5")
    throttle.record_failure(None, "192.0.2.5")
    assert throttle.delay_for(None, "192.0.2.5") > 0


def test_throttle_lock_after_hard_limit(clock: FakeClock) -> None:
    throttle = Throttle(clock, window=900, lock_after=20)
    for _ in range(19):
        throttle.record_failure("alice", None)
    assert not throttle.is_locked("alice", None)
    throttle.record_failure("alice", None)
    assert throttle.is_locked("alice", None)
    assert throttle.delay_for("alice", None) == 900.0
    clock.advance(899)
    assert throttle.is_locked("alice", None)
    assert throttle.delay_for("alice", None) == 1.0
    clock.advance(1)
    assert not throttle.is_locked("alice", None)
    assert throttle.delay_for("alice", None) == 0.0  # the failures aged out with the window


def test_throttle_ip_lock(clock: FakeClock) -> None:
    throttle = Throttle(clock, lock_after=5)
    for i in range(5):
        throttle.record_failure(f"user{i}", "192.0.2.1")
    assert throttle.is_locked("someone-else", "192.0.2.1")
    assert not throttle.is_locked("someone-else", "192.0.2.2")


def test_throttle_lock_disabled(clock: FakeClock) -> None:
    throttle = Throttle(clock, lock_after=0)
    for _ in range(100):
        throttle.record_failure("alice", None)
    assert not throttle.is_locked("alice", None)
    assert throttle.delay_for("alice", None) == 60.0


def test_throttle_window_expiry(clock: FakeClock) -> None:
    throttle = Throttle(clock, free_failures=3, window=900)
    for _ in range(4):
        throttle.record_failure("alice", "192.0.2.1")
    assert throttle.delay_for("alice", "192.0.2.1") == 1.0
    clock.advance(600)
    throttle.record_failure("alice", "192.0.2.1")  # 5 within the window
    assert throttle.delay_for("alice", "192.0.2.1") == 2.0
    clock.advance(301)  # the first four are now older than the window
    assert throttle.delay_for("alice", "192.0.2.1") == 0.0
    throttle.record_failure("alice", "192.0.2.1")
    assert throttle.delay_for("alice", "192.0.2.1") == 0.0  # 2 within the window


def test_throttle_success_resets_account_not_ip(clock: FakeClock) -> None:
    throttle = Throttle(clock, free_failures=1)
    for _ in range(3):
        throttle.record_failure("alice", "192.0.2.1")
    throttle.record_success("alice", "192.0.2.1")
    assert throttle.delay_for("alice", None) == 0.0
    assert throttle.delay_for(None, "192.0.2.1") > 0
    throttle.record_failure("alice", None)
    assert throttle.delay_for("alice", None) == 0.0  # counting starts afresh


def test_throttle_none_everywhere(clock: FakeClock) -> None:
    throttle = Throttle(clock)
    throttle.record_failure(None, None)
    throttle.record_success(None, None)
    assert throttle.delay_for(None, None) == 0.0
    assert not throttle.is_locked(None, None)
    assert len(throttle) == 0


def test_throttle_prunes_stale_entries(clock: FakeClock) -> None:
    throttle = Throttle(clock, window=900)
    for i in range(100):
        throttle.record_failure(f"user{i}", f"10.0.0.{i}")
    assert len(throttle) == 200
    clock.advance(901)
    throttle.record_failure("late", None)
    assert len(throttle) == 1


def test_throttle_memory_bounded_under_flood(clock: FakeClock) -> None:
    throttle = Throttle(clock, max_keys=50)
    for i in range(1000):
        throttle.record_failure(f"user{i}", f"10.0.{i // 256}.{i % 256}")
        clock.advance(0.01)
    assert len(throttle) <= 2 * 50
    assert throttle.delay_for("user999", None) == 0.0  # newest kept (one failure: within allowance)
    throttle.record_failure("user999", None)
    throttle.record_failure("user999", None)
    throttle.record_failure("user999", None)
    assert throttle.delay_for("user999", None) > 0


def test_throttle_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        Throttle(free_failures=-1)
    with pytest.raises(ValueError):
        Throttle(base_delay=10, max_delay=5)
    with pytest.raises(ValueError):
        Throttle(window=0)
