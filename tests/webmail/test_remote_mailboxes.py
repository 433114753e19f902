"""The "Other mailboxes" settings page: add, change, fetch now, remove; errors next to their field."""

from __future__ import annotations

import html

from flask.testing import FlaskClient

from tests.webmail.conftest import AuthActions, Seeded, csrf_token

PAGE = "/mail/settings/remote"


def form(client: FlaskClient, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "csrf_token": csrf_token(client.get(PAGE)),
        "template": "",
        "protocol": "pop3",
        "host": "pop.example.net",
        "port": "",
        "security": "implicit",
        "username": "alice.elsewhere",
        "password": "remote-pw",
        "folder": "INBOX",
        "minutes": "15",
        "keep_on_server": "y",
        "enabled": "y",
    }
    base.update(fields)
    return base


def mine(seeded: Seeded):  # type: ignore[no-untyped-def]
    return seeded.store.for_user(seeded.alice.id).remote_accounts


def test_add_change_fetch_now_and_remove(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    page = client.get(PAGE).get_data(as_text=True)
    assert "No other mailbox is fetched into this one." in page
    done = client.post(PAGE, data=form(client))
    assert done.status_code == 302
    (added,) = mine(seeded).list()
    assert (added.host, added.port, added.interval_seconds, added.keep_on_server) == (
        "pop.example.net",
        995,
        900,
        True,
    )
    listing = client.get(PAGE).get_data(as_text=True)
    assert "alice.elsewhere — pop.example.net (POP3)" in listing
    assert "remote-pw" not in listing  # never shown back

    # change: the password left empty keeps the stored one
    editing = client.get(f"{PAGE}?edit={added.id}").get_data(as_text=True)
    assert 'value="alice.elsewhere"' in editing and "remote-pw" not in editing
    changed = client.post(PAGE, data=form(client, remote_id=str(added.id), password="", keep_on_server=""))
    assert changed.status_code == 302
    assert mine(seeded).get(added.id).keep_on_server is False
    assert seeded.store.remote_accounts.due()[0].password == "remote-pw"

    token = csrf_token(client.get(PAGE))
    seeded.store.remote_accounts.claim(mine(seeded).get(added.id))
    assert seeded.store.remote_accounts.due() == []
    assert client.post(f"{PAGE}/fetch", data={"csrf_token": token, "id": added.id}).status_code == 302
    assert [d.remote.id for d in seeded.store.remote_accounts.due()] == [added.id]
    assert client.post(f"{PAGE}/delete", data={"csrf_token": token, "id": added.id}).status_code == 302
    assert mine(seeded).list() == []


def test_a_provider_fills_in_the_server(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    assert client.post(PAGE, data=form(client, template="gmail", host="", protocol="pop3")).status_code == 302
    (added,) = mine(seeded).list()
    assert (added.protocol, added.host, added.port, added.tls_mode) == (
        "imap",
        "imap.gmail.com",
        993,
        "implicit",
    )


def test_errors_come_back_next_to_their_field(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login()
    for fields, words in [
        ({"host": "not a host"}, "server: not a host name or address"),
        ({"minutes": "1"}, "interval must be 5 minutes to 7 days"),
        ({"security": "none"}, "remote mailboxes without TLS are not allowed here"),
        ({"password": ""}, "the remote password is required"),
        ({"host": "", "template": ""}, "Choose a provider or fill in the server."),
    ]:
        answer = client.post(PAGE, data=form(client, **fields))
        assert answer.status_code == 400, fields
        assert words in html.unescape(answer.get_data(as_text=True)), fields
    assert mine(seeded).list() == []


def test_posts_without_the_csrf_token_are_refused(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    data = form(client)
    del data["csrf_token"]
    assert client.post(PAGE, data=data).status_code == 400
    assert mine(seeded).list() == []


def test_another_users_mailbox_is_not_reachable(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    from storage.remote_accounts import RemoteSpec

    bobs = seeded.store.for_user(seeded.bob.id).remote_accounts.add(
        RemoteSpec(protocol="imap", host="imap.example.net", username="bob", password="x")
    )
    auth.login()
    token = csrf_token(client.get(PAGE))
    assert client.get(f"{PAGE}?edit={bobs.id}").status_code == 404
    assert client.post(f"{PAGE}/delete", data={"csrf_token": token, "id": bobs.id}).status_code == 404
    assert client.post(f"{PAGE}/fetch", data={"csrf_token": token, "id": "x"}).status_code == 404
    assert seeded.store.for_user(seeded.bob.id).remote_accounts.list() == [bobs]
