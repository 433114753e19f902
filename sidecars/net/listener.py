"""One listening socket of a protocol service, on gevent's ``StreamServer``.

Per connection, in this order: a session id is allocated; the allow/deny rules decide
(:mod:`sidecars.net.rules`); the allow rule's limits, then the listener's, are counted
(:mod:`sidecars.net.flow`), displacing the oldest unauthenticated connection when the listener or its
unauthenticated slots are full (:mod:`sidecars.net.standing`); an implicit-TLS listener does the
handshake; the idle timeout before authentication is set on the socket; then the protocol's handler
runs::

    handler(sock, address, session_id, listener)

``session_id`` is eight hex digits (``listener.session_log(session_id)`` is the session's logger),
``listener`` is this :class:`ListenerServer` (its ``name``, ``tls_context``, ``policy`` are what a
handler needs). ``listener.standing(session_id)`` is the connection's :class:`Standing`: the handler
calls its ``establish()`` once the client has proved itself and sets its socket's timeout from its
``idle_seconds``. A read that waits longer than the idle time raises ``TimeoutError`` in the handler; a
handler that lets it escape gets its connection closed and "idle timeout" logged.

Implementation notes:
- Refused connections: a plain listener writes the caller's refusal line (e.g. ``421 ...``) and closes;
  an implicit-TLS listener closes a denied client without a word and tells a flow-limited one after a
  short handshake. Refused connections never reach the handler and are never counted.
- Every admitted connection is released from the flow counters exactly once, in ``_handle``'s finally
  or when it is displaced, whatever the handler does (including being killed at shutdown).
- The policy may be replaced live (``set_policy``); counters carry over, and each allow rule with
  limits keeps its counters as long as its text is unchanged.
- ``stop(grace)`` stops accepting at once, waits up to ``grace`` seconds for sessions to end, then kills
  the rest (``GreenletExit`` is raised in their handlers, which may write a last line).
- Flow bookkeeping never yields, so no lock is needed inside one gevent hub.
- In a worker pool, ``connection_counts`` is the pool's shared table (``fieldpost.connection_counts``):
  the caps on simultaneous connections of the listener (scope: its name) and of each allow rule (scope:
  the listener's name and the rule's text) then count the connections of every worker. Displacing an
  unauthenticated connection still picks one of this worker's.
"""

from __future__ import annotations

import contextlib
import errno
import socket as stdlib_socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gevent import socket as gsocket
from gevent import ssl
from gevent.pool import Pool
from gevent.server import StreamServer

from fieldpost.connection_counts import ConnectionCounts
from fieldpost.logs import ServiceLogger, session_logger
from sidecars.net.errorcontrol import ErrorLimits
from sidecars.net.flow import FlowControl
from sidecars.net.rules import Limits, Rule, decide
from sidecars.net.standing import Standing, Standings

Handler = Callable[[Any, tuple[Any, ...], str, "ListenerServer"], None]
Refusal = Callable[[str], bytes]


def _always(line: bytes) -> Refusal:
    """A refusal that answers the same line whatever the reason."""
    return lambda _reason: line


DENIED = "access denied"
HANDSHAKE_SECONDS = 30.0
REFUSAL_HANDSHAKE_SECONDS = 5.0
BACKLOG = 128


@dataclass(frozen=True)
class Policy:
    """What a listener applies to new connections (from the ``net.<service>.*`` settings)."""

    allow_rules: tuple[Rule, ...] = ()
    deny_rules: tuple[Rule, ...] = ()
    limits: Limits = Limits()
    idle_seconds: float = 300.0
    errors: ErrorLimits = field(default_factory=ErrorLimits)
    preauth_idle_seconds: float = 60.0
    reserve_authenticated: int = 0

    @property
    def idle_before_auth(self) -> float:
        """Idle time of a connection whose client has not proved itself (never longer than after)."""
        return min(self.preauth_idle_seconds, self.idle_seconds)

    @property
    def unauthenticated_slots(self) -> int:
        """How many connections may be unauthenticated at once; 0: as many as the listener takes."""
        cap = self.limits.max_connections
        return max(1, cap - self.reserve_authenticated) if cap else 0


