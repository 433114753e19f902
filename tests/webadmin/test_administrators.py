"""WebAdmin's administrators and administrator groups pages through the Flask test client: each form does
what it says in storage, refusals show storage's words next to their field, and a delegated administrator
reaches only what storage lets them (no page, no grant beyond what they hold)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from storage.store import Store
from tests.webadmin.conftest import DOMAIN, csrf_token, sign_in


def text(reply: TestResponse) -> str:
    return reply.get_data(as_text=True)


def post(client: FlaskClient, page_url: str, action: str, data: dict[str, str | list[str]]) -> TestResponse:
    """Post ``data`` (a list: ticked checkboxes) to ``action`` with the CSRF token of ``page_url``."""
    token = csrf_token(client.get(page_url))
    return client.post(action, data={"csrf_token": token, **data})


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}".*?<p class="error" role="alert">(.*?)</p>', page, re.S)
    assert found, f"no error under {field_id}"
    return found.group(1)


def test_add_an_administrator_and_grant_a_domain(admin_client: FlaskClient, store: Store) -> None:
    listing = "/administrators"
    assert "admin" in text(admin_client.get(listing))
    short = post(admin_client, listing, "/administrators/new", {"name": "dora", "password": "x"})
    assert short.status_code == 400 and "too short" in field_error(text(short), "password")
    added = post(
        admin_client, listing, "/administrators/new",
        {"name": "dora", "password": "dora-pass-1", "server_rights": ["queue", "logs"]},
    )  # fmt: skip
    assert added.status_code == 302 and added.headers["Location"].endswith("/administrators/dora")
    view = store.for_admin("admin")
    assert view.admins.get("dora").server_rights == ("logs", "queue")
    page = "/administrators/dora"
    granted = post(
        admin_client, page, f"{page}/grant",
        {"domain": DOMAIN, "rights": ["accounts", "groups"], "max_accounts": "3", "max_quota_mb": "100"},
    )  # fmt: skip
    assert granted.status_code == 302, text(granted)
    (grant,) = view.admins.get("dora").grants
    assert (grant.domain, grant.rights, grant.max_accounts, grant.max_account_quota_mb) == (
        DOMAIN, ("accounts", "groups"), 3, 100,
    )  # fmt: skip
    shown = text(admin_client.get(page))
    assert "accounts, groups" in shown and "100 MB" in shown
    assert [d.name for d in store.for_admin("dora").list_domains()] == [DOMAIN]

    post(admin_client, page, f"{page}/rights", {"server_rights": ["logs"]})
    assert view.admins.get("dora").server_rights == ("logs",)
    post(admin_client, page, f"{page}/password", {"password": "dora-pass-2"})
    assert store.admins.verify("dora", "dora-pass-2")
    post(admin_client, page, f"{page}/enabled", {"enabled": "no"})
    assert not view.admins.get("dora").enabled
    post(admin_client, page, f"{page}/enabled", {"enabled": "yes"})
    post(admin_client, page, f"{page}/revoke", {"domain": DOMAIN})
    assert view.admins.get("dora").grants == ()
    post(admin_client, page, f"{page}/delete", {})  # not confirmed: kept
    post(admin_client, page, f"{page}/delete", {"confirm": "yes"})
    assert [a.name for a in view.admins.list()] == ["admin"]


def test_the_last_server_wide_administrator_stays(admin_client: FlaskClient, store: Store) -> None:
    page = "/administrators/admin"
    assert post(admin_client, page, f"{page}/delete", {"confirm": "yes"}).status_code == 403
    demoted = post(admin_client, page, f"{page}/role", {})
    assert demoted.status_code == 400
    assert "last enabled server-wide administrator" in field_error(text(demoted), "server_wide")
    assert store.for_admin("admin").scope().is_server


def test_administrator_groups(admin_client: FlaskClient, store: Store) -> None:
    view = store.for_admin("admin")
    view.admins.add("dora", "dora-pass-1")
    listing = "/admin-groups"
    assert "No groups yet" in text(admin_client.get(listing))
    added = post(admin_client, listing, "/admin-groups/new", {"name": "helpdesk", "server_rights": ["queue"]})
    assert added.status_code == 302
    page = "/admin-groups/helpdesk"
    assert post(admin_client, page, f"{page}/members", {"admin": "dora"}).status_code == 302
    post(admin_client, page, f"{page}/grant", {"domain": DOMAIN, "rights": ["accounts"]})
    group = view.admin_groups.get("helpdesk")
    assert (group.members, group.server_rights, group.grants[0].rights) == (
        ("dora",),
        ("queue",),
        ("accounts",),
    )
    assert store.for_admin("dora").scope().server_rights == {"queue"}
    post(admin_client, page, f"{page}/members/remove", {"admin": "dora"})
    post(admin_client, page, f"{page}/revoke", {"domain": DOMAIN})
    post(admin_client, page, f"{page}/delete", {"confirm": "yes"})
    assert view.admin_groups.list() == []


def test_a_delegated_administrator_reaches_only_their_own(app: Flask, store: Store) -> None:
    view = store.for_admin("admin")
    view.admins.add("dora", "dora-pass-1")
    view.admins.grant(DOMAIN, admin="dora", rights="accounts")
    dora = app.test_client()
    assert sign_in(dora, "dora", "dora-pass-1").status_code == 302
    assert dora.get("/administrators").status_code == 403  # no "admins" permission
    assert 'href="/administrators"' not in text(dora.get("/dashboard"))

    view.admins.set_server_rights("dora", "admins")
    assert 'href="/administrators"' in text(dora.get("/dashboard"))  # the link shows with the permission
    view.admins.add("eve", "eve-pass-1")
    listing = text(dora.get("/administrators"))
    assert "/administrators/eve" in listing and "/administrators/admin" not in listing
    assert dora.get("/administrators/admin").status_code == 404
    page = "/administrators/eve"
    wider = post(dora, page, f"{page}/grant", {"domain": DOMAIN, "rights": ["accounts", "settings"]})
    assert wider.status_code == 400 and "cannot grant more" in field_error(text(wider), "domain")
    given = post(dora, page, f"{page}/rights", {"server_rights": ["queue"]})
    assert given.status_code == 400 and "do not hold: queue" in field_error(text(given), "server_rights")
    wide = post(
        dora,
        "/administrators",
        "/administrators/new",
        {"name": "x", "password": "x-pass-12", "server_wide": "y"},
    )
    assert wide.status_code == 400 and "may make an administrator server-wide" in field_error(
        text(wide), "name"
    )
    assert post(dora, page, f"{page}/grant", {"domain": DOMAIN, "rights": ["accounts"]}).status_code == 302
    assert view.admins.get("eve").grants[0].rights == ("accounts",)
    assert [a.name for a in view.admins.list()] == ["admin", "dora", "eve"]
