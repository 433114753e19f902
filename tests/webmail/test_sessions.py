"""Session limits: idle and absolute, read live from the settings; password changes end sessions."""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded


def _age(client: FlaskClient, *, seen: float = 0, login: float = 0) -> None:
    with client.session_transaction() as session:
        session["seen_at"] = int(session["seen_at"] - seen)
        session["login_at"] = int(session["login_at"] - login)


def test_idle_session_ends(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.settings.set("web.session_idle_seconds", 120)
    auth.login()
    _age(client, seen=60)
    assert client.get("/m/").status_code == 200  # within the limit: still signed in
    _age(client, seen=121)
    reply = client.get("/m/")
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]
    assert "Your session has ended" in client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "/login" in client.get("/m/").headers["Location"]


def test_activity_keeps_the_session_alive(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    _age(client, seen=1700)
    assert client.get("/m/").status_code == 200
    with client.session_transaction() as session:
        assert session["seen_at"] >= int(time.time()) - 5


def test_requests_close_together_send_no_cookie(client: FlaskClient, auth: AuthActions) -> None:
    """The last request's time is written at most once a minute: a response still on its way when the
    user signs out in another tab carries no cookie to sign the browser in again."""
    auth.login()
    client.get("/m/")  # the first page after login stores its CSRF secret in the session
    assert "Set-Cookie" not in client.get("/m/").headers
    _age(client, seen=61)
    assert "session=" in client.get("/m/").headers.get("Set-Cookie", "")  # a minute on: written again
    assert "Set-Cookie" not in client.get("/m/").headers


def test_absolute_limit_ends_an_active_session(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    seeded.store.settings.set("web.session_max_seconds", 600, account="alice@example.test")
    auth.login()
    _age(client, login=599)
    assert client.get("/m/").status_code == 200
    _age(client, login=2)
    assert "/login" in client.get("/m/").headers["Location"]


def test_switching_webmail_off_ends_open_sessions(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    seeded.store.settings.set("services.webmail", False, account="alice@example.test")
    assert "/login" in client.get("/m/").headers["Location"]


def test_password_change_ends_open_sessions(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    seeded.store.accounts.set_password("alice@example.test", "a-new-password")
    reply = client.get("/m/")
    assert reply.headers["Location"] == "/login?next=/m/?"
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert page.count('class="note note-') == 1 and "Your session has ended" in page


def test_cookie_has_no_expiry_and_the_limits_are_server_side(client: FlaskClient, auth: AuthActions) -> None:
    cookie = auth.login().headers["Set-Cookie"]
    assert "Expires" not in cookie
