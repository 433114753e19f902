"""The Ajax reader's meeting panel on the server side, through the test client on a real store and the
real processing worker: alice's invitation reaches bob, ``/ajax/read`` describes it, bob's answer over
``POST /ajax/meeting/...`` (CSRF-checked) lands in his calendar and, once the queue ran, in alice's
copy; wrong answers, messages without a calendar part, another user's message and a cancelled meeting
are refused the way the route promises."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from mailflow.meetings import copies, sending
from mailflow.meetings.answering import default_calendar, find_copy
from sidecars.processing.worker import Worker
from storage.models import Account
from tests.webmail.ajax.test_shell import DATA_BLOCK
from tests.webmail.conftest import AuthActions, Seeded

START = (datetime.now(UTC) + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
ORIGIN = sending.local_origin("mail.example.test", "test")
UID = "ajax-meet-1@example.test"


def event(summary: str = "Budget review", sequence: int = 0) -> bytes:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//EN",
            "BEGIN:VEVENT",
            f"UID:{UID}",
            "DTSTAMP:20261201T090000Z",
            f"SEQUENCE:{sequence}",
            f"DTSTART:{START:%Y%m%dT%H%M%SZ}",
            f"DTEND:{START + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{summary}",
            "LOCATION:Room 4",
            "ORGANIZER;CN=Alice:mailto:alice@example.test",
            "ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:alice@example.test",
            "ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Bob:mailto:bob@example.test",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    ).encode()


def run_queue(seeded: Seeded) -> None:
    worker = Worker(seeded.store, hostname="mail.example.test")
    while worker.run_once():
        pass


def invite(seeded: Seeded) -> tuple[int, str]:
    """alice invites bob; (alice's calendar, the event's name there)."""
    organizer = seeded.store.for_user(seeded.alice.id).organizer
    calendar = default_calendar(organizer)
    name = organizer.put(calendar, None, event()).name
    assert sending.send_invitations(seeded.store, seeded.alice, calendar, name, origin=ORIGIN) is not None
    run_queue(seeded)
    return calendar, name


def newest(seeded: Seeded, account: Account, marker: bytes) -> tuple[int, int]:
    inbox = seeded.store.for_user(account.id).folder_with_role("inbox").id
    uids = [u for u, raw, _d, _f in seeded.store.mail.iter_raw(account.address, "INBOX") if marker in raw]
    assert uids, f"no message with {marker!r}"
    return inbox, uids[-1]


def csrf(client: FlaskClient) -> str:
    page = client.get("/ajax/").get_data(as_text=True)
    blocks = {name: json.loads(body) for name, body in DATA_BLOCK.findall(page)}
    return str(blocks["config"]["csrf"])


def answer(client: FlaskClient, folder: int, uid: int, value: str, token: str | None) -> tuple[int, dict]:
    headers = {"X-CSRFToken": token} if token else {}
    got = client.post(f"/ajax/meeting/{folder}/{uid}", json={"answer": value}, headers=headers)
    return got.status_code, got.get_json(silent=True) or {}


def partstat(seeded: Seeded, account: Account, who: str) -> str:
    found = find_copy(seeded.store.for_user(account.id).organizer, UID)
    assert found is not None
    return copies.partstat_of(found.item.data, who)


def test_bob_reads_and_accepts_and_alice_gets_the_answer(
    seeded: Seeded, client: FlaskClient, auth: AuthActions
) -> None:
    invite(seeded)
    folder, uid = newest(seeded, seeded.bob, b"METHOD:REQUEST")
    auth.login("bob@example.test", "pass-bob", interface="ajax")
    view = client.get(f"/ajax/read/{folder}/{uid}").get_json()
    meeting = view["meeting"]
    assert meeting["method"] == "REQUEST" and meeting["title"] == "Budget review"
    assert meeting["location"] == "Room 4" and meeting["organizer"] == "Alice"
    assert meeting["starts"] == f"{START:%Y-%m-%dT%H:%M:%SZ}"
    assert meeting["ends"] == f"{START + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    assert meeting["when"] and meeting["answerable"] and meeting["answer"] is None
    assert {"name": "Bob", "answer": "not answered yet"} in meeting["attendees"]
    assert view["meeting_answer"] == f"/ajax/meeting/{folder}/{uid}"

    token = csrf(client)
    assert answer(client, folder, uid, "ACCEPTED", None)[0] == 400  # no CSRF token
    assert answer(client, folder, uid, "MAYBE", token)[0] == 400
    assert partstat(seeded, seeded.bob, "bob@example.test") == "NEEDS-ACTION"

    status, body = answer(client, folder, uid, "ACCEPTED", token)
    assert status == 200 and body["notice"] == "You accepted; the organizer was told."
    assert body["meeting"]["answer"] == "accepted"
    assert partstat(seeded, seeded.bob, "bob@example.test") == "ACCEPTED"
    run_queue(seeded)
    assert partstat(seeded, seeded.alice, "bob@example.test") == "ACCEPTED"

    # alice reads bob's answer in her Ajax reader
    client.post("/logout", headers={"X-CSRFToken": token})
    auth.login(interface="ajax")
    folder, uid = newest(seeded, seeded.alice, b"METHOD:REPLY")
    reply = client.get(f"/ajax/read/{folder}/{uid}").get_json()["meeting"]
    assert reply["method"] == "REPLY" and not reply["answerable"]
    assert reply["attendees"] == [{"name": "Bob", "answer": "accepted"}]


def test_refusals(seeded: Seeded, client: FlaskClient, auth: AuthActions) -> None:
    calendar, name = invite(seeded)
    folder, uid = newest(seeded, seeded.bob, b"METHOD:REQUEST")
    auth.login(interface="ajax")
    token = csrf(client)
    # alice may not answer on bob's message: it is not hers to read
    assert answer(client, folder, uid, "ACCEPTED", token)[0] == 404
    # a message without a calendar part
    inbox = seeded.store.folders.get("alice@example.test", "INBOX").id
    assert answer(client, inbox, 1, "ACCEPTED", token)[0] == 404
    assert client.get(f"/ajax/read/{inbox}/1").get_json()["meeting"] is None

    # the meeting is cancelled: bob's reader says so and the service refuses his answer
    assert sending.send_cancel(seeded.store, seeded.alice, calendar, name, origin=ORIGIN) is not None
    run_queue(seeded)
    client.post("/logout", headers={"X-CSRFToken": token})
    auth.login("bob@example.test", "pass-bob", interface="ajax")
    token = csrf(client)
    meeting = client.get(f"/ajax/read/{folder}/{uid}").get_json()["meeting"]
    assert meeting["cancelled"] and not meeting["answerable"]
    status, body = answer(client, folder, uid, "DECLINED", token)
    assert status == 409 and body["error"] == "this meeting was cancelled"
    cancel_folder, cancel_uid = newest(seeded, seeded.bob, b"METHOD:CANCEL")
    cancel = client.get(f"/ajax/read/{cancel_folder}/{cancel_uid}").get_json()["meeting"]
    assert cancel["method"] == "CANCEL" and not cancel["answerable"]


@pytest.mark.parametrize("value", ["TENTATIVE", "DECLINED"])
def test_the_other_answers(seeded: Seeded, client: FlaskClient, auth: AuthActions, value: str) -> None:
    invite(seeded)
    folder, uid = newest(seeded, seeded.bob, b"METHOD:REQUEST")
    auth.login("bob@example.test", "pass-bob", interface="ajax")
    status, body = answer(client, folder, uid, value.lower(), csrf(client))
    assert (
        status == 200
        and body["meeting"]["answer"] == {"TENTATIVE": "tentative", "DECLINED": "declined"}[value]
    )
    assert partstat(seeded, seeded.bob, "bob@example.test") == value
