"""Resetting another administrator's two-step sign-in from WebAdmin (webadmin/pages/admin_two_step.py),
what ``fieldpost two-step reset-admin`` does: a server-wide administrator's button turns the factor off
(the administrator then signs in with the password alone); bad names, a post without the token and a
delegated administrator (even one holding the "admins" server permission) are refused."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storage import totp
from storage.store import Store
from tests.webadmin.conftest import ADMIN_PASSWORD, csrf_token, delegate, post_form, sign_in

T0 = 1_900_000_005.0
PAGE = "/administrators/helper"
RESET = "/administrators/helper/two-step/reset"


@pytest.fixture
def helper_with_factor(store: Store) -> Store:
    """Administrator ``helper`` (server-wide, password ADMIN_PASSWORD) with two-step sign-in on."""
    store.second_factors.clock = lambda: T0
    store.admins.set_password("helper", ADMIN_PASSWORD)
    factor = store.second_factors.for_admin("helper")
    factor.confirm(totp.code_at(factor.enrol().secret, T0))
    assert factor.state().on
    return store


def test_reset_turns_the_factor_off_and_the_password_alone_signs_in(
    app: Flask, admin_client: FlaskClient, helper_with_factor: Store
) -> None:
    store = helper_with_factor
    assert sign_in(app.test_client(), "helper").headers["Location"].endswith("/login/code")
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert 'id="two-step-reset"' in page and "Reset two-step sign-in" in page
    reply = post_form(admin_client, PAGE, RESET, {})
    assert reply.status_code == 302 and reply.headers["Location"].endswith(PAGE)
    assert "Two-step sign-in of helper was turned off." in admin_client.get(PAGE).get_data(as_text=True)
    assert not store.second_factors.for_admin("helper").state().on
    assert sign_in(app.test_client(), "helper").headers["Location"].endswith("/dashboard")
    post_form(admin_client, PAGE, RESET, {})
    assert "helper does not use two-step sign-in" in admin_client.get(PAGE).get_data(as_text=True)


def test_an_unknown_administrator_is_not_found(admin_client: FlaskClient) -> None:
    reply = post_form(admin_client, "/administrators", "/administrators/nobody/two-step/reset", {})
    assert reply.status_code == 404


def test_a_post_without_the_token_is_refused(admin_client: FlaskClient, helper_with_factor: Store) -> None:
    reply = admin_client.post(RESET)
    assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)
    assert admin_client.get(RESET).status_code == 405
    assert helper_with_factor.second_factors.for_admin("helper").state().on


def test_a_delegated_administrator_cannot_reset(app: Flask, helper_with_factor: Store) -> None:
    store = helper_with_factor
    delegate(store, "tenant", "example.test", rights="all", server_rights="all")
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    token = csrf_token(client.get("/administrators"))
    assert client.post(RESET, data={"csrf_token": token}).status_code == 403
    assert store.second_factors.for_admin("helper").state().on
