"""The pure iTIP layer against RFC 5546's own examples (section 4.2: a group meeting of A with B, C and
D), plus what each stored copy becomes, and a property test: no text makes the reader raise anything but
``ItipError``."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.meetings import copies, itip
from mailflow.meetings.itip import ItipError

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)

# RFC 5546 4.2.2 (the group event request; its DTEND typo "2100000Z" corrected)
REQUEST = b"""BEGIN:VCALENDAR\r
METHOD:REQUEST\r
PRODID:-//Example/ExampleCalendarClient//EN\r
VERSION:2.0\r
BEGIN:VEVENT\r
ORGANIZER:mailto:a@example.com\r
ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:a@example.com\r
ATTENDEE;RSVP=TRUE;CUTYPE=INDIVIDUAL:mailto:b@example.com\r
ATTENDEE;RSVP=TRUE;CUTYPE=INDIVIDUAL:mailto:c@example.com\r
ATTENDEE;RSVP=TRUE;CUTYPE=INDIVIDUAL:mailto:d@example.com\r
DTSTAMP:19970611T190000Z\r
DTSTART:19970701T200000Z\r
DTEND:19970701T210000Z\r
SUMMARY:Conference\r
UID:calsrv.example.com-873970198738777@example.com\r
SEQUENCE:0\r
STATUS:CONFIRMED\r
END:VEVENT\r
END:VCALENDAR\r
"""

# RFC 5546 4.2.3 (B accepts)
REPLY = b"""BEGIN:VCALENDAR\r
PRODID:-//Example/ExampleCalendarClient//EN\r
METHOD:REPLY\r
VERSION:2.0\r
BEGIN:VEVENT\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@example.com\r
ORGANIZER:mailto:a@example.com\r
UID:calsrv.example.com-873970198738777@example.com\r
SEQUENCE:0\r
REQUEST-STATUS:2.0;Success\r
DTSTAMP:19970612T190000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""

# RFC 5546 4.2.9 (the organizer cancels the meeting)
CANCEL = b"""BEGIN:VCALENDAR\r
PRODID:-//Example/ExampleCalendarClient//EN\r
METHOD:CANCEL\r
VERSION:2.0\r
BEGIN:VEVENT\r
ORGANIZER:mailto:a@example.com\r
ATTENDEE;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:a@example.com\r
ATTENDEE:mailto:b@example.com\r
ATTENDEE:mailto:c@example.com\r
ATTENDEE:mailto:d@example.com\r
COMMENT:Mr. B cannot attend. It's raining. Lets cancel.\r
UID:calsrv.example.com-873970198738777@example.com\r
DTSTAMP:19970613T190000Z\r
STATUS:CANCELLED\r
SEQUENCE:1\r
END:VEVENT\r
END:VCALENDAR\r
"""

ORGANIZER_COPY = REQUEST.replace(b"METHOD:REQUEST\r\n", b"").replace(b";RSVP=TRUE", b"")


def test_request_is_read_as_the_rfc_describes_it() -> None:
    message = itip.read(REQUEST)
    assert message.method == "REQUEST"
    assert message.component == "VEVENT"
    assert message.uid == "calsrv.example.com-873970198738777@example.com"
    assert message.organizer == "a@example.com"
    assert message.sequence == 0
    assert message.attendee_addresses() == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]
    b = message.attendee("MAILTO:B@Example.com")
    assert b is not None and b.partstat == "NEEDS-ACTION" and b.rsvp
    assert message.first.start == datetime(1997, 7, 1, 20, 0, tzinfo=UTC)
    assert message.first.summary == "Conference"


