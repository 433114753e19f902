"""SMTP out: deliver queued mail to other servers (MX lookup, routing rules, STARTTLS, per-recipient
results). The processing service is the only caller; see ``client.py`` for the protocol side and
``routes.py`` for the ``relay.routes`` rule syntax.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from filters import dns
from sidecars.relay.client import Relay
from sidecars.relay.outcome import (
    DELIVERED,
    PERMANENT,
    TEMPORARY,
    DomainResult,
    OutboundEnvelope,
    Outcome,
    RecipientResult,
)
from sidecars.relay.routes import Route, RouteError, parse_route, route_for

if TYPE_CHECKING:
    from storage.store import Store

__all__ = [
    "DELIVERED",
    "PERMANENT",
    "TEMPORARY",
    "DomainResult",
    "OutboundEnvelope",
    "Outcome",
    "RecipientResult",
    "Relay",
    "Route",
    "RouteError",
    "parse_route",
    "relay_from_settings",
    "route_for",
]

SETTINGS = ("relay.port", "relay.timeout_seconds", "relay.routes", "relay.require_tls_domains")
CAFILE = "relay.tls_cafile"  # extra CAs for the verified TLS of relay.require_tls_domains


def relay_from_settings(store: Store, helo: str, log: Any = None) -> Relay:
    """A Relay for one processing run, configured from the server-level settings (read now).

    A routing rule that cannot be read is skipped (and logged), so one typo does not stop all mail.
    """
    values = store.settings.effective_many((*SETTINGS, CAFILE))
    routes = []
    for text in values["relay.routes"]:
        try:
            routes.append(parse_route(text))
        except RouteError as exc:
            if log is not None:
                log.error("%s", exc)
    return Relay(
        dns.configure_from(store),
        helo=helo,
        port=int(values["relay.port"]),
        timeout=float(values["relay.timeout_seconds"]),
        routes=routes,
        require_tls=values["relay.require_tls_domains"],
        tls_cafile=values[CAFILE] or None,
    )
