"""A store with example.test (alice, bob), the test DNS and the SMTP sink, a fake clock, and a Worker
wired to all of them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sidecars.processing.worker import Worker
from storage import open_store
from storage.names import utcnow
from tests.support import world

dns_server = world.dns_server
sink = world.sink


class FakeClock:
    def __init__(self) -> None:
        self.now = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("storage.queue.utcnow", fake)  # claim() and enqueue() see the same time
    return fake


@pytest.fixture
def store(tmp_path, dns_server, sink):
    s = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    s.domains.add("example.test")
    s.accounts.add("alice@example.test", None)
    s.accounts.add("bob@example.test", None)
    s.settings.set("dns.nameservers", [dns_server.address])
    s.settings.set("relay.port", sink.port)
    s.settings.set("relay.timeout_seconds", 5)
    s.settings.set("queue.delay_warning_seconds", 0)
    yield s
    s.close()


@pytest.fixture
def worker(store, clock) -> Worker:
    from filters import dns

    dns.shared().clear()
    return Worker(store, hostname="mail.example.test", clock=clock)


def inbox(store, address: str, folder: str = "INBOX") -> list[bytes]:
    return [raw for _uid, raw, _date, _flags in store.mail.iter_raw(address, folder)]
