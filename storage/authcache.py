"""The in-process cache of recent successful password verifications.

`AuthCache` spares the argon2id cost (~50 ms, see `storage.passwords`) for clients that log in again and
again (IMAP clients open several connections a minute). It never holds a password: an entry is
HMAC-SHA256 under a random per-process key, so a memory dump gives nothing that can be tested offline
without that key, and the key dies with the process. Entries are tied to the account's *password
generation* (a counter the database bumps on each password change) so a change made by any process
invalidates every other process's entry at its next check.

Failures are never cached as a "known bad password" (that would turn the cache into an oracle and lock
out a user who just changed it); they are counted by the login throttle, which lives in the database so
that it holds across services and processes (storage/throttle.py).

Implementation notes: the cache is called from greenlets and occasionally from threadpool threads. It
uses only plain dict operations, never blocks and never switches greenlets; a lost race can at worst
drop a cache entry, never return a wrong positive.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
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
