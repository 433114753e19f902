"""storage.mime: structure, offsets, envelope, decoding, JSON cache, and a never-raises property."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.mime import (
    Address,
    Part,
    bodystructure,
    from_json,
    parse_message,
    part_by_section,
    to_json,
)

SIMPLE = (
    b"From: Alice Example <alice@example.com>\r\n"
    b"To: bob@example.org\r\n"
    b"Subject: Hello\r\n"
    b"Date: Tue, 2 Jan 2024 09:30:00 +0100\r\n"
    b"Message-ID: <m1@example.com>\r\n"
    b"\r\n"
    b"Hi Bob,\r\n"
    b"how   are\tyou?\r\n"
)

ALTERNATIVE = (
    b"From: a@example.com\r\n"
    b"Subject: alt\r\n"
    b'Content-Type: multipart/alternative; boundary="ALT"\r\n'
    b"\r\n"
    b"This is a MIME message.\r\n"
    b"--ALT\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"plain version\r\n"
    b"--ALT\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<html><style>p {}</style><p>html &amp; version</p></html>\r\n"
    b"--ALT--\r\n"
)

MIXED = (
    b"From: a@example.com\r\n"
    b"Subject: report\r\n"
    b"Content-Type: multipart/mixed; boundary=MIX\r\n"
    b"\r\n"
    b"--MIX\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"see attached\r\n"
    b"--MIX\r\n"
    b'Content-Type: application/pdf; name="r.pdf"\r\n'
    b'Content-Disposition: attachment; filename="r.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--MIX--\r\n"
)

FORWARD = (
    b"From: a@example.com\r\n"
    b"Subject: fwd\r\n"
    b"Content-Type: multipart/mixed; boundary=OUT\r\n"
    b"\r\n"
    b"--OUT\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"forwarding\r\n"
    b"--OUT\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: Carol <carol@example.net>\r\n"
    b"Subject: inner\r\n"
    b"Content-Type: multipart/mixed; boundary=IN\r\n"
    b"\r\n"
    b"--IN\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"inner text\r\n"
    b"--IN\r\n"
    b"Content-Type: image/png\r\n"
    b"\r\n"
    b"PNGDATA\r\n"
    b"--IN--\r\n"
    b"--OUT--\r\n"
)


def _parts(part: Part) -> list[Part]:
    return [part, *(p for c in part.children for p in _parts(c))]


def _body(raw: bytes, part: Part | None) -> bytes:
    assert part is not None
    return raw[part.body_start : part.end]


def _header(raw: bytes, part: Part | None) -> bytes:
    assert part is not None
    return raw[part.header_start : part.body_start]


def test_simple_message():
    p = parse_message(SIMPLE)
    assert p.size == len(SIMPLE)
    assert (p.root.maintype, p.root.subtype, p.root.params) == ("text", "plain", (("charset", "us-ascii"),))
    assert p.root.encoding == "7BIT" and p.root.children == ()
    assert p.subject == "Hello"
    assert p.from_display == "Alice Example" and p.from_addr == "alice@example.com"
    assert p.to_addrs == ("bob@example.org",)
    assert p.message_id == "<m1@example.com>"
    assert p.date == datetime(2024, 1, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert p.snippet == "Hi Bob, how are you?"
    assert not p.has_attachments
    assert p.envelope.sender == p.envelope.from_ == p.envelope.reply_to
    assert p.envelope.from_ == (Address("Alice Example", None, "alice", "example.com"),)
    assert _header(SIMPLE, p.root).endswith(b"Message-ID: <m1@example.com>\r\n\r\n")
    assert _body(SIMPLE, part_by_section(p.root, "1")) == b"Hi Bob,\r\nhow   are\tyou?\r\n"
    assert p.root.lines == 2 and p.root.size == 25
    assert bodystructure(p.root, False) == [
        "TEXT",
        "PLAIN",
        ["CHARSET", "us-ascii"],
        None,
        None,
        "7BIT",
        25,
        2,
    ]


def test_multipart_alternative():
    p = parse_message(ALTERNATIVE)
    plain, html = p.root.children
    assert [c.section for c in p.root.children] == ["1", "2"]
    assert (html.maintype, html.subtype) == ("text", "html")
    assert _body(ALTERNATIVE, plain) == b"plain version"
    assert _header(ALTERNATIVE, html) == b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    assert p.snippet == "plain version"
    assert p.search_text == "plain version"  # the HTML twin is not indexed twice
    bs = bodystructure(p.root, True)
    assert bs[2:] == ["ALTERNATIVE", ["BOUNDARY", "ALT"], None, None, None]
    assert bs[0] == ["TEXT", "PLAIN", ["CHARSET", "utf-8"], None, None, "7BIT", 13, 1, None, None, None, None]
    assert bodystructure(p.root, False)[2:] == ["ALTERNATIVE"]


def test_html_only_snippet_strips_tags_and_styles():
    raw = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>body { color: red }</style><script>x<1</script></head>"
        b"<body><!-- hidden --><p>Caf&eacute; &lt;open&gt;</p><br>now</body></html>"
    )
    p = parse_message(raw)
    assert p.snippet == "Café <open> now"
    assert p.search_text == "Café <open> now"


def test_mixed_with_attachment():
    p = parse_message(MIXED)
    text, pdf = p.root.children
    assert p.has_attachments
    assert pdf.disposition == ("attachment", (("filename", "r.pdf"),))
    assert pdf.encoding == "BASE64" and _body(MIXED, pdf) == b"JVBERi0xLjQK"
    assert p.search_text == "see attached"
    assert bodystructure(pdf, True) == [
        "APPLICATION",
        "PDF",
        ["NAME", "r.pdf"],
        None,
        None,
        "BASE64",
        12,
        None,
        ["ATTACHMENT", ["FILENAME", "r.pdf"]],
        None,
        None,
    ]


def test_nested_message_rfc822_section_numbering():
    p = parse_message(FORWARD)
    fwd = part_by_section(p.root, "2")
    assert fwd is not None and (fwd.maintype, fwd.subtype) == ("message", "rfc822")
    assert fwd.envelope is not None and fwd.envelope.subject == "inner"
    assert fwd.envelope.from_ == (Address("Carol", None, "carol", "example.net"),)
    inner = fwd.children[0]
    assert inner.section == "2" and inner.subtype == "mixed"
    assert [c.section for c in inner.children] == ["2.1", "2.2"]
    assert _body(FORWARD, part_by_section(p.root, "2.1")) == b"inner text"
    assert _body(FORWARD, part_by_section(p.root, "2.2")) == b"PNGDATA"
    assert _header(FORWARD, part_by_section(p.root, "2.2")) == b"Content-Type: image/png\r\n\r\n"
    # BODY[2.HEADER] is the encapsulated message's header; BODY[2] is the whole encapsulated message.
    assert _header(FORWARD, inner).startswith(b"From: Carol")
    assert _body(FORWARD, fwd).startswith(b"From: Carol") and _body(FORWARD, fwd).endswith(b"--IN--")
    assert part_by_section(p.root, "2.3") is None and part_by_section(p.root, "3") is None
    assert part_by_section(p.root, "1.1") is None and part_by_section(p.root, "x") is None
    bs = bodystructure(fwd, False)
    assert bs[:7] == ["MESSAGE", "RFC822", None, None, None, "7BIT", fwd.size]
    assert bs[7][1] == "inner" and bs[7][2] == [["Carol", None, "carol", "example.net"]]
    assert bs[8][-1] == "MIXED" and bs[9] == fwd.lines
    assert p.search_text == "forwarding\ninner text"


def test_message_rfc822_with_simple_body():
    raw = (
        b"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: message/rfc822\n\n"
        b"Subject: in\n\nbody line\n--B--\n"
    )
    p = parse_message(raw)
    assert _body(raw, part_by_section(p.root, "1.1")) == b"body line"
    assert part_by_section(p.root, "1.2") is None


def test_rfc2047_subject_and_display_name():
    raw = (
        b"From: =?utf-8?q?M=C3=BCller?= <m@example.de>\r\n"
        b"To: =?iso-8859-1?b?SvxyZ2Vu?= <j@example.de>\r\n"
        b"Subject: =?utf-8?q?M=C3=BCller?= =?utf-8?q?_und?= Co\r\n\r\nx\r\n"
    )
    p = parse_message(raw)
    assert p.subject == "Müller und Co"
    assert p.envelope.subject == "=?utf-8?q?M=C3=BCller?= =?utf-8?q?_und?= Co"  # raw for ENVELOPE
    assert p.from_display == "Müller"
    assert p.header_text == "Müller <m@example.de>\nJürgen <j@example.de>\nMüller und Co"


def test_multibyte_char_split_across_encoded_words():
    raw = b"Subject: =?utf-8?b?w6k=?= =?utf-8?q?=C3?= =?utf-8?q?=A9t=C3=A9?=\r\n\r\n"
    assert parse_message(raw).subject == "éété"


def test_quoted_printable_and_base64_with_charsets():
    qp = (
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Gr=FC=DFe aus K=F6ln, sch=\r\nne Stra=DFe\r\n"
    )
    assert parse_message(qp).snippet == "Grüße aus Köln, schne Straße"
    b64 = (
        b'Content-Type: text/plain; charset="ISO-8859-1"\r\n'
        b"Content-Transfer-Encoding: Base64\r\n\r\n"
        b"SuRnZXJtZWlzdGVy\r\nIGb8cg==\r\n"
    )
    p = parse_message(b64)
    assert p.root.encoding == "BASE64"
    assert p.snippet == "Jägermeister für"
    utf8 = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nw7xiZXI=\n"
    assert parse_message(utf8).snippet == "über"


def test_unknown_charset_and_8bit_headers_do_not_crash():
    raw = b"Subject: Gr\xfc\xdfe \xff\r\nFrom: J\xc3\xbcrgen <j@x>\r\nContent-Type: text/plain; charset=x-bogus\r\n\r\n\xe4\r\n"
    p = parse_message(raw)
    assert p.subject == "Grüße ÿ"  # not UTF-8: read as Latin-1
    assert p.from_display == "Jürgen"
    assert p.snippet == "\ufffd"
    to_json(p).encode("utf-8")  # no surrogates reach storage


def test_bare_lf_message():
    raw = (
        b"Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\none\ntwo\n--b\n\nheaderless\n--b--\n"
    )
    p = parse_message(raw)
    first, second = p.root.children
    assert _header(raw, first) == b"Content-Type: text/plain\n\n"
    assert _body(raw, first) == b"one\ntwo" and first.lines == 2
    assert _header(raw, second) == b"\n" and _body(raw, second) == b"headerless"
    assert second.params == (("charset", "us-ascii"),)


def test_missing_final_boundary():
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n"
    p = parse_message(raw)
    assert [_body(raw, c) for c in p.root.children] == [b"one", b"two\r\n"]


def test_boundary_that_never_appears():
    raw = b"Content-Type: multipart/mixed; boundary=nothere\r\n\r\njust text\r\n"
    p = parse_message(raw)
    (only,) = p.root.children
    assert only.header_start == only.body_start == p.root.body_start
    assert _body(raw, only) == b"just text\r\n"
    assert p.snippet == "just text"
    assert bodystructure(p.root, False)[-1] == "MIXED"


def test_multipart_without_boundary_and_bad_content_type():
    p = parse_message(b"Content-Type: multipart/mixed\r\n\r\nbody")
    assert len(p.root.children) == 1
    p = parse_message(b"Content-Type: garbage\r\n\r\nbody")
    assert (p.root.maintype, p.root.subtype) == ("text", "plain")


def test_boundary_must_be_at_line_start_and_whole():
    raw = (
        b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n\r\nx --ab y\r\n--abc\r\n"
        b"--ab  \r\n\r\nsecond\r\n--ab--  trailing\r\nepilogue\r\n--ab\r\n\r\nignored\r\n"
    )
    p = parse_message(raw)
    assert [_body(raw, c) for c in p.root.children] == [b"x --ab y\r\n--abc", b"second"]


def test_nested_multipart_offsets():
    raw = (
        b"Content-Type: multipart/mixed; boundary=o\r\n\r\n"
        b"--o\r\nContent-Type: multipart/related; boundary=i\r\n\r\n"
        b"--i\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--i\r\nContent-Type: image/gif\r\n"
        b"Content-ID: <img1>\r\n\r\nGIF\r\n--i--\r\n"
        b"--o\r\nContent-Type: text/plain\r\n\r\nlast\r\n--o--\r\n"
    )
    p = parse_message(raw)
    gif = part_by_section(p.root, "1.2")
    assert gif is not None and gif.content_id == "<img1>" and _body(raw, gif) == b"GIF"
    assert _body(raw, part_by_section(p.root, "2")) == b"last"
    assert _body(raw, part_by_section(p.root, "1")).startswith(b"--i\r\n")


def test_multipart_digest_defaults_to_message_rfc822():
    raw = b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n"
    (child,) = parse_message(raw).root.children
    assert (child.maintype, child.subtype) == ("message", "rfc822")
    assert child.envelope is not None and child.envelope.subject == "one"


def test_rfc2231_parameters_joined():
    raw = (
        b'Content-Type: application/octet-stream;\r\n name*0="long"; name*1="name.bin"\r\n'
        b"Content-Disposition: attachment; filename*0*=utf-8''%C3%A4; filename*1=\".txt\"\r\n\r\nx"
    )
    p = parse_message(raw)
    assert p.root.params == (("name", "longname.bin"),)
    assert p.root.disposition == ("attachment", (("filename*", "utf-8''%C3%A4.txt"),))
    assert p.has_attachments


def test_group_addresses_in_envelope():
    raw = (
        b'To: Friends: a@example.com, "Doe, John" <john@example.com>;, c@example.org\r\n'
        b"Cc: undisclosed-recipients:;\r\n"
        b"Bcc: <@relay.example:route@example.net> (comment)\r\n\r\n"
    )
    env = parse_message(raw).envelope
    assert env.to == (
        Address(None, None, "Friends", None),
        Address(None, None, "a", "example.com"),
        Address("Doe, John", None, "john", "example.com"),
        Address(None, None, None, None),
        Address(None, None, "c", "example.org"),
    )
    assert env.cc == (Address(None, None, "undisclosed-recipients", None), Address(None, None, None, None))
    assert env.bcc == (Address(None, "@relay.example", "route", "example.net"),)
    assert env.from_ == () and env.date is None
    assert parse_message(raw).to_addrs == ("a@example.com", "john@example.com", "c@example.org")


def test_references_and_in_reply_to():
    raw = b"In-Reply-To: <b@x> (John's)\r\nReferences: <a@x>\r\n  <b@x>\r\n\r\n"
    p = parse_message(raw)
    assert p.in_reply_to == "<b@x>" and p.references == ("<a@x>", "<b@x>")
    assert p.envelope.in_reply_to == "<b@x> (John's)"


def test_invalid_date_is_none():
    assert parse_message(b"Date: not a date\r\n\r\n").date is None
    naive = parse_message(b"Date: Tue, 2 Jan 2024 09:30:00 -0000\r\n\r\n").date
    assert naive is not None and naive.tzinfo is not None


def test_header_only_and_empty_messages():
    for raw in (b"", b"Subject: x", b"\r\n", b"\n\nbody"):
        p = parse_message(raw)
        assert 0 <= p.root.header_start <= p.root.body_start <= p.root.end == len(raw)
    assert parse_message(b"Subject: x").root.body_start == len(b"Subject: x")


def test_absurd_nesting_is_capped():
    raw = b"Content-Type: message/rfc822\n\n" * 200 + b"Subject: deep\n\nbottom\n"
    p = parse_message(raw)
    depth = 0
    part = p.root
    while part.children:
        part, depth = part.children[0], depth + 1
    assert depth <= 60
    assert (part.maintype, part.subtype) == ("application", "octet-stream")
    bodystructure(p.root, True)  # still a valid tree


def test_many_parts_are_capped():
    raw = b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\n\nx\n" * 5000 + b"--a--\n"
    p = parse_message(raw)
    assert 1 <= len(p.root.children) <= 1000


def test_huge_header_count():
    raw = b"X-Junk: y\r\n" * 20000 + b"Subject: found\r\n\r\nbody"
    p = parse_message(raw)
    assert p.subject == "found" and p.snippet == "body"


def test_json_round_trip():
    for raw in (SIMPLE, ALTERNATIVE, MIXED, FORWARD):
        p = parse_message(raw)
        env, root = from_json(to_json(p))
        assert env == p.envelope and root == p.root


def test_from_json_rejects_garbage():
    for bad in ("[]", "[2, null, null]", '{"a": 1}', "not json"):
        try:
            from_json(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


# --- properties ----------------------------------------------------------------------------------


def _check_offsets(raw: bytes) -> None:
    p = parse_message(raw)
    for part in _parts(p.root):
        assert 0 <= part.header_start <= part.body_start <= part.end <= len(raw)
        assert part.size == part.end - part.body_start
    bodystructure(p.root, True)
    bodystructure(p.root, False)
    assert from_json(to_json(p)) == (p.envelope, p.root)
    assert len(p.search_text) <= 1_000_000


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    _check_offsets(raw)


_SEEDS = [SIMPLE, ALTERNATIVE, MIXED, FORWARD, SIMPLE.replace(b"\r\n", b"\n")]
_FRAGMENTS = [
    b"\r\n",
    b"\n",
    b"--",
    b"--ALT",
    b"--OUT--",
    b":",
    b";",
    b'"',
    b"=?",
    b"?=",
    b"<",
    b">",
    b"\x00",
    b"\xff",
]


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(raw)))
        op = draw(st.integers(0, 2))
        if op == 0:
            raw[pos:pos] = draw(st.sampled_from(_FRAGMENTS) | st.binary(max_size=8))
        elif op == 1:
            del raw[pos : pos + draw(st.integers(1, 40))]
        else:
            raw = raw[:pos]
    return bytes(raw)


@settings(max_examples=300, deadline=None)
@given(_mutated())
def test_mutated_messages_never_raise(raw: bytes) -> None:
    _check_offsets(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_header_values_never_raise(value: str) -> None:
    raw = "".join(f"{h}: {value}\r\n" for h in ("From", "To", "Subject", "Content-Type", "Date"))
    _check_offsets(raw.encode("utf-8", "surrogatepass") + b"\r\nbody")
