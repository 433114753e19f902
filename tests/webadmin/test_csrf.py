"""Every POST route of WebAdmin refuses a request without the CSRF token, signed in or not.

The routes are walked from the app's URL map, so a page module added later is covered without listing it:
each argument of a route is filled with a value its converter accepts (the token check runs before the
view, so the value need not name anything real).
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule


def url_of(app: Flask, rule: Rule) -> str:
    """The path of ``rule`` with every argument filled by a value its converter accepts."""
    values: dict[str, object] = {}
    for argument in rule.arguments:
        converter = type(rule._converters[argument]).__name__  # noqa: SLF001
        values[argument] = 1 if converter in ("IntegerConverter", "NumberConverter") else "example.test"
    return str(app.url_map.bind("localhost").build(rule.endpoint, values, method="POST"))


def post_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "POST" in (r.methods or set()) and r.endpoint != "static"]


def test_there_are_post_routes_to_check(app: Flask) -> None:
    assert {"auth.login", "auth.logout"} <= {r.endpoint for r in post_rules(app)}


def test_every_post_without_a_token_is_refused(admin_client: FlaskClient, app: Flask) -> None:
    for rule in post_rules(app):
        url = url_of(app, rule)
        reply = admin_client.post(url, data={"name": "x"})
        assert reply.status_code == 400, f"{rule.endpoint} ({url}) accepted a post without CSRF token"
        assert "Form expired" in reply.get_data(as_text=True), rule.endpoint
    assert admin_client.get("/dashboard").status_code == 200  # and nothing signed us out
