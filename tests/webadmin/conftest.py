"""Fixtures of the WebAdmin tests: a seeded store, the app on it, its test clients.

``store``: SQLite in the test's tmp dir (the storage contract suite covers PostgreSQL) with domain
example.test, accounts alice, bob and carol (password ``pass-<name>``) and the server administrator
``admin`` (password :data:`ADMIN_PASSWORD`); argon2 hashes made once per worker.
``admin_client``: a test client signed in as ``admin`` through the real form (CSRF token and all).
``sign_in(client, name, password)`` does the same for any administrator.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from storage import passwords
from storage.store import Store, open_store
from tests.storage.conftest import _reused_demo_hash
from tests.storage.conftest import sqlite_template as sqlite_template  # the migrated file, once per worker
from tests.webmail.live import artifacts as artifacts  # the real web service and browser: see live.py
from tests.webmail.live import browser as browser
from tests.webmail.live import live_server as live_server
from tests.webmail.live import page as page
from webadmin import create_app

DOMAIN = "example.test"
ADMIN = "admin"
ADMIN_PASSWORD = "admin-pass-1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> Iterator[Store]:
    shutil.copyfile(sqlite_template, tmp_path / "db.sqlite3")
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    opened.domains.add(DOMAIN)
    with monkeypatch.context() as patch:
        patch.setattr(passwords, "hash_password", _reused_demo_hash)
        for name in ("alice", "bob", "carol"):
            opened.accounts.add(f"{name}@{DOMAIN}", f"pass-{name}")
        opened.admins.set_password(ADMIN, ADMIN_PASSWORD)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(store: Store) -> Flask:
    return create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "test-admin-secret"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(page: TestResponse) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> TestResponse:
    """Sign in through the real form, as a browser would."""
    page = client.get("/login")
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": csrf_token(page)}
    )


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, str]) -> TestResponse:
    """Post ``data`` to ``action`` with the CSRF token of the page at ``page_url`` (as its form would)."""
    token = csrf_token(client.get(page_url))
    return client.post(action, data={"csrf_token": token, **data})


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    reply = sign_in(client)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return client


def delegate(
    store: Store,
    name: str,
    domain: str,
    *,
    rights: str = "all",
    server_rights: str = "",
    max_account_quota_mb: int | None = None,
    password: str = ADMIN_PASSWORD,
) -> None:
    """Make ``name`` a delegated administrator holding ``domain`` with ``rights`` ("" or "none": a
    read-only view), as the server administrator would through ``fieldpost admin``."""
    root = store.for_admin(ADMIN)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hash_password", _reused_demo_hash)
        root.admins.add(name, password, server_rights=server_rights)
    root.admins.grant(domain, admin=name, rights=rights or "none", max_account_quota_mb=max_account_quota_mb)
