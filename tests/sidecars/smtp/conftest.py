"""Transcript fixtures: an SmtpSession over a real, seeded SQLite store, driven by lines in, replies out."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sidecars.smtp.conversation import Output, SessionContext
from sidecars.smtp.session import SmtpSession
from storage import open_store
from storage.store import Store
from tests.support.transcript import TranscriptClient

HOST = "mx.example.test"
ALICE, ALICE_PW = "alice@example.test", "alicepass1"
BOB, BOB_PW = "bob@example.test", "bobpass123"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store made once: domain example.test, alice (alias al@) and bob; each test gets a copy."""
    root = tmp_path_factory.mktemp("smtp-template")
    st = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st.domains.add("example.test")
    st.accounts.add(ALICE, ALICE_PW)
    st.accounts.add_alias(ALICE, "al@example.test")
    st.accounts.add(BOB, BOB_PW)
    # SPF/DKIM/DMARC are on by default and would ask the system's resolver about every sender here;
    # test_checks.py turns them back on with a DNS server on 127.0.0.1
    for name in ("spf.enabled", "dkim.verify", "dmarc.enabled"):
        st.settings.set(name, False)
    st.close()
    return root


@pytest.fixture
def store(seeded_template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(seeded_template / "db.sqlite3", tmp_path / "db.sqlite3")
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st
    st.close()


class Client(TranscriptClient):
    """A fake transport: ``cmd`` sends one line, ``send`` raw bytes; both return the reply text."""

    def __init__(self, session: SmtpSession) -> None:
        super().__init__(session)
        self.last = Output()

    def codes(self, data: bytes | str) -> list[str]:
        """Reply codes (last line of each reply) for a pipelined batch."""
        return [line[:3] for line in self.send(data).splitlines() if line[3:4] == " "]

    def ehlo(self, name: str = "client.example.net") -> str:
        return self.cmd(f"EHLO {name}")

    def login(self, user: str = ALICE, password: str = ALICE_PW) -> str:
        import base64

        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return self.cmd(f"AUTH PLAIN {token}")


MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(store: Store) -> MakeClient:
    def make(
        listener: str = "smtp",
        *,
        tls_active: bool = False,
        tls_available: bool = True,
        ip: str = "192.0.2.10",
        hostname: str = HOST,
    ) -> Client:
        ctx = SessionContext(
            store=store,
            hostname=hostname,
            listener=listener,
            peer_ip=ip,
            peer_port=40000,
            session_id="S1ab",
            tls_active=tls_active,
            tls_available=tls_available,
            log=logging.getLogger("test.smtp"),
        )
        return Client(SmtpSession(ctx))

    return make


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    """An MX session that has already said EHLO."""
    c = make_client()
    c.ehlo()
    return c


@pytest.fixture
def submission(make_client: MakeClient) -> Client:
    """A submission session over TLS, EHLO said, logged in as alice."""
    c = make_client("submission", tls_active=True)
    c.ehlo()
    assert c.login().startswith("235 ")
    return c
