"""Filter tools in WebAdmin (webadmin/pages/security_tools.py): the country table loaded from an upload
(all or nothing), looked up and emptied; greylisting pruned and forgotten; the DNS block lists asked about
an address through a real DNS server on 127.0.0.1. Bad input, CSRF and a delegated administrator without
"security" answered as a user sees them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from filters.checks import greylist
from storage.names import utcnow
from storage.store import Store
from tests.filters.checks.world import ZONES
from tests.support.dnsserver import DnsServer
from tests.webadmin.conftest import ADMIN, csrf_token, delegate, post_form, sign_in

PAGE = "/security/tools"
TABLE = b"ip_from,ip_to,country_code,country_name\n192.0.2.0,192.0.2.255,FR,France\n10.0.0.0,10.255.255.255,DE,Germany\n"


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


def load(client: FlaskClient, content: bytes) -> TestResponse:
    token = csrf_token(client.get(PAGE))
    return client.post(
        f"{PAGE}/countries",
        data={"csrf_token": token, "file": (BytesIO(content), "ranges.csv")},
        content_type="multipart/form-data",
    )


def test_a_country_table_is_loaded_looked_up_and_emptied(admin_client: FlaskClient, store: Store) -> None:
    assert load(admin_client, TABLE).status_code == 302
    assert "Country table loaded: 2 address ranges." in admin_client.get(PAGE).get_data(as_text=True)
    html = admin_client.get(PAGE, query_string={"country_ip": "192.0.2.77"}).get_data(as_text=True)
    assert "192.0.2.77: FR (France), range 192.0.2.0 – 192.0.2.255" in html
    html = admin_client.get(PAGE, query_string={"country_ip": "203.0.113.1"}).get_data(as_text=True)
    assert "203.0.113.1 is in no range of the country table." in html
    assert post_form(admin_client, PAGE, f"{PAGE}/countries/clear", {}).status_code == 302
    assert store.countries.count() == 0


def test_a_bad_table_changes_nothing_and_says_which_line(admin_client: FlaskClient, store: Store) -> None:
    assert load(admin_client, TABLE).status_code == 302
    reply = load(admin_client, TABLE + b"not,an,address\n")
    assert reply.status_code == 400 and "line 4" in reply.get_data(as_text=True)
    assert store.countries.count() == 2
    html = admin_client.get(PAGE, query_string={"country_ip": "nonsense"}).get_data(as_text=True)
    assert "Not an IP address: nonsense" in html


def test_greylisting_is_pruned_and_forgotten(admin_client: FlaskClient, store: Store) -> None:
    policy = greylist.policy_from(store.settings.effective_many(greylist.POLICY_SETTINGS))
    store.greylist.check(
        "192.0.2.1", "a@far.test", "alice@example.test", policy, now=utcnow() - timedelta(days=60)
    )
    store.greylist.check("192.0.2.2", "b@far.test", "alice@example.test", policy)
    assert store.greylist.stats(policy).pending == 1  # the old one has expired, but is still kept
    assert post_form(admin_client, PAGE, f"{PAGE}/greylist/prune", {}).status_code == 302
    assert "Greylisting: 1 expired entries removed." in admin_client.get(PAGE).get_data(as_text=True)
    assert store.greylist.stats(policy).pending == 1
    assert post_form(admin_client, PAGE, f"{PAGE}/greylist/clear", {}).status_code == 302
    assert "Greylisting: 1 entries forgotten" in admin_client.get(PAGE).get_data(as_text=True)
    assert store.greylist.stats(policy).pending == 0


def test_the_dns_block_lists_are_asked(
    admin_client: FlaskClient, store: Store, dns_server: DnsServer
) -> None:
    html = admin_client.get(PAGE, query_string={"dnsbl_ip": "127.0.0.2"}).get_data(as_text=True)
    assert "No DNS block lists are configured" in html
    root = store.for_admin(ADMIN)
    root.set_setting("dns.nameservers", [dns_server.address])
    root.set_setting("dnsbl.zones", ["bl.test", "weak.test=3"])
    html = admin_client.get(PAGE, query_string={"dnsbl_ip": "127.0.0.2"}).get_data(as_text=True)
    assert "listed (127.0.0.2, weight 1): Listed for sending spam" in html
    html = admin_client.get(PAGE, query_string={"dnsbl_ip": "192.0.2.20"}).get_data(as_text=True)
    assert "<td>bl.test</td><td>not listed</td>" in html and "weight 3" in html
    html = admin_client.get(PAGE, query_string={"dnsbl_ip": "999.1.1.1"}).get_data(as_text=True)
    assert "Not an IP address: 999.1.1.1" in html


def test_posts_without_the_token_are_refused(admin_client: FlaskClient, store: Store) -> None:
    reply = admin_client.post(
        f"{PAGE}/countries", data={"file": (BytesIO(TABLE), "r.csv")}, content_type="multipart/form-data"
    )
    assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True)
    assert admin_client.post(f"{PAGE}/greylist/clear").status_code == 400
    assert store.countries.count() == 0


def test_a_delegate_without_security_is_refused(app: Flask, store: Store) -> None:
    store.countries.replace(TABLE.decode().splitlines())
    delegate(store, "tenant", "example.test", rights="all", server_rights="config")
    client = app.test_client()
    assert sign_in(client, "tenant").status_code == 302
    assert client.get(PAGE).status_code == 403
    token = csrf_token(client.get("/dashboard"))
    for action in ("countries/clear", "greylist/prune", "greylist/clear"):
        assert client.post(f"{PAGE}/{action}", data={"csrf_token": token}).status_code == 403, action
    reply = client.post(
        f"{PAGE}/countries",
        data={"csrf_token": token, "file": (BytesIO(b"1.0.0.0/24,AU\n"), "r.csv")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 403
    assert store.countries.count() == 2
    assert "Filter tools" not in client.get("/dashboard").get_data(as_text=True)


def test_the_security_page_links_here(admin_client: FlaskClient) -> None:
    assert f'href="{PAGE}"' in admin_client.get("/security").get_data(as_text=True)
