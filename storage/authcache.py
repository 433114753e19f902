"""In-process login helpers: a cache of recent successful verifications and brute-force throttling.

`AuthCache` spares the argon2id cost (~50 ms, see `storage.passwords`) for clients that log in again and
again (IMAP clients open several connections a minute). It never holds a password: an entry is
HMAC-SHA256 under a random per-process key, so a memory dump gives nothing that can be tested offline
without that key, and the key dies with the process. Entries are tied to the account's *password
generation* (a counter the database bumps on each password change) so a change made by any process
invalidates every other process's entry at its next check.

`Throttle` slows down password guessing per account and per client address: exponential back-off after
a few free failures, and a hard lock after many. Only failures are counted; a failure is never cached as a
"known bad password" (that would turn the cache into an oracle and lock out a user who just changed it).

Implementation notes: both classes are called from greenlets and occasionally from threadpool threads.
They use only plain dict/deque operations, never block and never switch greenlets; a lost race can at
worst drop a cache entry or a failure record, never return a wrong positive.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]


class AuthCache:
    """Remembers successful password verifications for ``ttl_seconds``.

    Args:
        ttl_seconds: how long a success is remembered; 0 disables the cache.
        max_entries: at most this many accounts are remembered; the oldest entry is evicted first.
        clock: a monotonic clock in seconds (injectable for tests).

    Raises:
        ValueError: negative ttl or max_entries below 1.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 100_000, clock: Clock = time.monotonic) -> None:
        if ttl_seconds < 0:
            raise ValueError("ttl_seconds must not be negative")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = float(ttl_seconds)
        self._max_entries = max_entries
        self._clock = clock
        self._key = os.urandom(32)
        # account id -> (HMAC digest, password generation, expiry time); insertion order = age.
        self._entries: dict[int, tuple[bytes, int, float]] = {}

    def _digest(self, account_id: int, password: str) -> bytes:
        message = f"{account_id}\0{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def remember(self, account_id: int, password: str, generation: int) -> None:
        """Record that ``password`` was verified for ``account_id`` at password ``generation``."""
        if self._ttl <= 0:
            return
        entry = (self._digest(account_id, password), generation, self._clock() + self._ttl)
        self._entries.pop(account_id, None)  # re-insert so that the entry counts as newest
        self._entries[account_id] = entry
        while len(self._entries) > self._max_entries:
            try:
                oldest = next(iter(self._entries))
            except (StopIteration, RuntimeError):  # emptied or changed concurrently
                break
            self._entries.pop(oldest, None)

    def check(self, account_id: int, password: str, generation: int) -> bool:
        """True only for an unexpired entry with the same password and the same password generation."""
        entry = self._entries.get(account_id)
        if entry is None:
            return False
        digest, entry_generation, expires = entry
        if entry_generation != generation or self._clock() >= expires:
            # Stale: the password changed since, or the entry expired. Drop it unless replaced meanwhile.
            if self._entries.get(account_id) is entry:
                self._entries.pop(account_id, None)
            return False
        return hmac.compare_digest(digest, self._digest(account_id, password))

    def forget(self, account_id: int) -> None:
        """Drop the account's entry (password changed here, account disabled or deleted)."""
        self._entries.pop(account_id, None)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class _Failures:
    """Recent failure times of one account or address, and the end of its lock (0 when not locked)."""

    __slots__ = ("times", "locked_until")

    def __init__(self, maxlen: int) -> None:
        self.times: deque[float] = deque(maxlen=maxlen)
        self.locked_until = 0.0


def _account_key(account: str) -> str:
    # Logins are case-insensitive; varying the case must not buy an attacker a fresh allowance.
    return account.strip().casefold()


