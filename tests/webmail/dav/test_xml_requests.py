"""The request parser on the shapes of the RFCs' examples, and a fuzz test: any bytes give a request or
XmlError, never another exception (the server answers 400 and lives on)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webmail.dav.names import apple, caldav, carddav, dav
from webmail.dav.xml_requests import (
    AddressbookQuery,
    CalendarQuery,
    FreeBusyQuery,
    Multiget,
    SyncCollection,
    XmlError,
    parse_make_collection,
    parse_propfind,
    parse_proppatch,
    parse_report,
)

CALENDAR_QUERY = b"""<?xml version="1.0" encoding="utf-8" ?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>
    <D:getetag/>
    <C:calendar-data>
      <C:expand start="20060103T000000Z" end="20060105T000000Z"/>
    </C:calendar-data>
  </D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT">
        <C:time-range start="20060104T000000Z" end="20060105T000000Z"/>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>"""


def test_propfind_prop_allprop_and_empty_body() -> None:
    asked = parse_propfind(
        b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
        b"<d:prop><d:displayname/><cs:getctag/></d:prop></d:propfind>"
    )
    assert asked.mode == "prop"
    assert asked.names == (dav("displayname"), "{http://calendarserver.org/ns/}getctag")
    assert parse_propfind(b"").mode == "allprop"
    assert parse_propfind(b'<propfind xmlns="DAV:"><propname/></propfind>').mode == "propname"


def test_calendar_query_with_expand_rfc4791_7_8_3() -> None:
    report = parse_report(CALENDAR_QUERY)
    assert report.name == caldav("calendar-query")
    body = report.body
    assert isinstance(body, CalendarQuery)
    assert body.props.expand is not None
    assert body.props.expand.start == datetime(2006, 1, 3, tzinfo=UTC)
    event = body.filter.comp_filters[0]
    assert event.name == "VEVENT"
    assert event.time_range is not None and event.time_range.end == datetime(2006, 1, 5, tzinfo=UTC)


def test_prop_filter_text_match_and_is_not_defined() -> None:
    report = parse_report(
        b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>'
        b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO">'
        b'<C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter>'
        b'<C:prop-filter name="UID"><C:text-match collation="i;octet" negate-condition="yes">abc</C:text-match>'
        b"</C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )
    assert isinstance(report.body, CalendarQuery)
    completed, uid = report.body.filter.comp_filters[0].prop_filters
    assert completed.is_not_defined
    assert (
        uid.text_match[0].text == "abc"
        and uid.text_match[0].negate
        and uid.text_match[0].collation == "i;octet"
    )


def test_multiget_addressbook_query_free_busy_and_sync() -> None:
    multi = parse_report(
        b'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>'
        b"</D:prop><D:href>/dav/calendars/a@x/Calendar/1.ics</D:href><D:href> /x/2.ics </D:href></C:calendar-multiget>"
    )
    assert isinstance(multi.body, Multiget) and multi.body.hrefs == (
        "/dav/calendars/a@x/Calendar/1.ics",
        "/x/2.ics",
    )
    query = parse_report(
        b'<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>'
        b'</D:prop><C:filter test="allof"><C:prop-filter name="FN"><C:text-match match-type="starts-with">da'
        b"</C:text-match></C:prop-filter></C:filter><C:limit><C:nresults>2</C:nresults></C:limit>"
        b"</C:addressbook-query>"
    )
    assert isinstance(query.body, AddressbookQuery)
    assert query.body.test == "allof" and query.body.limit == 2
    assert query.body.prop_filters[0].text_match[0].match_type == "starts-with"
    fb = parse_report(
        b'<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
        b'<C:time-range start="20060104T140000Z" end="20060105T220000Z"/></C:free-busy-query>'
    )
    assert isinstance(fb.body, FreeBusyQuery)
    sync = parse_report(
        b'<D:sync-collection xmlns:D="DAV:"><D:sync-token>urn:x:1</D:sync-token><D:sync-level>1</D:sync-level>'
        b"<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
    assert isinstance(sync.body, SyncCollection) and sync.body.token == "urn:x:1"
    assert parse_report(b'<D:expand-property xmlns:D="DAV:"/>').body is None


def test_proppatch_and_mkcalendar() -> None:
    patch = parse_proppatch(
        b'<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>'
        b"<D:displayname>Work</D:displayname><I:calendar-color>#ff0000ff</I:calendar-color></D:prop></D:set>"
        b"<D:remove><D:prop><D:displayname/></D:prop></D:remove></D:propertyupdate>"
    )
    assert patch.sets == ((dav("displayname"), "Work"), (apple("calendar-color"), "#ff0000ff"))
    assert patch.removes == (dav("displayname"),)
    made = parse_make_collection(
        b'<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
        b'<D:displayname>Tasks</D:displayname><C:supported-calendar-component-set><C:comp name="VTODO"/>'
        b"</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>",
        calendar=True,
    )
    assert made.components == ("VTODO",) and made.sets == ((dav("displayname"), "Tasks"),)
    book = parse_make_collection(
        b'<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype>'
        b"<D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>",
        calendar=False,
    )
    assert carddav("addressbook") in book.resourcetypes


@pytest.mark.parametrize(
    "body",
    [
        b"<not-closed>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',  # entities: defusedxml refuses
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
        b'<D:propfind xmlns:D="DAV:"><D:prop/></D:propfind>'.replace(b"propfind", b"other"),
        b'<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter/></C:calendar-query>',
        b'<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="2006"/></C:free-busy-query>',
    ],
)
def test_bad_bodies_are_xml_errors(body: bytes) -> None:
    with pytest.raises(XmlError):
        if b"propfind" in body or b"other" in body:
            parse_propfind(body)
        else:
            parse_report(body)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(alphabet="<>/=\"' :DCabcdefilmnopqrstuvxyz", max_size=200).map(str.encode)
)
def test_fuzz_parsers_raise_only_xml_error(data: bytes) -> None:
    for parse in (parse_propfind, parse_proppatch, parse_report):
        with contextlib.suppress(XmlError):
            parse(data)
    for calendar in (True, False):
        with contextlib.suppress(XmlError):
            parse_make_collection(data, calendar=calendar)
