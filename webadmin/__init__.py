"""WebAdmin: the administrator's web interface, on its own listener (port 9000 in development).

Only a placeholder so far: every page says WebAdmin is not built yet and points to the CLI, which does
everything WebAdmin will. Its issue brings the real blueprint; the placeholder keeps the listener
honest meanwhile (an answer, not a connection refused or a 404 without explanation).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

PLACEHOLDER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WebAdmin &#8212; Fieldpost</title></head>
<body><h1>WebAdmin is not built yet</h1>
<p>Administer this server with the command line meanwhile: <code>fieldpost --help</code>.</p>
<p>WebMail is on its own port (8000 in development).</p></body></html>
"""

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    if test_config:
        app.config.update(test_config)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok", role="webadmin")

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def placeholder(path: str) -> Any:
        return Response(PLACEHOLDER, status=503, mimetype="text/html")

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
