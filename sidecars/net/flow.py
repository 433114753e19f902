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
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

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
    ) -> None:
        self.limits = limits  # may be replaced live; counters carry over
        self.clock = clock
        self.max_tracked = max_tracked
        self.active = 0
        self._active_by_ip: dict[str, int] = {}
        self._window = _Window(0.0, 0)
        self._windows_by_ip: OrderedDict[str, _Window] = OrderedDict()

    def active_from(self, ip: str) -> int:
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
        if total and limits.max_connections and self.active >= limits.max_connections:
            return TOO_MANY
        if per_ip and limits.max_per_ip and self.active_from(ip) >= limits.max_per_ip:
            return TOO_MANY_FROM_IP
        window = self._window
        if now - window.start >= interval:
            window = _Window(now, 0)
        if limits.new_per_interval and window.count >= limits.new_per_interval:
            return TOO_FAST
        ip_window = self._ip_window(ip, now, interval)
        if per_ip and limits.new_per_ip_per_interval and ip_window.count >= limits.new_per_ip_per_interval:
            return TOO_FAST_FROM_IP
        # admitted: count it everywhere
        window.count += 1
        self._window = window
        if limits.new_per_ip_per_interval:
            ip_window.count += 1
            self._windows_by_ip[ip] = ip_window
            self._windows_by_ip.move_to_end(ip)
            self._trim(now, interval)
        self.active += 1
        self._active_by_ip[ip] = self.active_from(ip) + 1
        return None

    def release(self, ip: str) -> None:
        """A connection admitted from ``ip`` is over."""
        self.active = max(0, self.active - 1)
        left = self.active_from(ip) - 1
        if left > 0:
            self._active_by_ip[ip] = left
        else:
            self._active_by_ip.pop(ip, None)

    @property
    def tracked_addresses(self) -> int:
        """How many per-address entries are held (for tests of the memory bound)."""
        return len(self._active_by_ip) + len(self._windows_by_ip)

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
