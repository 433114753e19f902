"""PUT, GET, DELETE of calendar objects and cards with ETags and conditions (RFC 4791 5.3.2, 6352 6.3.2)."""

from __future__ import annotations

from tests.webmail.dav.conftest import Dav, card, event

HOME = "/dav/calendars/alice@example.test/"
CAL = HOME + "cal/"
BOOK = "/dav/addressbooks/alice@example.test/book/"


def make(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    assert dav.request("MKCOL", BOOK, _addressbook()).status_code == 201


def _addressbook() -> str:
    return (
        '<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype>'
        "<d:collection/><c:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>"
    )


def test_put_get_replace_delete_with_etags(dav: Dav) -> None:
    make(dav)
    body = event("ev-1")
    created = dav.request("PUT", CAL + "ev-1.ics", body, If_None_Match="*", Content_Type="text/calendar")
    assert created.status_code == 201
    etag = created.headers["ETag"]
    got = dav.request("GET", CAL + "ev-1.ics")
    assert got.status_code == 200 and got.get_data(as_text=True) == body
    assert got.headers["ETag"] == etag and got.mimetype == "text/calendar"
    assert dav.request("PUT", CAL + "ev-1.ics", body, If_None_Match="*").status_code == 412
    stale = dav.request("PUT", CAL + "ev-1.ics", event("ev-1", summary="Changed"), If_Match='"0000"')
    assert stale.status_code == 412
    replaced = dav.request("PUT", CAL + "ev-1.ics", event("ev-1", summary="Changed"), If_Match=etag)
    assert replaced.status_code == 204 and replaced.headers["ETag"] != etag
    assert b"Changed" in dav.request("GET", CAL + "ev-1.ics").get_data()
    assert dav.request("DELETE", CAL + "ev-1.ics", If_Match=etag).status_code == 412
    assert dav.request("DELETE", CAL + "ev-1.ics", If_Match=replaced.headers["ETag"]).status_code == 204
    assert dav.request("GET", CAL + "ev-1.ics").status_code == 404
    assert dav.request("PUT", CAL + "new.ics", event("ev-2"), If_Match="*").status_code == 412


def test_head_has_no_body(dav: Dav) -> None:
    make(dav)
    dav.request("PUT", CAL + "a.ics", event("a"))
    head = dav.request("HEAD", CAL + "a.ics")
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["ETag"]


def test_bad_data_and_uid_conflicts_are_refused_with_preconditions(dav: Dav) -> None:
    make(dav)
    bad = dav.request("PUT", CAL + "bad.ics", "BEGIN:VCALENDAR\r\nnot really\r\n")
    assert bad.status_code == 403 and b"valid-calendar-data" in bad.get_data()
    dav.request("PUT", CAL + "one.ics", event("same-uid"))
    clash = dav.request("PUT", CAL + "two.ics", event("same-uid"))
    assert clash.status_code == 403 and b"no-uid-conflict" in clash.get_data()
    wrong_kind = dav.request("PUT", BOOK + "x.vcf", event("ev-9"))
    assert wrong_kind.status_code == 403 and b"valid-address-data" in wrong_kind.get_data()


def test_cards(dav: Dav) -> None:
    make(dav)
    put = dav.request(
        "PUT", BOOK + "c1.vcf", card("c1", "Carl Card", "carl@example.org"), Content_Type="text/vcard"
    )
    assert put.status_code == 201
    got = dav.request("GET", BOOK + "c1.vcf")
    assert got.mimetype == "text/vcard" and b"Carl Card" in got.get_data()


def test_body_size_limit(dav: Dav) -> None:
    make(dav)
    huge = "X" * (4 * 1024 * 1024 + 10)
    assert dav.request("PUT", CAL + "huge.ics", huge).status_code == 413


def test_move_an_event_to_another_calendar(dav: Dav) -> None:
    make(dav)
    other = HOME + "other/"
    assert dav.request("MKCALENDAR", other).status_code == 201
    dav.request("PUT", CAL + "m.ics", event("m"))
    moved = dav.request("MOVE", CAL + "m.ics", Destination=f"http://localhost{other}m.ics")
    assert moved.status_code == 201 and moved.headers["ETag"]
    assert dav.request("GET", CAL + "m.ics").status_code == 404
    assert b"UID:m" in dav.request("GET", other + "m.ics").get_data()
    dav.request("PUT", CAL + "m.ics", event("m2"))
    dav.request("PUT", other + "m2.ics", event("m3"))
    renamed = dav.request("MOVE", CAL + "m.ics", Destination=f"{other}renamed.ics")
    assert renamed.status_code == 403
    clash = dav.request("MOVE", CAL + "m.ics", Destination=f"{other}m.ics", Overwrite="F")
    assert clash.status_code == 412
    elsewhere = dav.request("MOVE", CAL + "m.ics", Destination="/dav/calendars/bob@example.test/cal/m.ics")
    assert elsewhere.status_code == 502
