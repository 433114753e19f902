"""Flow control: how many connections a listener (or an allow rule's address set) takes at once and per
interval, in all and per client address.

Implementation notes:
- Pure bookkeeping, no sockets; the clock is injected (``time.monotonic`` by default) so tests step it.
- ``admit`` either counts the connection everywhere and returns None, or counts nothing and returns the
  reason. Every admitted connection must be released exactly once with ``release``.
- Rates use a fixed window per key that starts with the first connection counted in it: at most N new
  connections between that moment and ``interval`` seconds later. Refused attempts do not count.
- Memory is bounded: per-address counters of open connections exist only while connections are open;
  per-address rate windows are dropped once their interval is over, and at most ``max_tracked`` are
  kept (the oldest windows are forgotten first, which can only let a client in earlier, never lock one
  out).
- Not thread safe; in a gevent process all calls come from one thread and never yield.
- Across a worker pool: given the pool's shared table (``fieldpost.connection_counts``) and a ``scope``
  naming the listener or allow rule, the caps on simultaneous connections (``max_connections``,
  ``max_per_ip``) count every worker's connections, so a pool admits each cap once, not once per worker.
  Check and count are one step under the table's lock. The rates (``new_per_interval``,
  ``new_per_ip_per_interval``) are still counted per worker. A connection the table has no room for is
  counted here only (the cap then holds per worker for that address; see that module).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fieldpost.connection_counts import ConnectionCounts, Held, key_of
from sidecars.net.rules import Limits

TOO_MANY = "too many connections"
TOO_MANY_FROM_IP = "too many connections from your address"
TOO_FAST = "too many new connections"
TOO_FAST_FROM_IP = "too many new connections from your address"

MAX_TRACKED = 100_000


@dataclass
class _Window:
    start: float
    count: int


class FlowControl:
    """Counters for one listener or one allow rule."""

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
        *,
        shared: ConnectionCounts | None = None,
        scope: str = "",
    ) -> None:
        self.limits = limits  # may be replaced live; counters carry over
        self.clock = clock
        self.max_tracked = max_tracked
        self.shared = shared
        self.scope = scope
        self._total_key = key_of(scope)
        self._held: dict[str, list[Held | None]] = {}  # shared: per address, what each connection holds
        self._active = 0
        self._active_by_ip: dict[str, int] = {}
        self._window = _Window(0.0, 0)
        self._windows_by_ip: OrderedDict[str, _Window] = OrderedDict()

    @property
    def active(self) -> int:
        """Connections open now: in the whole pool when the table is shared, else in this process."""
        if self.shared is not None:
            return self.shared.total(self._total_key)
        return self._active

    def active_from(self, ip: str) -> int:
        """Connections open now from ``ip`` (pool-wide when shared)."""
        if self.shared is not None:
            return self.shared.total(key_of(self.scope, ip))
        return self._active_by_ip.get(ip, 0)

    def admit(self, ip: str, *, per_ip: bool = True, total: bool = True) -> str | None:
        """Count a new connection from ``ip`` and return None, or return why it is refused.

        ``per_ip=False`` skips the per-address limits (an allow rule's own per-address limits replace
        them) while still counting the connection against them. ``total=False`` skips the limit on
        simultaneous connections: the caller frees a slot once this one is admitted (the listener
        displaces an unauthenticated connection, see :mod:`sidecars.net.standing`).
        """
        limits = self.limits
        now = self.clock()
        interval = max(1, limits.interval_seconds)
        if self.shared is None:
            if total and limits.max_connections and self._active >= limits.max_connections:
                return TOO_MANY
            if per_ip and limits.max_per_ip and self._active_by_ip.get(ip, 0) >= limits.max_per_ip:
                return TOO_MANY_FROM_IP
        window = self._window
        if now - window.start >= interval:
            window = _Window(now, 0)
        if limits.new_per_interval and window.count >= limits.new_per_interval:
            return TOO_FAST
        ip_window = self._ip_window(ip, now, interval)
        if per_ip and limits.new_per_ip_per_interval and ip_window.count >= limits.new_per_ip_per_interval:
            return TOO_FAST_FROM_IP
        if self.shared is not None:
            refused = self._acquire_shared(ip, per_ip=per_ip, total=total)
            if refused:
                return refused
        # admitted: count it everywhere
        window.count += 1
        self._window = window
        if limits.new_per_ip_per_interval:
            ip_window.count += 1
            self._windows_by_ip[ip] = ip_window
            self._windows_by_ip.move_to_end(ip)
            self._trim(now, interval)
        self._active += 1
        self._active_by_ip[ip] = self._active_by_ip.get(ip, 0) + 1
        return None

    def _acquire_shared(self, ip: str, *, per_ip: bool, total: bool) -> str | None:
        """Check the caps against the pool's counts and count the connection there, in one step."""
        assert self.shared is not None
        limits = self.limits
        caps = [
            (self._total_key, limits.max_connections if total else 0),
            (key_of(self.scope, ip), limits.max_per_ip if per_ip else 0),
        ]
        held = self.shared.acquire(caps)
        if isinstance(held, str):
            return TOO_MANY if held == "0" else TOO_MANY_FROM_IP
        self._held.setdefault(ip, []).append(held)  # None: no room in the table, counted here only
        return None

    def release(self, ip: str) -> None:
        """A connection admitted from ``ip`` is over."""
        if self.shared is not None:
            holding = self._held.get(ip)
            if holding:
                held = holding.pop()
                if not holding:
                    del self._held[ip]
                if held is not None:
                    self.shared.release(held)
        self._active = max(0, self._active - 1)
        left = self._active_by_ip.get(ip, 0) - 1
        if left > 0:
            self._active_by_ip[ip] = left
        else:
            self._active_by_ip.pop(ip, None)

    @property
    def tracked_addresses(self) -> int:
        """How many per-address entries are held (for tests of the memory bound)."""
        return len(self._active_by_ip) + len(self._windows_by_ip) + len(self._held)

    def _ip_window(self, ip: str, now: float, interval: int) -> _Window:
        window = self._windows_by_ip.get(ip)
        if window is None or now - window.start >= interval:
            return _Window(now, 0)
        return window

    def _trim(self, now: float, interval: int) -> None:
        windows = self._windows_by_ip
        # windows are ordered by last use; the front ones are the stalest
        while windows:
            ip, window = next(iter(windows.items()))
            if now - window.start >= interval or len(windows) > self.max_tracked:
                del windows[ip]
            else:
                break
