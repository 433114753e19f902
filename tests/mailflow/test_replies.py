"""mailflow.replies: the drafts WebMail starts from a received message (reply, reply to all, forward
inline and as an attachment): who they go to, their subject, threading fields and quoted text, and the
message they become once built."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

from mailflow import compose, replies

OWN = ["alice@example.test", "al@example.test"]

ORIGINAL = (
    b"Return-Path: <bob@example.test>\r\n"
    b"From: Bob <bob@example.test>\r\n"
    b"To: Alice <alice@example.test>, carol@example.test\r\n"
    b"Cc: al@example.test, Dan <dan@far.test>, bob@example.test\r\n"
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    b"Date: Sun, 06 Dec 2026 20:00:00 +0000\r\n"
    b"Message-ID: <m2@example.test>\r\n"
    b"References: <m0@example.test> <m1@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Line one\r\n"
    b"\r\n"
    b"Line three\r\n"
    b"--b1\r\n"
    b'Content-Type: text/csv; name="data.csv"\r\n'
    b'Content-Disposition: attachment; filename="data.csv"\r\n'
    b"\r\n"
    b"a,b\r\n"
    b"--b1--\r\n"
)


def test_reply_goes_to_the_sender_with_threading_and_a_quote() -> None:
    draft = replies.reply(ORIGINAL, OWN)
    assert draft.to == ('"Bob" <bob@example.test>',) and draft.cc == ()
    assert draft.subject == "Re: Grüße"
    assert draft.in_reply_to == "<m2@example.test>"
    assert draft.references == ("<m0@example.test>", "<m1@example.test>", "<m2@example.test>")
    assert draft.sender == "alice@example.test"  # the address the original was sent to
    assert draft.text is not None
    assert '"Bob" <bob@example.test> wrote:\n> Line one\n>\n> Line three\n' in draft.text


def test_reply_all_leaves_out_the_users_own_addresses_and_duplicates() -> None:
    draft = replies.reply(ORIGINAL, OWN, to_all=True)
    assert draft.to == ('"Bob" <bob@example.test>',)
    assert draft.cc == ("carol@example.test", '"Dan" <dan@far.test>')


def test_reply_to_field_wins_and_an_existing_prefix_is_not_repeated() -> None:
    raw = ORIGINAL.replace(b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=", b"Subject: RE: plans").replace(
        b"Date:", b"Reply-To: list@lists.test\r\nDate:"
    )
    draft = replies.reply(raw, OWN)
    assert draft.to == ("list@lists.test",) and draft.subject == "RE: plans"


def test_reply_to_my_own_sent_message_goes_to_its_recipients() -> None:
    raw = ORIGINAL.replace(b"From: Bob <bob@example.test>", b"From: alice@example.test")
    assert replies.reply(raw, OWN).to == ("carol@example.test",)  # alice is the user: left out


def test_reply_to_html_mail_quotes_it_sanitised_in_a_blockquote() -> None:
    raw = (
        b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\nMessage-ID: <h@x.test>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <script>x()</script><b>there</b></p>\r\n"
    )
    draft = replies.reply(raw, OWN)
    assert draft.text is None and draft.html is not None
    assert '<blockquote type="cite"><p>Hello <b>there</b></p>' in draft.html
    assert "script" not in draft.html


def test_forward_inline_keeps_the_summary_body_and_attachments() -> None:
    draft = replies.forward_inline(ORIGINAL, OWN)
    assert draft.subject == "Fwd: Grüße" and draft.to == ()
    assert draft.text is not None
    assert "---------- Forwarded message ----------\nFrom: Bob <bob@example.test>\n" in draft.text
    assert "Subject: Grüße\n" in draft.text and "Line one\n\nLine three" in draft.text
    assert [(a.name, a.content_type, a.data) for a in draft.attachments] == [
        ("data.csv", "text/csv", b"a,b")  # the CRLF before a boundary is the boundary's (RFC 2046 5.1.1)
    ]


def test_forward_as_attachment_carries_the_original_as_message_rfc822() -> None:
    draft = replies.forward_attached(ORIGINAL, OWN)
    assert draft.subject == "Fwd: Grüße"
    built = compose.build(
        compose.stamped(compose.Draft(**{**draft.__dict__, "to": ("dan@far.test",)}), datetime.now(UTC)),
        with_bcc=False,
    )
    msg = email.message_from_bytes(built, policy=policy.default)
    (part,) = msg.iter_attachments()
    assert part.get_content_type() == "message/rfc822"
    assert part.get_filename() == "Grüße.eml"
    inner = part.get_content()
    assert inner["Message-ID"] == "<m2@example.test>"
    assert [a.get_filename() for a in inner.iter_attachments()] == ["data.csv"]
