"""The Mobile settings pages (``/m/settings/...``) through Flask's test client, signed in through the real
login form: each page is well-formed XHTML, saves through the user's own facade (the same code as the
Standard pages), shows errors next to the field at fault, and cannot reach another account's data."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from filters.user_rules import UserFilters
from tests.webmail.conftest import AuthActions, Seeded, csrf_token
from tests.webmail.test_mobile_xhtml import well_formed

PAGES = (
    "/m/settings",
    "/m/settings/out-of-office",
    "/m/settings/rules",
    "/m/settings/rules/new",
    "/m/settings/senders",
    "/m/settings/aliases",
    "/m/settings/password",
)


def post(client: FlaskClient, url: str, data: dict[str, str], *, page: str | None = None) -> TestResponse:
    form = client.get(page or url)
    assert form.status_code == 200, form.status_code
    return client.post(url, data={"csrf_token": csrf_token(form), **data})


def shown(reply: TestResponse) -> str:
    """The page's text, after checking it parses as XML (what an XHTML browser on a phone needs)."""
    page = reply.get_data(as_text=True)
    well_formed(page)
    return page


def test_every_settings_page_is_linked_and_well_formed(client: FlaskClient, auth: AuthActions) -> None:
    auth.login(interface="mobile")
    home = shown(client.get("/m/settings"))
    for url in PAGES:
        reply = client.get(url)
        assert reply.status_code == 200, url
        shown(reply)
        if url != "/m/settings/rules/new":
            assert f'href="{url}"' in home, url


def test_a_post_without_csrf_token_is_refused(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    reply = client.post("/m/settings/senders", data={"blocked": "pest@far.example", "safe": ""})
    assert reply.status_code == 400
    assert seeded.store.for_user(seeded.alice.id).preferences.sender_list("lists.blocked_senders") == ()


def test_sender_lists(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    reply = post(client, "/m/settings/senders", {"blocked": "pest@far.example\r\nspam.example", "safe": ""})
    assert reply.status_code == 302 and reply.location.endswith("/m/settings/senders")
    prefs = seeded.store.for_user(seeded.alice.id).preferences
    assert prefs.sender_list("lists.blocked_senders") == ("pest@far.example", "spam.example")
    page = shown(client.get("/m/settings/senders"))
    assert "pest@far.example\nspam.example" in page and "Your sender lists were saved." in page
    reply = post(client, "/m/settings/senders", {"blocked": "not@valid@x", "safe": ""})
    page = shown(reply)
    assert reply.status_code == 200
    assert '<p class="field has-error">\n<label for="blocked">' in page and 'class="field-error"' in page
    assert prefs.sender_list("lists.blocked_senders") == ("pest@far.example", "spam.example")
    bobs = seeded.store.for_user(seeded.bob.id).preferences
    assert bobs.sender_list("lists.blocked_senders") == ()


def test_temporary_aliases(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    reply = post(client, "/m/settings/aliases", {"local_part": "shop", "days": "5"})
    assert reply.status_code == 302
    page = shown(client.get("/m/settings/aliases"))
    assert "shop@example.test" in page and "receives mail from now on" in page
    reply = post(client, "/m/settings/aliases", {"local_part": "bob", "days": "5"})
    page = shown(reply)
    assert "already taken" in page and '<label for="local_part">' in page.split('class="field-error"')[0]
    reply = post(client, "/m/settings/aliases", {"local_part": "", "days": "999"})
    page = shown(reply)
    assert "1 to 30 days" in page and 'class="field has-error">\n<label for="days">' in page
    bobs = seeded.store.for_user(seeded.bob.id).temporary_aliases.create("bobs")
    reply = post(client, "/m/settings/aliases/delete", {"address": bobs.address}, page="/m/settings/aliases")
    assert reply.status_code == 404
    assert seeded.store.for_user(seeded.bob.id).temporary_aliases.list() == [bobs]
    reply = post(
        client, "/m/settings/aliases/delete", {"address": "shop@example.test"}, page="/m/settings/aliases"
    )
    assert reply.status_code == 302
    assert seeded.store.for_user(seeded.alice.id).temporary_aliases.list() == []


def test_rules_new_toggle_delete(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    rule = {"name": "Boss", "field_1": "from", "operator_1": "contains", "value_1": "boss@"}
    reply = post(client, "/m/settings/rules/new", {**rule, "action": "flag", "enabled": "y"})
    assert reply.status_code == 302 and reply.location.endswith("/m/settings/rules")
    rules = UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.rules
    assert [(r.name, r.action, r.enabled, len(r.conditions)) for r in rules] == [("Boss", "flag", True, 1)]
    page = shown(client.get("/m/settings/rules"))
    assert "Boss" in page and "Turn off" in page
    post(client, "/m/settings/rules/1/toggle", {}, page="/m/settings/rules")
    assert not UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.rules[0].enabled
    assert "Turn on" in shown(client.get("/m/settings/rules"))
    post(client, "/m/settings/rules/1/delete", {}, page="/m/settings/rules")
    assert UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.rules == ()


def test_rule_errors_are_next_to_their_fields(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    auth.login(interface="mobile")
    reply = post(client, "/m/settings/rules/new", {"name": "x", "value_1": "", "action": "flag"})
    page = shown(reply)
    assert reply.status_code == 200 and 'class="field has-error">\n<label for="value_1">' in page
    reply = post(
        client,
        "/m/settings/rules/new",
        {"name": "x", "value_1": "a", "action": "forward", "address": "alice@example.test"},
    )
    page = shown(reply)
    assert 'class="field has-error">\n<label for="address">' in page
    assert UserFilters(seeded.store.for_user(seeded.alice.id)).state().exists is False


def test_bob_cannot_change_alices_rules(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login(interface="mobile")
    rule = {"name": "Mine", "value_1": "x", "action": "flag", "enabled": "y"}
    assert post(client, "/m/settings/rules/new", rule).status_code == 302
    client = app.test_client()
    AuthActions(client).login("bob@example.test", "pass-bob", interface="mobile")
    reply = post(client, "/m/settings/rules/1/delete", {}, page="/m/settings/rules")
    assert reply.status_code == 404  # bob has no rule 1; alice's are not his
    assert "Mine" not in shown(client.get("/m/settings/rules"))
    assert [r.name for r in UserFilters(seeded.store.for_user(seeded.alice.id)).state().data.rules] == [
        "Mine"
    ]
