"""WebAdmin's groups, forwarders, account classes and public folders pages through the Flask test client:
every form does what it says, and a refused one shows storage's words next to its field."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from storage.store import Store
from tests.storage.conftest import build_message
from tests.webadmin.conftest import DOMAIN, post_form


def text(reply: object) -> str:
    return reply.get_data(as_text=True)  # type: ignore[attr-defined]


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}".*?<p class="error" role="alert">(.*?)</p>', page, re.S)
    assert found, f"no error under {field_id}"
    return found.group(1)


def test_groups_and_their_members(admin_client: FlaskClient, store: Store) -> None:
    listing = f"/groups?domain={DOMAIN}"
    assert "No groups yet" in text(admin_client.get(listing))
    added = post_form(admin_client, listing, f"/groups/new?domain={DOMAIN}", {"name": "team"})
    assert added.status_code == 302
    taken = post_form(admin_client, listing, f"/groups/new?domain={DOMAIN}", {"name": "alice"})
    assert taken.status_code == 400 and "already taken" in field_error(text(taken), "name")
    url = f"/groups/team@{DOMAIN}"
    for member in ("alice", "bob@example.test", "someone@far.test"):
        assert post_form(admin_client, url, f"{url}/members", {"member": member}).status_code == 302
    assert store.groups.get(f"team@{DOMAIN}").members == (
        f"alice@{DOMAIN}",
        f"bob@{DOMAIN}",
        "someone@far.test",
    )
    nobody = post_form(admin_client, url, f"{url}/members", {"member": "nobody"})
    assert nobody.status_code == 400 and "does not exist" in field_error(text(nobody), "member")
    post_form(admin_client, url, f"{url}/members/remove", {"member": "someone@far.test"})
    assert "someone@far.test" not in store.groups.get(f"team@{DOMAIN}").members
    assert "team@example.test" in text(admin_client.get(listing))
    post_form(admin_client, url, f"{url}/delete", {})  # not confirmed: kept
    assert store.groups.get(f"team@{DOMAIN}")
    post_form(admin_client, url, f"{url}/delete", {"confirm": "yes"})
    assert store.groups.list(DOMAIN) == []


def test_forwarders_and_their_targets(admin_client: FlaskClient, store: Store) -> None:
    listing = f"/forwarders?domain={DOMAIN}"
    new = f"/forwarders/new?domain={DOMAIN}"
    added = post_form(admin_client, listing, new, {"name": "sales", "targets": "a@far.test\nbob"})
    assert added.status_code == 302, text(added)
    assert store.forwarders.list(DOMAIN)[0].targets == ("a@far.test", f"bob@{DOMAIN}")
    bad = post_form(admin_client, listing, new, {"name": "info", "targets": "not an address"})
    assert bad.status_code == 400 and "invalid" in field_error(text(bad), "targets")
    taken = post_form(admin_client, listing, new, {"name": "sales", "targets": "a@far.test"})
    assert "already taken" in field_error(text(taken), "name")
    url = f"/forwarders/sales@{DOMAIN}"
    assert "a@far.test" in text(admin_client.get(url))
    saved = post_form(admin_client, url, url, {"targets": "c@far.test, d@far.test"})
    assert saved.status_code == 302
    assert store.forwarders.list(DOMAIN)[0].targets == ("c@far.test", "d@far.test")
    refused = post_form(admin_client, url, url, {"targets": "x@"})
    assert refused.status_code == 400 and field_error(text(refused), "targets")
    assert store.forwarders.list(DOMAIN)[0].targets == ("c@far.test", "d@far.test")
    post_form(admin_client, listing, f"{url}/delete", {})
    assert store.forwarders.list(DOMAIN) == []
    assert admin_client.get(url).status_code == 404


def test_account_classes(admin_client: FlaskClient, store: Store) -> None:
    listing = f"/classes?domain={DOMAIN}"
    assert (
        post_form(admin_client, listing, f"/classes/new?domain={DOMAIN}", {"name": "staff"}).status_code
        == 302
    )
    again = post_form(admin_client, listing, f"/classes/new?domain={DOMAIN}", {"name": "staff"})
    assert again.status_code == 400 and "already exists" in field_error(text(again), "name")
    store.accounts.set_class(f"alice@{DOMAIN}", "staff")
    page = text(admin_client.get(listing))
    assert re.search(r"staff.*?<td>1</td>", page, re.S)
    post_form(admin_client, listing, f"/classes/new?domain={DOMAIN}", {"name": "guests"})
    clash = post_form(
        admin_client,
        listing,
        f"/classes/rename?domain={DOMAIN}",
        {"rename-old": "staff", "rename-new": "guests"},
    )
    assert clash.status_code == 400 and "already exists" in text(clash)
    renamed = post_form(
        admin_client,
        listing,
        f"/classes/rename?domain={DOMAIN}",
        {"rename-old": "staff", "rename-new": "team"},
    )
    assert renamed.status_code == 302
    assert store.accounts.get(f"alice@{DOMAIN}").account_class == "team"
    post_form(admin_client, listing, f"/classes/delete?domain={DOMAIN}", {"name": "team"})
    assert store.accounts.get(f"alice@{DOMAIN}").account_class is None


def test_public_folders_and_a_folder_recipient(admin_client: FlaskClient, store: Store) -> None:
    listing = f"/public-folders?domain={DOMAIN}"
    assert "Create a mail folder first" in text(admin_client.get(listing))
    made = post_form(
        admin_client, listing, f"/public-folders/new?domain={DOMAIN}", {"path": "Support", "kind": "mail"}
    )
    assert made.status_code == 302
    dup = post_form(
        admin_client, listing, f"/public-folders/new?domain={DOMAIN}", {"path": "Support", "kind": "mail"}
    )
    assert dup.status_code == 400 and "already exists" in field_error(text(dup), "path")
    bad = post_form(
        admin_client, listing, f"/public-folders/new?domain={DOMAIN}", {"path": "a//b", "kind": "mail"}
    )
    assert "invalid folder name" in field_error(text(bad), "path")
    rcpt = post_form(
        admin_client,
        listing,
        f"/public-folders/recipients?domain={DOMAIN}",
        {"rcpt-name": "help", "rcpt-folder": "Support"},
    )
    assert rcpt.status_code == 302
    taken = post_form(
        admin_client,
        listing,
        f"/public-folders/recipients?domain={DOMAIN}",
        {"rcpt-name": "bob", "rcpt-folder": "Support"},
    )
    assert "already taken" in field_error(text(taken), "rcpt-name")
    store.mail.deliver(build_message(to=f"help@{DOMAIN}"), [f"help@{DOMAIN}"])
    page = text(admin_client.get(listing))
    assert re.search(r"<td>Support</td><td>mail</td><td>1</td>", page)
    assert f"help@{DOMAIN}" in page
    moved = post_form(
        admin_client,
        listing,
        f"/public-folders/rename?domain={DOMAIN}",
        {"rename-old": "Support", "rename-new": "Helpdesk"},
    )
    assert moved.status_code == 302
    assert [r.folder for r in store.for_admin("admin").public_folders.recipients(DOMAIN)] == ["Helpdesk"]
    post_form(
        admin_client,
        listing,
        f"/public-folders/recipients/remove?domain={DOMAIN}",
        {"address": f"help@{DOMAIN}"},
    )
    assert store.for_admin("admin").public_folders.recipients(DOMAIN) == []
    post_form(admin_client, listing, f"/public-folders/delete?domain={DOMAIN}", {"path": "Helpdesk"})
    assert store.for_admin("admin").public_folders.list(DOMAIN) == []


def test_nav_links_to_every_directory_page(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/dashboard"))
    for path in ("/accounts", "/accounts/import", "/groups", "/forwarders", "/classes", "/public-folders"):
        assert f'href="{path}"' in page, path
        assert admin_client.get(path).status_code == 200, path


def test_a_domain_administrator_reaches_only_their_domain(app: object, store: Store) -> None:
    from tests.webadmin.conftest import sign_in

    store.domains.add("other.test")
    store.accounts.add("zed@other.test", None)
    store.groups.add("team@other.test")
    root = store.for_admin("admin")
    root.admins.add("tenant", "tenant-pass-1")
    root.admins.grant(DOMAIN, admin="tenant", rights="accounts")
    client = app.test_client()  # type: ignore[attr-defined]
    assert sign_in(client, "tenant", "tenant-pass-1").status_code == 302
    page = text(client.get("/accounts"))
    assert "alice@example.test" in page and "other.test" not in page
    assert '<dd id="account-count">4</dd>' in text(client.get("/dashboard"))  # alice, bob, carol, postmaster
    for url in (
        "/accounts?domain=other.test",
        "/accounts/zed@other.test",
        "/accounts/new?domain=other.test",
        "/accounts/import?domain=other.test",
        "/groups?domain=other.test",
        "/groups/team@other.test",
        "/forwarders?domain=other.test",
        "/classes?domain=other.test",
        "/public-folders?domain=other.test",
    ):
        assert client.get(url).status_code == 404, url
    other = post_form(
        client, "/accounts", "/accounts/new?domain=other.test", {"address": "x", "password": "long-pass-1"}
    )
    assert other.status_code == 404
    edit = post_form(client, "/accounts", "/accounts/zed@other.test/password", {"pw-password": "long-pass-1"})
    assert edit.status_code == 404
    folders = post_form(
        client, "/accounts", f"/public-folders/new?domain={DOMAIN}", {"path": "X", "kind": "mail"}
    )
    assert folders.status_code == 403  # in the domain, without the public_folders permission
    group = post_form(client, "/accounts", f"/groups/new?domain={DOMAIN}", {"name": "crew"})
    assert group.status_code == 403
    assert store.groups.list(DOMAIN) == [] and store.for_admin("admin").public_folders.list(DOMAIN) == []
    added = post_form(
        client,
        "/accounts",
        f"/accounts/new?domain={DOMAIN}",
        {"address": "newbie", "password": "long-pass-1"},
    )
    assert added.status_code == 302
