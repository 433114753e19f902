"""Filter evaluation and expansion on item text (pure): RFC 4791 9.9's time-range rules, recurrence with
an overridden instance, text matches with each collation, CardDAV's anyof/allof and match types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from webmail.dav.calendar_filter import UnsupportedCollation, matches, parse_calendar
from webmail.dav.card_filter import matches as card_matches
from webmail.dav.card_filter import read_properties
from webmail.dav.expand import expand
from webmail.dav.xml_requests import AddressbookQuery, PropRequest, parse_report

WEEKLY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700329T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:weekly-1\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Berlin:20261201T100000\r
DTEND;TZID=Europe/Berlin:20261201T110000\r
RRULE:FREQ=WEEKLY;COUNT=4\r
SUMMARY:Standup\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly-1\r
DTSTAMP:20260101T000000Z\r
RECURRENCE-ID;TZID=Europe/Berlin:20261208T100000\r
DTSTART;TZID=Europe/Berlin:20261209T150000\r
DTEND;TZID=Europe/Berlin:20261209T160000\r
SUMMARY:Standup (moved)\r
END:VEVENT\r
END:VCALENDAR\r
"""

TODO = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VTODO\r
UID:todo-1\r
DTSTAMP:20260101T000000Z\r
DUE:20261210T170000Z\r
SUMMARY:File the report\r
END:VTODO\r
END:VCALENDAR\r
"""


def query(inner: str) -> bytes:
    return (
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>'
        f'<C:filter><C:comp-filter name="VCALENDAR">{inner}</C:comp-filter></C:filter></C:calendar-query>'
    ).encode()


def check(data: bytes, inner: str) -> bool:
    calendar = parse_calendar(data)
    assert calendar is not None
    body = parse_report(query(inner)).body
    return matches(calendar, body.filter)  # type: ignore[union-attr]


def event_range(start: str, end: str) -> str:
    return f'<C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>'


def test_recurring_event_matches_instances_and_the_moved_one() -> None:
    assert check(WEEKLY, event_range("20261215T000000Z", "20261216T000000Z"))  # third instance
    assert check(WEEKLY, event_range("20261209T130000Z", "20261209T150000Z"))  # the moved one (14:00Z)
    assert not check(WEEKLY, event_range("20261208T000000Z", "20261209T000000Z"))  # moved away from here
    assert not check(WEEKLY, event_range("20261223T000000Z", "20261231T000000Z"))  # after COUNT=4


def test_component_and_property_filters() -> None:
    assert check(WEEKLY, '<C:comp-filter name="VEVENT"/>')
    assert not check(WEEKLY, '<C:comp-filter name="VTODO"/>')
    assert check(TODO, '<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>')
    uid = '<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match{}>{}</C:text-match></C:prop-filter></C:comp-filter>'
    assert check(WEEKLY, uid.format("", "WEEKLY"))  # i;ascii-casemap is the default
    assert not check(WEEKLY, uid.format(' collation="i;octet"', "WEEKLY"))
    assert check(WEEKLY, uid.format(' negate-condition="yes"', "nothing-like-it"))
    with pytest.raises(UnsupportedCollation):
        check(WEEKLY, uid.format(' collation="i;basic"', "x"))


def test_todo_time_range_by_due() -> None:
    todo = '<C:comp-filter name="VTODO"><C:time-range start="{}" end="{}"/></C:comp-filter>'
    assert check(TODO, todo.format("20261210T000000Z", "20261211T000000Z"))
    assert not check(TODO, todo.format("20261211T000000Z", "20261212T000000Z"))


def test_expand_gives_utc_instances_with_recurrence_ids() -> None:
    out = Calendar.from_ical(
        expand(WEEKLY, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 16, tzinfo=UTC))
    )
    events = [c for c in out.subcomponents if c.name == "VEVENT"]
    assert [e["DTSTART"].dt for e in events] == [
        datetime(2026, 12, 1, 9, tzinfo=UTC),
        datetime(2026, 12, 9, 14, tzinfo=UTC),
        datetime(2026, 12, 15, 9, tzinfo=UTC),
    ]
    assert all("RRULE" not in e and "RECURRENCE-ID" in e for e in events)
    assert not [c for c in out.subcomponents if c.name == "VTIMEZONE"]


CARD = b"""BEGIN:VCARD\r
VERSION:3.0\r
UID:card-1\r
FN:Daniel M\xc3\xbcller\r
N:M\xc3\xbcller;Daniel;;;\r
item1.EMAIL;TYPE=work,pref:daniel@example.test\r
TEL;TYPE=cell:+49 30 1234\r
NOTE:long line that is\r
  folded\r
END:VCARD\r
"""


def card_query(xml: str) -> AddressbookQuery:
    body = parse_report(
        (
            '<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>'
            f"</D:prop>{xml}</C:addressbook-query>"
        ).encode()
    ).body
    assert isinstance(body, AddressbookQuery)
    return body


def test_vcard_reading_unfolds_and_drops_groups() -> None:
    props = {p.name: p for p in read_properties(CARD)}
    assert props["NOTE"].value == "long line that is folded"
    assert props["EMAIL"].params["TYPE"] == ["work", "pref"]
    assert props["FN"].value == "Daniel Müller"


def test_addressbook_query_match_types_and_tests() -> None:
    fn = '<C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="{}">{}</C:text-match></C:prop-filter>'
    assert card_matches(CARD, card_query(f"<C:filter>{fn.format('contains', 'MÜLLER')}</C:filter>"))
    assert card_matches(CARD, card_query(f"<C:filter>{fn.format('starts-with', 'dan')}</C:filter>"))
    assert not card_matches(CARD, card_query(f"<C:filter>{fn.format('equals', 'dan')}</C:filter>"))
    email = '<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match match-type="equals">home</C:text-match></C:param-filter></C:prop-filter>'
    anyof = f'<C:filter test="anyof">{fn.format("ends-with", "ller")}{email}</C:filter>'
    allof = anyof.replace("anyof", "allof")
    assert card_matches(CARD, card_query(anyof))
    assert not card_matches(CARD, card_query(allof))
    assert card_matches(CARD, card_query("<C:filter/>"))
    assert card_matches(
        CARD, card_query('<C:filter><C:prop-filter name="ADR"><C:is-not-defined/></C:prop-filter></C:filter>')
    )
    assert PropRequest().mode == "allprop"
