"""Headers, cookies and error pages of WebAdmin (webadmin/security.py, errors.py)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.webadmin.conftest import sign_in


def test_every_page_carries_a_strict_policy(client: FlaskClient) -> None:
    reply = client.get("/login")
    policy = reply.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(admin_client: FlaskClient) -> None:
    for url in ("/login", "/dashboard", "/no-such-page"):
        page = admin_client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert "<style" not in page and " style=" not in page, url


def test_the_cookie_is_its_own_httponly_and_strict(client: FlaskClient) -> None:
    reply = sign_in(client)
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("fieldpost_admin=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # "auto" over plain http in the test client


def test_secure_cookies_always(store: object) -> None:
    from webadmin import create_app

    app = create_app(
        {"TESTING": True, "STORE": store, "SECRET_KEY": "k", "FIELDPOST_SECURE_COOKIES": "always"}
    )
    cookie = sign_in(app.test_client()).headers["Set-Cookie"]
    assert "Secure" in cookie


def test_unknown_pages_get_the_error_page(admin_client: FlaskClient) -> None:
    reply = admin_client.get("/no-such-page")
    assert reply.status_code == 404
    assert "There is no such page." in reply.get_data(as_text=True)


def test_static_files_are_served(client: FlaskClient) -> None:
    reply = client.get("/static/webadmin.css")
    assert reply.status_code == 200 and reply.mimetype == "text/css"
    reply.close()


def test_health_answers_without_a_session(client: FlaskClient) -> None:
    assert client.get("/health").get_json() == {"status": "ok", "role": "webadmin"}