class SessionIds:
    """Session ids of one service process: a counter shown as eight hex digits, never 00000000.

    Worker ``n`` (1-255) of a pool puts ``n`` in the top byte and counts in the low 24 bits, so the
    workers sharing the service's log never hand out the same id."""

    def __init__(self, start: int = 1, worker: int = 0) -> None:
        if not 0 <= worker <= 0xFF:
            raise ValueError(f"worker number must be 0-255, not {worker}")
        self._base = worker << 24
        self._last = 0xFFFFFF if worker else 0xFFFFFFFF
        self._next = start

    def next(self) -> str:
        value = self._next
        self._next = value + 1 if value < self._last else 1
        return f"{self._base | value:08x}"


def bind(host: str, port: int, backlog: int = BACKLOG) -> gsocket.socket:
    """A listening (gevent) TCP socket on ``host:port``; IPv6 when the host is an IPv6 address."""
    family = stdlib_socket.AF_INET6 if ":" in host else stdlib_socket.AF_INET
    sock = gsocket.socket(family, stdlib_socket.SOCK_STREAM)
    try:
        sock.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class ListenerServer:
    def __init__(
        self,
        name: str,
        listen: tuple[str, int] | gsocket.socket,
        handler: Handler,
        *,
        log: ServiceLogger,
        refusal: Refusal | bytes,
        policy: Policy | None = None,
        session_ids: SessionIds | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        clock: Callable[[], float] = time.monotonic,
        connection_counts: ConnectionCounts | None = None,
    ) -> None:
        if implicit_tls and tls_context is None:
            raise ValueError(f"listener {name}: implicit TLS needs a TLS context")
        self.name = name
        self.handler = handler
        self.log = log
        self.refusal: Refusal = refusal if callable(refusal) else _always(refusal)
        self.session_ids = session_ids or SessionIds()
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.clock = clock
        self.policy = policy or Policy()
        self.connection_counts = connection_counts
        self.flow = FlowControl(self.policy.limits, clock, shared=connection_counts, scope=name)
        self._rule_flows: dict[Rule, FlowControl] = {}
        self._standings = Standings()
        sock = bind(*listen) if isinstance(listen, tuple) else listen
        self._pool = Pool()
        self.server = StreamServer(sock, self._handle, spawn=self._pool)

    # -- lifetime

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.socket.getsockname()[:2]
        return host, port

    def start(self) -> None:
        self.server.start()
        host, port = self.address
        self.log.info(
            "listening on [%s]:%d (%s%s)", host, port, self.name, ", TLS" if self.implicit_tls else ""
        )

    def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, wait up to ``grace`` seconds for the sessions, then end the rest."""
        self.server.stop(timeout=grace)

    @property
    def sessions(self) -> int:
        """Connections being handled now."""
        return len(self._pool)

    def set_policy(self, policy: Policy) -> None:
        self.policy = policy
        self.flow.limits = policy.limits
        wanted = {rule for rule in policy.allow_rules if rule.limits.any}
        for rule in list(self._rule_flows):
            if rule not in wanted:
                del self._rule_flows[rule]  # admitted connections release into a detached counter

    def session_log(self, session_id: str) -> ServiceLogger:
        return session_logger(self.log, int(session_id, 16))

    def standing(self, session_id: str) -> Standing:
        """The connection's standing (a detached one for a session this listener does not hold)."""
        found = self._standings.all.get(session_id)
        return found or Standing(None, session_id, "", -1, [], self._idle_times)

    @property
    def unauthenticated(self) -> int:
        """Connections whose client has not proved itself yet."""
        return len(self._standings.unauthenticated)

    def _idle_times(self) -> tuple[float, float]:
        return self.policy.idle_before_auth, self.policy.idle_seconds

    # -- one connection

    def _admit(self, ip: str, slog: ServiceLogger) -> tuple[str | None, list[FlowControl]]:
        """(None, flows counted) if admitted, else (reason, [])."""
        policy = self.policy
        decision = decide(policy.allow_rules, policy.deny_rules, ip)
        if not decision.allowed:
            assert decision.rule is not None
            slog.info("connection refused from [%s]: deny rule %s", ip, decision.rule.text)
            return DENIED, []
        counted: list[FlowControl] = []
        rule_limits = decision.limits
        if rule_limits is not None and decision.rule is not None:
            rule_flow = self._rule_flows.get(decision.rule)
            if rule_flow is None:
                rule_flow = self._rule_flows[decision.rule] = FlowControl(
                    rule_limits,
                    self.clock,
                    shared=self.connection_counts,
                    scope=f"{self.name} rule {decision.rule.text}",
                )
            reason = rule_flow.admit(ip)
            if reason:
                slog.info("connection refused from [%s]: %s (allow rule %s)", ip, reason, decision.rule.text)
                return reason, []
            counted.append(rule_flow)
        # an allow rule with its own per-address limits replaces the listener's per-address limits
        own_per_ip = rule_limits is not None and bool(
            rule_limits.max_per_ip or rule_limits.new_per_ip_per_interval
        )
        make_room = self._room_needed()
        reason = self.flow.admit(ip, per_ip=not own_per_ip, total=not make_room)
        if reason:
            for flow in counted:
                flow.release(ip)
            slog.info("connection refused from [%s]: %s (listener %s)", ip, reason, self.name)
            return reason, []
        counted.append(self.flow)
        if make_room:
            self._displace_oldest(slog)
        return None, counted

    def _room_needed(self) -> bool:
        """Whether a new connection must displace an unauthenticated one: the unauthenticated slots or
        the whole listener are full, and there is an unauthenticated connection to displace."""
        cap = self.policy.limits.max_connections
        if not cap or not self._standings.unauthenticated:
            return False
        return self.unauthenticated >= self.policy.unauthenticated_slots or self.flow.active >= cap

    def _displace_oldest(self, slog: ServiceLogger) -> None:
        oldest = self._standings.oldest_unauthenticated()
        if oldest is None:
            return
        oldest.displace()
        slog.info(
            "listener %s full of unauthenticated connections: session %s from [%s] displaced",
            self.name,
            oldest.session_id,
            oldest.ip,
        )

    def _refuse(self, sock: Any, reason: str) -> None:
        try:
            if self.implicit_tls:
                if reason == DENIED:
                    return
                assert self.tls_context is not None
                sock.settimeout(REFUSAL_HANDSHAKE_SECONDS)
                sock = self.tls_context.wrap_socket(sock, server_side=True)
            sock.settimeout(REFUSAL_HANDSHAKE_SECONDS)
            sock.sendall(self.refusal(reason))
        except (OSError, ssl.SSLError):
            pass
        finally:
            _close(sock)

    def _handle(self, sock: Any, address: tuple[Any, ...]) -> None:
        session_id = self.session_ids.next()
        slog = self.session_log(session_id)
        ip, port = str(address[0]), int(address[1])
        reason, counted = self._admit(ip, slog)
        if reason is not None:
            self._refuse(sock, reason)
            return
        # every protocol here answers a command with whole replies: Nagle's algorithm would hold back the
        # last segment of a reply until the client's delayed ACK (measured: 9.4 ms per POP3 RETR)
        with contextlib.suppress(OSError):
            sock.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
        standing = Standing(self._standings, session_id, ip, sock.fileno(), counted, self._idle_times)
        self._standings.add(standing)
        started = self.clock()
        slog.info("connection accepted from [%s]:%d on %s", ip, port, self.name)
        why = "closed"
        try:
            if self.implicit_tls:
                wrapped = self._handshake(sock, slog, standing)
                if wrapped is None:  # the raw socket is closed below; the slot is released there too
                    why = "TLS handshake failed"
                    return
                sock = wrapped
            sock.settimeout(standing.idle_seconds)
            self.handler(sock, address, session_id, self)
        except TimeoutError:
            why = "idle timeout"
        except (ConnectionError, ssl.SSLError) as exc:
            why = f"connection lost ({exc.__class__.__name__})"
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.EBADF):
                slog.error("session failed: %s", exc, exc_info=True)
            why = f"connection lost ({exc.strerror or exc})"
        except Exception:
            slog.error("session failed", exc_info=True)
            why = "internal error"
        finally:
            self._standings.forget(session_id)  # first: the descriptor is about to be reused
            if standing.displaced:
                why = "displaced by a newer connection before authentication"
            _close(sock)
            standing.release()
            slog.info("connection closed from [%s]: %s after %.1f s", ip, why, self.clock() - started)

    def _handshake(self, sock: Any, slog: ServiceLogger, standing: Standing) -> Any:
        assert self.tls_context is not None
        sock.settimeout(min(HANDSHAKE_SECONDS, standing.idle_seconds))
        try:
            return self.tls_context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            slog.info("TLS handshake failed: %s", exc)
            return None


def _close(sock: Any) -> None:
    with contextlib.suppress(OSError):
        sock.close()
