"""A "remote" Fieldpost (its own data directory, POP3 and IMAP running as processes) with mail for alice,
and a local store with an account that fetches from it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from fieldpost.logs import ServiceLogger
from sidecars.processing.worker import Worker
from sidecars.rpop.service import Fetcher
from storage import open_store
from storage.store import Store
from tests.support.service import init_demo, running

ALICE = "alice@example.test"
REMOTE_PASSWORD = "demopass1"
ME = "me@local.test"


def message(n: int, subject: str | None = None) -> bytes:
    return (
        f"From: Sender {n} <sender{n}@outside.test>\r\nTo: {ALICE}\r\n"
        f"Subject: {subject or f'remote message {n}'}\r\nMessage-ID: <remote-{n}@outside.test>\r\n"
        f"Date: Mon, 07 Dec 2026 03:00:{n:02d} +0000\r\n\r\nBody of message {n}.\r\n"
    ).encode()


@dataclass
class Remote:
    data: Path
    store: Store
    pop3_plain: int
    pop3_tls: int
    imap_plain: int
    imap_tls: int

    def add(self, raw: bytes) -> None:
        self.store.mail.deliver(raw, [ALICE])

    def inbox(self) -> list[tuple[bytes, frozenset[str]]]:
        return [(raw, flags) for _uid, raw, _date, flags in self.store.mail.iter_raw(ALICE, "INBOX")]


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    data = tmp_path_factory.mktemp("remote") / "data"
    init_demo(data, "remote.example.test")
    with ExitStack() as stack:
        pop3_offset, _ = stack.enter_context(running("sidecars.pop3", "pop3", data))
        imap_offset, _ = stack.enter_context(running("sidecars.imap", "imap", data))
        store = open_store(f"sqlite:///{data / 'db.sqlite3'}", data / "blobs")
        stack.callback(store.close)
        yield Remote(
            data, store, 1110 + pop3_offset, 1995 + pop3_offset, 1143 + imap_offset, 1993 + imap_offset
        )


@pytest.fixture
def remote_inbox(remote: Remote) -> Remote:
    """The remote alice's INBOX emptied, then holding three messages."""
    folder = remote.store.folders.get(ALICE, "INBOX")
    uids = [uid for uid, _raw, _date, _flags in remote.store.mail.iter_raw(ALICE, "INBOX")]
    if uids:
        remote.store.mail.set_flags(folder.id, uids, {"\\Deleted"}, "add")
        remote.store.mail.expunge(folder.id)
    for n in range(1, 4):
        remote.add(message(n))
    return remote


@dataclass
class Local:
    store: Store
    fetcher: Fetcher
    worker: Worker

    def run(self) -> None:
        """One fetcher pass (every due mailbox), then the processing pass that delivers the queue."""
        self.fetcher.tick()
        self.fetcher.pool.join(timeout=60)
        self.worker.run_once()

    def folder(self, path: str = "INBOX") -> list[bytes]:
        return [raw for _uid, raw, _date, _flags in self.store.mail.iter_raw(ME, path)]


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    store = open_store(f"sqlite:///{tmp_path / 'local.sqlite3'}", tmp_path / "blobs")
    store.domains.add("local.test")
    store.accounts.add(ME, None)
    log = ServiceLogger(logging.getLogger("test.rpop"))
    yield Local(store, Fetcher(store, log, "local.test"), Worker(store, hostname="local.test"))
    store.close()
