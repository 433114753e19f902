"""MKCALENDAR, extended MKCOL, PROPFIND on the homes, PROPPATCH of display name and colour, DELETE."""

from __future__ import annotations

from tests.webmail.dav.conftest import Dav, props
from webmail.dav.names import apple, caldav, calserver, carddav
from webmail.dav.names import dav as d

HOME = "/dav/calendars/alice@example.test/"
BOOKS = "/dav/addressbooks/alice@example.test/"
ASK = (
    '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" '
    'xmlns:i="http://apple.com/ns/ical/"><d:prop><d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/>'
    "<i:calendar-color/><c:supported-calendar-component-set/><d:current-user-privilege-set/>"
    "<d:supported-report-set/></d:prop></d:propfind>"
)
MKCALENDAR = (
    '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:i="http://apple.com/ns/ical/">'
    "<d:set><d:prop><d:displayname>Work &amp; more</d:displayname><i:calendar-color>#336699ff</i:calendar-color>"
    '<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>'
    "</d:prop></d:set></c:mkcalendar>"
)


def test_mkcalendar_then_the_home_lists_it(dav: Dav) -> None:
    made = dav.request("MKCALENDAR", HOME + "work/", MKCALENDAR)
    assert made.status_code == 201
    listing = dav.request("PROPFIND", HOME, ASK, Depth="1")
    assert listing.status_code == 207
    found = props(listing)
    work = found[HOME + "work/"]
    assert work[d("resourcetype")].find(caldav("calendar")) is not None
    assert work[d("displayname")].text == "Work & more"
    assert work[apple("calendar-color")].text.lower() == "#336699ff"
    assert work[calserver("getctag")].text
    assert work[d("sync-token")].text.startswith("urn:x-fieldpost:sync:")
    comps = [c.get("name") for c in work[caldav("supported-calendar-component-set")]]
    assert "VEVENT" in comps
    privileges = {p[0].tag for p in work[d("current-user-privilege-set")]}
    assert {d("read"), d("write"), d("bind"), d("unbind"), d("all")} <= privileges
    reports = {r[0][0].tag for r in work[d("supported-report-set")]}
    assert {caldav("calendar-query"), caldav("calendar-multiget"), d("sync-collection")} <= reports
    again = dav.request("MKCALENDAR", HOME + "work/", MKCALENDAR)
    assert again.status_code == 405


def test_a_tasks_only_calendar_becomes_a_tasks_folder(dav: Dav) -> None:
    body = MKCALENDAR.replace('name="VEVENT"', 'name="VTODO"')
    assert dav.request("MKCALENDAR", HOME + "todo/", body).status_code == 201
    kinds = {c.path: c.kind for c in dav.organizer().collections()}
    assert kinds["todo"] == "tasks"


def test_extended_mkcol_makes_an_address_book(dav: Dav) -> None:
    body = (
        '<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype>'
        "<d:collection/><c:addressbook/></d:resourcetype><d:displayname>Friends</d:displayname></d:prop>"
        "</d:set></d:mkcol>"
    )
    assert dav.request("MKCOL", BOOKS + "friends/", body).status_code == 201
    listing = props(dav.request("PROPFIND", BOOKS, ASK, Depth="1"))
    friends = listing[BOOKS + "friends/"]
    assert friends[d("resourcetype")].find(carddav("addressbook")) is not None
    assert friends[d("displayname")].text == "Friends"
    wrong = body.replace("c:addressbook", "c:calendar")
    assert dav.request("MKCOL", BOOKS + "other/", wrong).status_code == 403


def test_proppatch_display_name_and_colour_and_refuses_others(dav: Dav) -> None:
    dav.request("MKCALENDAR", HOME + "home/")
    patch = (
        '<d:propertyupdate xmlns:d="DAV:" xmlns:i="http://apple.com/ns/ical/"><d:set><d:prop>'
        "<d:displayname>Family</d:displayname><i:calendar-color>#ff0000</i:calendar-color></d:prop></d:set>"
        "</d:propertyupdate>"
    )
    answer = dav.request("PROPPATCH", HOME + "home/", patch)
    assert answer.status_code == 207 and b"200 OK" in answer.get_data()
    shown = props(dav.request("PROPFIND", HOME + "home/", ASK, Depth="0"))[HOME + "home/"]
    assert (
        shown[d("displayname")].text == "Family" and shown[apple("calendar-color")].text.lower() == "#ff0000"
    )
    bad = patch.replace("<d:displayname>Family</d:displayname>", "<d:getetag>x</d:getetag>")
    refused = dav.request("PROPPATCH", HOME + "home/", bad)
    assert b"403 Forbidden" in refused.get_data() and b"424 Failed Dependency" in refused.get_data()
    shown = props(dav.request("PROPFIND", HOME + "home/", ASK, Depth="0"))[HOME + "home/"]
    assert shown[apple("calendar-color")].text.lower() == "#ff0000"  # nothing of a refused patch applies


def test_delete_a_collection(dav: Dav) -> None:
    dav.request("MKCALENDAR", HOME + "old/")
    assert dav.request("DELETE", HOME + "old/").status_code == 204
    assert dav.request("PROPFIND", HOME + "old/", ASK, Depth="0").status_code == 404


def test_malformed_xml_is_a_clear_400(dav: Dav) -> None:
    answer = dav.request("PROPFIND", HOME, "<d:propfind", Depth="0")
    assert answer.status_code == 400
    assert b"not acceptable XML" in answer.get_data()
    bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'
    assert dav.request("PROPFIND", HOME, bomb, Depth="0").status_code == 400
