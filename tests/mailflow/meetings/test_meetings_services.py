"""Meetings through the real services, as the supervisor runs them: the SMTP service (MX listener) and
the processing service as processes on a demo data directory, driven over sockets.

alice invites bob, room1 and dave@far.test; the processing service files bob's copy, lets room1 accept,
and relays dave's invitation to far.test's MX (the loopback sink). dave answers from outside over SMTP
to the MX listener (smtplib): alice's copy shows him ACCEPTED. A reminder alarm set before the service
started is mailed to alice by the service's periodic job.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldpost import config as configuration
from mailflow.meetings import copies, imip, itip, sending
from mailflow.meetings.answering import default_calendar, find_copy
from storage import open_store
from storage.store import Store
from tests.mailflow.meetings.conftest import event
from tests.support.service import init_demo, running

pytestmark = pytest.mark.slow

HOST = "mail.example.test"


def wait_until(check: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def copy_in(store: Store, address: str, uid: str) -> bytes | None:
    account = store.accounts.get(address)
    found = find_copy(store.for_user(account.id).organizer, uid)
    return None if found is None else found.item.data


def test_invitation_answer_room_and_reminder_through_the_services(tmp_path: Path, dns_server, sink) -> None:
    data = tmp_path / "data"
    init_demo(data, HOST)
    config = configuration.load(data)
    store = open_store(config.database_url, config.blob_dir)
    try:
        store.settings.set("dns.nameservers", [dns_server.address])
        store.settings.set("relay.port", sink.port)
        store.accounts.add("room1@example.test", None)
        store.settings.set("organizer.resource_policy", "accept_if_free", account="room1@example.test")
        alice = store.accounts.get("alice@example.test")
        organizer = store.for_user(alice.id).organizer
        calendar = default_calendar(organizer)
        now = datetime.now(UTC).replace(microsecond=0)
        reminder = (
            event(
                "soon@example.test", "alice@example.test", [], now + timedelta(minutes=10), summary="Call mum"
            )
            .replace(b"ACTION:DISPLAY", b"ACTION:EMAIL")
            .replace(b"ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:alice@example.test\r\n", b"")
        )
        organizer.put(calendar, None, reminder)
        start = (now + timedelta(days=4)).replace(hour=14, minute=0, second=0)
        meeting = event(
            "svc@example.test",
            "alice@example.test",
            ["bob@example.test", "room1@example.test", "dave@far.test"],
            start,
        )
        name = organizer.put(calendar, None, meeting).name
        sending.send_invitations(store, alice, calendar, name, origin=sending.local_origin(HOST, "test"))

        with (
            running("sidecars.processing", "processing", data),
            running("sidecars.smtp", "smtp", data) as (offset, _),
        ):
            # bob's calendar holds the meeting; the room accepted; dave's invitation left for far.test
            wait_until(lambda: copy_in(store, "bob@example.test", "svc@example.test") is not None)
            wait_until(
                lambda: (
                    copies.partstat_of(
                        copy_in(store, "alice@example.test", "svc@example.test") or b"", "room1@example.test"
                    )
                    == "ACCEPTED"
                )
            )
            wait_until(lambda: any("dave@far.test" in e.recipients for e in sink.envelopes))
            (outside,) = [e for e in sink.envelopes if "dave@far.test" in e.recipients]
            found = imip.scheduling_part(outside.data)
            assert found is not None

            # dave answers from outside, over SMTP to our MX
            answer = itip.reply(
                found.data, attendee="dave@far.test", partstat="ACCEPTED", now=datetime.now(UTC)
            )
            mail = imip.build_mail(
                sender="dave@far.test",
                sender_name="Dave",
                to=["alice@example.test"],
                calendar=answer,
                now=datetime.now(UTC),
            )
            port = configuration.LISTENERS["smtp"].port + offset
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("dave@far.test", ["alice@example.test"], mail)
            wait_until(
                lambda: (
                    copies.partstat_of(
                        copy_in(store, "alice@example.test", "svc@example.test") or b"", "dave@far.test"
                    )
                    == "ACCEPTED"
                )
            )

            # the reminder set before the service started was mailed by its periodic job
            wait_until(
                lambda: any(
                    b"Subject: Reminder: Call mum" in raw
                    for _u, raw, _d, _f in store.mail.iter_raw("alice@example.test", "INBOX")
                )
            )
    finally:
        store.close()
