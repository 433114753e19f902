"""Fixtures of the storage contract suite: one Store per test, on SQLite and on a real PostgreSQL.

Every test that takes ``store`` runs twice. The PostgreSQL run gets a database of its own (a random name,
created before and dropped with FORCE after), so tests never see each other's rows, whatever the order
and however many xdist workers run at once.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from storage import passwords
from storage.db import Database
from storage.models import Account, Domain, Folder
from storage.names import utcnow
from storage.store import Store, open_store

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_DSN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
PG_URL = "postgresql+psycopg://postgres@{host}:{port}/{name}"
DOMAIN = "example.test"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file made once per worker; each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "db.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated, empty PostgreSQL database made once per worker (None when there is no server).

    Each test's database is a copy (CREATE DATABASE ... TEMPLATE), which is several times faster than
    migrating a new one; the migrations themselves still run once here on an empty database.
    """
    name = f"fp_tpl_{uuid.uuid4().hex}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception:
        yield None
        return
    try:
        database = Database(PG_URL.format(host=PG_HOST, port=PG_PORT, name=name))
        database.migrate()
        database.dispose()
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database URL of a brand-new, empty store (SQLite file or a fresh PostgreSQL database)."""
    if request.param == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"fp_test_{uuid.uuid4().hex}"
    try:
        if template is None:
            raise ConnectionError("the template database could not be created")
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    except Exception as exc:  # no server, refused, no such role: all mean "no PostgreSQL here"
        pytest.skip(f"PostgreSQL on {PG_HOST}:{PG_PORT} is unreachable ({exc.__class__.__name__}: {exc})")
    try:
        yield PG_URL.format(host=PG_HOST, port=PG_PORT, name=name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    """The bare database of a brand-new store (for tests of the modules under the Store facade)."""
    database = Database(store_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def store(store_url: str, blob_dir: Path) -> Iterator[Store]:
    st = open_store(store_url, blob_dir)
    try:
        yield st
    finally:
        st.close()


@dataclass(frozen=True)
class Demo:
    store: Store
    domain: Domain
    alice: Account
    bob: Account
    carol: Account

    def folder(self, address: str, path: str = "INBOX") -> Folder:
        """A fresh read of a folder (counters as they are now)."""
        return self.store.folders.get(address, path)


_DEMO_HASHES: dict[str, str] = {}


def _reused_demo_hash(pw: str) -> str:
    """A real argon2id hash of ``pw``, made once per worker process: the demo accounts of every test get
    the same (valid) hash, which saves ~0.5 s of argon2 per test. Only used while ``demo`` adds them."""
    if pw not in _DEMO_HASHES:
        _DEMO_HASHES[pw] = _real_hash_password(pw)
    return _DEMO_HASHES[pw]


_real_hash_password = passwords.hash_password


@pytest.fixture
def demo(store: Store, monkeypatch: pytest.MonkeyPatch) -> Demo:
    """Domain example.test with alice, bob and carol, each with the password ``pass-<name>``."""
    domain = store.domains.add(DOMAIN)
    with monkeypatch.context() as patch:
        patch.setattr(passwords, "hash_password", _reused_demo_hash)
        accounts = {n: store.accounts.add(f"{n}@{DOMAIN}", f"pass-{n}") for n in ("alice", "bob", "carol")}
    return Demo(store, domain, accounts["alice"], accounts["bob"], accounts["carol"])


def build_message(
    subject: str = "Hello",
    body: str = "Hi there, this is a test message.",
    *,
    sender: str = "Sender <sender@outside.test>",
    to: str = "alice@example.test",
    headers: dict[str, str] | None = None,
    unique: bool = True,
) -> bytes:
    """A small RFC 5322 message; ``unique`` adds a random Message-ID so no two calls share a blob."""
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Mon, 06 Jan 2025 10:00:00 +0000",
    ]
    if unique:
        lines.append(f"Message-ID: <{uuid.uuid4().hex}@outside.test>")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if not any(k.lower() == "content-type" for k in headers or {}):
        lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")
    if not text.endswith("\r\n"):
        text += "\r\n"
    return text.encode("utf-8")


def release_holds(store: Store) -> int:
    """What housekeeping does once imap.expunged_hold_seconds have passed: expunged messages held for IMAP
    sessions (storage.holds) release their bodies, which are collected when nothing else uses them."""
    return store.holds.release_expired(now=utcnow() + timedelta(days=8))


@pytest.fixture
def make_message() -> Callable[..., bytes]:
    """``make_message(subject=..., body=..., headers={...})`` -> bytes of a new message."""
    return build_message
