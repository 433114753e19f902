"""mailflow.compose: the messages WebMail builds, read back the way a mail reader would (stdlib email).

Each test builds a message from a typed draft and asserts what a recipient's client sees: the
structure (text, alternative, mixed, message/rfc822), decoded header text and file names, the encoded
forms on the wire (RFC 2047 words, RFC 2231 parameters, 7-bit bodies), and the draft read back."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest

from mailflow import compose, html_text
from mailflow.compose import Attachment, ComposeError, Draft, Priority

NOW = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)


def built(draft: Draft, *, with_bcc: bool = False, strict: bool = True) -> bytes:
    return compose.build(compose.stamped(draft, NOW), with_bcc=with_bcc, strict=strict)


def read(raw: bytes) -> email.message.EmailMessage:
    """The message as a reader parses it, line ends made local (as a client does after transfer)."""
    message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def text_of(part: email.message.EmailMessage) -> str:
    """A text part's content as a reader shows it (base64 text carries CRLF, RFC 2045 6.8)."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def head(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


def test_plain_text_message_has_the_header_a_reader_needs() -> None:
    raw = built(
        Draft(
            "alice@example.test",
            sender_name="Alice Liddell",
            to=("bob@example.test", "Carol <carol@example.test>"),
            cc=("dan@far.test",),
            subject="Lunch",
            text="See you at noon.\n",
        )
    )
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    msg = read(raw)
    assert msg["From"] == "Alice Liddell <alice@example.test>"
    assert msg["To"] == "bob@example.test, Carol <carol@example.test>"
    assert msg["Cc"] == "dan@far.test"
    assert msg["Subject"] == "Lunch"
    assert msg["Date"].datetime == NOW
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.test>")
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain"
    assert text_of(msg) == "See you at noon.\n"
    assert "Bcc" not in msg and "Disposition-Notification-To" not in msg and "Importance" not in msg


def test_bcc_only_in_the_kept_copy_and_every_recipient_in_the_envelope() -> None:
    draft = Draft("alice@example.test", to=("bob@example.test",), bcc=("Secret <eve@far.test>",), text="x")
    assert "Bcc" not in read(built(draft))
    assert read(built(draft, with_bcc=True))["Bcc"] == "Secret <eve@far.test>"
    assert draft.recipients() == ["bob@example.test", "eve@far.test"]


def test_non_ascii_header_text_and_file_names_are_encoded() -> None:
    raw = built(
        Draft(
            "alice@example.test",
            sender_name="Zoë Ångström",
            to=("Jürgen <juergen@example.test>",),
            subject="Grüße aus Köln — Überraschung",
            text="Schöne Grüße\n",
            attachments=(Attachment("résumé 2026.pdf", "application/pdf", b"%PDF-1.4 fake"),),
        )
    )
    assert all(b < 128 for b in raw)  # 7-bit on the wire
    wire = head(raw)
    assert "=?utf-8?" in wire  # RFC 2047 encoded words
    assert "filename*=utf-8''r%C3%A9sum%C3%A9%202026.pdf" in raw.decode()  # RFC 2231
    msg = read(raw)
    assert msg["Subject"] == "Grüße aus Köln — Überraschung"
    assert msg["From"].addresses[0].display_name == "Zoë Ångström"
    assert msg["To"].addresses[0].display_name == "Jürgen"
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "résumé 2026.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake"
    assert text_of(msg.get_body(("plain",))) == "Schöne Grüße\n"


def test_html_becomes_alternative_with_a_generated_text_version_and_is_sanitised() -> None:
    html = (
        '<p>Hello <b>Bob</b>, see <a href="https://example.org/x" onclick="steal()">the plan</a>:</p>'
        "<ul><li>one</li><li><i>two</i></li></ul><script>alert(1)</script>"
        '<p style="color: red; position: fixed">red</p><img src="javascript:alert(2)">'
        '<a href="javascript:alert(3)">bad</a>'
    )
    msg = read(built(Draft("alice@example.test", to=("bob@example.test",), html=html)))
    assert msg.get_content_type() == "multipart/alternative"
    plain, rich = list(msg.iter_parts())
    assert plain.get_content_type() == "text/plain" and rich.get_content_type() == "text/html"
    sent_html = rich.get_content()
    for bad in ("script", "onclick", "javascript:", "position", "<img"):
        assert bad not in sent_html
    assert "<b>Bob</b>" in sent_html and 'style="color:red"' in sent_html.replace(" ", "")
    assert text_of(plain) == ("Hello Bob, see the plan <https://example.org/x>:\n- one\n- two\nred\nbad\n")


