"""WSGI entry point: ``gunicorn -k gevent wsgi:app`` (started by ``fieldpost serve`` as the web service).

One gunicorn serves both web listeners of the data directory (DESIGN.md 6): a request is handed to
WebAdmin when it arrived on the ``webadmin`` listener's port, to WebMail otherwise. The port is the one
the connection was accepted on (gunicorn's ``SERVER_PORT`` for a TCP listener comes from the socket,
not from the Host header), so a client cannot reach WebAdmin through WebMail's port or the reverse.
The listeners (and the port offset) come from ``$FIELDPOST_DATA`` / ``$FIELDPOST_PORT_OFFSET``, which
the supervisor sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fieldpost import config as configuration
from webadmin import create_app as create_webadmin
from webmail import create_app as create_webmail

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ByListener:
    """Dispatch each request to the app of the listener port it arrived on."""

    def __init__(self, default: WSGIApp, by_port: Mapping[str, WSGIApp]) -> None:
        self.default = default
        self.by_port = by_port

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = self.by_port.get(str(environ.get("SERVER_PORT", "")), self.default)
        return target(environ, start_response)


def build() -> ByListener:
    config = configuration.from_environment()
    webadmin = create_webadmin()
    ports = {
        str(listener.port): webadmin for listener in config.listeners("web") if listener.name == "webadmin"
    }
    return ByListener(create_webmail(), ports)


app = build()
