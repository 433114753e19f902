"""Fixtures of the WebMail tests: a seeded store, the app on it, its test client and an ``auth`` helper.

The store is SQLite in the test's tmp dir (the storage contract suite covers PostgreSQL), with domain
example.test and alice, bob and carol (password ``pass-<name>``), their argon2 hash made once per worker.
``auth.login()`` signs in through the real form (CSRF token and all), as a browser would.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from storage import passwords
from storage.auth import Auth
from storage.models import Account
from storage.store import Store, open_store
from tests.storage.conftest import _reused_demo_hash, build_message
from tests.storage.conftest import sqlite_template as sqlite_template  # the migrated file, once per worker
from tests.webmail.live import artifacts as artifacts  # the real web service and browser: see live.py
from tests.webmail.live import browser as browser
from tests.webmail.live import live_server as live_server
from tests.webmail.live import mobile_page as mobile_page
from tests.webmail.live import page as page
from webmail import create_app

DOMAIN = "example.test"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Seeded:
    store: Store
    alice: Account
    bob: Account
    carol: Account


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> Iterator[Seeded]:
    shutil.copyfile(sqlite_template, tmp_path / "db.sqlite3")
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add(DOMAIN)
    with monkeypatch.context() as patch:
        patch.setattr(passwords, "hash_password", _reused_demo_hash)
        accounts = {n: store.accounts.add(f"{n}@{DOMAIN}", f"pass-{n}") for n in ("alice", "bob", "carol")}
    store.mail.deliver(build_message("Welcome to WebMail"), ["alice@example.test"])
    try:
        yield Seeded(store, accounts["alice"], accounts["bob"], accounts["carol"])
    finally:
        store.close()


def reload_throttle(store: Store) -> None:
    """The throttle policy is read when a store opens; tests that change ``auth.*`` re-read it."""
    store.auth = Auth(store)


@pytest.fixture
def app(seeded: Seeded, tmp_path: Path) -> Flask:
    app = create_app({"TESTING": True, "STORE": seeded.store, "SECRET_KEY": "test-secret-key"})
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(page: TestResponse) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


class AuthActions:
    """Sign in and out through the real pages."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, username: str = "alice@example.test", password: str = "pass-alice", **fields: Any
    ) -> TestResponse:
        page = self.client.get("/login")
        data = {"username": username, "password": password, "csrf_token": csrf_token(page), **fields}
        return self.client.post("/login", data=data)

    def logout(self) -> TestResponse:
        page = self.client.get("/mail/", follow_redirects=True)
        return self.client.post("/logout", data={"csrf_token": csrf_token(page)})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