def test_attachments_make_mixed_around_the_alternative() -> None:
    msg = read(
        built(
            Draft(
                "alice@example.test",
                to=("bob@example.test",),
                html="<p>hi</p>",
                text="hi (text)",
                attachments=(
                    Attachment("a.txt", "text/plain", "ünïcode\n".encode()),
                    Attachment("b.bin", "not a type", b"\x00\x01"),
                ),
            )
        )
    )
    assert msg.get_content_type() == "multipart/mixed"
    body, first, second = list(msg.iter_parts())
    assert body.get_content_type() == "multipart/alternative"
    assert text_of(msg.get_body(("plain",))).strip() == "hi (text)"  # the writer's own text wins
    assert (first.get_filename(), first.get_content_type()) == ("a.txt", "text/plain")
    assert first.get_payload(decode=True) == "ünïcode\n".encode()
    assert second.get_content_type() == "application/octet-stream"
    assert second.get_payload(decode=True) == b"\x00\x01"


def test_read_receipt_priority_and_threading_fields() -> None:
    msg = read(
        built(
            Draft(
                "alice@example.test",
                to=("bob@example.test",),
                text="x",
                receipt=True,
                priority=Priority.HIGH,
                in_reply_to="<p2@far.test>",
                references=("<p1@far.test>", "<p2@far.test>"),
            )
        )
    )
    assert msg["Disposition-Notification-To"] == "alice@example.test"
    assert (msg["Importance"], msg["X-Priority"]) == ("high", "1 (Highest)")
    assert msg["In-Reply-To"] == "<p2@far.test>"
    assert msg["References"] == "<p1@far.test> <p2@far.test>"


@pytest.mark.parametrize("bad", ["bob", "bob@", "@example.test", "bob smith@example.test", "a@b@c"])
def test_bad_recipients_are_refused_when_sending_but_kept_in_a_draft(bad: str) -> None:
    draft = Draft("alice@example.test", to=(bad,), text="x")
    with pytest.raises(ComposeError, match="not an e-mail address"):
        built(draft)
    saved = built(draft, strict=False)
    assert "To" not in read(saved)  # no malformed address field is ever written
    assert compose.read_draft(saved).to == (bad,)


def test_a_stamped_draft_keeps_its_id_and_date() -> None:
    first = compose.stamped(Draft("alice@example.test", text="x"), NOW)
    again = compose.stamped(first, datetime(2030, 1, 1, tzinfo=UTC))
    assert (again.message_id, again.date) == (first.message_id, NOW)
    with pytest.raises(ComposeError):
        compose.build(Draft("alice@example.test"), with_bcc=True)


def test_draft_reads_back_as_it_was_written() -> None:
    draft = compose.stamped(
        Draft(
            "alice@example.test",
            sender_name="Alice",
            to=("Bob <bob@example.test>",),
            cc=("carol@example.test",),
            bcc=("eve@far.test",),
            subject="Plan ✓",
            html="<p>Hi <u>all</u></p>",
            attachments=(Attachment("n.txt", "text/plain", b"notes\n"),),
            in_reply_to="<p@far.test>",
            references=("<p@far.test>",),
            receipt=True,
            priority=Priority.LOW,
        ),
        NOW,
    )
    back = compose.read_draft(compose.build(draft, with_bcc=True))
    assert back.sender == "alice@example.test" and back.sender_name == "Alice"
    assert (back.to, back.cc, back.bcc) == (
        ("Bob <bob@example.test>",),
        ("carol@example.test",),
        ("eve@far.test",),
    )
    assert back.subject == "Plan ✓"
    assert back.html is not None and "<u>all</u>" in back.html
    assert back.attachments == (Attachment("n.txt", "text/plain", b"notes\n"),)
    assert (back.in_reply_to, back.references) == ("<p@far.test>", ("<p@far.test>",))
    assert back.receipt and back.priority is Priority.LOW
    assert (back.message_id, back.date) == (draft.message_id, NOW)


def test_html_to_text_keeps_structure() -> None:
    text = html_text.to_text(
        "<div>Top<br>line</div><blockquote><p>quoted</p><p>more</p></blockquote>"
        "<ol><li>a</li><li>b</li></ol><pre>  keep\n  spacing</pre><style>p{}</style>"
    )
    assert text == "Top\nline\n> quoted\n> more\n1. a\n2. b\n  keep\n  spacing\n"
