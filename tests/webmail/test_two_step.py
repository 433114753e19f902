"""Two-step sign-in and app passwords in WebMail, through the Flask test client with a fixed clock:
setting up (QR code, key, first code, recovery codes shown once), the second step at sign-in (code,
replay, recovery code, too many wrong codes), turning it off, and the app passwords pages (Standard and
Mobile), each as the browser would post them (CSRF tokens included)."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storage import totp
from tests.webmail.conftest import AuthActions, Seeded, csrf_token, reload_throttle

T0 = 1_900_000_005.0


@pytest.fixture
def clock(seeded: Seeded) -> list[float]:
    now = [T0]
    seeded.store.second_factors.clock = lambda: now[0]
    return now


def token_of(client: FlaskClient, url: str) -> str:
    return csrf_token(client.get(url))


def turn_on(client: FlaskClient, auth: AuthActions, clock: list[float]) -> tuple[str, list[str]]:
    """alice sets two-step sign-in up through the Standard pages; returns the key and recovery codes."""
    assert auth.login().status_code == 302
    page = client.get("/mail/settings/two-step")
    assert "Two-step sign-in is off" in page.get_data(as_text=True)
    started = client.post("/mail/settings/two-step/enrol", data={"csrf_token": csrf_token(page)})
    assert started.status_code == 302
    page = client.get("/mail/settings/two-step")
    text = page.get_data(as_text=True)
    secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', text)
    assert secret, text
    qr = re.search(r'<img src="(data:image/svg\+xml[^"]+)"', text)
    assert qr and "img-src 'self' data:" in page.headers["Content-Security-Policy"]
    wrong = client.post(
        "/mail/settings/two-step/confirm", data={"csrf_token": csrf_token(page), "code": "12345x"}
    )
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    done = client.post(
        "/mail/settings/two-step/confirm",
        data={"csrf_token": csrf_token(page), "code": totp.code_at(secret.group(1), clock[0])},
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    again = client.get("/mail/settings/two-step").get_data(as_text=True)
    assert "is on since" in again and not any(code in again for code in codes)  # shown once only
    return secret.group(1), codes


def test_set_up_then_sign_in_with_a_code(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, clock: list[float]
) -> None:
    secret, _ = turn_on(client, auth, clock)
    auth.logout()
    step_one = auth.login()
    assert step_one.status_code == 302 and step_one.headers["Location"].endswith("/login/code")
    assert "/login" in client.get("/mail/settings/").headers["Location"]  # not signed in yet
    page = client.get("/login/code")
    assert "authenticator app" in page.get_data(as_text=True)
    # the code that turned it on is used: replay refused
    used = client.post("/login/code", data={"csrf_token": csrf_token(page), "code": totp.code_at(secret, T0)})
    assert used.status_code == 401
    clock[0] = T0 + 30
    ok = client.post(
        "/login/code", data={"csrf_token": csrf_token(page), "code": totp.code_at(secret, T0 + 30)}
    )
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/mail/")
    assert client.get("/mail/settings/").status_code == 200


def test_recovery_code_signs_in_once(client: FlaskClient, auth: AuthActions, clock: list[float]) -> None:
    _, codes = turn_on(client, auth, clock)
    auth.logout()
    auth.login()
    page = client.get("/login/code")
    ok = client.post(
        "/login/code", data={"csrf_token": csrf_token(page), "code": codes[0]}, follow_redirects=True
    )
    assert ok.status_code == 200 and "9 are left" in html.unescape(ok.get_data(as_text=True))
    auth.logout()
    auth.login()
    page = client.get("/login/code")
    again = client.post("/login/code", data={"csrf_token": csrf_token(page), "code": codes[0]})
    assert again.status_code == 401


def test_too_many_wrong_codes_start_over(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, clock: list[float]
) -> None:
    seeded.store.settings.set("auth.free_failures", 100)  # the throttle is tested in storage
    reload_throttle(seeded.store)
    turn_on(client, auth, clock)
    auth.logout()
    auth.login()
    page = client.get("/login/code")
    token = csrf_token(page)
    answers = [
        client.post("/login/code", data={"csrf_token": token, "code": "aaaaa-bbbbb-ccccc"}) for _ in range(5)
    ]
    assert [a.status_code for a in answers[:4]] == [401] * 4
    assert answers[4].status_code == 302 and answers[4].headers["Location"].endswith("/login")
    assert client.get("/login/code").status_code == 302  # the pending sign-in is gone


def test_wrong_codes_are_throttled(client: FlaskClient, auth: AuthActions, clock: list[float]) -> None:
    turn_on(client, auth, clock)
    auth.logout()
    auth.login()
    token = csrf_token(client.get("/login/code"))
    statuses = [
        client.post("/login/code", data={"csrf_token": token, "code": "123456"}).status_code for _ in range(6)
    ]
    assert statuses[:3] == [401] * 3 and 429 in statuses, statuses


def test_turning_it_on_ends_the_other_sessions(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: list[float]
) -> None:
    other = app.test_client()
    assert AuthActions(other).login().status_code == 302
    assert other.get("/mail/settings/").status_code == 200
    turn_on(client, auth, clock)  # this session goes on (turn_on reads the settings page after)
    assert client.get("/mail/settings/").status_code == 200
    ended = other.get("/mail/settings/")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]


def test_the_confirming_page_forms_work(client: FlaskClient, auth: AuthActions, clock: list[float]) -> None:
    """The session starts again when it is turned on: the page's forms carry the new session's token."""
    auth.login()
    page = client.get("/mail/settings/two-step")
    client.post("/mail/settings/two-step/enrol", data={"csrf_token": csrf_token(page)})
    page = client.get("/mail/settings/two-step")
    found = re.search(r'id="two-step-secret">([A-Z2-7]+)<', page.get_data(as_text=True))
    assert found
    code = totp.code_at(found.group(1), clock[0])
    done = client.post("/mail/settings/two-step/confirm", data={"csrf_token": csrf_token(page), "code": code})
    out = client.post("/logout", data={"csrf_token": csrf_token(done)})
    assert out.status_code == 302 and out.headers["Location"].endswith("/login")


def test_code_page_without_a_password_step(client: FlaskClient) -> None:
    answer = client.get("/login/code")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")


def test_turn_off_needs_a_code(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, clock: list[float]
) -> None:
    secret, codes = turn_on(client, auth, clock)
    token = token_of(client, "/mail/settings/two-step")
    refused = client.post("/mail/settings/two-step/disable", data={"csrf_token": token, "off-code": "000000"})
    assert refused.status_code == 400
    done = client.post("/mail/settings/two-step/disable", data={"csrf_token": token, "off-code": codes[1]})
    assert done.status_code == 302
    assert not seeded.store.for_user(seeded.alice.id).second_factor.state().on
    auth.logout()
    assert auth.login().headers["Location"].endswith("/mail/")  # the password alone again


def test_new_recovery_codes(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, clock: list[float]
) -> None:
    secret, old = turn_on(client, auth, clock)
    clock[0] = T0 + 30
    token = token_of(client, "/mail/settings/two-step")
    made = client.post(
        "/mail/settings/two-step/recovery-codes",
        data={"csrf_token": token, "new-code": totp.code_at(secret, T0 + 30)},
    )
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", made.get_data(as_text=True))
    assert made.status_code == 200 and len(codes) == 10 and not set(codes) & set(old)


def test_app_passwords_pages(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, clock: list[float]
) -> None:
    auth.login()
    before = client.get("/mail/settings/app-passwords").get_data(as_text=True)
    assert "for accounts with two-step sign-in" in before
    auth.logout()
    turn_on(client, auth, clock)
    page = client.get("/mail/settings/app-passwords")
    made = client.post(
        "/mail/settings/app-passwords", data={"csrf_token": csrf_token(page), "name": "Thunderbird"}
    )
    text = made.get_data(as_text=True)
    password = re.search(r'id="new-app-password">([a-z ]{19})<', text)
    assert made.status_code == 200 and password
    # a mail program signs in with it
    account = seeded.store.auth.verify(
        "alice@example.test", password.group(1), service="imap", ip="192.0.2.8"
    )
    assert account.id == seeded.alice.id
    listed = client.get("/mail/settings/app-passwords").get_data(as_text=True)
    assert "Thunderbird" in listed and "192.0.2.8" in listed and password.group(1) not in listed
    duplicate = client.post(
        "/mail/settings/app-passwords", data={"csrf_token": csrf_token(page), "name": "Thunderbird"}
    )
    assert duplicate.status_code == 400 and "already have" in html.unescape(duplicate.get_data(as_text=True))
    # the Mobile page lists it and revokes it
    mobile = client.get("/m/settings/app-passwords")
    assert mobile.status_code == 200 and "Thunderbird" in mobile.get_data(as_text=True)
    app_id = re.search(r'name="id" value="(\d+)"', mobile.get_data(as_text=True))
    assert app_id
    revoked = client.post(
        "/m/settings/app-passwords/revoke", data={"csrf_token": csrf_token(mobile), "id": app_id.group(1)}
    )
    assert revoked.status_code == 302
    assert "Thunderbird" not in client.get("/m/settings/app-passwords").get_data(as_text=True)
    assert "is on since" in client.get("/m/settings/two-step").get_data(as_text=True)


def test_revoking_another_accounts_app_password_is_not_found(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, clock: list[float]
) -> None:
    mine = seeded.store.for_user(seeded.alice.id)
    factor = mine.second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, T0))
    made = mine.app_passwords.create("phone")
    auth.login("bob@example.test", "pass-bob")
    page = client.get("/mail/settings/app-passwords")
    answer = client.post(
        "/mail/settings/app-passwords/revoke", data={"csrf_token": csrf_token(page), "id": str(made.id)}
    )
    assert answer.status_code == 404
    assert [p.name for p in mine.app_passwords.list()] == ["phone"]
