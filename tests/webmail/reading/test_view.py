"""The reading service as a reader page uses it: which part is shown, attachments, inline images, headers,
rights, and the headers of what is handed to the browser."""

from __future__ import annotations

import base64

import pytest

from storage.errors import NotFound
from tests.storage.conftest import Demo
from webmail.reading import (
    ReadOptions,
    body_csp,
    body_section,
    build_view,
    download_headers,
    inline_image_headers,
    open_message,
    sender_is_trusted,
)
from webmail.reading.plaintext import text_to_html

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def _multipart(subject: str, boundary: str, kind: str, parts: list[str], extra: str = "") -> bytes:
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"
    return (
        "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@outside.test>\r\nTo: Alice <alice@example.test>\r\n"
        f"Cc: bob@example.test\r\nSubject: {subject}\r\nDate: Tue, 07 Jan 2025 09:30:00 +0100\r\n{extra}"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n{body}'
    ).encode()


ALTERNATIVE = _multipart(
    "=?utf-8?b?R3LDvMOfZQ==?=",
    "alt",
    "alternative",
    [
        "Content-Type: text/plain; charset=utf-8\r\n\r\nplain version https://example.org/a.",
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>html <b>version</b></p>",
    ],
    "Disposition-Notification-To: Jurgen <jm@outside.test>\r\n",
)
RELATED = _multipart(
    "related",
    "rel",
    "related",
    [
        'Content-Type: text/html; charset=utf-8\r\n\r\n<p>logo:</p><img src="cid:logo@x"><img src="cid:missing@x">',
        "Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(PNG).decode(),
        'Content-Type: application/pdf; name="r\u00e9sum\u00e9.pdf"\r\nContent-Disposition: attachment; '
        "filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=",
    ],
)


def test_alternative_shows_html_or_plain_and_decodes_headers(demo: Demo) -> None:
    demo.store.mail.deliver(ALTERNATIVE, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    message = open_message(demo.store.for_user(demo.alice.id), inbox.id, 1)
    view = build_view(message, ReadOptions())
    assert [(s.kind, s.section) for s in view.sections] == [("html", "2")]
    assert view.sections[0].html == "<p>html <b>version</b></p>"
    assert view.attachments == ()
    h = view.headers
    assert (h.subject, h.from_, h.from_address) == (
        "Grüße",
        "Jürgen Müller <jm@outside.test>",
        "jm@outside.test",
    )
    assert (h.to, h.cc) == ("Alice <alice@example.test>", "bob@example.test")
    assert h.date is not None and h.date.isoformat() == "2025-01-07T09:30:00+01:00"
    assert view.wants_read_receipt and h.read_receipt_to == "jm@outside.test"

    plain = build_view(message, ReadOptions(prefer_html=False))
    assert [(s.kind, s.section) for s in plain.sections] == [("text", "1")]
    assert plain.sections[0].html == (
        'plain version <a href="https://example.org/a" target="_blank" rel="noopener noreferrer">'
        "https://example.org/a</a>.\n"
    )
    assert body_section(message, "2", ReadOptions()) == view.sections[0]
    assert body_section(message, "9", ReadOptions()) is None


def test_related_embeds_cid_images_and_lists_attachments(demo: Demo) -> None:
    demo.store.mail.deliver(RELATED, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    view = build_view(open_message(demo.store.for_user(demo.alice.id), inbox.id, 1), ReadOptions())
    assert len(view.sections) == 1
    html = view.sections[0].html
    assert f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}">' in html
    assert html.endswith("<img>")  # an unknown cid leaves no URL behind
    assert view.blocked_images == 0
    names = [(a.section, a.filename, a.content_type, a.content_id) for a in view.attachments]
    assert names == [
        ("2", "part-2.png", "image/png", "logo@x"),
        ("3", "résumé.pdf", "application/pdf", None),
    ]
    assert view.attachments[0].is_image and not view.attachments[1].is_image


def test_single_part_message_is_section_1_and_opening_marks_seen(demo: Demo) -> None:
    raw = b"From: a@outside.test\r\nSubject: x\r\n\r\n> quoted\r\nnot quoted\r\n"
    demo.store.mail.deliver(raw, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    user = demo.store.for_user(demo.alice.id)
    message = open_message(user, inbox.id, 1)
    view = build_view(message, ReadOptions())
    assert [(s.kind, s.section) for s in view.sections] == [("text", "1")]
    assert view.sections[0].html == '<blockquote class="quoted">quoted\n</blockquote>not quoted\n\n'
    assert "\\Seen" not in view.flags
    message.mark_seen()
    assert "\\Seen" in open_message(user, inbox.id, 1).info.flags


def test_another_users_message_is_not_found(demo: Demo) -> None:
    demo.store.mail.deliver(ALTERNATIVE, ["alice@example.test"])
    inbox = demo.folder("alice@example.test")
    with pytest.raises(NotFound):
        open_message(demo.store.for_user(demo.bob.id), inbox.id, 1)
    with pytest.raises(NotFound):
        open_message(demo.store.for_user(demo.alice.id), inbox.id, 2)


def test_trusted_senders_match_address_or_domain() -> None:
    trusted = ["news@shop.test", "@friends.test", "Family.TEST"]
    assert sender_is_trusted("News@Shop.test", trusted)
    assert sender_is_trusted("x@friends.test", trusted)
    assert sender_is_trusted("mum@family.test", trusted)
    assert not sender_is_trusted("other@shop.test", trusted)
    assert not sender_is_trusted("x@sub.friends.test", trusted)
    assert not sender_is_trusted(None, trusted)


def test_what_the_browser_is_told() -> None:
    headers = download_headers("text/html", "<b>r\u00e9sum\u00e9</b>.html")
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"_b_resume__b_.html\"; filename*=UTF-8''%3Cb%3Er%C3%A9sum%C3%A9%3C%2Fb%3E.html"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert download_headers("application/pdf", "a.pdf")["Content-Type"] == "application/pdf"
    assert inline_image_headers("image/png", "a.png")["Content-Disposition"].startswith("inline;")
    csp = body_csp(remote_images=False)
    assert "default-src 'none'" in csp and "img-src data:;" in csp and "script-src" not in csp
    assert "img-src data: http: https:;" in body_csp(remote_images=True)


def test_plain_text_links_are_escaped_and_trimmed() -> None:
    html, cut = text_to_html('see (https://x.test/a_(b)) and www.y.test, <i>x</i> "https://q.test/?a=1&b=2"')
    assert not cut
    assert html == (
        'see (<a href="https://x.test/a_(b)" target="_blank" rel="noopener noreferrer">https://x.test/a_(b)</a>)'
        ' and <a href="http://www.y.test" target="_blank" rel="noopener noreferrer">www.y.test</a>, '
        '&lt;i&gt;x&lt;/i&gt; &quot;<a href="https://q.test/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">https://q.test/?a=1&amp;b=2</a>&quot;\n'
    )
