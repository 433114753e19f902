"""Where a storage call is running, and how to wait for a real OS thread from there.

The protocol services are gevent processes: every session of a process shares one hub, so a call that
blocks in C (``os.fsync``, an sqlite3 statement waiting for its write lock) stops them all. Storage moves
such work to real threads, but only when the caller is a greenlet of the hub's own thread: a caller that
already is a real thread (IMAP's offloaded commands run in gevent's threadpool; the processing service
and the CLI are plain processes) may block, and must not touch the hub's threadpool from outside.

Two tools:

* :func:`on_hub` says whether the caller is a greenlet on a gevent hub's thread (never imports gevent
  in a process that did not patch).
* :func:`run_off_hub` runs ``fn(*args)`` in the hub's threadpool when called on the hub, else inline.
* :class:`Waker` is a one-shot signal that any thread may fire and either kind of caller may wait on:
  a greenlet waits on the hub (which a gevent ``async`` watcher wakes; ``ev_async_send`` is the
  thread-safe way into a libev loop), a real thread on a real lock.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def gevent_patched() -> bool:
    """True when gevent has monkey-patched ``threading`` in this process."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def real_lock() -> Any:
    """An OS-level lock, never gevent's replacement: it may be released from another real thread."""
    if gevent_patched():
        from gevent import monkey

        return monkey.get_original("_thread", "allocate_lock")()
    import _thread

    return _thread.allocate_lock()


def start_real_thread(fn: Callable[[], object]) -> None:
    """Start ``fn`` in a new OS thread (under gevent's patching, ``threading.Thread`` is a greenlet)."""
    if gevent_patched():
        from gevent import monkey

        monkey.get_original("_thread", "start_new_thread")(fn, ())
    else:
        import _thread

        _thread.start_new_thread(fn, ())


def real_thread_id() -> int:
    if gevent_patched():
        from gevent import monkey

        return int(monkey.get_original("_thread", "get_ident")())
    import _thread

    return _thread.get_ident()


def on_hub() -> bool:
    """True when the caller is a greenlet running on a gevent hub's own OS thread."""
    if not gevent_patched():
        return False
    from gevent._hub_local import get_hub_if_exists

    hub = get_hub_if_exists()
    return hub is not None and hub.thread_ident == real_thread_id()


def run_off_hub(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, in gevent's threadpool when called on the hub (other sessions go on meanwhile)."""
    if on_hub():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)  # type: ignore[no-any-return]
    return fn(*args)


class Waker:
    """A one-shot signal: ``fire()`` from any thread, ``wait()`` from the thread that made it."""

    def __init__(self) -> None:
        self._watcher: Any = None
        self._event: Any = None
        self._lock: Any = None
        if on_hub():
            import gevent
            from gevent.event import Event

            self._event = Event()
            self._watcher = gevent.get_hub().loop.async_()
            self._watcher.start(self._event.set)
        else:
            self._lock = real_lock()
            self._lock.acquire()

    def fire(self) -> None:
        if self._watcher is not None:
            self._watcher.send()
        else:
            self._lock.release()

    def wait(self) -> None:
        if self._watcher is not None:
            try:
                self._event.wait()
            finally:
                self._watcher.stop()
                self._watcher.close()
        else:
            self._lock.acquire()
