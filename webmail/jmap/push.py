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
* A stream ends after ``MAX_STREAM_SECONDS`` (EventSource clients reconnect, signing in again); each
  account holds at most ``limits.MAX_EVENT_SOURCES`` streams per process (the ``limit`` problem beyond).
* A stream outlives the request that signed it in, so what let it open is checked again at least every
  ``SIGN_IN_CHECK_SECONDS`` (:class:`SignIn`): the account still enabled with JMAP (and, for the WebMail
  cookie, WebMail) on, its password not changed since, and a WebMail session not past its absolute limit
  (``web.session_max_seconds`` after login, the limit read when the stream opened). When one fails the
  stream ends; the client's reconnection is then refused (401) and EventSource stops, which the Ajax
  client reads as its session having ended (skins/base/static/ajax/session.js). What cannot be seen here
  is a sign-out (the cookie is only dropped by the browser: webmail/sessions.py) or the idle limit (the
  other requests' times are in the browser's cookie); those are found by the next request.
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
from dataclasses import dataclass

from flask import Response, request, session

from storage.changes import Change, Subscription
from storage.errors import NotFound
from storage.store import Store
from storage.usermail import UserMail
from webmail.binding import current_store
from webmail.jmap import ids, limits, registry
from webmail.jmap.blueprint import bp, signed_account, signed_by_cookie, slot
from webmail.jmap.problems import Problem
from webmail.sessions import LOGIN_AT
from webmail.user_settings import user_settings

log = logging.getLogger("fieldpost.jmap")

MAX_STREAM_SECONDS = 3600
SIGN_IN_CHECK_SECONDS = 30.0  # one account read per open stream this often (the Ajax client pings as often)
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
    stream = Stream(current_store(), account.id, types, ping, closeafter == "state", SignIn.of_request())
    response = Response(stream.events(), content_type="text/event-stream")
    response.call_on_close(lambda: holder.__exit__(None, None, None))  # the slot is free again
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # a buffering proxy would hold the events back
    return response


@dataclass(frozen=True)
class SignIn:
    """What let a stream open, checked again while it runs (module docstring)."""

    account_id: int
    password_generation: int
    services: tuple[str, ...]
    ends_at: float | None  # a WebMail session's absolute limit (time.time()); None for HTTP Basic

    @classmethod
    def of_request(cls) -> SignIn:
        account = signed_account()
        if not signed_by_cookie():
            return cls(account.id, account.password_generation, ("jmap",), None)
        ends_at = float(session.get(LOGIN_AT, 0)) + user_settings().max_seconds
        return cls(account.id, account.password_generation, ("jmap", "webmail"), ends_at)

    def holds(self, store: Store) -> bool:
        if self.ends_at is not None and time.time() > self.ends_at:
            return False
        try:
            account = store.accounts.by_id(self.account_id)
        except NotFound:
            return False
        if not account.enabled or account.password_generation != self.password_generation:
            return False
        return all(store.auth.service_enabled(account, service) for service in self.services)


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
        self,
        store: Store,
        account_id: int,
        types: frozenset[str] | None,
        ping: int,
        close_after_state: bool,
        sign_in: SignIn,
    ) -> None:
        self.store = store
        self.sign_in = sign_in
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
            next_ping = time.monotonic() + interval
            next_check = time.monotonic() + SIGN_IN_CHECK_SECONDS
            while (now := time.monotonic()) < ends:
                if now >= next_check:
                    if not self.sign_in.holds(self.store):
                        return  # the reconnection meets the refusal (module docstring)
                    next_check = now + SIGN_IN_CHECK_SECONDS
                if not self.woken.wait(max(0.0, min(next_ping, next_check) - now)):
                    if time.monotonic() >= next_ping:
                        yield event("ping", {"interval": self.ping}) if self.ping else b": keep-alive\n\n"
                        next_ping = time.monotonic() + interval
                    continue
                next_ping = time.monotonic() + interval  # as before: any wake-up puts the next ping off
                time.sleep(SETTLE_SECONDS)
                self.woken.clear()
                found = self.wanted(states(self.user))
                moved = {t: s for t, s in found.items() if last.get(t) != s}
                last = found
                if not moved:
                    continue
                yield event("state", {"@type": "StateChange", "changed": {self.jmap_account: moved}})
                if self.close_after_state:
                    return
        finally:
            subscription.close()
            unwatch()
