"""Meetings end to end on real storage, the real processing worker and real SMTP out.

alice invites bob (same domain) and carol@far.test (outside: the loopback SMTP sink of far.test takes
the invitation); the worker delivers bob's copy and his calendar holds the event NEEDS-ACTION; bob
accepts from WebMail's reader (Flask client, CSRF-checked POST); the REPLY travels back through the
queue and alice's copy shows bob ACCEPTED. room1 (policy accept_if_free) is booked twice for the same
hour: the first organizer gets ACCEPTED, the second DECLINED. A cancellation marks bob's copy
CANCELLED.
"""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

from mailflow.meetings import copies, imip, itip, sending
from tests.mailflow.meetings.conftest import (
    CSRF,
    ORIGIN,
    World,
    copy_of,
    event,
    inbox,
    login,
    own_calendar,
    run_queue,
)
from tests.webmail.test_mobile_xhtml import well_formed
from webmail import create_app

START = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)


def test_invite_accept_from_the_reader_and_the_organizer_sees_it(world: World, sink) -> None:  # noqa: F811
    store = world.store
    calendar = own_calendar(store, world.alice)
    data = event("meet-1@example.test", "alice@example.test", ["bob@example.test", "carol@far.test"], START)
    name = store.for_user(world.alice.id).organizer.put(calendar, None, data).name
    sent = sending.send_invitations(store, world.alice, calendar, name, origin=ORIGIN)
    assert sent is not None and set(sent.recipients) == {"bob@example.test", "carol@far.test"}
    run_queue(world)

    # the outside attendee got the iMIP mail over SMTP
    (outside,) = [e for e in sink.envelopes if "carol@far.test" in e.recipients]
    found = imip.scheduling_part(outside.data)
    assert found is not None and found.message.method == "REQUEST"
    assert b"VALARM" not in found.data

    # bob's calendar holds the event, not answered yet
    bobs = copy_of(store, world.bob, "meet-1@example.test")
    assert bobs is not None
    assert copies.partstat_of(bobs, "bob@example.test") == "NEEDS-ACTION"

    # bob opens the invitation in WebMail and accepts
    app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "test-secret-key"})
    client = app.test_client()
    login(client, "bob@example.test", "pass-bob")
    inbox_id = store.for_user(world.bob.id).folder_with_role("inbox").id
    (uid,) = [u for u, _raw, _d, _f in store.mail.iter_raw("bob@example.test", "INBOX")]
    page = client.get(f"/mail/folder/{inbox_id}/{uid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="ACCEPTED"' in html and "Planning" in html
    token = CSRF.search(html)
    assert token
    refused = client.post(f"/mail/folder/{inbox_id}/{uid}/meeting", data={"answer": "ACCEPTED"})
    assert refused.status_code == 400  # no CSRF token
    answered = client.post(
        f"/mail/folder/{inbox_id}/{uid}/meeting",
        data={"answer": "ACCEPTED", "csrf_token": token.group(1)},
        follow_redirects=True,
    )
    assert "You accepted" in answered.get_data(as_text=True)
    bobs = copy_of(store, world.bob, "meet-1@example.test")
    assert bobs is not None and copies.partstat_of(bobs, "bob@example.test") == "ACCEPTED"

    # the REPLY goes through the queue to alice, whose copy now shows bob ACCEPTED
    run_queue(world)
    alices = copy_of(store, world.alice, "meet-1@example.test")
    assert alices is not None and copies.partstat_of(alices, "bob@example.test") == "ACCEPTED"
    (reply_mail,) = [r for r in inbox(store, "alice@example.test") if b"METHOD:REPLY" in r]
    assert email.message_from_bytes(reply_mail, policy=policy.default)["Subject"] == "Accepted: Planning"

    # alice reads the reply: the reader says who answered what
    client = app.test_client()
    login(client, "alice@example.test", "pass-alice")
    alice_inbox = store.for_user(world.alice.id).folder_with_role("inbox").id
    (reply_uid,) = [
        u for u, raw, _d, _f in store.mail.iter_raw("alice@example.test", "INBOX") if b"METHOD:REPLY" in raw
    ]
    shown = client.get(f"/mail/folder/{alice_inbox}/{reply_uid}").get_data(as_text=True)
    assert "bob@example.test answered: accepted" in shown

    # alice cancels: bob's copy is CANCELLED
    sending.send_cancel(store, world.alice, calendar, name, origin=ORIGIN)
    run_queue(world)
    bobs = copy_of(store, world.bob, "meet-1@example.test")
    assert bobs is not None and b"STATUS:CANCELLED" in bobs


def test_a_reply_from_someone_else_changes_nothing(world: World) -> None:
    store = world.store
    calendar = own_calendar(store, world.alice)
    data = event("meet-2@example.test", "alice@example.test", ["bob@example.test"], START)
    name = store.for_user(world.alice.id).organizer.put(calendar, None, data).name
    sending.send_invitations(store, world.alice, calendar, name, origin=ORIGIN)
    run_queue(world)
    # dave answers in bob's name: his mail is from dave, so alice's copy keeps bob unanswered
    forged = itip.reply(
        copy_of(store, world.bob, "meet-2@example.test") or b"",
        attendee="bob@example.test",
        partstat="DECLINED",
        now=datetime.now(UTC),
    )
    sending.queue_mail(
        store,
        world.dave,
        sender="dave@example.test",
        recipients=["alice@example.test"],
        calendar=forged,
        origin=ORIGIN,
        now=datetime.now(UTC),
    )
    run_queue(world)
    alices = copy_of(store, world.alice, "meet-2@example.test")
    assert alices is not None and copies.partstat_of(alices, "bob@example.test") == "NEEDS-ACTION"


def test_booking_a_room_twice_the_second_is_declined(world: World) -> None:
    store = world.store
    results = []
    for n, who in enumerate((world.alice, world.bob)):
        calendar = own_calendar(store, who)
        uid = f"room-{n}@example.test"
        data = event(uid, who.address, ["room1@example.test"], START, summary=f"Booking {n}")
        name = store.for_user(who.id).organizer.put(calendar, None, data).name
        sending.send_invitations(store, who, calendar, name, origin=ORIGIN)
        run_queue(world)  # the room answers; its REPLY is delivered to the organizer
        run_queue(world)
        copy = copy_of(store, who, uid)
        assert copy is not None
        results.append(copies.partstat_of(copy, "room1@example.test"))
    assert results == ["ACCEPTED", "DECLINED"]
    answers = [r for r in inbox(store, "bob@example.test") if b"METHOD:REPLY" in r]
    assert len(answers) == 1 and b"Auto-Submitted: auto-replied" in answers[0]
    booked = copy_of(store, world.room, "room-0@example.test")
    assert booked is not None and copies.partstat_of(booked, "room1@example.test") == "ACCEPTED"
    assert copy_of(store, world.room, "room-1@example.test") is None  # a declined booking is not filed


def test_mobile_reader_answers_tentatively(world: World) -> None:
    store = world.store
    calendar = own_calendar(store, world.alice)
    data = event(
        "meet-m@example.test", "alice@example.test", ["bob@example.test"], START, summary="Mobile sync"
    )
    name = store.for_user(world.alice.id).organizer.put(calendar, None, data).name
    sending.send_invitations(store, world.alice, calendar, name, origin=ORIGIN)
    run_queue(world)
    app = create_app({"TESTING": True, "STORE": store, "SECRET_KEY": "test-secret-key"})
    client = app.test_client()
    login(client, "bob@example.test", "pass-bob")
    inbox_id = store.for_user(world.bob.id).folder_with_role("inbox").id
    (uid,) = [u for u, _raw, _d, _f in store.mail.iter_raw("bob@example.test", "INBOX")]
    page = client.get(f"/m/folder/{inbox_id}/{uid}").get_data(as_text=True)
    well_formed(page)  # Mobile pages are XHTML
    assert 'value="TENTATIVE"' in page and "Mobile sync" in page
    token = CSRF.search(page)
    assert token
    client.post(
        f"/m/folder/{inbox_id}/{uid}/meeting", data={"answer": "TENTATIVE", "csrf_token": token.group(1)}
    )
    run_queue(world)
    alices = copy_of(store, world.alice, "meet-m@example.test")
    assert alices is not None and copies.partstat_of(alices, "bob@example.test") == "TENTATIVE"
    shown = client.get(f"/m/folder/{inbox_id}/{uid}").get_data(as_text=True)
    assert "Your answer: tentative" in shown
