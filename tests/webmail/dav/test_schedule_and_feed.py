"""The scheduling outbox's busy-time request (RFC 6638 POST), the secret read-only ICS feed (no
sign-in), and GET of a whole collection."""

from __future__ import annotations

from flask.testing import FlaskClient
from icalendar import Calendar

from tests.webmail.dav.conftest import Dav, event

OUTBOX = "/dav/principals/alice@example.test/outbox/"
CAL = "/dav/calendars/alice@example.test/cal/"


def busy_request(*attendees: str) -> str:
    lines = "".join(f"ATTENDEE:mailto:{a}\r\n" for a in attendees)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n"
        "UID:fb-1\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261207T000000Z\r\nDTEND:20261208T000000Z\r\n"
        f"ORGANIZER:mailto:alice@example.test\r\n{lines}END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )


def statuses(answer_xml: str) -> dict[str, str]:
    import xml.etree.ElementTree as ET

    from webmail.dav.names import caldav
    from webmail.dav.names import dav as d

    root = ET.fromstring(answer_xml)
    return {
        (r.find(caldav("recipient")).findtext(d("href")) or ""): (r.findtext(caldav("request-status")) or "")
        for r in root.findall(caldav("response"))
    }


def test_busy_time_request_follows_the_grants(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    dav.request("PUT", CAL + "m.ics", event("m", "20261207T090000Z", "20261207T100000Z"))
    bob_cal = dav.organizer("bob").create_collection("BobCal", "calendar")
    dav.organizer("bob").put(
        bob_cal.folder_id, None, event("b", "20261207T130000Z", "20261207T140000Z").encode()
    )
    asked = busy_request("alice@example.test", "bob@example.test", "someone@elsewhere.example")
    answer = dav.request("POST", OUTBOX, asked, Content_Type="text/calendar")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    found = statuses(text)
    assert found["mailto:alice@example.test"].startswith("2.0")
    assert found["mailto:bob@example.test"].startswith("3.8")
    assert found["mailto:someone@elsewhere.example"].startswith(("3.7", "3.8"))
    assert "20261207T090000Z/20261207T100000Z" in text and "20261207T130000Z" not in text
    seeded = dav.seeded
    seeded.store.for_user(seeded.bob.id).change_entry(bob_cal.folder_id, "alice@example.test", "lr")
    granted = dav.request("POST", OUTBOX, busy_request("bob@example.test"), Content_Type="text/calendar")
    assert statuses(granted.get_data(as_text=True))["mailto:bob@example.test"].startswith("2.0")
    assert "20261207T130000Z/20261207T140000Z" in granted.get_data(as_text=True)


def test_outbox_refuses_what_is_not_a_busy_time_request(dav: Dav) -> None:
    assert dav.request("POST", OUTBOX, "not a calendar").status_code == 400
    assert (
        dav.request(
            "POST", "/dav/principals/bob@example.test/outbox/", busy_request("a@example.test")
        ).status_code
        == 405
    )


def test_secret_feed_needs_no_sign_in_and_a_renewed_secret_stops_the_old_link(
    dav: Dav, client: FlaskClient
) -> None:
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    dav.request("PUT", CAL + "m.ics", event("m", summary="Team lunch"))
    folder = next(c for c in dav.organizer().collections() if c.path == "cal")
    token = dav.organizer().feed_token(folder.folder_id)
    feed = client.get(f"/dav/feed/{token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "Team lunch" in feed.get_data(as_text=True)
    assert client.get("/dav/feed/not-a-secret.ics").status_code == 404
    renewed = dav.organizer().feed_token(folder.folder_id, renew=True)
    assert client.get(f"/dav/feed/{token}.ics").status_code == 404
    assert client.get(f"/dav/feed/{renewed}.ics").status_code == 200


def test_get_of_a_collection_is_the_whole_calendar(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    dav.request("PUT", CAL + "a.ics", event("a", summary="One"))
    dav.request("PUT", CAL + "b.ics", event("b", summary="Two"))
    whole = dav.request("GET", CAL)
    assert whole.status_code == 200
    summaries = {str(c["SUMMARY"]) for c in Calendar.from_ical(whole.get_data()).walk("VEVENT")}
    assert summaries == {"One", "Two"}
