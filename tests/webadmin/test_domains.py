"""The domain pages (webadmin/pages/domains.py): list, filter, pages, add, rename, aliases, on/off, delete,
limits; every form through its page's CSRF token, bad input answered next to the field."""

from __future__ import annotations

from flask.testing import FlaskClient

from storage.store import Store
from tests.webadmin.conftest import csrf_token, post_form


def test_the_list_filters_and_pages(admin_client: FlaskClient, store: Store) -> None:
    for n in range(30):
        store.domains.add(f"d{n:02d}.test")
    first = admin_client.get("/domains").get_data(as_text=True)
    assert "Page 1 of 2" in first and "d00.test" in first and "example.test" not in first
    second = admin_client.get("/domains?page=2").get_data(as_text=True)
    assert "example.test" in second and "d00.test" not in second
    filtered = admin_client.get("/domains?q=d1").get_data(as_text=True)
    assert "d10.test" in filtered and "d19.test" in filtered and "d20.test" not in filtered
    assert "10 domain(s)" in filtered
    assert "No domain matches" in admin_client.get("/domains?q=zzz").get_data(as_text=True)
    assert admin_client.get("/domains?page=x").status_code == 200


def test_adding_a_domain_with_its_postmaster(admin_client: FlaskClient, store: Store) -> None:
    reply = post_form(
        admin_client,
        "/domains/new",
        "/domains/new",
        {"name": "New.Test", "password": "postmaster-pass-1", "confirm": "postmaster-pass-1"},
    )
    assert reply.status_code == 302 and reply.headers["Location"] == "/domains/new.test"
    assert store.auth.verify("postmaster@new.test", "postmaster-pass-1").address == "postmaster@new.test"
    assert "Domain new.test added." in admin_client.get("/domains/new.test").get_data(as_text=True)


def test_adding_a_domain_reports_bad_input_next_to_the_field(admin_client: FlaskClient) -> None:
    differ = post_form(
        admin_client,
        "/domains/new",
        "/domains/new",
        {"name": "x.test", "password": "a-pass-1", "confirm": "b"},
    )
    assert differ.status_code == 400 and "The two passwords differ." in differ.get_data(as_text=True)
    taken = post_form(
        admin_client,
        "/domains/new",
        "/domains/new",
        {"name": "example.test", "password": "a-pass-12", "confirm": "a-pass-12"},
    )
    assert taken.status_code == 400 and "domain example.test already exists" in taken.get_data(as_text=True)
    bad = post_form(
        admin_client,
        "/domains/new",
        "/domains/new",
        {"name": "not a domain", "password": "a-pass-12", "confirm": "a-pass-12"},
    )
    assert bad.status_code == 400 and 'class="error"' in bad.get_data(as_text=True)


def test_domain_page_aliases_rename_and_switch(admin_client: FlaskClient, store: Store) -> None:
    page = admin_client.get("/domains/example.test").get_data(as_text=True)
    assert "quota.storage_bytes" in page and "limits.accounts" in page
    url = "/domains/example.test"
    assert post_form(admin_client, url, f"{url}/aliases", {"alias": "alias.test"}).status_code == 302
    assert store.domains.get("example.test").aliases == ("alias.test",)
    dup = post_form(admin_client, url, f"{url}/aliases", {"alias": "example.test"})
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
    assert post_form(admin_client, url, f"{url}/aliases/alias.test/delete", {}).status_code == 302
    assert store.domains.get("example.test").aliases == ()
    assert post_form(admin_client, url, f"{url}/enabled", {"enabled": "no"}).status_code == 302
    assert not store.domains.get("example.test").enabled
    assert post_form(admin_client, url, f"{url}/enabled", {"enabled": "maybe"}).status_code == 400
    assert post_form(admin_client, url, f"{url}/enabled", {"enabled": "yes"}).status_code == 302
    bad = post_form(admin_client, url, f"{url}/rename", {"new_name": "bad name"})
    assert bad.status_code == 400 and 'class="error"' in bad.get_data(as_text=True)
    renamed = post_form(admin_client, url, f"{url}/rename", {"new_name": "renamed.test"})
    assert renamed.headers["Location"] == "/domains/renamed.test"
    assert store.accounts.get("alice@renamed.test").address == "alice@renamed.test"


def test_deleting_needs_the_name_typed(admin_client: FlaskClient, store: Store) -> None:
    store.domains.add("gone.test")
    url = "/domains/gone.test/delete"
    page = admin_client.get(url).get_data(as_text=True)
    assert "cannot be undone" in page
    wrong = admin_client.post(
        url, data={"csrf_token": csrf_token(admin_client.get(url)), "confirm_name": "x"}
    )
    assert wrong.status_code == 400 and "nothing was deleted" in wrong.get_data(as_text=True)
    assert store.domains.get("gone.test")
    right = post_form(admin_client, url, url, {"confirm_name": "gone.test"})
    assert right.headers["Location"] == "/domains"
    assert admin_client.get("/domains/gone.test").status_code == 404


def test_limits_page_changes_domain_level_values(admin_client: FlaskClient, store: Store) -> None:
    url = "/domains/example.test/limits"
    page = admin_client.get(url).get_data(as_text=True)
    assert "limits.accounts" in page and "web.session_idle_seconds" not in page
    reply = post_form(
        admin_client, url, url, {"mode.quota.storage_bytes": "set", "value.quota.storage_bytes": "2G"}
    )
    assert reply.status_code == 302
    assert store.settings.explicit(domain="example.test") == {"quota.storage_bytes": 2 * 1024**3}
    shown = admin_client.get("/domains/example.test").get_data(as_text=True)
    assert "<code>2G</code>" in shown and "set for this domain" in shown


def test_unknown_domain_pages_are_404(admin_client: FlaskClient) -> None:
    for url in ("/domains/none.test", "/domains/none.test/delete", "/domains/none.test/limits"):
        assert admin_client.get(url).status_code == 404, url


def test_a_domain_links_to_its_areas_and_settings_pages_link_back(
    admin_client: FlaskClient, store: Store
) -> None:
    page = admin_client.get("/domains/example.test").get_data(as_text=True)
    areas = page[page.index('id="domain-areas"') :]
    assert 'href="/accounts?domain=example.test"' in areas
    assert 'href="/classes?domain=example.test"' in areas
    store.accounts.add_class("example.test", "staff")
    classes = admin_client.get("/classes?domain=example.test").get_data(as_text=True)
    assert 'href="/domains/example.test/classes/staff/settings"' in classes
    account = admin_client.get("/accounts/alice@example.test").get_data(as_text=True)
    assert 'href="/accounts/alice@example.test/settings"' in account
