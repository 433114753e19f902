"""POP3 over gevent: the socket side of the sans-IO :class:`Pop3Session`.

Serves the ``pop3`` listener (plain, STLS offered when a TLS pair is loaded) and ``pop3s`` (implicit
TLS) of the ``pop3`` service; access rules, flow and error control, session ids and idle timeouts come
from :mod:`sidecars.net` (``net.pop3.*`` settings).

Implementation notes:
- One greenlet per connection reads, feeds the session and writes its answer. Answers are gathered
  in a buffer of up to ``WRITE_CHUNK`` octets (pipelined commands' answers share one write); a lazy
  part (a RETR or TOP body, a long LIST) is pulled one chunk at a time and each chunk is written before
  the next is read from the blob store, so a client that does not read holds the reader back and a
  connection holds at most ``WRITE_CHUNK`` plus one chunk.
- Every connection has TCP_NODELAY: an answer is written whole, and with Nagle's algorithm its last
  segment waited for the client's delayed ACK, ~9 ms per RETR for a client that waits for each answer.
- After a streamed answer the session says ``more``: the body is written first, then ``receive(b"")``
  answers the commands the client pipelined behind it.
- STLS (RFC 2595 4): the +OK is written in clear, then the socket is wrapped; bytes pipelined before
  the handshake are dropped by the session.
- Storage work that may block (the snapshot of a large folder, the writes) runs in the hub's
  threadpool through the session's ``offload`` (sqlite3 does not yield to gevent), so one session's
  login does not stall the others. The session is only touched by that thread until it returns.
- Ends: QUIT writes its answer and closes. Otherwise (client gone, idle timeout, shutdown, a bug)
  ``connection_lost()`` tells the session (nothing is removed; retrieved messages are marked read) and,
  where possible, the client reads a last ``-ERR`` line.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import gevent
from gevent import GreenletExit, ssl

from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext
from sidecars.net.standing import Standing
from sidecars.pop3.session import Output, Pop3Session, SessionContext

if TYPE_CHECKING:
    from storage.store import Store

READ_SIZE = 64 * 1024
WRITE_CHUNK = 256 * 1024
HANDSHAKE_SECONDS = 30.0
LAST_WORD_SECONDS = 2.0
T = TypeVar("T")

IDLE_TIMEOUT = b"-ERR idle timeout, closing connection\r\n"
LOCAL_ERROR = b"-ERR [SYS/TEMP] local error, closing connection\r\n"
SHUTTING_DOWN = b"-ERR [SYS/TEMP] service shutting down, try again later\r\n"


def refusal(reason: str) -> bytes:
    if reason == DENIED:
        return b"-ERR access denied\r\n"
    return b"-ERR [SYS/TEMP] " + reason.encode("ascii", "replace") + b", try again later\r\n"


class Pop3Connection:
    def __init__(
        self, sock: Any, session: Pop3Session, tls_context: ssl.SSLContext | None, standing: Standing
    ) -> None:
        self.sock = sock
        self.session = session
        self.tls_context = tls_context
        self.standing = standing
        self.buffer = bytearray()

    def run(self) -> None:
        closed_by_session = False
        try:
            self.sock.settimeout(self.standing.idle_seconds)
            self.sock.sendall(self.session.banner())
            while True:
                try:
                    data = self.sock.recv(READ_SIZE)
                except TimeoutError:
                    self._last_word(IDLE_TIMEOUT)
                    return
                if not data:
                    return
                out = self.session.receive(data)
                self._add(out)
                while out.more and not out.close:
                    out = self.session.receive(b"")
                    self._add(out)
                self._flush()
                if self.session.established:
                    self.standing.establish()
                    self.sock.settimeout(self.standing.idle_seconds)
                if out.close:
                    closed_by_session = True
                    return
                if out.start_tls:
                    self._start_tls()
        except GreenletExit:
            self._last_word(SHUTTING_DOWN)
            raise
        except Exception as exc:
            if not isinstance(exc, OSError):
                self._last_word(LOCAL_ERROR)
            raise
        finally:
            if not closed_by_session:
                self.session.connection_lost()
            with contextlib.suppress(OSError):
                self.sock.close()

    def _add(self, out: Output) -> None:
        """Gather an answer's parts; lazy parts are pulled a chunk at a time, each written once the
        buffer is full (so the next chunk is read only after the client took the previous ones)."""
        for part in out.parts:
            chunks: Iterable[bytes] = (part,) if isinstance(part, bytes) else part
            for chunk in chunks:
                self.buffer += chunk
                if len(self.buffer) >= WRITE_CHUNK:
                    self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.sock.sendall(self.buffer)
            self.buffer.clear()

    def _last_word(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, ValueError):
            self.sock.settimeout(LAST_WORD_SECONDS)
            self.sock.sendall(data)

    def _start_tls(self) -> None:
        if self.tls_context is None:
            raise RuntimeError("STLS started without a TLS context")
        self.sock.settimeout(min(HANDSHAKE_SECONDS, self.standing.idle_seconds))
        self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        self.sock.settimeout(self.standing.idle_seconds)
        greeting = self.session.tls_started()
        if greeting:
            self.sock.sendall(greeting)


def _in_thread(fn: Callable[[], T]) -> T:
    """sqlite3 does not yield to gevent: a long read or a write runs in the hub's threadpool."""
    return gevent.get_hub().threadpool.apply(fn)  # type: ignore[no-any-return]


def make_handler(store: Store, hostname: str, tls_context: ssl.SSLContext | None) -> Handler:
    def handle(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
        with contextlib.suppress(OSError):  # each answer is one write: no reason to hold its tail back
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # one transaction for what the greeting and CAPA need (USER, SASL CRAM-MD5)
        try:
            cfg = store.settings.for_connection(
                ["pop3.allow_plaintext_auth"], on_for_any_domain=["auth.allow_cram"]
            )
            allow_plaintext, allow_cram = bool(cfg["pop3.allow_plaintext_auth"]), bool(cfg["auth.allow_cram"])
        except Exception:
            allow_plaintext = allow_cram = False
        context = SessionContext(
            store=store,
            hostname=hostname,
            peer_ip=str(address[0]),
            session_id=session_id,
            tls_active=listener.implicit_tls,
            tls_available=tls_context is not None and not listener.implicit_tls,
            log=listener.session_log(session_id),
            allow_plaintext=allow_plaintext,
            allow_cram=allow_cram,
            errors=listener.policy.errors,
            offload=_in_thread,
        )
        session = Pop3Session(context)
        Pop3Connection(sock, session, tls_context, listener.standing(session_id)).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """``pop3`` and ``pop3s`` for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(context.store, context.hostname, context.tls_context)
    return {
        "pop3": Endpoint(handler, refusal, implicit_tls=False),
        "pop3s": Endpoint(handler, refusal, implicit_tls=True),
    }
