"""mailflow.reports.build_report: the RFC 3464 report a sender receives, read back with a MIME parser
as a mail program would."""

from __future__ import annotations

import email
import email.policy
import email.utils
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from mailflow import reports
from mailflow.reports import DELAYED, FAILED, RecipientStatus, ReportText

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
ORIGINAL = (
    b"From: alice@example.test\r\nTo: x@far.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    b"\r\nthe original body\r\n"
)
STATUSES = [
    RecipientStatus("x@far.test", "5.1.1", "550 5.1.1 no such user", "mx.far.test", "rfc822;X@far.test"),
    RecipientStatus("y@far.test", "5.4.7", "gave up\r\nafter a week"),
]


def report(action: str = FAILED, attach: str = "headers", **kw: object) -> EmailMessage:
    text = ReportText("MAILER-DAEMON@mail.example.test", "Undeliverable: {subject}", "It failed.", attach)
    raw = reports.build_report(
        action=action,
        text=text,
        hostname="mail.example.test",
        to="alice@example.test",
        raw=ORIGINAL,
        arrival=NOW - timedelta(hours=1),
        recipients=STATUSES,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_failure_report_parts_and_fields() -> None:
    msg = report(envid="env-7")
    assert msg["Subject"] == "Undeliverable: Grüße"  # the original's subject, decoded and re-encoded
    assert msg["To"] == "alice@example.test" and msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    human, status, original = msg.iter_parts()
    assert (
        "It failed." in human.get_content() and "<x@far.test>: 550 5.1.1 no such user" in human.get_content()
    )
    assert status.get_content_type() == "message/delivery-status"
    per_message, first, second = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; mail.example.test"
    assert per_message["Original-Envelope-Id"] == "env-7"
    assert first["Original-Recipient"] == "rfc822;X@far.test"
    assert (first["Final-Recipient"], first["Action"], first["Status"]) == (
        "rfc822; x@far.test",
        "failed",
        "5.1.1",
    )
    assert first["Remote-MTA"] == "dns; mx.far.test"
    assert first["Diagnostic-Code"] == "smtp; 550 5.1.1 no such user"
    assert second["Diagnostic-Code"] == "x-fieldpost; gave up after a week"  # one line, not an SMTP reply
    assert "Will-Retry-Until" not in first
    assert original.get_content_type() == "text/rfc822-headers"
    assert b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=" in original.get_payload(decode=True)
    assert b"the original body" not in msg.as_bytes()


@pytest.mark.parametrize(("attach", "parts", "body_included"), [("message", 3, True), ("none", 2, False)])
def test_attach_the_whole_original_or_nothing(attach: str, parts: int, body_included: bool) -> None:
    msg = report(attach=attach)
    assert len(list(msg.iter_parts())) == parts
    assert (b"the original body" in msg.as_bytes()) is body_included


def test_delay_warning_says_until_when() -> None:
    until = NOW + timedelta(days=4)
    msg = report(DELAYED, retry_until=until)
    _human, status, _original = msg.iter_parts()
    _per_message, first, _second = status.get_payload()
    assert first["Action"] == "delayed"
    assert first["Will-Retry-Until"] == email.utils.format_datetime(until)
