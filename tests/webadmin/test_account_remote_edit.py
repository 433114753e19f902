"""Changing an account's remote mailbox in WebAdmin (webadmin/pages/account_remote_edit.py): the form
shows the stored values, an empty password keeps the stored one, a new one replaces it; bad input is
shown on the form and changes nothing; a post without the token, a delegated administrator without
"accounts", another account's mailbox and another tenant's account are refused."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from storage.remote_accounts import RemoteAccount, RemoteSpec
from storage.store import Store
from tests.webadmin.conftest import ADMIN, csrf_token, delegate, post_form, sign_in

ALICE = "alice@example.test"
LIST = f"/accounts/{ALICE}/remote"


def added(store: Store, address: str = ALICE) -> RemoteAccount:
    return store.for_admin(ADMIN).remote_accounts.add(
        address, RemoteSpec(protocol="pop3", host="pop.remote.test", username="al", password="old-pw")
    )


def stored_password(store: Store, remote_id: int) -> str:
    (due,) = [d for d in store.remote_accounts.due() if d.remote.id == remote_id]
    return due.password


def form(**changes: str) -> dict[str, str]:
    base = {
        "protocol": "pop3",
        "host": "pop.remote.test",
        "port": "995",
        "security": "implicit",
        "username": "al",
        "password": "",
        "folder": "INBOX",
        "every": "10",
        "enabled": "y",
    }
    return {**base, **changes}


def test_the_list_links_to_a_form_with_the_stored_values(admin_client: FlaskClient, store: Store) -> None:
    remote = added(store)
    page = f"{LIST}/{remote.id}"
    assert f'href="{page}" id="change-remote-{remote.id}"' in admin_client.get(LIST).get_data(as_text=True)
    html = admin_client.get(page).get_data(as_text=True)
    assert 'value="pop.remote.test"' in html and 'value="995"' in html and 'value="al"' in html
    assert "old-pw" not in html


def test_change_keeps_the_password_when_left_empty_then_replaces_it(
    admin_client: FlaskClient, store: Store
) -> None:
    remote = added(store)
    page = f"{LIST}/{remote.id}"
    reply = post_form(
        admin_client, page, page, form(host="pop.elsewhere.test", username="al2", every="30", delete="y")
    )
    assert reply.status_code == 302 and reply.headers["Location"].endswith(LIST)
    (changed,) = store.for_admin(ADMIN).remote_accounts.list(ALICE)
    assert (changed.id, changed.host, changed.username) == (remote.id, "pop.elsewhere.test", "al2")
    assert changed.interval_seconds == 1800 and not changed.keep_on_server and changed.enabled
    assert stored_password(store, remote.id) == "old-pw"
    assert "changed; it is fetched within a minute" in admin_client.get(LIST).get_data(as_text=True)

    reply = post_form(admin_client, page, page, form(password="new-pw", enabled=""))
    assert reply.status_code == 302
    (changed,) = store.for_admin(ADMIN).remote_accounts.list(ALICE)
    assert not changed.enabled and changed.host == "pop.remote.test"
    post_form(admin_client, page, page, form())  # switched off mailboxes are never due: on again
    assert stored_password(store, remote.id) == "new-pw"


def test_bad_input_is_shown_and_changes_nothing(admin_client: FlaskClient, store: Store) -> None:
    remote = added(store)
    page = f"{LIST}/{remote.id}"
    for bad, text in (
        (form(host=""), "This field is required."),
        (form(every="20000"), "Number must be between 1 and 10080."),
        (form(port="70000"), "Number must be between 1 and 65535."),
        (form(folder="No such folder"), "does not exist in your mailbox"),
        (form(security="none"), "without TLS are not allowed"),
        (form(protocol="smtp"), "protocol must be one of"),
        (form(host="bad host!"), "server: not a host name or address"),
    ):
        reply = post_form(admin_client, page, page, bad)
        assert reply.status_code == 400 and text in reply.get_data(as_text=True), bad
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE) == [remote]
    assert admin_client.get(f"{LIST}/99999").status_code == 404


def test_a_post_without_the_token_is_refused(admin_client: FlaskClient, store: Store) -> None:
    remote = added(store)
    reply = admin_client.post(f"{LIST}/{remote.id}", data=form(host="x.test"))
    assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE) == [remote]


def test_delegates_and_other_accounts_are_refused(app: Flask, store: Store) -> None:
    store.domains.add("other.test")
    store.accounts.add("dave@other.test", "pass-dave-1")
    mine, daves = added(store), added(store, "dave@other.test")
    bob_page = f"/accounts/bob@example.test/remote/{mine.id}"
    root = app.test_client()
    assert sign_in(root).status_code == 302
    assert root.get(bob_page).status_code == 404  # alice's mailbox through bob's address
    token = csrf_token(root.get(LIST))
    assert root.post(bob_page, data={"csrf_token": token, **form(host="x.test")}).status_code == 404

    delegate(store, "reader", "example.test", rights="settings")
    reader = app.test_client()
    assert sign_in(reader, "reader").status_code == 302
    assert reader.get(f"{LIST}/{mine.id}").status_code == 200
    token = csrf_token(reader.get(LIST))
    reply = reader.post(f"{LIST}/{mine.id}", data={"csrf_token": token, **form(host="x.test")})
    assert reply.status_code == 403

    delegate(store, "tenant", "example.test", rights="all")
    tenant = app.test_client()
    assert sign_in(tenant, "tenant").status_code == 302
    dave_page = f"/accounts/dave@other.test/remote/{daves.id}"
    assert tenant.get(dave_page).status_code == 404
    token = csrf_token(tenant.get(LIST))
    assert tenant.post(dave_page, data={"csrf_token": token, **form(host="x.test")}).status_code == 404
    assert store.for_admin(ADMIN).remote_accounts.list(ALICE) == [mine]
    assert store.for_admin(ADMIN).remote_accounts.list("dave@other.test") == [daves]
