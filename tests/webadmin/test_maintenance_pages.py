"""The storage check and the settings reference in WebAdmin (webadmin/pages/maintenance.py): the check
reports what ``fieldpost storage check`` finds and changes nothing; only server-wide administrators run
it, by a POST with the CSRF token. The reference is the registry's, open to every administrator."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from storage.store import Store
from tests.webadmin.conftest import csrf_token, delegate, post_form, sign_in

CHECK = "/maintenance/storage-check"
REPAIR = "/maintenance/storage-repair"
REINDEX = "/maintenance/storage-reindex"
REFERENCE = "/settings/reference"


def test_a_consistent_store_is_said_to_be(admin_client: FlaskClient) -> None:
    assert "Run the check" in admin_client.get(CHECK).get_data(as_text=True)
    html = post_form(admin_client, CHECK, CHECK, {}).get_data(as_text=True)
    assert "The store is consistent" in html and "problem(s) found" not in html


def test_a_problem_is_reported_and_left_alone(admin_client: FlaskClient, store: Store) -> None:
    sha = store.blobs.put(b"Subject: nobody's\r\n\r\nan orphan blob file\r\n")  # no body row refers to it
    reply = post_form(admin_client, CHECK, CHECK, {})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "1 problem(s) found" in html
    assert f"blob {sha[:12]}: file without a body row (orphan)" in html
    assert store.blobs.exists(sha)  # read-only: the repair is the command's


def test_the_check_refuses_a_post_without_the_token(admin_client: FlaskClient) -> None:
    reply = admin_client.post(CHECK)
    assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)


def test_only_server_wide_administrators_run_the_check(app: Flask, store: Store) -> None:
    delegate(store, "tenant", "example.test", rights="all", server_rights="all")
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    assert client.get(CHECK).status_code == 403
    token = csrf_token(client.get(REFERENCE))
    assert client.post(CHECK, data={"csrf_token": token}).status_code == 403
    assert "Storage check" not in client.get("/dashboard").get_data(as_text=True)
    # the reference is for every administrator
    html = client.get(REFERENCE, query_string={"q": "rpop.min_interval"}).get_data(as_text=True)
    assert "rpop.min_interval" in html and "Shortest time a user may set between two fetches" in html
    assert "rpop.max_accounts" not in html


def test_repair_fixes_what_the_check_found_and_says_so(admin_client: FlaskClient, store: Store) -> None:
    sha = store.blobs.put(b"Subject: nobody's\r\n\r\nan orphan blob file\r\n")
    assert "Repair" in admin_client.get(CHECK).get_data(as_text=True)
    reply = post_form(admin_client, CHECK, REPAIR, {})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "1 repair(s) made" in html
    assert f"blob {sha[:12]}" in html and "The store is consistent." in html
    assert not store.blobs.exists(sha)
    assert store.check().ok
    html = post_form(admin_client, CHECK, REPAIR, {}).get_data(as_text=True)
    assert "0 repair(s) made" in html


def test_reindex_rebuilds_the_search_index(admin_client: FlaskClient, store: Store) -> None:
    delivered = store.mail.deliver(b"Subject: pamplemousse\r\n\r\nfruit\r\n", ["alice@example.test"])
    fid, uid = delivered.delivered["alice@example.test"]
    html = post_form(admin_client, CHECK, REINDEX, {}).get_data(as_text=True)
    assert "1 message bodies parsed" in html
    assert store.mail.search(fid, "pamplemousse") == [uid]


def test_repair_and_reindex_refuse_a_post_without_the_token(admin_client: FlaskClient, store: Store) -> None:
    sha = store.blobs.put(b"Subject: orphan\r\n\r\nx\r\n")
    for action in (REPAIR, REINDEX):
        reply = admin_client.post(action)
        assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)
    assert store.blobs.exists(sha)  # nothing repaired
    assert admin_client.get(REPAIR).status_code == 405  # a link or prefetch cannot start either


def test_only_server_wide_administrators_repair_or_reindex(app: Flask, store: Store) -> None:
    sha = store.blobs.put(b"Subject: orphan\r\n\r\nx\r\n")
    delegate(store, "tenant", "example.test", rights="all", server_rights="all")
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    token = csrf_token(client.get(REFERENCE))
    for action in (REPAIR, REINDEX):
        assert client.post(action, data={"csrf_token": token}).status_code == 403
    assert store.blobs.exists(sha)


def test_the_reference_lists_every_section_and_filters(admin_client: FlaskClient) -> None:
    from storage import settings as registry

    html = admin_client.get(REFERENCE).get_data(as_text=True)
    assert all(f'id="section-{section}"' in html for section in registry.reference())
    html = admin_client.get(REFERENCE, query_string={"q": "no-such-setting-anywhere"}).get_data(as_text=True)
    assert "No setting matches" in html
