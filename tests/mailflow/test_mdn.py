"""mailflow.mdn: a read receipt the user agreed to send is queued as an RFC 8098 report with a null
envelope sender, from the user, and a hostile subject cannot add header fields."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from mailflow.mdn import Displayed, send_receipt
from mailflow.submission import Accepted, Origin
from tests.storage.conftest import Demo

ORIGIN = Origin(
    peer_ip="192.0.2.9",
    peer_port=50000,
    hostname="mail.example.test",
    listener="webmail",
    session_id="W1",
    trace_id="W1.1",
    protocol="HTTP",
    tls=True,
    helo=None,
)


def test_receipt_is_queued_as_a_disposition_notification(demo: Demo) -> None:
    item = Displayed(
        requester="asker@far.test",
        reader="alice@example.test",
        subject="Grüße\r\nBcc: victim@far.test",
        message_id="<orig@far.test>",
        sent="Mon, 06 Jan 2025 10:00:00 +0000",
    )
    result = send_receipt(demo.store, demo.alice, item, ORIGIN, now=datetime(2026, 12, 6, tzinfo=UTC))
    assert isinstance(result, Accepted)
    [queued] = demo.store.queue.list()
    assert queued.sender == ""
    message = message_from_bytes(demo.store.queue.raw(queued.id), policy=policy.default)
    assert message["From"] == "alice@example.test" and message["To"] == "asker@far.test"
    assert message["Bcc"] is None
    assert str(message["Subject"]) == "Read: Grüße  Bcc: victim@far.test"
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "disposition-notification"
    human, report = message.get_payload()
    assert "was displayed" in human.get_content()
    assert report.get_content_type() == "message/disposition-notification"
    fields = report.as_string()
    assert "Final-Recipient: rfc822; alice@example.test" in fields
    assert "Original-Message-ID: <orig@far.test>" in fields
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in fields
