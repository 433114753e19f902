"""Two-step sign-in in WebAdmin with a fixed clock: an administrator sets it up (QR code, first code,
recovery codes shown once), then signs in with the code (or a recovery code) after the password; and an
administrator resets an account's two-step sign-in, which a delegated administrator of another domain
cannot even see."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from storage import totp
from storage.store import Store
from tests.webadmin.conftest import csrf_token, post_form, sign_in

T0 = 1_900_000_005.0


@pytest.fixture
def clock(store: Store) -> list[float]:
    now = [T0]
    store.second_factors.clock = lambda: now[0]
    return now


def set_up(client: FlaskClient, clock: list[float]) -> tuple[str, list[str]]:
    page = client.get("/me/two-step")
    assert "Two-step sign-in is off" in page.get_data(as_text=True)
    assert client.post("/me/two-step/enrol", data={"csrf_token": csrf_token(page)}).status_code == 302
    page = client.get("/me/two-step")
    text = page.get_data(as_text=True)
    secret = re.search(r'id="two-step-secret">([A-Z2-7]+)<', text)
    assert secret and 'src="data:image/svg+xml' in text
    wrong = post_form(client, "/me/two-step", "/me/two-step/confirm", {"code": "x"})
    assert wrong.status_code == 400
    done = post_form(
        client, "/me/two-step", "/me/two-step/confirm", {"code": totp.code_at(secret.group(1), T0)}
    )
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    # the session started again: the page's own forms carry its new token (storage answers, not CSRF)
    again = client.post("/me/two-step/enrol", data={"csrf_token": csrf_token(done)})
    assert again.status_code == 302
    assert "already on" in client.get("/me/two-step").get_data(as_text=True)
    assert "is on" in client.get("/me/two-step").get_data(as_text=True)
    return secret.group(1), codes


def sign_out(client: FlaskClient) -> None:
    page = client.get("/me/two-step")
    client.post("/logout", data={"csrf_token": csrf_token(page)})


def test_administrator_signs_in_with_a_code(admin_client: FlaskClient, clock: list[float]) -> None:
    secret, codes = set_up(admin_client, clock)
    sign_out(admin_client)
    step_one = sign_in(admin_client)
    assert step_one.status_code == 302 and step_one.headers["Location"].endswith("/login/code")
    assert "/login" in admin_client.get("/me/two-step").headers["Location"]  # not signed in yet
    page = admin_client.get("/login/code")
    replay = admin_client.post(
        "/login/code", data={"csrf_token": csrf_token(page), "code": totp.code_at(secret, T0)}
    )
    assert replay.status_code == 401
    clock[0] = T0 + 30
    ok = admin_client.post(
        "/login/code", data={"csrf_token": csrf_token(page), "code": totp.code_at(secret, T0 + 30)}
    )
    assert ok.status_code == 302
    assert admin_client.get("/me/two-step").status_code == 200
    sign_out(admin_client)
    sign_in(admin_client)
    page = admin_client.get("/login/code")
    assert (
        admin_client.post("/login/code", data={"csrf_token": csrf_token(page), "code": codes[0]}).status_code
        == 302
    )
    # turning it off needs a code
    clock[0] = T0 + 60
    refused = post_form(admin_client, "/me/two-step", "/me/two-step/disable", {"code": codes[0]})
    assert refused.status_code == 400
    off = post_form(
        admin_client, "/me/two-step", "/me/two-step/disable", {"code": totp.code_at(secret, T0 + 60)}
    )
    assert off.status_code == 302
    sign_out(admin_client)
    assert "/login/code" not in sign_in(admin_client).headers["Location"]  # the password alone again


def test_code_page_needs_the_password_first(client: FlaskClient) -> None:
    answer = client.get("/login/code")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")


def test_reset_an_accounts_two_step_sign_in(
    admin_client: FlaskClient, store: Store, clock: list[float]
) -> None:
    alice = store.accounts.get("alice@example.test")
    factor = store.for_user(alice.id).second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, T0))
    store.for_user(alice.id).app_passwords.create("phone")
    edit = admin_client.get("/accounts/alice@example.test").get_data(as_text=True)
    assert re.search(
        r'href="/accounts/two-step\?address=alice(@|%40)example.test" id="account-two-step"', edit
    )
    page = admin_client.get("/accounts/two-step?address=alice@example.test")
    assert "uses two-step sign-in (10 recovery codes left)" in page.get_data(as_text=True)
    reset = admin_client.post(
        "/accounts/two-step/reset", data={"csrf_token": csrf_token(page), "address": "alice@example.test"}
    )
    assert reset.status_code == 302
    assert not factor.state().on and store.for_user(alice.id).app_passwords.list() == []
    again = admin_client.get("/accounts/two-step?address=alice@example.test").get_data(as_text=True)
    assert "does not use two-step sign-in" in again


def test_delegated_administrator_cannot_reach_another_domain(
    client: FlaskClient, store: Store, clock: list[float]
) -> None:
    store.domains.add("other.test")
    view = store.for_admin("admin")
    view.admins.add("helper", "helper-pass-1")
    view.admins.grant("other.test", admin="helper")
    alice = store.accounts.get("alice@example.test")
    factor = store.for_user(alice.id).second_factor
    factor.confirm(totp.code_at(factor.enrol().secret, T0))
    assert sign_in(client, "helper", "helper-pass-1").status_code == 302
    assert client.get("/accounts/two-step?address=alice@example.test").status_code == 404
    page = client.get("/accounts/two-step")
    refused = client.post(
        "/accounts/two-step/reset", data={"csrf_token": csrf_token(page), "address": "alice@example.test"}
    )
    assert refused.status_code == 404 and factor.state().on
