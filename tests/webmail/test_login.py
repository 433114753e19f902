"""Signing in and out through the login page, as a browser without JavaScript does."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from storage.errors import AuthFailed
from tests.webmail.conftest import AuthActions, Seeded, csrf_token, reload_throttle


def test_login_page_offers_the_form(client: FlaskClient) -> None:
    page = client.get("/login")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="username"' in text and 'name="password"' in text
    assert 'name="domain"' not in text  # one hosted domain: no drop-down


def test_root_sends_anonymous_visitors_to_login(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"].endswith("/login")
    assert "/login" in client.get("/mail/").headers["Location"]
    assert "/login" in client.get("/m/").headers["Location"]


def test_login_with_full_address_lands_in_the_inbox(client: FlaskClient, auth: AuthActions) -> None:
    reply = auth.login()
    assert reply.status_code == 302 and reply.headers["Location"] == "/mail/"
    inbox = client.get("/mail/", follow_redirects=True)
    assert "Welcome to WebMail" in inbox.get_data(as_text=True)
    assert client.get("/").headers["Location"] == "/mail/"


def test_login_with_name_only_on_a_single_domain(auth: AuthActions) -> None:
    assert auth.login("alice", "pass-alice").headers["Location"] == "/mail/"


def test_several_domains_show_a_drop_down(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.domains.add("other.test")
    text = client.get("/login").get_data(as_text=True)
    assert '<select id="domain" name="domain">' in text
    assert '<option value="other.test"' in text
    assert auth.login("alice", "pass-alice", domain="example.test").headers["Location"] == "/mail/"


def test_name_without_a_domain_choice_is_explained(auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.domains.add("other.test")
    reply = auth.login("alice", "pass-alice", domain="nowhere.test")
    assert reply.status_code == 400
    assert "Choose the domain" in reply.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_clear_message(auth: AuthActions) -> None:
    reply = auth.login(password="wrong")
    text = reply.get_data(as_text=True)
    assert reply.status_code == 401
    assert "Wrong address or password" in text
    assert "wrong" not in text.replace("Wrong", "")  # the password is not echoed back


def test_unknown_user_reads_like_a_wrong_password(auth: AuthActions) -> None:
    unknown = auth.login("nobody@example.test", "whatever").get_data(as_text=True)
    assert "Wrong address or password" in unknown


def test_webmail_switched_off_refuses_login(auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.settings.set("services.webmail", False, account="alice@example.test")
    reply = auth.login()
    assert reply.status_code == 401
    assert "WebMail is not enabled" in reply.get_data(as_text=True)


def test_disabled_account_refuses_login(auth: AuthActions, seeded: Seeded) -> None:
    seeded.store.accounts.set_enabled("alice@example.test", False)
    assert auth.login().status_code == 401


def test_throttle_is_shared_with_the_other_services(auth: AuthActions, seeded: Seeded) -> None:
    """Failures seen by any service (here: IMAP, through the same storage call) slow WebMail down."""
    store = seeded.store
    store.settings.set("auth.free_failures", 1)
    store.settings.set("auth.base_delay_seconds", 30)
    reload_throttle(store)
    for _ in range(2):
        with pytest.raises(AuthFailed):
            store.auth.verify("alice@example.test", "bad", ip="127.0.0.1", service="imap")
    reply = auth.login()
    assert reply.status_code == 429
    assert int(reply.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in reply.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/login")
    reply = client.post("/login", data={"username": "alice@example.test", "password": "pass-alice"})
    assert reply.status_code == 400
    assert "Form expired" in reply.get_data(as_text=True)
    assert client.get("/mail/").status_code == 302


def test_next_goes_back_to_the_page_asked_for_but_never_off_site(client: FlaskClient) -> None:
    page = client.get("/login?next=/m/")
    data = {"username": "alice@example.test", "password": "pass-alice", "csrf_token": csrf_token(page)}
    assert client.post("/login?next=/m/", data=data).headers["Location"] == "/m/"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/m/"))})
    page = client.get("/login")
    data["csrf_token"] = csrf_token(page)
    assert client.post("/login?next=//evil.test/x", data=data).headers["Location"] == "/mail/"


def test_logout_needs_post_and_csrf_and_ends_the_session(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/mail/").status_code == 302 or client.get("/mail/").status_code == 200
    reply = auth.logout()
    assert reply.status_code == 302 and reply.headers["Location"] == "/login"
    assert "/login" in client.get("/mail/").headers["Location"]
