"""Push over EventSource (RFC 8620 7.3): ``GET /jmap/eventsource?types=&closeafter=&ping=``.

How it works: the stream subscribes to the storage change feed for the signed-in account
(``store.changes.subscribe(account_id=...)``, storage/changes.py), whichever process made the change
(IMAP, SMTP delivery, another web request). A change only wakes the stream; the stream then asks the
data types for their current states (``registry.STATE_SOURCES``, one read each) and sends a ``state``
event with a StateChange (7.1) naming the types, among those asked for in ``types``, whose state moved
since the last event (or since the stream opened). Several changes in a burst give one event.

* ``types``: ``*`` or a comma-separated list of type names; ``closeafter``: ``state`` ends the response
  after the first state event, ``no`` keeps it open; ``ping``: seconds between ``ping`` events (data
  ``{"interval": N}``), clamped to 1..``limits.MAX_PING_SECONDS``; 0 means no pings, but a comment line is
  still written every ``MAX_PING_SECONDS`` so a vanished client is noticed.
* A stream ends after ``MAX_STREAM_SECONDS`` (EventSource clients reconnect, signing in again, so an
  ended session or a revoked password stops the pushes); each account holds at most
  ``limits.MAX_EVENT_SOURCES`` streams per process (the ``limit`` problem beyond).
* No thread per client: under gunicorn's gevent worker the response generator is a greenlet waiting on
  a ``threading.Event`` (patched by gevent) that the feed's poller sets; with real threads it is a real
  wait. Nothing is held between events but the subscription and the Event.

* Sharing: a change of another owner's folder's ACL (a folder shared with the user, or no longer) is
  recorded under the owner's account, so the account subscription does not see it. One "every change"
  subscription per store and process (:class:`RightsWatch`) wakes every open stream of the process when
  a batch holds an ``acl`` change; each stream then reads its states, which move only if what the user
  sees moved (rare events: an ACL change, not mail). The Ajax folder tree shows a folder shared with the
  user, or loses one, without a reload.

PushSubscription (7.2, pushing to a URL the client gives) is not offered.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

from flask import Response, request

from storage.changes import Change, Subscription
from storage.store import Store
from storage.usermail import UserMail
from webmail.binding import current_store
from webmail.jmap import ids, limits, registry
from webmail.jmap.blueprint import bp, signed_account, slot
from webmail.jmap.problems import Problem

log = logging.getLogger("fieldpost.jmap")

MAX_STREAM_SECONDS = 3600
SETTLE_SECONDS = 0.05  # after a wake-up, let a burst of changes commit before reading the states


def states(user: UserMail) -> dict[str, str]:
    out: dict[str, str] = {}
    for source in registry.STATE_SOURCES:
        try:
            out.update(source(user))
        except Exception:
            log.exception("JMAP state source %r failed", source)
    return out


def parse_types(value: str) -> frozenset[str] | None:
    """None for every type (``*``), else the names listed."""
    value = value.strip()
    if value in ("", "*"):
        return None
    return frozenset(t.strip() for t in value.split(",") if t.strip())


def parse_ping(value: str) -> int:
    try:
        ping = int(value or "0")
    except ValueError:
        raise Problem("about:blank", 400, "ping must be a number of seconds") from None
    if ping < 0:
        raise Problem("about:blank", 400, "ping must not be negative")
    return min(ping, limits.MAX_PING_SECONDS)


def event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


@bp.get("/eventsource")
def eventsource() -> Response:
    account = signed_account()
    try:
        if "types" not in request.args:  # the URL template always has it; a bare GET is a mistake
            raise Problem("about:blank", 400, "types is required ('*' for every type)")
        types = parse_types(request.args["types"])
        ping = parse_ping(request.args.get("ping", "0"))
        closeafter = request.args.get("closeafter", "no")
        if closeafter not in ("state", "no"):
            raise Problem("about:blank", 400, "closeafter is 'state' or 'no'")
        holder = slot("eventsource", account.id, limits.MAX_EVENT_SOURCES, "maxEventSources")
        holder.__enter__()
    except Problem as problem:
        return problem.response()
    stream = Stream(current_store(), account.id, types, ping, closeafter == "state")
    response = Response(stream.events(), content_type="text/event-stream")
    response.call_on_close(lambda: holder.__exit__(None, None, None))  # the slot is free again
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # a buffering proxy would hold the events back
    return response


class RightsWatch:
    """Wakes the open streams of this process when any folder's ACL changes (module docstring): one
    subscription to every change per store, whatever the number of streams."""

    _lock = threading.Lock()  # taken by request greenlets only (watch/unwatch), never by the poller
    _watches: dict[int, RightsWatch] = {}

    def __init__(self, store: Store) -> None:
        self.store = store
        self.waiting: set[threading.Event] = set()
        self.subscription: Subscription = store.changes.subscribe(self.wake)

    def wake(self, changes: list[Change]) -> None:
        """The poller's callback: set every waiting stream's Event when the batch changed some rights."""
        if any(c.kind == "acl" for c in changes):
            for woken in list(self.waiting):  # a copy: a stream may come or go meanwhile
                woken.set()

    @classmethod
    def watch(cls, store: Store, woken: threading.Event) -> Callable[[], None]:
        """Wake ``woken`` on every ACL change from now on; returns the function that stops it."""
        with cls._lock:
            watch = cls._watches.get(id(store))
            if watch is None or watch.store is not store:  # an id may be reused once a store is gone
                watch = cls._watches[id(store)] = cls(store)
            watch.waiting.add(woken)

        def unwatch() -> None:
            with cls._lock:
                watch.waiting.discard(woken)
                if not watch.waiting and cls._watches.get(id(store)) is watch:
                    watch.subscription.close()
                    del cls._watches[id(store)]

        return unwatch


class Stream:
    """One client's event stream (what the response generator runs, outside the request context)."""

    def __init__(
        self, store: Store, account_id: int, types: frozenset[str] | None, ping: int, close_after_state: bool
    ) -> None:
        self.store = store
        self.user = store.for_user(account_id)
        self.jmap_account = ids.account_id(account_id)
        self.types = types
        self.ping = ping
        self.close_after_state = close_after_state
        self.woken = threading.Event()

    def wanted(self, found: dict[str, str]) -> dict[str, str]:
        return found if self.types is None else {t: s for t, s in found.items() if t in self.types}

    def events(self) -> Iterator[bytes]:
        subscription = self.store.changes.subscribe(
            lambda _changes: self.woken.set(), account_id=self.user.account_id
        )
        unwatch = RightsWatch.watch(self.store, self.woken)  # folders shared with the user, or no longer
        try:
            last = self.wanted(states(self.user))
            ends = time.monotonic() + MAX_STREAM_SECONDS
            interval = self.ping or limits.MAX_PING_SECONDS
            yield b": fieldpost jmap push\n\n"  # headers out now: the client knows it is connected
            while time.monotonic() < ends:
                if not self.woken.wait(interval):
                    yield event("ping", {"interval": self.ping}) if self.ping else b": keep-alive\n\n"
                    continue
                time.sleep(SETTLE_SECONDS)
                self.woken.clear()
                now = self.wanted(states(self.user))
                moved = {t: s for t, s in now.items() if last.get(t) != s}
                last = now
                if not moved:
                    continue
                yield event("state", {"@type": "StateChange", "changed": {self.jmap_account: moved}})
                if self.close_after_state:
                    return
        finally:
            subscription.close()
            unwatch()
