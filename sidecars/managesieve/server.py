"""ManageSieve over gevent: the socket side of the sans-IO :class:`ManageSieveSession`.

Only the ``managesieve`` listener (of the ``imap`` service in :mod:`fieldpost.config`) is served:
plain TCP with STARTTLS offered when a TLS pair is loaded. Access rules, flow control, session ids and
idle timeouts come from :mod:`sidecars.net` (``net.imap.*`` settings).

Implementation notes:
- One greenlet per connection: write the greeting (capabilities + OK), then feed whatever is read to
  the session and write what it answers. This module never interprets a command.
- STARTTLS: the session's OK is written in clear, the socket wrapped, then what ``tls_started``
  returns (the capabilities again, RFC 5804 2.2) is written over TLS.
- Ends: the session asks to close (LOGOUT, BYE) after its last words; otherwise (client gone, idle,
  stopping, an error) ``connection_lost()`` is called and, where possible, a BYE written first.
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
LISTENER = "managesieve"

IDLE_TIMEOUT = b'BYE "idle timeout, closing connection"\r\n'
LOCAL_ERROR = b'BYE (TRYLATER) "local error, closing connection"\r\n'
SHUTTING_DOWN = b'BYE (TRYLATER) "service shutting down, try again later"\r\n'


def refusal(reason: str) -> bytes:
    if reason == DENIED:
        return b'BYE "access denied"\r\n'
    return (
        b'BYE (TRYLATER) "' + reason.replace('"', "'").replace("\\", "/").encode() + b', try again later"\r\n'
    )


class ManageSieveConnection:
    def __init__(self, sock: Any, session: Any, tls_context: ssl.SSLContext | None, idle: float) -> None:
        self.sock = sock
        self.session = session
        self.tls_context = tls_context
        self.idle = idle

    def run(self) -> None:
        closed_by_session = False
        try:
            self.sock.sendall(self.session.banner())
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
                    self.sock.sendall(out.data)
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

    def _last_word(self, data: bytes) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            self.sock.settimeout(LAST_WORD_SECONDS)
            self.sock.sendall(data)

    def _start_tls(self) -> None:
        if self.tls_context is None:
            raise RuntimeError("STARTTLS started without a TLS context")
        self.sock.settimeout(min(HANDSHAKE_SECONDS, self.idle))
        self.sock = self.tls_context.wrap_socket(self.sock, server_side=True)
        self.sock.settimeout(self.idle)
        self.sock.sendall(self.session.tls_started())


def make_handler(store: Any, hostname: str, tls_context: ssl.SSLContext | None) -> Handler:
    from sidecars.managesieve.session import ManageSieveSession, SessionContext

    def handle(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
        try:
            allow_plaintext = bool(store.settings.get("smtp.allow_plaintext_auth"))
        except Exception:
            allow_plaintext = False
        context = SessionContext(
            store=store,
            hostname=hostname,
            peer_ip=str(address[0]),
            session_id=session_id,
            tls_active=listener.implicit_tls,
            tls_available=tls_context is not None and not listener.implicit_tls,
            log=listener.session_log(session_id),
            allow_plaintext=allow_plaintext,
        )
        session = ManageSieveSession(context)
        ManageSieveConnection(sock, session, tls_context, listener.policy.idle_seconds).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """Only the ``managesieve`` listener, for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(context.store, context.hostname, context.tls_context)
    return {LISTENER: Endpoint(handler, refusal, implicit_tls=False)}
