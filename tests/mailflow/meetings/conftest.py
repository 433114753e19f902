"""Fixtures of the meeting tests: example.test with alice, bob, dave and room1 (policy accept_if_free),
the test DNS and the far.test SMTP sink for outside attendees, a processing Worker, and helpers to make
events, find an account's copy of one and sign in to WebMail."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from filters import dns
from mailflow.meetings import sending
from sidecars.processing.worker import Worker
from storage import passwords
from storage.models import Account
from storage.store import Store, open_store
from tests.storage.conftest import _reused_demo_hash
from tests.storage.conftest import sqlite_template as sqlite_template  # noqa: F401  (fixture)
from tests.support.world import dns_server as dns_server  # noqa: F401  (fixture)
from tests.support.world import sink as sink  # noqa: F401  (fixture)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ORIGIN = sending.local_origin("mail.example.test", "test")


@dataclass(frozen=True)
class World:
    store: Store
    alice: Account
    bob: Account
    dave: Account
    room: Account
    worker: Worker


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path, dns_server, sink
) -> Iterator[World]:  # noqa: F811
    shutil.copyfile(sqlite_template, tmp_path / "db.sqlite3")
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    store.domains.add("example.test")
    with monkeypatch.context() as patch:
        patch.setattr(passwords, "hash_password", _reused_demo_hash)
        accounts = {
            n: store.accounts.add(f"{n}@example.test", f"pass-{n}") for n in ("alice", "bob", "dave", "room1")
        }
    store.settings.set("dns.nameservers", [dns_server.address])
    store.settings.set("relay.port", sink.port)
    store.settings.set("relay.timeout_seconds", 5)
    store.settings.set("organizer.resource_policy", "accept_if_free", account="room1@example.test")
    dns.shared().clear()
    try:
        yield World(
            store,
            accounts["alice"],
            accounts["bob"],
            accounts["dave"],
            accounts["room1"],
            Worker(store, hostname="mail.example.test"),
        )
    finally:
        store.close()


def run_queue(world: World) -> None:
    while world.worker.run_once():
        pass


def event(
    uid: str, organizer: str, attendees: list[str], start: datetime, summary: str = "Planning"
) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261201T090000Z",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{summary}",
        f"ORGANIZER:mailto:{organizer}",
        f"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:{organizer}",
        *[
            f"ATTENDEE;PARTSTAT=NEEDS-ACTION;CUTYPE={'ROOM' if a.startswith('room') else 'INDIVIDUAL'}:mailto:{a}"
            for a in attendees
        ],
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15M",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


def own_calendar(store: Store, account: Account) -> int:
    from mailflow.meetings.answering import default_calendar

    return default_calendar(store.for_user(account.id).organizer)


def copy_of(store: Store, account: Account, uid: str) -> bytes | None:
    from mailflow.meetings.answering import find_copy

    found = find_copy(store.for_user(account.id).organizer, uid)
    return None if found is None else found.item.data


def inbox(store: Store, address: str) -> list[bytes]:
    return [raw for _uid, raw, _date, _flags in store.mail.iter_raw(address, "INBOX")]


def login(client: FlaskClient, address: str, password: str) -> None:
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    client.post("/login", data={"username": address, "password": password, "csrf_token": token.group(1)})
