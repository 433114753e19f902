"""Implicit scheduling (RFC 6638 3.2): a DAV program saves a meeting and the server mails the iTIP
message -- a REQUEST when the organizer saves it (not again on an identical re-save), a REPLY when an
attendee changes their answer, a CANCEL when the organizer deletes it."""

from __future__ import annotations

import email
from email import policy

from tests.webmail.conftest import Seeded
from tests.webmail.dav.conftest import Dav, event

CAL = "/dav/calendars/alice@example.test/cal/"
BOB_CAL = "/dav/calendars/bob@example.test/cal/"
MEETING = "ORGANIZER:mailto:alice@example.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.test\r\n"


def attendees(partstat: str = "NEEDS-ACTION") -> str:
    return MEETING + f"ATTENDEE;PARTSTAT={partstat};RSVP=TRUE:mailto:bob@example.test\r\n"


def queued(seeded: Seeded) -> list[tuple[list[str], str]]:
    out = []
    for item in seeded.store.queue.list():
        message = email.message_from_bytes(seeded.store.queue.raw(item.id), policy=policy.default)
        methods = [p.get_param("method") for p in message.walk() if p.get_content_type() == "text/calendar"]
        out.append(([r.address for r in item.recipients], str(methods[0] if methods else "")))
    return out


def test_organizer_put_invites_once_and_delete_cancels(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", CAL).status_code == 201
    body = event("meet-1", summary="Planning", extra=attendees())
    made = dav.request("PUT", CAL + "meet-1.ics", body)
    assert made.status_code == 201
    assert "ETag" not in made.headers  # the server changed the stored copy when it sent the invitation
    assert queued(dav.seeded) == [(["bob@example.test"], "REQUEST")]
    current = dav.request("GET", CAL + "meet-1.ics")
    again = dav.request("PUT", CAL + "meet-1.ics", current.get_data(), If_Match=current.headers["ETag"])
    assert again.status_code == 204
    assert len(queued(dav.seeded)) == 1  # nothing that matters changed: no new invitation
    moved = current.get_data(as_text=True).replace("DTSTART:20261207T090000Z", "DTSTART:20261207T080000Z")
    dav.request("PUT", CAL + "meet-1.ics", moved)
    assert [m for _, m in queued(dav.seeded)] == ["REQUEST", "REQUEST"]
    assert dav.request("DELETE", CAL + "meet-1.ics", If_Match='"stale"').status_code == 412
    assert dav.request("DELETE", CAL + "meet-1.ics").status_code == 204
    assert queued(dav.seeded)[-1] == (["bob@example.test"], "CANCEL")


def test_attendee_answer_goes_to_the_organizer(dav: Dav) -> None:
    assert dav.request("MKCALENDAR", BOB_CAL, user="bob").status_code == 201
    invited = event("meet-2", extra=attendees())
    assert dav.request("PUT", BOB_CAL + "meet-2.ics", invited, user="bob").status_code == 201
    assert queued(dav.seeded) == []  # bob is not the organizer, and has not answered yet
    accepted = event("meet-2", extra=attendees("ACCEPTED"))
    assert dav.request("PUT", BOB_CAL + "meet-2.ics", accepted, user="bob").status_code == 204
    assert queued(dav.seeded) == [(["alice@example.test"], "REPLY")]
    declined = event("meet-2", extra=attendees("DECLINED"))
    dav.request("PUT", BOB_CAL + "meet-2.ics", declined, user="bob", Schedule_Reply="F")
    assert len(queued(dav.seeded)) == 1
