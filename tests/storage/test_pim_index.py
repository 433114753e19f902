"""storage.pim.index: an item's bytes to its index columns (pure; no store). What is refused is refused
with a message saying why; times come out in UTC, recurrences get the end of their last occurrence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.errors import InvalidInput
from storage.pim.index import check_name, etag_of, parse_item, resource_name

LIMIT = 1024 * 1024


def cal(*components: str, extra: str = "") -> bytes:
    body = "".join(components)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{extra}{body}END:VCALENDAR\r\n".encode()


def event(uid: str = "e1", lines: str = "DTSTART:20250106T100000Z\r\nDTEND:20250106T110000Z\r\n") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n{lines}SUMMARY:Plan\r\nEND:VEVENT\r\n"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type]


def test_single_event_in_a_zone_is_indexed_in_utc() -> None:
    lines = (
        "DTSTART;TZID=Europe/Paris:20250106T100000\r\nDTEND;TZID=Europe/Paris:20250106T113000\r\n"
        "CATEGORIES:Work,Team\r\nORGANIZER:mailto:Alice@Example.test\r\n"
        "ATTENDEE;CN=Bob:mailto:bob@example.test\r\nSTATUS:confirmed\r\n"
    )
    item = parse_item(cal(event(lines=lines)), max_bytes=LIMIT)
    assert (item.component, item.item_uid, item.summary) == ("VEVENT", "e1", "Plan")
    assert (item.starts_at, item.ends_at, item.recur_end) == (
        utc(2025, 1, 6, 9),
        utc(2025, 1, 6, 10, 30),
        utc(2025, 1, 6, 10, 30),
    )
    assert (item.all_day, item.recurs, item.status) == (False, False, "CONFIRMED")
    assert (item.categories, item.organizer, item.emails) == (
        "Work,Team",
        "alice@example.test",
        "bob@example.test",
    )


def test_all_day_event_is_utc_midnight_and_lasts_the_day() -> None:
    item = parse_item(cal(event(lines="DTSTART;VALUE=DATE:20250106\r\n")), max_bytes=LIMIT)
    assert (item.starts_at, item.ends_at, item.all_day) == (utc(2025, 1, 6), utc(2025, 1, 7), True)


def test_recurrence_ends_at_the_last_occurrence() -> None:
    counted = event(
        lines="DTSTART:20250106T100000Z\r\nDTEND:20250106T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
    )
    item = parse_item(cal(counted), max_bytes=LIMIT)
    assert (item.recurs, item.recur_end) == (True, utc(2025, 1, 20, 11))
    until = event(
        lines="DTSTART:20250106T100000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY;UNTIL=20250110T100000Z\r\n"
    )
    assert parse_item(cal(until), max_bytes=LIMIT).recur_end == utc(2025, 1, 10, 10, 30)
    forever = event(lines="DTSTART:20250106T100000Z\r\nRRULE:FREQ=DAILY\r\n")
    assert parse_item(cal(forever), max_bytes=LIMIT).recur_end is None


def test_an_override_moved_later_extends_the_range() -> None:
    master = event(lines="DTSTART:20250106T100000Z\r\nDTEND:20250106T110000Z\r\nRRULE:FREQ=DAILY;COUNT=2\r\n")
    moved = event(
        lines="RECURRENCE-ID:20250107T100000Z\r\nDTSTART:20250201T100000Z\r\nDTEND:20250201T120000Z\r\n"
    )
    tz = "BEGIN:VTIMEZONE\r\nTZID:Custom\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    item = parse_item(cal(master, moved, extra=tz), max_bytes=LIMIT)
    assert (item.starts_at, item.recur_end) == (utc(2025, 1, 6, 10), utc(2025, 2, 1, 12))


def test_task_columns() -> None:
    todo = (
        "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:Report\r\nDUE:20250110T170000Z\r\n"
        "PRIORITY:1\r\nPERCENT-COMPLETE:40\r\nSTATUS:IN-PROCESS\r\nEND:VTODO\r\n"
    )
    item = parse_item(cal(todo), max_bytes=LIMIT)
    assert (item.component, item.due_at, item.priority, item.percent, item.status) == (
        "VTODO",
        utc(2025, 1, 10, 17),
        1,
        40,
        "IN-PROCESS",
    )
    assert item.starts_at is None and item.completed_at is None


def test_vcard_columns() -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:c1\r\nFN:Jürgen Müller\r\nEMAIL:JM@far.test\r\n"
        "EMAIL;TYPE=work:j@work.test\r\nCATEGORIES:friends,golf\r\nEND:VCARD\r\n"
    )
    item = parse_item(card.encode(), max_bytes=LIMIT)
    assert (item.component, item.item_uid, item.summary) == ("VCARD", "urn:uuid:c1", "Jürgen Müller")
    assert (item.emails, item.categories) == ("jm@far.test j@work.test", "friends,golf")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"hello", "not an iCalendar object"),
        (b"\xff\xfe", "not UTF-8"),
        (cal(event("a"), event("b")), "one UID"),
        (cal(event("a"), event("a")), "several components without RECURRENCE-ID"),
        (cal(event(lines="SUMMARY:x\r\n")), "no DTSTART"),
        (cal("BEGIN:VFREEBUSY\r\nUID:f\r\nEND:VFREEBUSY\r\n"), "VFREEBUSY"),
        (cal(), "no VEVENT"),
        (cal(event(lines="DTSTART:20250106T100000Z\r\nDTEND:20250105T100000Z\r\n")), "ends before"),
        (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n", "no UID"),
        (b"BEGIN:VCALENDAR\r\nthis is not a content line\r\n", "unreadable iCalendar"),
    ],
)
def test_bad_items_are_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        parse_item(data, max_bytes=LIMIT)


def test_size_limit() -> None:
    with pytest.raises(InvalidInput, match="at most 100 are accepted"):
        parse_item(cal(event()), max_bytes=100)


def test_items_stored_by_other_paths_get_a_stable_uid() -> None:
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n"
    first = parse_item(card, max_bytes=LIMIT, require_uid=False)
    assert (
        first.item_uid
        == "fp-" + etag_of(card)
        == parse_item(card, max_bytes=LIMIT, require_uid=False).item_uid
    )


def test_names() -> None:
    assert resource_name("abc-123@host", "VEVENT") == "abc-123@host.ics"
    assert resource_name("abc", "VCARD") == "abc.vcf"
    odd = resource_name("a/b c", "VEVENT")
    assert odd.endswith(".ics") and "/" not in odd and len(odd) == 44
    assert check_name("x.ics") == "x.ics"
    for bad in ("", "..", "a/b", "a\nb", "x" * 256):
        with pytest.raises(InvalidInput):
            check_name(bad)


@pytest.mark.parametrize(
    "lines",
    [
        "DTSTART:99991231T230000Z\r\nDURATION:P2D\r\n",  # ends past year 9999
        "DTSTART:20250101T100000Z\r\nRRULE:FREQ=FOO;COUNT=5\r\n",
        "DTSTART:20250101T100000Z\r\nRDATE:garbage\r\n",
        "DTSTART:20250101T100000Z\r\nRRULE:FREQ=DAILY;UNTIL=garbage\r\n",
        "DTSTART:20250101T100000Z\r\nDURATION:garbage\r\n",
        "DTSTART:20250101T100000Z\r\nRRULE:FREQ=DAILY;UNTIL=99991231T000000Z\r\nDURATION:P5D\r\n",
        "DTSTART:20250101T100000Z\r\nRECURRENCE-ID:garbage\r\n",
        "DTSTART:20250101T100000Z\r\nRRULE:FREQ=DAILY;COUNT=x\r\n",
    ],
)
def test_broken_properties_are_invalid_input_and_nothing_else(lines: str) -> None:
    """IMAP appends index what they can and keep the rest as plain messages: only InvalidInput may come
    out of the parser, whatever a property holds."""
    with pytest.raises(InvalidInput, match="unreadable|no DTSTART"):
        parse_item(cal(event(lines=lines)), max_bytes=LIMIT)
