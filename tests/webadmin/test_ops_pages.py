"""WebAdmin's operations pages through the Flask test client: queue, logs, storage report, security and
DKIM, services (without a supervisor here; tests/webadmin/test_services_live.py runs one), each as the
server administrator, as a delegated administrator without the permission (403) and with bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fieldpost import config as configuration
from storage.store import Store
from tests.webadmin.conftest import csrf_token, post_form, sign_in
from webadmin import create_app

HOST = "mx.example.test"
RAW = b"From: bob@example.test\r\nTo: x@remote.test\r\nSubject: Stuck mail\r\nMessage-ID: <q1@x>\r\n\r\nbody\r\n"
LOG = (
    "12-07 02:00:00 +0000 08 mx.example.test SMTP:0000a3f1: connect from 192.0.2.7\n"
    "12-07 02:00:01 +0000 02 mx.example.test SMTP:0000a3f1: refused <script>alert(1)</script>\n"
    "12-07 02:00:02 +0000 08 mx.example.test SMTP:00000bee: connect from 192.0.2.8\n"
)


@pytest.fixture
def config(tmp_path: Path) -> configuration.Config:
    found = configuration.from_mapping(tmp_path, {"hostname": HOST}, 0)
    found.log_dir.mkdir(parents=True, exist_ok=True)
    (found.log_dir / "smtp.log").write_text(LOG)
    return found


@pytest.fixture
def app(store: Store, config: configuration.Config) -> Flask:
    return create_app(
        {"TESTING": True, "STORE": store, "SECRET_KEY": "test-admin-secret", "FIELDPOST_CONFIG": config}
    )


def delegated(
    store: Store, name: str, server_rights: str = "", domains: dict[str, str] | None = None
) -> None:
    """A delegated administrator (password ``pass-<name>-1``) with these server permissions and domain
    grants (domain -> permissions), made by the server administrator through ``view.admins``."""
    admins = store.for_admin("admin").admins
    admins.add(name, f"pass-{name}-1", server_rights=server_rights)
    for domain, rights in (domains or {}).items():
        admins.grant(domain, admin=name, rights=rights)


def client_of(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name, f"pass-{name}-1").status_code == 302
    return client


# -- queue ---------------------------------------------------------------------------------------------


def test_queue_list_filter_show_retry_delete(admin_client: FlaskClient, store: Store) -> None:
    qid = store.queue.enqueue(RAW, "bob@example.test", ["x@remote.test", "y@remote.test"])
    other = store.queue.enqueue(RAW, "carol@example.test", ["z@remote.test"])
    store.queue.set_recipient(qid, "y@remote.test", "send-failure", "451 try later")
    page = admin_client.get("/queue")
    assert page.status_code == 200 and f'href="/queue/{qid}"' in page.get_data(as_text=True)
    filtered = admin_client.get("/queue?sender=carol").get_data(as_text=True)
    assert f'href="/queue/{other}"' in filtered and f'href="/queue/{qid}"' not in filtered
    assert "No queued message matches" in admin_client.get("/queue?recipient=nobody").get_data(as_text=True)
    shown = admin_client.get(f"/queue/{qid}").get_data(as_text=True)
    assert "Subject: Stuck mail" in shown and "y@remote.test" in shown and "451 try later" in shown
    reply = post_form(admin_client, f"/queue/{qid}", f"/queue/{qid}/retry", {})
    assert reply.status_code == 302
    assert "due for delivery now" in admin_client.get(f"/queue/{qid}").get_data(as_text=True)
    post_form(admin_client, f"/queue/{qid}", f"/queue/{qid}/delete", {})
    assert admin_client.get(f"/queue/{qid}").status_code == 404
    assert [m.id for m in store.queue.list()] == [other]


def test_queue_bounce_reports_to_the_sender(admin_client: FlaskClient, store: Store) -> None:
    qid = store.queue.enqueue(RAW, "bob@example.test", ["x@remote.test"])
    reply = post_form(admin_client, f"/queue/{qid}", f"/queue/{qid}/bounce", {})
    assert reply.status_code == 302
    assert "returned to its sender (1 recipient(s) reported)" in admin_client.get("/queue").get_data(
        as_text=True
    )
    assert store.queue.list() == []
    bob = store.for_user(store.accounts.get("bob@example.test").id)
    inbox = bob.open(bob.find("bob@example.test", "INBOX")[0].id)
    assert len(inbox.messages) == 1  # the failure report, delivered to the local sender


def test_queue_bad_input(admin_client: FlaskClient) -> None:
    reply = admin_client.get("/queue?state=bogus")
    assert reply.status_code == 400 and "unknown queue state" in reply.get_data(as_text=True)
    assert admin_client.get("/queue?sender=" + "a" * 400).status_code == 400
    assert admin_client.get("/queue/999999").status_code == 404


# -- logs ----------------------------------------------------------------------------------------------


def test_logs_filters_and_escaping(admin_client: FlaskClient) -> None:
    page = admin_client.get("/logs?service=smtp").get_data(as_text=True)
    assert page.index("connect from 192.0.2.8") < page.index("connect from 192.0.2.7")  # newest first
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    session = admin_client.get("/logs?service=smtp&session=a3f1").get_data(as_text=True)
    assert "192.0.2.7" in session and "192.0.2.8" not in session
    errors = admin_client.get("/logs?service=smtp&level=2").get_data(as_text=True)
    assert "refused" in errors and "connect from" not in errors
    text = admin_client.get("/logs?service=smtp&text=192.0.2.8").get_data(as_text=True)
    assert "192.0.2.8" in text and "192.0.2.7" not in text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("service=../../etc/passwd", "not a service name"),
        ("service=smtp&session=zz", "hexadecimal"),
        ("service=smtp&level=3", "unknown log level"),
        ("service=smtp&before=-5", "whole number"),
        ("service=smtp&text=" + "x" * 300, "longer than 200"),
    ],
)
def test_logs_bad_input(admin_client: FlaskClient, query: str, words: str) -> None:
    reply = admin_client.get(f"/logs?{query}")
    assert reply.status_code == 400 and words in reply.get_data(as_text=True)


def test_logs_pages_back(admin_client: FlaskClient, config: configuration.Config) -> None:
    lines = [
        f"12-07 02:{n // 60:02d}:{n % 60:02d} +0000 08 h SMTP:00000001: record {n}\n" for n in range(250)
    ]
    (config.log_dir / "imap.log").write_text("".join(lines))
    first = admin_client.get("/logs?service=imap").get_data(as_text=True)
    assert "record 249" in first and "record 149" not in first
    older = re.search(r'href="([^"]+)" rel="next" id="older"', first)
    assert older
    second = admin_client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "record 149" in second and "record 150<" not in second and "record 249" not in second


# -- storage report ------------------------------------------------------------------------------------


def test_storage_report(admin_client: FlaskClient, store: Store) -> None:
    store.mail.deliver(RAW, ["alice@example.test"])
    store.settings.set("quota.storage_bytes", 1_000_000, account="alice@example.test")
    domains = admin_client.get("/reports/storage").get_data(as_text=True)
    assert 'href="/reports/storage/example.test"' in domains
    accounts = admin_client.get("/reports/storage/example.test").get_data(as_text=True)
    first = accounts.index("alice@example.test")
    assert first < accounts.index("bob@example.test")  # largest first
    assert "976.6 KiB (0%)" in accounts  # alice's quota and her use of it
    by_name = admin_client.get("/reports/storage/example.test?order=name").get_data(as_text=True)
    assert by_name.index("alice@") < by_name.index("bob@") < by_name.index("carol@")
    assert admin_client.get("/reports/storage/nowhere.test").status_code == 404
    bad = admin_client.get("/reports/storage/example.test?order=color")
    assert bad.status_code == 400 and "unknown order" in bad.get_data(as_text=True)


def test_storage_report_of_a_domain_administrator(app: Flask, store: Store) -> None:
    store.domains.add("other.test")
    delegated(store, "reporter", domains={"example.test": "reports"})
    delegated(store, "accounts-only", domains={"example.test": "accounts"})
    reporter = client_of(app, "reporter")
    listing = reporter.get("/reports/storage").get_data(as_text=True)
    assert "example.test" in listing and "other.test" not in listing
    assert reporter.get("/reports/storage/example.test").status_code == 200
    assert reporter.get("/reports/storage/other.test").status_code == 404  # like no domain at all
    assert client_of(app, "accounts-only").get("/reports/storage/example.test").status_code == 403


# -- security and DKIM ---------------------------------------------------------------------------------


def test_security_page(admin_client: FlaskClient, store: Store) -> None:
    store.countries.replace(["192.0.2.0,192.0.2.255,FR,France"])
    page = admin_client.get("/security").get_data(as_text=True)
    assert "1 address ranges are loaded" in page
    assert 'id="greylist-state"' in page and "Greylisting" in page
    linked = (
        'href="/settings/server?section=greylist"' in page and 'href="/settings/server?section=dnsbl"' in page
    )
    assert linked == ("pages.server_settings" in admin_client.application.view_functions)


def test_dkim_key_and_records(admin_client: FlaskClient, store: Store) -> None:
    page = admin_client.get("/security/dkim/example.test").get_data(as_text=True)
    assert "none yet" in page and "v=spf1 mx a:" in page and "_dmarc.example.test." in page
    reply = post_form(
        admin_client, "/security/dkim/example.test", "/security/dkim/example.test", {"selector": "s2026"}
    )
    assert reply.status_code == 302
    page = admin_client.get("/security/dkim/example.test").get_data(as_text=True)
    assert "s2026._domainkey.example.test." in page and "v=DKIM1; k=rsa; p=" in page
    assert store.settings.get("dkim.selector", domain="example.test") == "s2026"
    again = post_form(admin_client, "/security/dkim/example.test", "/security/dkim/example.test", {})
    assert again.status_code == 302
    assert "tick “replace”" in admin_client.get("/security/dkim/example.test").get_data(as_text=True)
    bad = post_form(
        admin_client, "/security/dkim/example.test", "/security/dkim/example.test", {"selector": "a b"}
    )
    assert bad.status_code == 400 and "not a DKIM selector" in bad.get_data(as_text=True)
    assert admin_client.get("/security/dkim/nowhere.test").status_code == 404


# -- services (no supervisor) --------------------------------------------------------------------------


def test_services_page_without_supervisor(admin_client: FlaskClient) -> None:
    page = admin_client.get("/services").get_data(as_text=True)
    assert "the supervisor is not running" in page
    assert "127.0.0.1:1993/tcp" in page and "STARTTLS" in page  # listeners and their TLS from the config
    has_settings = "pages.server_settings" in admin_client.application.view_functions
    assert ('href="/settings/server?section=net"' in page) == has_settings  # linked once the page exists
    reply = post_form(admin_client, "/services", "/services/imap/restart", {})
    assert reply.status_code == 302
    assert "The supervisor refused" in admin_client.get("/services").get_data(as_text=True)
    refused = post_form(admin_client, "/services", "/services/web/stop", {})
    assert refused.status_code == 302
    assert "fieldpost service restart web" in admin_client.get("/services").get_data(as_text=True)
    assert post_form(admin_client, "/services", "/services/imap/explode", {}).status_code == 404
    unknown = post_form(admin_client, "/services", "/services/gopher/start", {})
    assert unknown.status_code == 400 and "unknown service" in unknown.get_data(as_text=True)


# -- permissions and CSRF ------------------------------------------------------------------------------

SERVER_PAGES = ["/services", "/logs?service=smtp", "/queue", "/security"]


def test_a_delegated_administrator_without_the_permission_gets_403(app: Flask, store: Store) -> None:
    qid = store.queue.enqueue(RAW, "bob@example.test", ["x@remote.test"])
    delegated(store, "domainadmin", domains={"example.test": "accounts settings"})
    client = client_of(app, "domainadmin")
    for url in [*SERVER_PAGES, f"/queue/{qid}"]:
        assert client.get(url).status_code == 403, url
    token = csrf_token(client.get("/dashboard"))
    for url in [f"/queue/{qid}/delete", f"/queue/{qid}/bounce", "/queue/retry-all", "/services/imap/stop"]:
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert [m.id for m in store.queue.list()] == [qid]  # nothing happened
    nav = client.get("/dashboard").get_data(as_text=True)
    assert "Service logs" not in nav and "Mail queue" not in nav


def test_each_permission_opens_its_page(app: Flask, store: Store) -> None:
    delegated(store, "ops", server_rights="logs queue security services")
    client = client_of(app, "ops")
    for url in SERVER_PAGES:
        assert client.get(url).status_code == 200, url


def test_a_domain_administrator_keeps_to_their_domains_dkim(app: Flask, store: Store) -> None:
    store.domains.add("other.test")
    delegated(store, "dom", domains={"example.test": "settings"})
    client = client_of(app, "dom")
    assert client.get("/security/dkim/example.test").status_code == 200
    assert client.get("/security/dkim/other.test").status_code == 404
    token = csrf_token(client.get("/security/dkim/example.test"))
    assert client.post("/security/dkim/other.test", data={"csrf_token": token}).status_code == 404


def test_posts_without_csrf_are_refused(admin_client: FlaskClient, store: Store) -> None:
    qid = store.queue.enqueue(RAW, "bob@example.test", ["x@remote.test"])
    for url in [
        f"/queue/{qid}/delete",
        f"/queue/{qid}/bounce",
        f"/queue/{qid}/retry",
        "/security/dkim/example.test",
    ]:
        reply = admin_client.post(url, data={})
        assert reply.status_code == 400 and "Form expired" in reply.get_data(as_text=True), url
    assert [m.id for m in store.queue.list()] == [qid]


def test_pages_without_a_data_directory(store: Store) -> None:
    bare = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "k"})
    client = bare.test_client()
    sign_in(client)
    assert "no services to show" in client.get("/services").get_data(as_text=True)
    assert "No service has written a log file" in client.get("/logs").get_data(as_text=True)
