"""Tests for storage.authcache: the cache of successful verifications (fake clock, no sleeping). The login
throttle is tested in test_contract_throttle.py."""

from __future__ import annotations

from typing import Any

import pytest

from storage.authcache import AuthCache


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
