"""Standard pages for writing mail: new message, reply, reply to all, forward (inline or attached), a
saved draft (webmail/compose_routes.py), and the recipient suggestions the page's script asks for."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from webmail import composing
from webmail.compose_routes import add_compose_routes
from webmail.standard.blueprint import bp

add_compose_routes(bp, template="standard/compose.html", frame="layout/frame.html", json_answers=True)


@bp.get("/compose/suggest")
def compose_suggest() -> Any:
    return jsonify(composing.suggestions(request.args.get("q", "")))
