"""Transcript fixtures: a ManageSieveSession over a real, seeded SQLite store."""

from __future__ import annotations

import base64
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sidecars.managesieve.session import ManageSieveSession, Output, SessionContext
from storage import open_store
from storage.store import Store
from tests.support.transcript import TranscriptClient

HOST = "mail.example.test"
ALICE, ALICE_PW = "alice@example.test", "alicepass1"


@pytest.fixture(scope="session")
def sieve_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("managesieve-template")
    st = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st.domains.add("example.test")
    st.accounts.add(ALICE, ALICE_PW)
    st.close()
    return root


@pytest.fixture
def store(sieve_template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(sieve_template / "db.sqlite3", tmp_path / "db.sqlite3")
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st
    st.close()


def plain_token(user: str = ALICE, password: str = ALICE_PW) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


class Client(TranscriptClient):
    def __init__(self, session: ManageSieveSession) -> None:
        super().__init__(session)
        self.last = Output()

    def login(self) -> str:
        return self.cmd(f'AUTHENTICATE "PLAIN" "{plain_token()}"')


MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(store: Store) -> MakeClient:
    def make(*, tls_active: bool = True, tls_available: bool = True, allow_plaintext: bool = False) -> Client:
        context = SessionContext(
            store=store,
            hostname=HOST,
            peer_ip="192.0.2.10",
            session_id="t1",
            tls_active=tls_active,
            tls_available=tls_available,
            log=logging.getLogger("test.managesieve"),
            allow_plaintext=allow_plaintext,
        )
        return Client(ManageSieveSession(context))

    return make
