"""The console over gevent: the socket side of the sans-IO :class:`CliSession`.

Two listeners of the ``cli`` service (:mod:`fieldpost.config`): ``cli`` (plain TCP, STARTTLS offered when
a TLS pair is loaded) and ``clis`` (TLS from the first byte; skipped without a pair). Access rules, flow
control, error limits, session ids, idle timeouts and the session log come from :mod:`sidecars.net`
(``net.cli.*`` settings).

Implementation notes:
- The read/feed/write loop is sidecars.net.connection's; STARTTLS: the session's ``+OK`` is written in
  clear, the socket wrapped, then the ``<login>`` prompt is written again over TLS.
- Settings read per connection: ``cli.allow_plaintext_auth`` and ``cli.max_commands`` (a change applies to
  the next session); the error limits are the listener policy's, reloaded by sidecars.net.
- Service commands ask the supervisor through its control socket (fieldpost.control_client), from this
  greenlet; the socket is monkey-patched, so a slow stop of another service blocks only this session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gevent import ssl

from fieldpost import config as configuration
from fieldpost import control_client
from sidecars.cli.state import CommandFailed, ServiceControl
from sidecars.net.connection import PartingWords, SessionConnection
from sidecars.net.listener import DENIED, Handler, ListenerServer
from sidecars.net.service import Endpoint, ServiceContext

if TYPE_CHECKING:
    from storage.store import Store

PLAIN, IMPLICIT_TLS = "cli", "clis"

WORDS = PartingWords(
    idle_timeout=b"-ERR: idle timeout, closing the connection\r\n",
    local_error=b"-ERR: local error, closing the connection; try again later\r\n",
    shutting_down=b"-ERR: the console service is stopping; try again later\r\n",
)


def refusal(reason: str) -> bytes:
    if reason == DENIED:
        return b"-ERR: access denied\r\n"
    text = reason.replace("\r", " ").replace("\n", " ")
    return f"-ERR: {text}, try again later\r\n".encode()


def supervisor_control(config: configuration.Config) -> ServiceControl:
    """Requests to the supervisor of this data directory; its refusals become ``CommandFailed``."""

    def ask(command: str, service: str | None) -> dict[str, Any]:
        try:
            return control_client.request(config, command, service)
        except control_client.ControlError as exc:
            raise CommandFailed(str(exc)) from None

    return ask


def make_handler(
    store: Store, hostname: str, tls_context: ssl.SSLContext | None, service_control: ServiceControl | None
) -> Handler:
    from sidecars.cli.session import CliSession
    from sidecars.cli.state import SessionContext

    def handle(sock: Any, address: tuple[Any, ...], session_id: str, listener: ListenerServer) -> None:
        try:
            values = store.settings.effective_many(["cli.allow_plaintext_auth", "cli.max_commands"])
        except Exception:
            values = {"cli.allow_plaintext_auth": False, "cli.max_commands": 100_000}
        context = SessionContext(
            store=store,
            hostname=hostname,
            peer_ip=str(address[0]),
            session_id=session_id,
            tls_active=listener.implicit_tls,
            tls_available=tls_context is not None and not listener.implicit_tls,
            log=listener.session_log(session_id),
            allow_plaintext=bool(values["cli.allow_plaintext_auth"]),
            errors=listener.policy.errors,
            max_commands=int(values["cli.max_commands"]),
            control=service_control,
        )
        session = CliSession(context)
        SessionConnection(sock, session, tls_context, listener.standing(session_id), WORDS).run()

    return handle


def build_endpoints(context: ServiceContext) -> dict[str, Endpoint]:
    """Both console listeners, for :func:`sidecars.net.service.run_service`."""
    handler = make_handler(
        context.store, context.hostname, context.tls_context, supervisor_control(context.config)
    )
    return {
        PLAIN: Endpoint(handler, refusal, implicit_tls=False),
        IMPLICIT_TLS: Endpoint(handler, refusal, implicit_tls=True),
    }
