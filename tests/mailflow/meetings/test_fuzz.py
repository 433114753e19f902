"""Property tests: whatever a mail carries, the scheduling layer answers with ``ItipError`` or a result,
never another exception (a stray exception would only be logged by delivery, but a reader page would
fail), and finding a calendar part in arbitrary bytes never raises."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.meetings import copies, imip, itip
from mailflow.meetings.itip import ItipError
from tests.mailflow.meetings.test_itip import CANCEL, ORGANIZER_COPY, REPLY, REQUEST

NOW = datetime(2026, 12, 7, tzinfo=UTC)
LINES = st.sampled_from(
    [
        "RECURRENCE-ID:19970708T200000Z",
        "RECURRENCE-ID;VALUE=DATE:19970708",
        "RECURRENCE-ID:garbage",
        "SEQUENCE:-1",
        "SEQUENCE:99999999999999999999",
        "ATTENDEE:mailto:b@example.com",
        "ATTENDEE;PARTSTAT=ACCEPTED:",
        "ATTENDEE:",
        "ORGANIZER:",
        "DTSTART;TZID=Nowhere/Zone:19970701T200000",
        "DTSTART;VALUE=DATE:19970701",
        "DTEND:x",
        "DURATION:PT1H",
        "DURATION:nonsense",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "RRULE:FREQ=BOGUS",
        "EXDATE:19970708T200000Z",
        "BEGIN:VALARM",
        "END:VALARM",
        "BEGIN:VEVENT",
        "END:VEVENT",
        "UID:other",
        "STATUS:CANCELLED",
    ]
)


def mutated(base: bytes, extra: list[str], at: int) -> bytes:
    lines = base.split(b"\r\n")
    position = 5 + at % max(1, len(lines) - 7)
    return b"\r\n".join(lines[:position] + [e.encode() for e in extra] + lines[position:])


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=4), st.integers(min_value=0, max_value=40))
def test_copies_raise_only_itip_errors(extra: list[str], at: int) -> None:
    request = mutated(REQUEST, extra, at)
    with contextlib.suppress(ItipError):
        copy = copies.attendee_copy(request, None, "b@example.com")
        if copy is not None:
            copies.with_answer(copy, "b@example.com", "ACCEPTED")
            copies.with_cancel(copy, mutated(CANCEL, extra, at))
    with contextlib.suppress(ItipError):
        copies.with_reply(ORGANIZER_COPY, itip.read(mutated(REPLY, extra, at)), "b@example.com")
    with contextlib.suppress(ItipError):
        itip.reply(request, attendee="b@example.com", partstat="TENTATIVE", now=NOW)
    with contextlib.suppress(ItipError):
        itip.cancel(mutated(ORGANIZER_COPY, extra, at), organizer="a@example.com", now=NOW)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_finding_a_calendar_part_never_raises(junk: bytes) -> None:
    head = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/calendar\r\n\r\n"
    imip.scheduling_part(head + junk + b"\r\n--b--\r\n")
    imip.scheduling_part(b"Content-Type: text/calendar; charset=x-unknown\r\n\r\n" + REQUEST + junk)