def _ip_key(ip: str) -> str:
    """Normalise an address; IPv6 clients are counted per /64 since one host usually owns a whole /64."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


class Throttle:
    """Brute-force throttling of failed logins, per account and per client address.

    After ``free_failures`` failures within ``window`` seconds, each further failure doubles the wait:
    ``base_delay * 2**(n - free_failures - 1)`` seconds after the last failure, capped at ``max_delay``.
    ``lock_after`` failures within the window lock the account (or address) for ``window`` seconds from
    the failure that reached the limit; failures recorded while locked extend the lock.

    Args:
        clock: a monotonic clock in seconds (injectable for tests).
        free_failures: failures allowed without delay.
        base_delay: the first delay, in seconds.
        max_delay: the largest back-off delay, in seconds.
        window: failures older than this many seconds are forgotten; also the lock duration.
        lock_after: failures within the window that lock; 0 disables locking.
        max_keys: at most this many accounts (and, separately, addresses) are tracked; stale ones are
            pruned first, then the least recently failed.

    Raises:
        ValueError: a parameter is out of range.
    """

    def __init__(
        self,
        clock: Clock = time.monotonic,
        *,
        free_failures: int = 3,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        window: float = 15 * 60.0,
        lock_after: int = 20,
        max_keys: int = 100_000,
    ) -> None:
        if free_failures < 0 or lock_after < 0:
            raise ValueError("free_failures and lock_after must not be negative")
        if base_delay < 0 or max_delay < base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")
        if window <= 0 or max_keys < 1:
            raise ValueError("window must be positive and max_keys at least 1")
        self._clock = clock
        self._free = free_failures
        self._base = float(base_delay)
        self._max_delay = float(max_delay)
        self._window = float(window)
        self._lock_after = lock_after
        self._max_keys = max_keys
        # Enough history to reach both the delay cap and the lock limit.
        self._history = max(lock_after, free_failures + 64)
        self._accounts: dict[str, _Failures] = {}
        self._ips: dict[str, _Failures] = {}
        self._last_prune = clock()

    # -- recording

    def record_failure(self, account: str | None, ip: str | None) -> None:
        """Count one failed login for the account name and the client address (either may be None)."""
        now = self._clock()
        if account is not None:
            self._fail(self._accounts, _account_key(account), now)
        if ip is not None:
            self._fail(self._ips, _ip_key(ip), now)
        self._maybe_prune(now)

    def record_success(self, account: str | None, ip: str | None) -> None:
        """Clear the account's failures (and lock). The address keeps its count: one valid account must
        not whitewash an address that is guessing passwords for others."""
        if account is not None:
            self._accounts.pop(_account_key(account), None)

    # -- querying

    def delay_for(self, account: str | None, ip: str | None) -> float:
        """Seconds the caller must still refuse (or wait) before trying a password; 0.0 when fine.

        While locked this is the remaining lock time: callers should check `is_locked` first and refuse
        outright rather than hold a connection that long.
        """
        now = self._clock()
        delay = 0.0
        for state in self._states(account, ip):
            delay = max(delay, self._delay(state, now))
        return delay

    def is_locked(self, account: str | None, ip: str | None) -> bool:
        """True while the account or the address is locked after ``lock_after`` failures."""
        now = self._clock()
        return any(state.locked_until > now for state in self._states(account, ip))

    # -- internals

    def _states(self, account: str | None, ip: str | None) -> list[_Failures]:
        found = []
        if account is not None and (state := self._accounts.get(_account_key(account))) is not None:
            found.append(state)
        if ip is not None and (state := self._ips.get(_ip_key(ip))) is not None:
            found.append(state)
        return found

    def _expire(self, state: _Failures, now: float) -> None:
        cutoff = now - self._window
        while state.times and state.times[0] <= cutoff:
            state.times.popleft()

    def _fail(self, table: dict[str, _Failures], key: str, now: float) -> None:
        state = table.pop(key, None)  # re-inserted below: dict order = least recently failed first
        if state is None:
            state = _Failures(self._history)
        table[key] = state
        self._expire(state, now)
        state.times.append(now)
        if self._lock_after and (len(state.times) >= self._lock_after or state.locked_until > now):
            state.locked_until = now + self._window

    def _delay(self, state: _Failures, now: float) -> float:
        if state.locked_until > now:
            return state.locked_until - now
        self._expire(state, now)
        excess = len(state.times) - self._free
        if excess <= 0:
            return 0.0
        backoff = min(self._max_delay, self._base * 2.0 ** min(excess - 1, 62))
        return max(0.0, state.times[-1] + backoff - now)

    def _stale(self, state: _Failures, now: float) -> bool:
        return state.locked_until <= now and (not state.times or state.times[-1] <= now - self._window)

    def _maybe_prune(self, now: float) -> None:
        full = len(self._accounts) > self._max_keys or len(self._ips) > self._max_keys
        if not full and now - self._last_prune < self._window:
            return
        self._last_prune = now
        for table in (self._accounts, self._ips):
            for key in [k for k, state in list(table.items()) if self._stale(state, now)]:
                table.pop(key, None)
            # Still too many live entries: drop the least recently failed, down to 90 % to amortise.
            if len(table) > self._max_keys:
                for key in list(table)[: len(table) - self._max_keys * 9 // 10]:
                    table.pop(key, None)

    def __len__(self) -> int:
        return len(self._accounts) + len(self._ips)
