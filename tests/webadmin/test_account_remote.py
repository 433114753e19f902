"""Remote mailboxes of an account in WebAdmin (webadmin/pages/account_remote.py): listed with their state,
added (a provider template fills the server), fetched now, deleted; bad input, CSRF, a delegated
administrator without "accounts" and another tenant's account answered as a user would see them."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from storage.names import utcnow
from storage.remote_accounts import RemoteSpec
from storage.store import Store
from tests.webadmin.conftest import ADMIN, csrf_token, delegate, post_form, sign_in

ALICE = "alice@example.test"
PAGE = f"/accounts/{ALICE}/remote"
GOOD = {"template": "", "host": "mail.remote.test", "username": "al", "password": "secret", "every": "10"}


def test_add_with_a_template_then_list_fetch_and_delete(admin_client: FlaskClient, store: Store) -> None:
    page = admin_client.get(PAGE)
    assert page.status_code == 200 and "This account fetches no remote mailbox." in page.get_data(
        as_text=True
    )
    reply = post_form(
        admin_client,
        PAGE,
        PAGE,
        {"template": "gmail", "username": "al@gmail.com", "password": "s", "every": "15"},
    )
    assert reply.status_code == 302
    (remote,) = store.for_admin(ADMIN).remote_accounts.list(ALICE)
    assert (remote.protocol, remote.host, remote.port, remote.tls_mode) == (
        "imap",
        "imap.gmail.com",
        993,
        "implicit",
    )
    assert remote.interval_seconds == 900 and remote.keep_on_server and remote.folder == "INBOX"
    html = admin_client.get(PAGE).get_data(as_text=True)
    assert "al@gmail.com@imap.gmail.com:993" in html and "never" in html

    assert store.remote_accounts.claim(remote)  # a run, as the fetcher makes it: next turn 15 min away
    store.remote_accounts.finish(remote.id, "login refused")
    html = admin_client.get(PAGE).get_data(as_text=True)
    assert "login refused" in html and "never" not in html
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE)[0].next_run_at > utcnow() + timedelta(
        minutes=10
    )
    reply = post_form(admin_client, PAGE, f"{PAGE}/{remote.id}/fetch", {})
    assert reply.status_code == 302
    (fetched,) = store.for_admin(ADMIN).remote_accounts.list(ALICE)
    assert fetched.next_run_at <= utcnow()

    reply = post_form(admin_client, PAGE, f"{PAGE}/{remote.id}/delete", {})
    assert reply.status_code == 302
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE) == []


def test_the_account_page_links_here(admin_client: FlaskClient) -> None:
    assert f'href="{PAGE}"' in admin_client.get(f"/accounts/{ALICE}").get_data(as_text=True)


def test_bad_input_is_shown_on_the_form(admin_client: FlaskClient, store: Store) -> None:
    reply = post_form(admin_client, PAGE, PAGE, {**GOOD, "host": "", "template": ""})
    assert reply.status_code == 400 and "Name the server, or pick a provider." in reply.get_data(as_text=True)
    reply = post_form(admin_client, PAGE, PAGE, {**GOOD, "folder": "No such folder"})
    assert reply.status_code == 400
    assert re.search(r'id="folder"[^\n]*\n[^\n]*does not exist in your mailbox', reply.get_data(as_text=True))
    reply = post_form(admin_client, PAGE, PAGE, {**GOOD, "security": "none"})
    assert reply.status_code == 400 and "without TLS are not allowed" in reply.get_data(as_text=True)
    reply = post_form(admin_client, PAGE, PAGE, {**GOOD, "every": "0"})
    assert reply.status_code == 400
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE) == []


def test_a_post_without_the_token_is_refused(admin_client: FlaskClient, store: Store) -> None:
    reply = admin_client.post(PAGE, data=GOOD)
    assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE) == []


def _tenant(app: Flask, store: Store, rights: str) -> FlaskClient:
    store.domains.add("other.test")
    store.accounts.add("dave@other.test", "pass-dave-1")
    delegate(store, "tenant", "example.test", rights=rights)
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    return client


def test_a_delegate_without_accounts_sees_but_may_not_change(app: Flask, store: Store) -> None:
    remote = store.for_admin(ADMIN).remote_accounts.add(
        ALICE, RemoteSpec(protocol="pop3", host="pop.remote.test", username="al", password="pw")
    )
    client = _tenant(app, store, "settings")
    assert client.get(PAGE).status_code == 200
    token = csrf_token(client.get(PAGE))
    assert client.post(PAGE, data={"csrf_token": token, **GOOD}).status_code == 403
    assert client.post(f"{PAGE}/{remote.id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{PAGE}/{remote.id}/fetch", data={"csrf_token": token}).status_code == 403
    assert [r.id for r in store.for_admin(ADMIN).remote_accounts.list(ALICE)] == [remote.id]


def test_another_tenants_account_is_not_found(app: Flask, store: Store) -> None:
    other = "/accounts/dave@other.test/remote"
    client = _tenant(app, store, "all")
    assert client.get(other).status_code == 404
    token = csrf_token(client.get(PAGE))
    assert client.post(other, data={"csrf_token": token, **GOOD}).status_code == 404
    assert client.post(f"{other}/1/delete", data={"csrf_token": token}).status_code == 404
    assert store.for_admin(ADMIN).remote_accounts.list("dave@other.test") == []
