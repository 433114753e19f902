"""WebMail: the Flask application factory.

Only the health check exists so far; the interfaces (standard, mobile, ajax, pim) arrive as blueprints.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    if test_config:
        app.config.update(test_config)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    return app
