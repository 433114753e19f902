"""SMTP over gevent: the socket side of the sans-IO :class:`sidecars.smtp.session.SmtpSession`.

Listeners (names from :mod:`fieldpost.config`): ``smtp`` (MX: plain, STARTTLS offered),
``submission`` (STARTTLS; the session requires authentication) and ``submissions`` (implicit TLS,
RFC 8314). Access rules, flow control, session ids and idle timeouts come from :mod:`sidecars.net`.

Implementation notes:
- The read/feed/write loop, STARTTLS and the ends of a connection are sidecars.net.connection's; this
  module supplies the SMTP session and the parting replies: idle "421 4.4.2", stopping "421 4.3.2",
  a local error "421 4.3.0".
- STARTTLS (RFC 3207): bytes the client pipelined after STARTTLS are the session's to discard (RFC 3207
  section 4.2); nothing read before the handshake is fed after it.
- The session commits a message to the queue inside ``receive`` before it returns "250 queued", so a
  connection dropped at any point never loses an acknowledged message.
- Protocol traces are the session's to log (it knows when it is inside DATA); this module logs only
  connection events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gevent import ssl

from sidecars.net.connection import PartingWords, SansIOSession, SessionConnection
from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext

if TYPE_CHECKING:
    from storage.store import Store

IDLE_TIMEOUT = "421 4.4.2 {host} idle timeout, closing connection\r\n"
LOCAL_ERROR = "421 4.3.0 {host} local error, closing connection\r\n"
SHUTTING_DOWN = "421 4.3.2 {host} service shutting down, try again later\r\n"
BUSY = "421 4.7.0 {host} {reason}, try again later\r\n"
DENIED_REPLY = "554 5.7.1 {host} access denied\r\n"  # RFC 5321 3.1: 554 in place of the greeting

#: listener name -> implicit TLS
LISTENERS = {"smtp": False, "submission": False, "submissions": True}


def refusal_for(hostname: str) -> Callable[[str], bytes]:
    """The line a refused client reads, by the reason :mod:`sidecars.net.listener` gives."""

    def refusal(reason: str) -> bytes:
        template = DENIED_REPLY if reason == DENIED else BUSY
        return template.format(host=hostname, reason=reason).encode()

    return refusal


def make_handler(
    store: Store,
    hostname: str,
    tls_context: ssl.SSLContext | None,
    session_class: Callable[[Any], SansIOSession] | None = None,
    context_class: Callable[..., Any] | None = None,
) -> Handler:
    """The per-connection handler for every SMTP listener (session classes injectable for tests)."""
    if session_class is None or context_class is None:
        from sidecars.smtp.conversation import SessionContext
        from sidecars.smtp.session import SmtpSession

        session_class = session_class or SmtpSession
        context_class = context_class or SessionContext

    words = PartingWords(
        idle_timeout=IDLE_TIMEOUT.format(host=hostname).encode(),
        local_error=LOCAL_ERROR.format(host=hostname).encode(),
        shutting_down=SHUTTING_DOWN.format(host=hostname).encode(),
    )

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
        SessionConnection(sock, session, tls_context, listener.standing(session_id), words).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """The SMTP service's listeners, for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(context.store, context.hostname, context.tls_context)
    refusal = refusal_for(context.hostname)
    return {name: Endpoint(handler, refusal, implicit_tls=tls) for name, tls in LISTENERS.items()}
