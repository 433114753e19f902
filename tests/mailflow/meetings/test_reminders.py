"""Reminder mails: the processing service's periodic job mails an EMAIL alarm once when it is due
(a DISPLAY alarm only when the account asked for ``organizer.reminder_mail``), remembers it on the item,
and never mails it again; the mail is delivered to the owner like any other."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

from mailflow.meetings import reminders
from sidecars.processing.schedule import housekeeping_jobs, run_due
from tests.mailflow.meetings.conftest import World, inbox, own_calendar, run_queue


def task_or_event(uid: str, start: datetime, action: str, summary: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T090000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\nSUMMARY:{summary}\r\nLOCATION:Room 4\r\n"
        f"BEGIN:VALARM\r\nACTION:{action}\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\n"
        + ("SUMMARY:Dentist\r\nATTENDEE:mailto:stranger@far.test\r\n" if action == "EMAIL" else "")
        + "END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def reminders_in(world: World, address: str) -> list[email.message.EmailMessage]:
    out = []
    for raw in inbox(world.store, address):
        message = email.message_from_bytes(raw, policy=policy.default)
        if str(message["Subject"]).startswith("Reminder:"):
            out.append(message)
    return out


def test_an_email_alarm_is_mailed_once_by_the_housekeeping_job(world: World, sink) -> None:
    store = world.store
    now = datetime.now(UTC).replace(microsecond=0)
    calendar = own_calendar(store, world.alice)
    organizer = store.for_user(world.alice.id).organizer
    name = organizer.put(
        calendar, None, task_or_event("dentist@x", now + timedelta(minutes=10), "EMAIL", "Dentist")
    ).name
    organizer.put(calendar, None, task_or_event("later@x", now + timedelta(hours=3), "EMAIL", "Later"))
    organizer.put(
        calendar, None, task_or_event("screen@x", now + timedelta(minutes=5), "DISPLAY", "On screen")
    )

    assert "reminder mails" in run_due(housekeeping_jobs(), store, now)
    run_queue(world)
    (mail,) = reminders_in(world, "alice@example.test")
    assert mail["Subject"].startswith("Reminder: Dentist at ")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "Where: Room 4" in mail.get_content()
    assert not sink.envelopes  # the alarm's outside ATTENDEE is not mailed
    assert reminders.last_sent(organizer.get(calendar, name).data) is not None

    assert reminders.sweep(store, now + timedelta(seconds=30)) == 0  # remembered: not again
    run_queue(world)
    assert len(reminders_in(world, "alice@example.test")) == 1


def test_display_alarms_are_mailed_when_the_account_asks(world: World) -> None:
    store = world.store
    now = datetime.now(UTC).replace(microsecond=0)
    calendar = own_calendar(store, world.bob)
    store.for_user(world.bob.id).organizer.put(
        calendar, None, task_or_event("screen@y", now + timedelta(minutes=5), "DISPLAY", "Stand-up")
    )
    assert reminders.sweep(store, now) == 0
    store.settings.set("organizer.reminder_mail", True, account="bob@example.test")
    assert reminders.sweep(store, now) == 1
    run_queue(world)
    (mail,) = reminders_in(world, "bob@example.test")
    assert "Stand-up" in mail["Subject"]
