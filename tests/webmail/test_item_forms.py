"""The organizer item forms' translation to and from iCalendar/vCard (webmail/task_ical.py,
journal_ical.py, contact_vcard.py), without storage: what is written is what standard parsers read
back, an edit keeps what the form does not show, and bad fields are named."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from flask import Flask
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from storage.errors import InvalidInput
from webmail import contact_vcard, journal_ical, task_ical

ALICE = "alice@example.test"


@pytest.fixture(autouse=True)
def babel_context() -> Iterator[None]:
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield


def test_a_task_form_becomes_a_vtodo_read_back_by_icalendar() -> None:
    task, errors = task_ical.read_form(
        {
            "summary": "  Quarterly   report ",
            "due": "2026-03-29T10:30",  # the day clocks change in Berlin
            "start": "2026-03-20",
            "priority": "1",
            "percent": "25",
            "status": "IN-PROCESS",
            "categories": "Work, work, Finance",
            "assignee": "bob@example.test",
        },
        "Europe/Berlin",
    )
    assert not errors and task.categories == ("Work", "Finance")
    todo = icalendar.Calendar.from_ical(task_ical.to_ical(task, owner=ALICE)).walk("VTODO")[0]
    assert str(todo["SUMMARY"]) == "Quarterly report" and str(todo["STATUS"]) == "IN-PROCESS"
    assert todo["DUE"].dt == datetime(2026, 3, 29, 10, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert todo["DUE"].dt.utcoffset().total_seconds() == 7200  # summer time that day
    assert todo["DTSTART"].dt == date(2026, 3, 20)
    assert str(todo["ATTENDEE"]) == "mailto:bob@example.test" and str(todo["ORGANIZER"]) == f"mailto:{ALICE}"
    assert todo["UID"] and todo["DTSTAMP"]


def test_editing_a_task_keeps_what_the_form_does_not_show() -> None:
    client = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\nBEGIN:VTODO\r\nUID:keep-me\r\n"
        b"DTSTAMP:20260101T000000Z\r\nSUMMARY:Old\r\nX-CLIENT-FLAG:yes\r\n"
        b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.test\r\nORGANIZER:mailto:alice@example.test\r\n"
        b"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:soon\r\nEND:VALARM\r\n"
        b"END:VTODO\r\nEND:VCALENDAR\r\n"
    )
    fields = task_ical.from_ical(client)
    assert fields.assignee == "bob@example.test" and fields.summary == "Old"
    edited = task_ical.to_ical(
        task_ical.TaskFields(summary="New", assignee="bob@example.test"), owner=ALICE, previous=client
    )
    todo = icalendar.Calendar.from_ical(edited).walk("VTODO")[0]
    assert (
        str(todo["UID"]) == "keep-me"
        and str(todo["X-CLIENT-FLAG"]) == "yes"
        and str(todo["SUMMARY"]) == "New"
    )
    assert todo["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"  # bob's answer stays while he is assigned
    assert len(todo.walk("VALARM")) == 1
    done = icalendar.Calendar.from_ical(task_ical.with_done(edited, True)).walk("VTODO")[0]
    assert str(done["STATUS"]) == "COMPLETED" and int(done["PERCENT-COMPLETE"]) == 100 and "COMPLETED" in done
    reopened = icalendar.Calendar.from_ical(task_ical.with_done(task_ical.with_done(edited, True), False))
    assert "COMPLETED" not in reopened.walk("VTODO")[0]


def test_bad_task_fields_are_named() -> None:
    _task, errors = task_ical.read_form(
        {"summary": "", "due": "2026-02-30", "start": "2026-01-05T25:00", "percent": "101", "status": "DONE"},
        "UTC",
    )
    assert set(errors.by_field) == {"summary", "due", "start", "percent", "status"}
    _task, errors = task_ical.read_form({"summary": "x", "start": "2026-02-02", "due": "2026-02-01"}, "UTC")
    assert errors.by_field == {"due": "The due date is before the start."}
    with pytest.raises(InvalidInput):
        task_ical.from_ical(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")


def test_notes_and_journal_entries() -> None:
    entry, errors = journal_ical.read_form(
        {"summary": "Standup", "day": "2026-12-07", "description": "a\r\nb"}, dated=True
    )
    assert not errors
    journal = icalendar.Calendar.from_ical(journal_ical.to_ical(entry)).walk("VJOURNAL")[0]
    assert journal["DTSTART"].dt == date(2026, 12, 7) and str(journal["DESCRIPTION"]) == "a\nb"
    back = journal_ical.from_ical(journal_ical.to_ical(entry))
    assert back.day == date(2026, 12, 7) and back.summary == "Standup"
    _entry, errors = journal_ical.read_form({"summary": "No day"}, dated=True)
    assert "day" in errors.by_field
    note, errors = journal_ical.read_form({"summary": "Idea", "day": "2026-12-07"}, dated=False)
    assert not errors and note.day is None
    assert "DTSTART" not in icalendar.Calendar.from_ical(journal_ical.to_ical(note)).walk("VJOURNAL")[0]


def test_a_contact_round_trips_through_vobject() -> None:
    form = MultiDict(
        [
            ("given", "Zoë"),
            ("family", "O'Brien"),
            ("email", "zoe@work.test"),
            ("email_type", "work"),
            ("email", "zoe@home.test"),
            ("email_type", "home"),
            ("tel", "+44 20 7946 0000"),
            ("tel_type", "work"),
            ("organisation", "Smith; Sons"),
            ("street", "1 High St"),
            ("city", "London"),
            ("birthday", "1990-01-31"),
            ("note", "line 1\nline 2"),
            ("categories", "Friends"),
        ]
    )
    contact, errors = contact_vcard.read_contact(form)
    assert not errors
    data = contact_vcard.contact_to_vcard(contact)
    card = vobject.readOne(data.decode())
    assert card.fn.value == "Zoë O'Brien" and card.org.value == ["Smith; Sons"]
    assert [e.value for e in card.contents["email"]] == ["zoe@work.test", "zoe@home.test"]
    assert contact_vcard.contact_from_vcard(data) == contact.__class__(
        **{**contact.__dict__, "display": "Zoë O'Brien"}
    )
    assert not contact_vcard.is_group(data)


def test_a_client_card_keeps_its_photo_over_an_edit_and_groups_read_both_spellings() -> None:
    client = b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\nFN:Ann\r\nN:;Ann;;;\r\nPHOTO:data:image/png;base64,AAAA\r\nEND:VCARD\r\n"
    edited = contact_vcard.contact_to_vcard(
        contact_vcard.ContactFields(given="Ann", family="Lee"), previous=client
    )
    card = vobject.readOne(edited.decode())
    assert card.fn.value == "Ann Lee" and "photo" in card.contents and card.uid.value == "urn:uuid:1"
    apple = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g1\r\nFN:Team\r\nN:Team;;;;\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n"
        b"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:abc\r\nX-ADDRESSBOOKSERVER-MEMBER:mailto:x@y.test\r\nEND:VCARD\r\n"
    )
    assert contact_vcard.is_group(apple)
    assert contact_vcard.group_from_vcard(apple).members == ("urn:uuid:abc", "x@y.test")
    _group, errors = contact_vcard.read_group(MultiDict([("name", ""), ("members", "a@b.test\nnope")]))
    assert set(errors.by_field) == {"name", "members"}
    with pytest.raises(InvalidInput):
        contact_vcard.contact_from_vcard(b"not a card")
