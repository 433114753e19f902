"""REPORTs: calendar-query (time range, expanded or not), calendar-multiget, free-busy-query,
addressbook-query and -multiget, sync-collection; unsupported reports; multiget limits."""

from __future__ import annotations

from icalendar import Calendar

from tests.webmail.dav.conftest import Dav, card, event, props, statuses
from webmail.dav import limits
from webmail.dav.names import caldav, carddav
from webmail.dav.names import dav as d

CAL = "/dav/calendars/alice@example.test/cal/"
BOOK = "/dav/addressbooks/alice@example.test/book/"
DAILY = "RRULE:FREQ=DAILY;COUNT=10\r\n"


def calendar_query(inner: str, data: str = "<c:calendar-data/>") -> str:
    return (
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>'
        f'{data}</d:prop><c:filter><c:comp-filter name="VCALENDAR">{inner}</c:comp-filter></c:filter>'
        "</c:calendar-query>"
    )


def week(start: str, end: str) -> str:
    return f'<c:comp-filter name="VEVENT"><c:time-range start="{start}" end="{end}"/></c:comp-filter>'


def seed_calendar(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    dav.request("PUT", CAL + "mon.ics", event("mon", "20261207T090000Z", "20261207T100000Z", "Monday"))
    dav.request("PUT", CAL + "next.ics", event("next", "20261215T090000Z", "20261215T100000Z", "Next week"))
    dav.request(
        "PUT", CAL + "daily.ics", event("daily", "20261201T120000Z", "20261201T123000Z", "Lunch", DAILY)
    )
    todo = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:todo\r\nDTSTAMP:20261201T000000Z\r\n"
        "DUE:20261208T170000Z\r\nSUMMARY:Report\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    dav.request("PUT", CAL + "todo.ics", todo)


def test_calendar_query_time_range(dav: Dav) -> None:
    seed_calendar(dav)
    answer = dav.request(
        "REPORT", CAL, calendar_query(week("20261207T000000Z", "20261214T000000Z")), Depth="1"
    )
    assert answer.status_code == 207
    found = props(answer)
    assert set(found) == {CAL + "mon.ics", CAL + "daily.ics"}
    assert "RRULE" in found[CAL + "daily.ics"][caldav("calendar-data")].text  # not expanded: as stored
    assert found[CAL + "mon.ics"][d("getetag")].text.startswith('"')


def test_calendar_query_expanded(dav: Dav) -> None:
    seed_calendar(dav)
    expand = '<c:calendar-data><c:expand start="20261207T000000Z" end="20261209T000000Z"/></c:calendar-data>'
    answer = dav.request(
        "REPORT", CAL, calendar_query(week("20261207T000000Z", "20261209T000000Z"), expand), Depth="1"
    )
    daily = Calendar.from_ical(props(answer)[CAL + "daily.ics"][caldav("calendar-data")].text)
    instances = [c for c in daily.subcomponents if c.name == "VEVENT"]
    assert len(instances) == 2 and all("RECURRENCE-ID" in e and "RRULE" not in e for e in instances)


def test_calendar_query_todos_and_all_components(dav: Dav) -> None:
    seed_calendar(dav)
    todos = dav.request("REPORT", CAL, calendar_query('<c:comp-filter name="VTODO"/>'), Depth="1")
    assert set(props(todos)) == {CAL + "todo.ics"}
    due = '<c:comp-filter name="VTODO"><c:time-range start="20261208T000000Z" end="20261209T000000Z"/></c:comp-filter>'
    assert set(props(dav.request("REPORT", CAL, calendar_query(due), Depth="1"))) == {CAL + "todo.ics"}
    everything = dav.request("REPORT", CAL, calendar_query(""), Depth="1")
    assert len(props(everything)) == 4
    by_uid = (
        '<c:comp-filter name="VEVENT"><c:prop-filter name="UID"><c:text-match collation="i;octet">next'
        "</c:text-match></c:prop-filter></c:comp-filter>"
    )
    assert set(props(dav.request("REPORT", CAL, calendar_query(by_uid), Depth="1"))) == {CAL + "next.ics"}


def test_calendar_multiget(dav: Dav) -> None:
    seed_calendar(dav)
    body = (
        '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>'
        f"<c:calendar-data/></d:prop><d:href>{CAL}mon.ics</d:href><d:href>http://localhost{CAL}next.ics</d:href>"
        f"<d:href>{CAL}missing.ics</d:href></c:calendar-multiget>"
    )
    answer = dav.request("REPORT", CAL, body, Depth="1")
    found = props(answer)
    assert "Monday" in found[CAL + "mon.ics"][caldav("calendar-data")].text
    assert "Next week" in found[CAL + "next.ics"][caldav("calendar-data")].text
    assert "404" in statuses(answer)[CAL + "missing.ics"]
    many = "".join(f"<d:href>{CAL}{i}.ics</d:href>" for i in range(limits.MAX_MULTIGET_HREFS + 1))
    too_many = body.replace(f"<d:href>{CAL}missing.ics</d:href>", many)
    assert dav.request("REPORT", CAL, too_many, Depth="1").status_code == 403


def test_free_busy_query(dav: Dav) -> None:
    seed_calendar(dav)
    free = dav.request(
        "PUT",
        CAL + "free.ics",
        event("free", "20261207T150000Z", "20261207T160000Z", "Free", "TRANSP:TRANSPARENT\r\n"),
    )
    assert free.status_code == 201
    body = (
        '<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav">'
        '<c:time-range start="20261207T000000Z" end="20261208T000000Z"/></c:free-busy-query>'
    )
    answer = dav.request("REPORT", CAL, body, Depth="1")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    text = answer.get_data(as_text=True)
    assert "20261207T090000Z/20261207T100000Z" in text
    assert "20261207T120000Z/20261207T123000Z" in text
    assert "20261207T150000Z" not in text  # transparent: not busy


def test_addressbook_query_and_multiget(dav: Dav) -> None:
    mkcol = (
        '<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype>'
        "<d:collection/><c:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>"
    )
    assert dav.request("MKCOL", BOOK, mkcol).status_code == 201
    dav.request("PUT", BOOK + "a.vcf", card("a", "Anna Berg", "anna@example.org"))
    dav.request("PUT", BOOK + "b.vcf", card("b", "Bruno Stein", "bruno@example.net"))
    query = (
        '<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/>'
        '<c:address-data/></d:prop><c:filter><c:prop-filter name="EMAIL"><c:text-match match-type="ends-with">'
        "example.net</c:text-match></c:prop-filter></c:filter></c:addressbook-query>"
    )
    found = props(dav.request("REPORT", BOOK, query, Depth="1"))
    assert set(found) == {BOOK + "b.vcf"}
    assert "Bruno Stein" in found[BOOK + "b.vcf"][carddav("address-data")].text
    limited = query.replace('match-type="ends-with">example.net', 'match-type="contains">example').replace(
        "</c:addressbook-query>", "<c:limit><c:nresults>1</c:nresults></c:limit></c:addressbook-query>"
    )
    answer = dav.request("REPORT", BOOK, limited, Depth="1")
    assert len(props(answer)) == 1 and "507" in statuses(answer)[BOOK]
    multiget = (
        '<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/>'
        f"<c:address-data/></d:prop><d:href>{BOOK}a.vcf</d:href></c:addressbook-multiget>"
    )
    assert (
        "Anna Berg"
        in props(dav.request("REPORT", BOOK, multiget, Depth="1"))[BOOK + "a.vcf"][
            carddav("address-data")
        ].text
    )


def sync(token: str = "") -> str:
    return (
        f'<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>'
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )


def test_sync_collection_initial_then_changes_and_removals(dav: Dav) -> None:
    seed_calendar(dav)
    first = dav.request("REPORT", CAL, sync(), Depth="1")
    assert first.status_code == 207
    assert len(props(first)) == 4
    import xml.etree.ElementTree as ET

    token = ET.fromstring(first.get_data()).findtext(d("sync-token"))
    assert token
    assert props(dav.request("REPORT", CAL, sync(token), Depth="1")) == {}
    dav.request("PUT", CAL + "mon.ics", event("mon", summary="Moved"))
    dav.request("DELETE", CAL + "next.ics")
    second = dav.request("REPORT", CAL, sync(token), Depth="1")
    assert set(props(second)) == {CAL + "mon.ics"}
    assert "404" in statuses(second)[CAL + "next.ics"]
    assert ET.fromstring(second.get_data()).findtext(d("sync-token")) != token
    bad = dav.request("REPORT", CAL, sync("urn:x-other:1"), Depth="1")
    assert bad.status_code == 403 and b"valid-sync-token" in bad.get_data()
    stale = dav.request("REPORT", CAL, sync("urn:x-fieldpost:sync:999-1"), Depth="1")
    assert stale.status_code == 403 and b"valid-sync-token" in stale.get_data()


def test_unsupported_report(dav: Dav) -> None:
    seed_calendar(dav)
    answer = dav.request("REPORT", CAL, '<d:expand-property xmlns:d="DAV:"/>', Depth="0")
    assert answer.status_code == 403 and b"supported-report" in answer.get_data()


def test_a_query_with_more_occurrences_than_one_read_returns_is_still_complete(dav: Dav) -> None:
    seed_calendar(dav)
    dav.seeded.store.settings.set("organizer.max_occurrences", 10, account="alice@example.test")
    many = "RRULE:FREQ=HOURLY;COUNT=200\r\n"
    dav.request(
        "PUT", CAL + "hourly.ics", event("hourly", "20261207T000000Z", "20261207T003000Z", "Ping", many)
    )
    answer = dav.request(
        "REPORT", CAL, calendar_query(week("20261207T000000Z", "20261214T000000Z")), Depth="1"
    )
    assert set(props(answer)) == {CAL + "mon.ics", CAL + "daily.ics", CAL + "hourly.ics"}


def test_a_time_range_decides_one_off_events_at_its_edges_as_the_rfc_says(dav: Dav) -> None:
    """RFC 4791 9.9: an event overlaps when it starts before the range's end and ends after its start;
    an instant counts when it lies in [start, end). One-off events are decided from the index without
    reading them; a recurring series that started long before is expanded."""
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    dav.request(
        "PUT", CAL + "before.ics", event("before", "20261206T230000Z", "20261207T000000Z", "Ends at start")
    )
    dav.request(
        "PUT", CAL + "instant.ics", event("instant", "20261207T000000Z", "20261207T000000Z", "Instant")
    )
    dav.request(
        "PUT", CAL + "at-end.ics", event("at-end", "20261214T000000Z", "20261214T010000Z", "Starts at end")
    )
    dav.request(
        "PUT", CAL + "inside.ics", event("inside", "20261213T233000Z", "20261214T003000Z", "Over the end")
    )
    weekly = "RRULE:FREQ=WEEKLY\r\n"
    dav.request(
        "PUT", CAL + "weekly.ics", event("weekly", "20200106T080000Z", "20200106T090000Z", "Old", weekly)
    )
    answer = dav.request(
        "REPORT", CAL, calendar_query(week("20261207T000000Z", "20261214T000000Z")), Depth="1"
    )
    assert set(props(answer)) == {CAL + "instant.ics", CAL + "inside.ics", CAL + "weekly.ics"}
