"""The iMIP mail (RFC 6047): built with the text/calendar part last and its method parameter, found again
in a received message whatever its nesting, and ignored when it is not a scheduling message."""

from __future__ import annotations

import email
from email import policy

from mailflow.meetings import imip, itip
from tests.mailflow.meetings.test_itip import NOW, REPLY, REQUEST


def test_invitation_mail_is_multipart_alternative_with_the_calendar_last() -> None:
    raw = imip.build_mail(
        sender="a@example.com",
        sender_name="Anna",
        to=["b@example.com", "c@example.com"],
        calendar=REQUEST,
        now=NOW,
    )
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text, calendar = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert "What:  Conference" in text.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert message["Subject"] == "Invitation: Conference"
    assert message["To"].addresses[1].addr_spec == "c@example.com"
    found = imip.scheduling_part(raw)
    assert found is not None and found.message.uid == itip.read(REQUEST).uid
    assert imip.sender_address(raw) == "a@example.com"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_reply_subject_and_auto_submitted() -> None:
    raw = imip.build_mail(
        sender="b@example.com", sender_name="", to=["a@example.com"], calendar=REPLY, now=NOW, auto=True
    )
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Accepted: (no title)"
    assert message["Auto-Submitted"] == "auto-replied"


def test_calendar_attachment_inside_mixed_is_found_and_junk_is_not() -> None:
    outer = email.message.EmailMessage()
    outer["From"] = "Someone <A@Example.com>"
    outer.set_content("see attached")
    outer.add_attachment(REQUEST, maintype="text", subtype="calendar", filename="invite.ics")
    found = imip.scheduling_part(outer.as_bytes())
    assert found is not None and found.message.method == "REQUEST"
    junk = email.message.EmailMessage()
    junk.set_content("BEGIN:VCALENDAR\nEND:VCALENDAR\n", subtype="calendar")
    assert imip.scheduling_part(junk.as_bytes()) is None
    assert imip.scheduling_part(b"Subject: plain\r\n\r\nno calendar here\r\n") is None
