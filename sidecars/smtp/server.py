"""SMTP over gevent: the socket side of the sans-IO :class:`sidecars.smtp.session.SmtpSession`.

Listeners (names from :mod:`fieldpost.config`): ``smtp`` (MX: plain, STARTTLS offered),
``submission`` (STARTTLS; the session requires authentication) and ``submissions`` (implicit TLS,
RFC 8314). Access rules, flow control, session ids and idle timeouts come from :mod:`sidecars.net`.

Implementation notes:
- One greenlet per connection runs :meth:`SmtpConnection.run`: write the banner, then read up to
  ``READ_SIZE`` bytes at a time, feed them to the session as they came (any chunking), write what it
  answers. The session never touches the socket; this module never interprets a command.
- STARTTLS (RFC 3207): the session's go-ahead is written in clear, then the socket is wrapped and
  ``tls_started()`` called. Bytes the client pipelined after STARTTLS are the session's to discard
  (RFC 3207 section 4.2); nothing read before the handshake is fed after it.
- The session commits a message to the queue inside ``receive`` before it returns "250 queued", so a
  connection dropped at any point never loses an acknowledged message.
- Ends: the session asks to close (QUIT, too many errors...): its last reply is written, then the
  socket closed. Otherwise (client gone, idle timeout, server stopping, an error) ``connection_lost()``
  tells the session first. Idle: "421 4.4.2" is written before closing; stopping: "421 4.3.2".
- Protocol traces are the session's to log (it knows when it is inside DATA); this module logs only
  connection events.
"""

from __future__ import annotations

import contextlib
from typing import Any

from gevent import GreenletExit, ssl

from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext

READ_SIZE = 64 * 1024
HANDSHAKE_SECONDS = 30.0
LAST_WORD_SECONDS = 2.0

IDLE_TIMEOUT = "421 4.4.2 {host} idle timeout, closing connection\r\n"
LOCAL_ERROR = "421 4.3.0 {host} local error, closing connection\r\n"
SHUTTING_DOWN = "421 4.3.2 {host} service shutting down, try again later\r\n"
BUSY = "421 4.7.0 {host} {reason}, try again later\r\n"
DENIED_REPLY = "554 5.7.1 {host} access denied\r\n"  # RFC 5321 3.1: 554 in place of the greeting

#: listener name -> implicit TLS
LISTENERS = {"smtp": False, "submission": False, "submissions": True}


def refusal_for(hostname: str) -> Any:
    """The line a refused client reads, by the reason :mod:`sidecars.net.listener` gives."""

    def refusal(reason: str) -> bytes:
        template = DENIED_REPLY if reason == DENIED else BUSY
        return template.format(host=hostname, reason=reason).encode()

    return refusal


class SmtpConnection:
    """One client connection driving one session."""

    def __init__(
        self, sock: Any, session: Any, hostname: str, tls_context: ssl.SSLContext | None, idle: float
    ) -> None:
        self.sock = sock
        self.session = session
        self.hostname = hostname
        self.tls_context = tls_context
        self.idle = idle

    def run(self) -> None:
        closed_by_session = False
        try:
            self._write(self.session.banner())
            while True:
                try:
                    data = self.sock.recv(READ_SIZE)
                except TimeoutError:
                    self._last_word(IDLE_TIMEOUT)
                    raise
                if not data:
                    return
                out = self.session.receive(data)
                if out.data:
                    self._write(out.data)
                if out.close:
                    closed_by_session = True
                    return
                if out.start_tls:
                    self._start_tls()
        except GreenletExit:
            self._last_word(SHUTTING_DOWN)
            raise
        except Exception as exc:
            if not isinstance(exc, OSError):  # a bug: tell the client to come back, then log it
                self._last_word(LOCAL_ERROR)
            raise
        finally:
            if not closed_by_session:
                self.session.connection_lost()
            with contextlib.suppress(OSError):
                self.sock.close()

    def _write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _last_word(self, template: str) -> None:
        """A parting reply when the connection is ended under the session's feet; best effort."""
        with contextlib.suppress(OSError, ssl.SSLError):
            self.sock.settimeout(LAST_WORD_SECONDS)
            self.sock.sendall(template.format(host=self.hostname).encode())

    def _start_tls(self) -> None:
        if self.tls_context is None:  # the session offered STARTTLS without a context: a bug
            raise RuntimeError("STARTTLS started without a TLS context")
        self.sock.settimeout(min(HANDSHAKE_SECONDS, self.idle))
        self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        self.sock.settimeout(self.idle)
        self.session.tls_started()


def make_handler(
    store: Any,
    hostname: str,
    tls_context: ssl.SSLContext | None,
    session_class: Any = None,
    context_class: Any = None,
) -> Handler:
    """The per-connection handler for every SMTP listener (session classes injectable for tests)."""
    if session_class is None or context_class is None:
        from sidecars.smtp.session import SessionContext, SmtpSession

        session_class = session_class or SmtpSession
        context_class = context_class or SessionContext

    def handle(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
        context = context_class(
            store=store,
            hostname=hostname,
            listener=listener.name,
            peer_ip=str(address[0]),
            peer_port=int(address[1]),
            session_id=session_id,
            tls_active=listener.implicit_tls,
            tls_available=tls_context is not None and not listener.implicit_tls,
            log=listener.session_log(session_id),
        )
        session = session_class(context)
        SmtpConnection(sock, session, hostname, tls_context, listener.policy.idle_seconds).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """The SMTP service's listeners, for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(context.store, context.hostname, context.tls_context)
    refusal = refusal_for(context.hostname)
    return {name: Endpoint(handler, refusal, implicit_tls=tls) for name, tls in LISTENERS.items()}