def test_reply_and_cancel_are_read() -> None:
    reply = itip.read(REPLY)
    assert reply.method == "REPLY"
    assert [(a.address, a.partstat) for a in reply.first.attendees] == [("b@example.com", "ACCEPTED")]
    cancel = itip.read(CANCEL)
    assert cancel.method == "CANCEL" and cancel.sequence == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (REQUEST.replace(b"METHOD:REQUEST\r\n", b""), "no METHOD"),
        (REQUEST.replace(b"ORGANIZER:mailto:a@example.com\r\n", b""), "needs an ORGANIZER"),
        (REQUEST.replace(b"DTSTART:19970701T200000Z\r\n", b""), "needs DTSTART"),
        (REPLY.replace(b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@example.com\r\n", b""), "exactly one ATTENDEE"),
        (REQUEST.replace(b"SEQUENCE:0", b"SEQUENCE:x"), "SEQUENCE is not a number"),
        (REQUEST.replace(b"METHOD:REQUEST", b"METHOD:SHOUT"), "unknown METHOD"),
        (b"not a calendar", "not iCalendar"),
        (b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "no VEVENT or VTODO"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(text: bytes, reason: str) -> None:
    with pytest.raises(ItipError, match=reason):
        itip.read(text)


def test_request_built_from_the_organizers_copy() -> None:
    stored = ORGANIZER_COPY.replace(
        b"END:VEVENT", b"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT"
    )
    sent = itip.request(stored, organizer="a@example.com", now=NOW)
    message = itip.read(sent)
    assert message.method == "REQUEST"
    assert b"VALARM" not in sent  # the organizer's reminder stays theirs
    assert [a.rsvp for a in message.first.attendees] == [False, True, True, True]
    assert b"DTSTAMP:20261207T060000Z" in sent
    with pytest.raises(ItipError, match="organizer of this item is a@example.com"):
        itip.request(stored, organizer="b@example.com", now=NOW)


def test_reply_built_for_an_attendee_is_what_the_rfc_shows() -> None:
    sent = itip.reply(REQUEST, attendee="b@example.com", partstat="accepted", now=NOW)
    message = itip.read(sent)
    assert message.method == "REPLY"
    assert message.organizer == "a@example.com"
    assert [(a.address, a.partstat) for a in message.first.attendees] == [("b@example.com", "ACCEPTED")]
    assert message.sequence == 0 and message.uid == itip.read(REQUEST).uid
    with pytest.raises(ItipError, match="not an attendee"):
        itip.reply(REQUEST, attendee="e@example.com", partstat="ACCEPTED", now=NOW)
    with pytest.raises(ItipError, match="not an answer"):
        itip.reply(REQUEST, attendee="b@example.com", partstat="DELEGATED", now=NOW)


def test_cancel_raises_the_sequence_and_says_cancelled() -> None:
    sent = itip.cancel(ORGANIZER_COPY, organizer="a@example.com", now=NOW)
    message = itip.read(sent)
    assert message.method == "CANCEL" and message.sequence == 1 and message.first.status == "CANCELLED"
    only_d = itip.read(
        itip.cancel(ORGANIZER_COPY, organizer="a@example.com", now=NOW, attendees=["d@example.com"])
    )
    assert only_d.attendee_addresses() == ["d@example.com"]
    assert copies.sequence_of(copies.organizer_cancelled(ORGANIZER_COPY)) == 1


def test_attendee_copy_keeps_the_answer_until_the_meeting_changes() -> None:
    first = copies.attendee_copy(REQUEST, None, "b@example.com")
    assert first is not None and b"METHOD" not in first
    assert copies.partstat_of(first, "b@example.com") == "NEEDS-ACTION"
    answered = copies.with_answer(first, "b@example.com", "TENTATIVE")
    assert copies.partstat_of(answered, "b@example.com") == "TENTATIVE"
    resent = copies.attendee_copy(
        REQUEST.replace(b"Conference", b"Conference (room 2)"), answered, "b@example.com"
    )
    assert resent is not None and b"room 2" in resent
    assert copies.partstat_of(resent, "b@example.com") == "TENTATIVE"
    moved = REQUEST.replace(b"SEQUENCE:0", b"SEQUENCE:1").replace(b"T200000Z", b"T190000Z")
    rescheduled = copies.attendee_copy(moved, answered, "b@example.com")
    assert rescheduled is not None and copies.partstat_of(rescheduled, "b@example.com") == "NEEDS-ACTION"
    assert copies.attendee_copy(REQUEST, rescheduled, "b@example.com") is None  # older than the copy


def test_reply_updates_the_organizers_copy_only_from_that_attendee_at_that_sequence() -> None:
    reply = itip.read(REPLY)
    updated = copies.with_reply(ORGANIZER_COPY, reply, "B@example.com")
    assert copies.partstat_of(updated, "b@example.com") == "ACCEPTED"
    with pytest.raises(ItipError, match="came from c@example.com"):
        copies.with_reply(ORGANIZER_COPY, reply, "c@example.com")
    moved = ORGANIZER_COPY.replace(b"SEQUENCE:0", b"SEQUENCE:2")
    with pytest.raises(ItipError, match="version 0; the event is at version 2"):
        copies.with_reply(moved, reply, "b@example.com")
    stranger = itip.read(REPLY.replace(b"b@example.com", b"e@example.com"))
    with pytest.raises(ItipError, match="not an attendee"):
        copies.with_reply(ORGANIZER_COPY, stranger, "e@example.com")


def test_cancel_marks_the_attendees_copy_cancelled() -> None:
    copy = copies.attendee_copy(REQUEST, None, "b@example.com")
    assert copy is not None
    cancelled = copies.with_cancel(copy, CANCEL)
    assert cancelled is not None and b"STATUS:CANCELLED" in cancelled
    assert copies.sequence_of(cancelled) == 1
    forged = CANCEL.replace(b"ORGANIZER:mailto:a@example.com", b"ORGANIZER:mailto:x@example.com")
    with pytest.raises(ItipError, match="another organizer"):
        copies.with_cancel(copy, forged)


RECURRING = REQUEST.replace(b"SEQUENCE:0\r\n", b"SEQUENCE:0\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n")


def test_cancelling_one_occurrence_excludes_it() -> None:
    copy = copies.attendee_copy(RECURRING, None, "b@example.com")
    assert copy is not None
    one = CANCEL.replace(b"SEQUENCE:1\r\n", b"SEQUENCE:1\r\nRECURRENCE-ID:19970708T200000Z\r\n")
    cancelled = copies.with_cancel(copy, one)
    assert cancelled is not None
    assert b"EXDATE:19970708T200000Z" in cancelled and b"STATUS:CANCELLED" not in cancelled


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=600) | st.text(max_size=600).map(lambda t: REQUEST[:120] + t.encode() + REQUEST[120:])
)
def test_reader_never_raises_anything_but_itip_error(data: bytes) -> None:
    with contextlib.suppress(ItipError):
        itip.read(data)
