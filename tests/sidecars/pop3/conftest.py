"""Transcript fixtures: a Pop3Session over a real, seeded SQLite store (alice with a few messages in
INBOX and in a subfolder "Archive"), driven through the fake transport of tests.support.transcript."""

from __future__ import annotations

import base64
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sidecars.net.errorcontrol import ErrorLimits
from sidecars.pop3.session import Pop3Session, SessionContext
from storage import open_store
from storage.store import Store
from tests.support.transcript import TranscriptClient

HOST = "mail.example.test"
ALICE, ALICE_PW = "alice@example.test", "alicepass1"
BOB, BOB_PW = "bob@example.test", "bobpass1"


def message(n: int, body: str = "") -> bytes:
    text = body or f"Hello number {n}.\r\nSecond line.\r\n.starts with a dot\r\nlast line\r\n"
    return (
        f"From: sender{n}@example.org\r\nTo: {ALICE}\r\nSubject: message {n}\r\n"
        f"Message-ID: <m{n}@example.org>\r\n\r\n{text}"
    ).encode()


INBOX = [message(n) for n in range(1, 4)]
ARCHIVE = [message(n, "archived\r\n") for n in range(10, 12)]


@pytest.fixture(scope="session")
def pop3_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pop3-template")
    st = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st.domains.add("example.test")
    st.accounts.add(ALICE, ALICE_PW)
    st.accounts.add(BOB, BOB_PW)
    for key, value in {
        "auth.free_failures": 1000,
        "auth.lockout_failures": 0,
        "auth.base_delay_seconds": 0,
    }.items():
        st.settings.set(key, value)
    inbox = st.folders.get(ALICE, "INBOX").id
    for raw in INBOX:
        st.mail.append_to_folder(inbox, raw)
    archive = st.folders.get(ALICE, "Archive").id  # a default folder of every account
    for raw in ARCHIVE:
        st.mail.append_to_folder(archive, raw)
    st.close()
    return root


@pytest.fixture
def store(pop3_template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(pop3_template / "db.sqlite3", tmp_path / "db.sqlite3")
    shutil.copytree(pop3_template / "blobs", tmp_path / "blobs")
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st
    st.close()


def plain_token(user: str = ALICE, password: str = ALICE_PW) -> str:
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


class Client(TranscriptClient):
    session: Pop3Session

    def login(self, user: str = ALICE, password: str = ALICE_PW) -> str:
        assert self.cmd(f"USER {user}").startswith("+OK")
        return self.cmd(f"PASS {password}")

    def more(self) -> str:
        """What the session answers to pipelined commands after a streamed answer."""
        return self.send(b"")


MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(store: Store) -> MakeClient:
    def make(
        *,
        tls_active: bool = True,
        tls_available: bool = True,
        allow_plaintext: bool = False,
        errors: ErrorLimits | None = None,
    ) -> Client:
        context = SessionContext(
            store=store,
            hostname=HOST,
            peer_ip="192.0.2.10",
            session_id="t1",
            tls_active=tls_active,
            tls_available=tls_available,
            log=logging.getLogger("test.pop3"),
            allow_plaintext=allow_plaintext,
            errors=errors or ErrorLimits(),
        )
        return Client(Pop3Session(context))

    return make


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    """A session over TLS, logged in as alice (INBOX)."""
    c = make_client()
    assert c.login().startswith("+OK")
    return c
