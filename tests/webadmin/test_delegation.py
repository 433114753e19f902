"""A delegated administrator in WebAdmin: sees their domains only, gets 404 for every page of another
domain (by any route, GET or POST), 403 for server-level work, and the grant's limits as field errors."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from storage.store import Store
from tests.webadmin.conftest import csrf_token, delegate, post_form, sign_in

OTHER = "other.test"
#: route arguments that name something inside a domain; a route with none of them is server-level work
#: (a service, a queue entry) and answers 403 to a delegated administrator without that permission
#: what the forms ask before they reach storage (a confirmation box, a name...), all filled in
FORM = {"new_name": "x.test", "alias": "y.test", "confirm": "yes", "confirm_name": OTHER, "enabled": "no"}
IN_A_DOMAIN = ("domain", "address", "account", "alias", "group", "forwarder", "member", "recipient", "folder")


def delegated_client(app: Flask, store: Store, **grant: object) -> FlaskClient:
    store.domains.add(OTHER)
    delegate(store, "tenant", "example.test", **grant)  # type: ignore[arg-type]
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    return client


def filled(app: Flask, rule: Rule) -> str | None:
    """The route with every argument naming something of the other domain (None: an id-only route)."""
    values: dict[str, object] = {}
    for argument in rule.arguments:
        converter = type(rule._converters[argument]).__name__  # noqa: SLF001
        if converter in ("IntegerConverter", "NumberConverter"):
            return None
        values[argument] = OTHER if "domain" in argument else f"someone@{OTHER}"
    return str(app.url_map.bind("localhost").build(rule.endpoint, values))


def test_the_lists_and_dashboard_show_only_their_domains(app: Flask, store: Store) -> None:
    client = delegated_client(app, store)
    listed = client.get("/domains").get_data(as_text=True)
    assert "example.test" in listed and OTHER not in listed
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert '<dd id="domain-count">1</dd>' in dashboard and "domain administrator" in dashboard
    assert "Server settings" not in dashboard  # the server-only link is not offered


def test_every_route_on_another_domain_is_not_found(app: Flask, store: Store) -> None:
    client = delegated_client(app, store)
    token = csrf_token(client.get("/dashboard"))
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static":
            continue
        url = filled(app, rule)
        if url is None:
            continue
        expected = {404} if any(w in a for a in rule.arguments for w in IN_A_DOMAIN) else {403, 404}
        methods = rule.methods or set()
        if "GET" in methods:
            assert client.get(url).status_code in expected, f"GET {url} ({rule.endpoint})"
        if "POST" in methods:
            reply = client.post(url, data={"csrf_token": token, **FORM})
            assert reply.status_code in expected, f"POST {url} ({rule.endpoint})"
        checked += 1
    assert checked >= 8
    assert store.domains.get(OTHER).name == OTHER  # nothing happened to it


def test_server_level_work_is_forbidden(app: Flask, store: Store) -> None:
    client = delegated_client(app, store)
    assert client.get("/settings/server").status_code == 403
    added = post_form(
        client,
        "/domains/new",
        "/domains/new",
        {"name": "mine.test", "password": "p-pass-12", "confirm": "p-pass-12"},
    )
    assert added.status_code == 403
    url = "/domains/example.test"
    assert post_form(client, url, f"{url}/rename", {"new_name": "x.test"}).status_code == 403
    assert post_form(client, url, f"{url}/aliases", {"alias": "y.test"}).status_code == 403
    assert store.domains.get("example.test").aliases == ()


def test_their_domain_settings_within_their_permissions(app: Flask, store: Store) -> None:
    client = delegated_client(app, store, max_account_quota_mb=100)
    page = client.get("/domains/example.test/settings?section=web").get_data(as_text=True)
    assert "Inherits the default:" in page
    url = "/accounts/alice@example.test/settings"
    over = post_form(
        client,
        f"{url}?section=quota",
        url,
        {"section": "quota", "mode.quota.storage_bytes": "set", "value.quota.storage_bytes": "1G"},
    )
    assert over.status_code == 400 and "mailbox size limit" in over.get_data(as_text=True)
    assert store.settings.explicit(account="alice@example.test") == {}
    fine = post_form(
        client,
        f"{url}?section=quota",
        url,
        {"section": "quota", "mode.quota.storage_bytes": "set", "value.quota.storage_bytes": "50M"},
    )
    assert fine.status_code == 302
    assert store.settings.explicit(account="alice@example.test") == {"quota.storage_bytes": 50 * 1024**2}


def test_a_read_only_grant_sees_but_cannot_change(app: Flask, store: Store) -> None:
    client = delegated_client(app, store, rights="")
    url = "/domains/example.test/settings"
    assert client.get(url).status_code == 200
    reply = post_form(
        client,
        f"{url}?section=web",
        url,
        {"section": "web", "mode.web.session_idle_seconds": "set", "value.web.session_idle_seconds": "5m"},
    )
    assert reply.status_code == 403
    assert store.settings.explicit(domain="example.test") == {}


def test_links_follow_server_permissions(app: Flask, store: Store) -> None:
    client = delegated_client(app, store, server_rights="config")
    side = client.get("/domains/example.test").get_data(as_text=True)
    assert 'href="/settings/server"' in side  # "config" shows the server settings
    assert 'href="/domains/new"' not in side  # no "domains": no adding
    assert '<a href="/domains" aria-current="page">' in side  # a domain's page sits under "All domains"
    assert client.get("/settings/server").status_code == 200
