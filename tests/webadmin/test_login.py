"""Signing in and out of WebAdmin, and every way a session ends (webadmin/login.py, sessions.py)."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from storage.store import Store
from tests.webadmin.conftest import ADMIN, ADMIN_PASSWORD, csrf_token, sign_in


def test_anonymous_requests_go_to_the_sign_in_page(client: FlaskClient) -> None:
    reply = client.get("/dashboard")
    assert reply.status_code == 302
    assert reply.headers["Location"].startswith("/login?next=/dashboard")
    assert client.get("/").headers["Location"] == "/login"


def test_sign_in_opens_the_dashboard(client: FlaskClient, store: Store) -> None:
    reply = sign_in(client)
    assert reply.status_code == 302 and reply.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Signed in as admin" in page
    assert '<dd id="domain-count">1</dd>' in page
    assert '<dd id="account-count">' in page


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client: FlaskClient) -> None:
    page = client.get("/login?next=/dashboard")
    data = {"username": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page)}
    assert client.post("/login?next=/dashboard", data=data).headers["Location"] == "/dashboard"
    other = FlaskClient(client.application)
    page = other.get("/login")
    data["csrf_token"] = csrf_token(page)
    assert other.post("/login?next=//evil.test/x", data=data).headers["Location"] == "/dashboard"


def test_wrong_password_and_unknown_name_read_the_same(client: FlaskClient) -> None:
    wrong = sign_in(client, ADMIN, "not-the-password")
    unknown = sign_in(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong administrator name or password." in wrong.get_data(as_text=True)
    assert "Wrong administrator name or password." in unknown.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_a_mailbox_account_cannot_sign_in_to_webadmin(client: FlaskClient) -> None:
    assert sign_in(client, "alice@example.test", "pass-alice").status_code == 401


def test_repeated_failures_are_throttled_with_retry_after(client: FlaskClient, store: Store) -> None:
    store.settings.set("auth.free_failures", 1)
    store.settings.set("auth.base_delay_seconds", 30)
    from storage.auth import Auth

    store.auth = Auth(store)  # the throttle policy is read when a store opens
    for _ in range(2):
        sign_in(client, ADMIN, "bad-password")
    reply = sign_in(client, ADMIN, ADMIN_PASSWORD)  # even the right password waits
    assert reply.status_code == 429
    assert int(reply.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in reply.get_data(as_text=True)


def test_sign_out_needs_csrf_and_ends_the_session(admin_client: FlaskClient) -> None:
    assert admin_client.post("/logout").status_code == 400
    assert admin_client.get("/dashboard").status_code == 200
    token = csrf_token(admin_client.get("/dashboard"))
    assert admin_client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login"
    assert admin_client.get("/dashboard").status_code == 302


def test_a_password_change_ends_open_sessions(admin_client: FlaskClient, store: Store) -> None:
    store.admins.set_password(ADMIN, "a-new-password-2")
    reply = admin_client.get("/dashboard")
    assert reply.status_code == 302 and "/login" in reply.headers["Location"]
    assert "Your session has ended" in admin_client.get("/login").get_data(as_text=True)


def test_a_deleted_or_disabled_administrator_is_signed_out(app: Flask, store: Store) -> None:
    store.admins.set_password("second", "second-pass-1")
    client = app.test_client()
    assert sign_in(client, "second", "second-pass-1").status_code == 302
    store.admins.remove("second")
    assert client.get("/dashboard").status_code == 302
    disabled = app.test_client()
    assert sign_in(disabled).status_code == 302
    from sqlalchemy import update

    from storage import schema as s

    with store.db.write() as conn:
        conn.execute(update(s.admins).where(s.admins.c.name == ADMIN).values(enabled=False))
    assert disabled.get("/dashboard").status_code == 302
    assert sign_in(app.test_client()).status_code == 401  # and cannot sign in again


def test_idle_and_absolute_limits(admin_client: FlaskClient, store: Store) -> None:
    with admin_client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - 1801  # web.session_idle_seconds defaults to 1800
    assert admin_client.get("/dashboard").status_code == 302
    fresh = admin_client.application.test_client()
    sign_in(fresh)
    with fresh.session_transaction() as session:
        session["login_at"] = int(time.time()) - 12 * 3600 - 1
    assert fresh.get("/dashboard").status_code == 302


def test_a_second_step_interrupts_the_sign_in(app: Flask) -> None:
    from webadmin import login

    seen = []

    def needs_code(admin: object) -> str | None:
        seen.append(admin)
        return "auth.login"  # any endpoint stands for the second-step page here

    login.SECOND_STEPS.append(needs_code)
    try:
        client = app.test_client()
        reply = sign_in(client)
        assert reply.status_code == 302 and reply.headers["Location"] == "/login"
        assert client.get("/dashboard").status_code == 302  # not signed in yet
        with client.session_transaction() as session:
            assert session["pending_admin"] == ADMIN
        with app.test_request_context():
            from flask import session as request_session

            request_session.update({"pending_admin": ADMIN, "pending_at": int(time.time())})
            pending = login.pending()
            assert pending is not None and pending.name == ADMIN
    finally:
        login.SECOND_STEPS.remove(needs_code)
    assert len(seen) == 1
