"""Splitting import files into resources and joining exports (storage/pim/transfer.py): what a user who
uploads an .ics or .vcf gets stored, and which broken items are reported by position and reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import vobject
from icalendar import Calendar

from storage.errors import InvalidInput
from storage.pim.recurrence import expand
from storage.pim.transfer import export_calendar, export_cards, split_calendar, split_cards, split_import

BERLIN = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "BEGIN:STANDARD",
    "DTSTART:19701025T030000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:19700329T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]


def ics(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


FILE = ics(
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Other//EN",
    "METHOD:PUBLISH",
    *BERLIN,
    "BEGIN:VEVENT",
    "UID:one",
    "DTSTART;TZID=Europe/Berlin:20260316T100000",
    "DTEND;TZID=Europe/Berlin:20260316T110000",
    "RRULE:FREQ=WEEKLY",
    "SUMMARY:Weekly with a long summary that a client folded over",
    "  two lines",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:broken-start",
    "DTSTART:tomorrow",
    "END:VEVENT",
    "BEGIN:VTODO",
    "SUMMARY:No UID here",
    "DUE:20260320T170000Z",
    "END:VTODO",
    "BEGIN:VEVENT",
    "UID:one",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000",
    "DTSTART;TZID=Europe/Berlin:20260324T100000",
    "DTEND;TZID=Europe/Berlin:20260324T110000",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:no-start",
    "SUMMARY:Missing DTSTART",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:unclosed",
    "DTSTART:20260316T100000Z",
    "BEGIN:VALARM",
    "END:VEVENT",
    "BEGIN:VFREEBUSY",
    "UID:fb",
    "END:VFREEBUSY",
    "BEGIN:VEVENT",
    "UID:one",
    "DTSTART:20260101T000000Z",
    "END:VEVENT",
    "END:VCALENDAR",
)


def test_an_ics_file_is_split_per_uid_and_broken_items_are_reported_by_position() -> None:
    split = split_calendar(FILE)
    assert [(r.position, r.uid, r.component) for r in split.resources][0] == (1, "one", "VEVENT")
    assert [r.component for r in split.resources] == ["VEVENT", "VTODO"]
    assert [pos for pos, _ in split.failed] == [2, 5, 6, 7, 8]
    reasons = dict(split.failed)
    assert "DTSTART" in reasons[2]
    assert reasons[5] == "VEVENT without DTSTART"
    assert "closed by END:VEVENT" in reasons[6]
    assert "VFREEBUSY" in reasons[7]
    assert "repeated" in reasons[8]


def test_a_resource_holds_its_overrides_and_only_the_time_zones_it_names() -> None:
    split = split_calendar(FILE)
    weekly = Calendar.from_ical(split.resources[0].data)
    assert [c.name for c in weekly.subcomponents] == ["VTIMEZONE", "VEVENT", "VEVENT"]
    assert weekly.get("METHOD") is None
    assert (
        str(weekly.subcomponents[1]["SUMMARY"])
        == "Weekly with a long summary that a client folded over two lines"
    )
    found = expand(
        split.resources[0].data, datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)
    )
    assert [i.starts_at.day for i in found] == [16, 24, 30]
    task = Calendar.from_ical(split.resources[1].data)
    assert [c.name for c in task.subcomponents] == ["VTODO"]
    assert split.resources[1].uid and str(task.subcomponents[0]["UID"]) == split.resources[1].uid


def test_export_joins_resources_with_each_time_zone_once() -> None:
    split = split_calendar(FILE)
    second = ics(
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:x",
        *BERLIN,
        "BEGIN:VEVENT",
        "UID:two",
        "DTSTART;TZID=Europe/Berlin:20260401T100000",
        "END:VEVENT",
        "END:VCALENDAR",
    )
    out = export_calendar([split.resources[0].data, second, split.resources[1].data], name="Work")
    cal = Calendar.from_ical(out)
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE", "VEVENT", "VEVENT", "VEVENT", "VTODO"]
    assert str(cal["X-WR-CALNAME"]) == "Work"
    again = split_calendar(out)
    assert [r.uid for r in again.resources][:2] == ["one", "two"] and again.failed == []


CARDS = ics(
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:Jörg Müller",
    "N:Müller;Jörg;;;",
    "EMAIL;TYPE=INTERNET:joerg@example.test",
    "UID:card-1",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN Broken line without a colon",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "NOTE:nothing to show",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:No UID",
    "UID:",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:Again",
    "UID:card-1",
    "END:VCARD",
)


def test_a_vcf_file_is_split_into_cards_with_a_per_card_error_list() -> None:
    split = split_cards(CARDS)
    assert [r.position for r in split.resources] == [1, 4]
    assert split.resources[0].uid == "card-1"
    assert [pos for pos, _ in split.failed] == [2, 3, 5]
    assert "unreadable card" in dict(split.failed)[2]
    assert "no name" in dict(split.failed)[3]
    generated = vobject.readOne(split.resources[1].data.decode())
    assert generated.uid.value == split.resources[1].uid and generated.fn.value == "No UID"
    joined = export_cards([r.data for r in split.resources])
    assert [c.fn.value for c in vobject.readComponents(joined.decode())] == ["Jörg Müller", "No UID"]


def test_files_are_recognised_by_content_and_latin1_is_read() -> None:
    assert split_import(CARDS).resources[0].component == "VCARD"
    assert split_import(FILE).resources[0].component == "VEVENT"
    latin = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Jörg\r\nEND:VCARD\r\n".encode("latin-1")
    card = vobject.readOne(split_import(latin).resources[0].data.decode())
    assert card.fn.value == "Jörg"
    with pytest.raises(InvalidInput):
        split_import(b"From: someone\r\n\r\nhello")
    with pytest.raises(InvalidInput):
        split_calendar(b"")
