"""ManageSieve over gevent: the socket side of the sans-IO :class:`ManageSieveSession`.

Only the ``managesieve`` listener (of the ``imap`` service in :mod:`fieldpost.config`) is served:
plain TCP with STARTTLS offered when a TLS pair is loaded. Access rules, flow control, session ids and
idle timeouts come from :mod:`sidecars.net` (``net.imap.*`` settings).

Implementation notes:
- The read/feed/write loop is sidecars.net.connection's; STARTTLS: the session's OK is written in
  clear, the socket wrapped, then what ``tls_started`` returns (the capabilities again, RFC 5804 2.2)
  is written over TLS.
- Ends: the session asks to close (LOGOUT, BYE) after its last words; otherwise ``connection_lost()``
  is called and, where possible, a BYE written first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gevent import ssl

from sidecars.net.connection import PartingWords, SessionConnection
from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext

if TYPE_CHECKING:
    from storage.store import Store

LISTENER = "managesieve"

WORDS = PartingWords(
    idle_timeout=b'BYE "idle timeout, closing connection"\r\n',
    local_error=b'BYE (TRYLATER) "local error, closing connection"\r\n',
    shutting_down=b'BYE (TRYLATER) "service shutting down, try again later"\r\n',
)


def refusal(reason: str) -> bytes:
    if reason == DENIED:
        return b'BYE "access denied"\r\n'
    return (
        b'BYE (TRYLATER) "' + reason.replace('"', "'").replace("\\", "/").encode() + b', try again later"\r\n'
    )


def make_handler(store: Store, hostname: str, tls_context: ssl.SSLContext | None) -> Handler:
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
        SessionConnection(sock, session, tls_context, listener.standing(session_id), WORDS).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """Only the ``managesieve`` listener, for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(context.store, context.hostname, context.tls_context)
    return {LISTENER: Endpoint(handler, refusal, implicit_tls=False)}
