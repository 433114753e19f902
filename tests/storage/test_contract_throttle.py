"""The login throttle (storage/throttle.py) on both backends: the policy (free failures, doubling back-off,
hard lock, window), per name and per address, and the promise the per-process throttle could not keep:
the state is shared by every Store on the database and survives closing and reopening it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.errors import AuthFailed, Throttled
from storage.store import Store, open_store
from storage.throttle import LoginThrottle, ThrottlePolicy
from tests.storage.conftest import Demo

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(store: Store, **policy: float) -> LoginThrottle:
    return LoginThrottle(store, ThrottlePolicy(**policy))  # type: ignore[arg-type]


def fail(throttle: LoginThrottle, clock: Clock, account: str | None, ip: str | None, times: int = 1) -> None:
    for _ in range(times):
        throttle.record_failure(account, ip, now=clock.now)


def wait(throttle: LoginThrottle, clock: Clock, account: str | None, ip: str | None) -> float:
    return throttle.retry_after(account, ip, now=clock.now)


def test_free_allowance_then_back_off(store: Store, clock: Clock) -> None:
    throttle = make(store)
    for _ in range(3):
        fail(throttle, clock, "alice", "192.0.2.1")
        assert wait(throttle, clock, "alice", "192.0.2.1") == 0.0
    fail(throttle, clock, "alice", "192.0.2.1")
    assert wait(throttle, clock, "alice", "192.0.2.1") == 1.0
    assert not throttle.check("alice", "192.0.2.1", now=clock.now).locked


def test_back_off_doubles_and_caps(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=3, base_delay=1, max_delay=60)
    delays = []
    for _ in range(12):
        fail(throttle, clock, "alice", None)
        delays.append(wait(throttle, clock, "alice", None))
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_delay_counts_down_from_last_failure(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=0, base_delay=4)
    fail(throttle, clock, "alice", None)
    assert wait(throttle, clock, "alice", None) == 4.0
    clock.advance(3)
    assert wait(throttle, clock, "alice", None) == 1.0
    clock.advance(1)
    assert wait(throttle, clock, "alice", None) == 0.0


def test_account_and_address_counted_separately(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=1)
    for name in ("a", "b", "c"):  # one address guessing many accounts: the address is throttled
        fail(throttle, clock, name, "198.51.100.7")
    assert wait(throttle, clock, None, "198.51.100.7") > 0
    assert wait(throttle, clock, "a", None) == 0
    assert wait(throttle, clock, "a", "203.0.113.9") == 0
    assert wait(throttle, clock, "a", "198.51.100.7") > 0  # the larger of the two applies


def test_name_case_and_ipv6_prefix(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=1)
    fail(throttle, clock, "Alice@Example.COM", "2001:db8::1")
    fail(throttle, clock, "alice@example.com", "2001:db8::ffff")
    assert wait(throttle, clock, "ALICE@example.com", None) > 0
    assert wait(throttle, clock, None, "2001:db8::42") > 0  # same /64
    assert wait(throttle, clock, None, "2001:db8:0:1::1") == 0  # another /64
    fail(throttle, clock, None, "::ffff:192.0.2.5")
    fail(throttle, clock, None, "192.0.2.5")
    assert wait(throttle, clock, None, "192.0.2.5") > 0


def test_overlong_name_is_counted(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=0)
    name = "x" * 2000 + "@example.test"
    fail(throttle, clock, name, None)
    assert wait(throttle, clock, name.upper(), None) > 0
    assert wait(throttle, clock, "x" * 1999 + "@example.test", None) == 0


def test_hard_lock(store: Store, clock: Clock) -> None:
    throttle = make(store, window=900, lock_after=20)
    fail(throttle, clock, "alice", None, 19)
    assert not throttle.check("alice", None, now=clock.now).locked
    fail(throttle, clock, "alice", None)
    assert throttle.check("alice", None, now=clock.now).locked
    assert wait(throttle, clock, "alice", None) == 900.0
    clock.advance(899)
    assert wait(throttle, clock, "alice", None) == 1.0
    clock.advance(1)
    assert not throttle.check("alice", None, now=clock.now).locked
    assert wait(throttle, clock, "alice", None) == 0.0  # the failures aged out with the window


def test_failure_while_locked_extends_the_lock(store: Store, clock: Clock) -> None:
    throttle = make(store, window=900, lock_after=3)
    fail(throttle, clock, "alice", None, 3)
    clock.advance(600)
    fail(throttle, clock, "alice", None)
    clock.advance(600)
    assert wait(throttle, clock, "alice", None) == 300.0


def test_address_lock(store: Store, clock: Clock) -> None:
    throttle = make(store, lock_after=5)
    for i in range(5):
        fail(throttle, clock, f"user{i}", "192.0.2.1")
    assert throttle.check("someone-else", "192.0.2.1", now=clock.now).locked
    assert not throttle.check("someone-else", "192.0.2.2", now=clock.now).locked


def test_lock_disabled(store: Store, clock: Clock) -> None:
    throttle = make(store, lock_after=0)
    fail(throttle, clock, "alice", None, 30)
    assert not throttle.check("alice", None, now=clock.now).locked
    assert wait(throttle, clock, "alice", None) == 60.0


def test_window_expiry(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=3, window=900)
    fail(throttle, clock, "alice", "192.0.2.1", 4)
    assert wait(throttle, clock, "alice", "192.0.2.1") == 1.0
    clock.advance(600)
    fail(throttle, clock, "alice", "192.0.2.1")  # 5 within the window
    assert wait(throttle, clock, "alice", "192.0.2.1") == 2.0
    clock.advance(301)  # the window that began with the first failure is over
    assert wait(throttle, clock, "alice", "192.0.2.1") == 0.0
    fail(throttle, clock, "alice", "192.0.2.1")
    assert wait(throttle, clock, "alice", "192.0.2.1") == 0.0  # counting starts afresh


def test_success_clears_the_name_not_the_address(store: Store, clock: Clock) -> None:
    throttle = make(store, free_failures=1)
    fail(throttle, clock, "alice", "192.0.2.1", 3)
    throttle.record_success("alice", "192.0.2.1")
    assert wait(throttle, clock, "alice", None) == 0.0
    assert wait(throttle, clock, None, "192.0.2.1") > 0
    fail(throttle, clock, "alice", None)
    assert wait(throttle, clock, "alice", None) == 0.0  # counting starts afresh


def test_nothing_to_count(store: Store, clock: Clock) -> None:
    throttle = make(store)
    fail(throttle, clock, None, None)
    throttle.record_success(None, None)
    assert wait(throttle, clock, None, None) == 0.0
    assert throttle.count() == 0


def test_prune_removes_stale_rows_only(store: Store, clock: Clock) -> None:
    throttle = make(store, window=900, lock_after=2)
    for i in range(10):
        fail(throttle, clock, f"user{i}", f"10.0.0.{i}")
    fail(throttle, clock, "locked", None, 2)
    assert throttle.count() == 21
    clock.advance(600)
    fail(throttle, clock, "locked", None)  # the lock now lasts until 600 + 900
    clock.advance(301)
    assert throttle.prune(now=clock.now) == 20
    assert throttle.check("locked", None, now=clock.now).locked
    clock.advance(600)
    assert throttle.prune(now=clock.now) == 1
    assert throttle.count() == 0


def test_record_failure_prunes_by_itself(store: Store, clock: Clock) -> None:
    throttle = make(store, window=900)
    for i in range(50):
        fail(throttle, clock, f"user{i}", f"10.0.0.{i}")
    clock.advance(901)
    fail(throttle, clock, "late", None)
    assert throttle.count() == 1


def test_concurrent_stores_share_the_count(
    store: Store, store_url: str, tmp_path: Path, clock: Clock
) -> None:
    """Two processes (two Stores on one database) counting failures of one name add up."""
    other = open_store(store_url, tmp_path / "blobs")
    try:
        policy = ThrottlePolicy(free_failures=3)
        here, there = LoginThrottle(store, policy), LoginThrottle(other, policy)
        fail(here, clock, "alice", None, 2)
        fail(there, clock, "alice", None, 2)
        assert wait(here, clock, "alice", None) == 1.0
        assert wait(there, clock, "alice", None) == 1.0
    finally:
        other.close()


def test_policy_refuses_bad_parameters() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(free_failures=-1)
    with pytest.raises(ValueError):
        ThrottlePolicy(base_delay=10, max_delay=5)
    with pytest.raises(ValueError):
        ThrottlePolicy(window=0)


# -- through Store.auth, the way every protocol logs in


def guess_until_throttled(store: Store, address: str, ip: str, tries: int = 10) -> Throttled:
    for _ in range(tries):
        try:
            store.auth.verify(address, "wrong-guess", ip=ip)
        except AuthFailed:
            continue
        except Throttled as exc:
            return exc
    raise AssertionError(f"{tries} wrong passwords were never throttled")


def test_throttle_holds_in_another_store_and_after_reopening(
    demo: Demo, store_url: str, tmp_path: Path
) -> None:
    """Failures counted by one process throttle the same account in another, and after a restart."""
    # a wait far longer than opening two stores takes on a loaded machine (the default first wait is 1 s)
    demo.store.settings.set("auth.base_delay_seconds", 300)
    guess_until_throttled(demo.store, "alice@example.test", "198.51.100.7")
    other = open_store(store_url, tmp_path / "blobs")
    try:  # another service, another client address: the account itself is throttled
        with pytest.raises(Throttled):
            other.auth.verify("alice@example.test", "pass-alice", ip="203.0.113.5")
        assert other.auth.verify("bob@example.test", "pass-bob", ip="203.0.113.5").id == demo.bob.id
    finally:
        other.close()
    demo.store.close()
    reopened = open_store(store_url, tmp_path / "blobs")
    try:
        with pytest.raises(Throttled):
            reopened.auth.verify("alice@example.test", "pass-alice", ip="203.0.113.5")
    finally:
        reopened.close()


def test_throttle_policy_comes_from_settings(demo: Demo, store_url: str, tmp_path: Path) -> None:
    demo.store.settings.set("auth.free_failures", 0)
    demo.store.settings.set("auth.base_delay_seconds", 30)
    demo.store.settings.set("auth.lockout_failures", 2)
    demo.store.settings.set("auth.failure_window_seconds", 120)
    other = open_store(store_url, tmp_path / "blobs")
    try:
        with pytest.raises(AuthFailed):
            other.auth.verify("alice@example.test", "wrong", ip="192.0.2.9")
        assert other.auth.throttle.retry_after("alice@example.test", None) == pytest.approx(30, abs=2)
        with pytest.raises(Throttled):
            other.auth.verify("alice@example.test", "pass-alice", ip="192.0.2.9")
        other.auth.throttle.record_failure("alice@example.test", None)  # the second: locked
        assert other.auth.throttle.check("alice@example.test", None).locked
        assert other.auth.throttle.retry_after("alice@example.test", None) == pytest.approx(120, abs=2)
    finally:
        other.close()
