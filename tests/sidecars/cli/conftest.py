"""Transcript fixtures: a CliSession over a real, seeded SQLite store (no socket)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sidecars.cli.session import CliSession
from sidecars.cli.state import ServiceControl, SessionContext
from sidecars.net.errorcontrol import ErrorLimits
from storage import open_store
from storage.store import Store
from tests.support.transcript import TranscriptClient

HOST = "mail.example.test"
ADMIN, ADMIN_PW = "admin", "adminpass1"
ALICE = "alice@example.test"


@pytest.fixture(scope="session")
def cli_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-template")
    st = open_store(f"sqlite:///{root / 'db.sqlite3'}", root / "blobs")
    st.admins.set_password(ADMIN, ADMIN_PW)
    st.domains.add("example.test")
    st.domains.add("other.test")
    st.accounts.add(ALICE, "alicepass1")
    st.accounts.add("bob@example.test", "bobpass12")
    st.accounts.add("olga@other.test", "olgapass1")
    st.close()
    return root


@pytest.fixture
def store(cli_template: Path, tmp_path: Path) -> Iterator[Store]:
    shutil.copyfile(cli_template / "db.sqlite3", tmp_path / "db.sqlite3")
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st
    st.close()


class Client(TranscriptClient):
    def login(self, name: str = ADMIN, password: str = ADMIN_PW) -> str:
        return self.cmd(f"USER {name}") + self.cmd(password)


MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(store: Store) -> MakeClient:
    def make(
        *,
        tls_active: bool = True,
        tls_available: bool = True,
        allow_plaintext: bool = False,
        errors: ErrorLimits | None = None,
        max_commands: int = 100_000,
        control: ServiceControl | None = None,
        peer_ip: str = "192.0.2.10",
    ) -> Client:
        context = SessionContext(
            store=store,
            hostname=HOST,
            peer_ip=peer_ip,
            session_id="t1",
            tls_active=tls_active,
            tls_available=tls_available,
            log=logging.getLogger("test.cli"),
            allow_plaintext=allow_plaintext,
            errors=errors or ErrorLimits(),
            max_commands=max_commands,
            control=control,
        )
        return Client(CliSession(context))

    return make


@pytest.fixture
def admin(make_client: MakeClient) -> Client:
    """A console logged in as the server administrator, over TLS."""
    client = make_client()
    assert client.login().endswith("+OK: logged in as admin\r\n<#> ")
    return client


def body(reply: str) -> list[str]:
    """The lines of a reply before its +OK/-ERR line (the prompt dropped)."""
    return reply.split("\r\n")[:-2]


def table(reply: str) -> list[list[str]]:
    """The rows of a table reply, each split on runs of two or more spaces (header and dashes dropped)."""
    import re

    rows: list[Any] = [re.split(r"\s{2,}", line.strip()) for line in body(reply)[2:]]
    return rows
