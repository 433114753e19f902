"""FETCH ENVELOPE, BODY and BODYSTRUCTURE (RFC 3501 7.4.2): field order, NIL rules, defaults for Sender and
Reply-To, group syntax, raw encoded words, quoting of specials and 8-bit text, and the MIME tree of the
fixtures down to sizes and line counts."""

from __future__ import annotations

import re

import pytest

from tests.sidecars.imap.conftest import FORWARD, MULLER, MULTIPART, Raw, fetches


def canon(value: object) -> object:
    """Strings and atoms upper-cased (media types, encodings and parameter names are case-insensitive)."""
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, bytes):
        return value.decode().upper()
    if isinstance(value, str):
        return value.upper()
    return value


class Either:
    """An expected value with alternatives the RFC leaves open (e.g. a defaulted charset parameter)."""

    def __init__(self, *choices: object) -> None:
        self.choices = [canon(c) for c in choices]


def same_fields(actual: object, expected: list[object], mandatory: int) -> None:
    """Compare a field list; trailing extension fields may be left out only where the expectation is NIL
    (RFC 3501 9: body-ext-1part and body-ext-mpart are optional from any point on)."""
    assert isinstance(actual, list), (actual, expected)
    assert len(actual) >= mandatory, f"missing mandatory fields: {actual}"
    assert len(actual) <= len(expected), f"unexpected extra fields: {actual} vs {expected}"
    for i, exp in enumerate(expected):
        if i >= len(actual):
            assert exp is None, f"extension field {i} left out but expected {exp!r}: {actual}"
        elif isinstance(exp, Either):
            assert canon(actual[i]) in exp.choices, (actual[i], exp.choices)
        else:
            assert canon(actual[i]) == canon(exp), (i, actual[i], exp)


def same_body(actual: object, expected: list[object]) -> None:
    """Compare one body structure (BODYSTRUCTURE form) with the expectation, recursing into parts."""
    assert isinstance(actual, list) and actual, actual
    if isinstance(expected[0], list):  # multipart: parts, then subtype and extension data
        parts = next(i for i, e in enumerate(expected) if not isinstance(e, list))
        assert all(isinstance(a, list) for a in actual[:parts]), actual
        for a, e in zip(actual[:parts], expected[:parts], strict=True):
            same_body(a, e)  # type: ignore[arg-type]
        same_fields(actual[parts:], expected[parts:], mandatory=1)
        return
    kind = canon(expected[:2])
    if kind == ["MESSAGE", "RFC822"]:
        same_fields(actual[:7], expected[:7], mandatory=7)
        assert actual[7] == expected[7], (actual[7], expected[7])  # the envelope, exactly
        same_body(actual[8], expected[8])  # type: ignore[arg-type]
        same_fields(actual[9:], expected[9:], mandatory=1)
        return
    same_fields(actual, expected, mandatory=8 if kind[0] == "TEXT" else 7)  # type: ignore[index]


TEXT_PART = ["TEXT", "PLAIN", ["CHARSET", "us-ascii"], None, None, "7BIT", 37, 2, None, None, None, None]
PDF_PART = [
    "APPLICATION", "PDF", ["NAME", "report.pdf"], None, None, "BASE64", 28,
    None, ["ATTACHMENT", ["FILENAME", "report.pdf"]], None, None,
]  # fmt: skip
MULTIPART_STRUCTURE = [TEXT_PART, PDF_PART, "MIXED", ["BOUNDARY", "XYZ"], None, None, None]
ALICE_ADDR = [[b"Alice Example", None, b"alice", b"example.test"]]
MULTIPART_ENVELOPE = [
    b"Mon, 02 Nov 2026 10:00:00 +0000", b"Report attached", ALICE_ADDR, ALICE_ADDR, ALICE_ADDR,
    [[b"Bob", None, b"bob", b"example.test"]], [[None, None, b"carol", b"example.test"]], None, None,
    b"<multi-1@example.test>",
]  # fmt: skip


@pytest.fixture
def box(client: Raw, folder: str) -> Raw:
    for message in (MULTIPART, FORWARD, MULLER):
        client.append(folder, message)
    client.select(folder)
    return client


def item(conn: Raw, seq: int, name: str) -> object:
    reply = conn.command(f"FETCH {seq} {name}")
    assert reply.ok, reply
    return fetches(reply)[seq][name]


def test_bodystructure_of_multipart_with_attachment(box: Raw) -> None:
    same_body(item(box, 1, "BODYSTRUCTURE"), MULTIPART_STRUCTURE)


def test_body_has_no_extension_data(box: Raw) -> None:
    body = item(box, 1, "BODY")
    assert canon(body) == canon([TEXT_PART[:8], PDF_PART[:7], "MIXED"])  # RFC 3501 7.4.2 BODY


def test_bodystructure_of_message_rfc822_part(box: Raw) -> None:
    default = Either(None, ["CHARSET", "us-ascii"])  # RFC 2045 5.2 default; echoing it is optional
    text = ["TEXT", "PLAIN", default, None, None, "7BIT", 12, 1, None, None, None, None]
    bob = [[None, None, b"bob", b"example.test"]]
    inner_env = [None, b"Inner", bob, bob, bob, None, None, None, None, None]
    inner_body = ["TEXT", "PLAIN", default, None, None, "7BIT", 12, 1, None, None, None, None]
    rfc822 = [
        "MESSAGE",
        "RFC822",
        None,
        None,
        None,
        "7BIT",
        54,
        inner_env,
        inner_body,
        4,
        None,
        None,
        None,
        None,
    ]
    same_body(item(box, 2, "BODYSTRUCTURE"), [text, rfc822, "MIXED", ["BOUNDARY", "outer"], None, None, None])


def test_bodystructure_of_8bit_text(box: Raw) -> None:
    expected = ["TEXT", "PLAIN", ["CHARSET", "utf-8"], None, None, "8BIT", 40, 2, None, None, None, None]
    same_body(item(box, 3, "BODYSTRUCTURE"), expected)


def test_envelope_of_multipart(box: Raw) -> None:
    assert item(box, 1, "ENVELOPE") == MULTIPART_ENVELOPE  # sender and reply-to default to from


def test_envelope_keeps_encoded_words_raw(box: Raw) -> None:
    env = item(box, 3, "ENVELOPE")
    assert isinstance(env, list)
    assert env[0] == b"Tue, 03 Nov 2026 08:30:00 +0100"
    assert env[1] == b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe_von_M=C3=BCller?="
    assert env[2] == [[b"=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=", None, b"juergen", b"example.org"]]
    assert env[9] == b"<mueller-1@example.org>"


def test_envelope_nil_for_missing_fields_and_groups(client: Raw, folder: str) -> None:
    message = (
        b"From: Someone <someone@example.org>\r\n"
        b"Reply-To: replies@example.org\r\n"
        b"To: undisclosed-recipients:;\r\n"
        b"In-Reply-To: <parent@example.org>\r\n"
        b"\r\n"
        b"no subject, no date\r\n"
    )
    client.append(folder, message)
    client.select(folder)
    env = item(client, 1, "ENVELOPE")
    someone = [[b"Someone", None, b"someone", b"example.org"]]
    # RFC 3501 7.4.2: group start (NIL NIL name NIL), group end (NIL NIL NIL NIL)
    group = [[None, None, b"undisclosed-recipients", None], [None, None, None, None]]
    replies = [[None, None, b"replies", b"example.org"]]
    assert env == [None, None, someone, someone, replies, group, None, None, b"<parent@example.org>", None]


def test_envelope_quotes_specials(client: Raw, folder: str) -> None:
    message = b'From: "Quote \\" Man" <q@example.org>\r\nSubject: He said "hi" \\o/\r\n\r\nx\r\n'
    client.append(folder, message)
    client.select(folder)
    env = item(client, 1, "ENVELOPE")
    assert isinstance(env, list)
    assert env[1] == b'He said "hi" \\o/'
    assert env[2][0][0] == b'Quote " Man'  # type: ignore[index]


def test_8bit_header_is_sent_as_literal(client: Raw, folder: str) -> None:
    """Without UTF8=ACCEPT, 8-bit text cannot be a quoted string (RFC 3501 9: QUOTED-CHAR is 7-bit)."""
    subject = "Grüße aus Köln".encode()
    client.append(folder, b"From: a@example.org\r\nSubject: " + subject + b"\r\n\r\nx\r\n")
    client.select(folder)
    line = client.command("FETCH 1 ENVELOPE").named("FETCH")[0]
    assert not re.search(rb'"[^"\r\n]*[\x80-\xff][^"\r\n]*"', line), line
    assert item(client, 1, "ENVELOPE")[1] == subject  # type: ignore[index]


NESTED = (
    b"From: a@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="out"\r\n\r\n'
    b"--out\r\n"
    b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n\r\n"
    b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html version</p>\r\n\r\n"
    b"--alt--\r\n\r\n"
    b"--out\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"Content-ID: <part2@example.org>\r\n"
    b"Content-Description: A description\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    b"Content-Disposition: inline\r\n"
    b"Content-Language: en\r\n"
    b"Content-Location: http://example.test/notes.txt\r\n\r\n"
    b"notes=20here\r\n\r\n"
    b"--out--\r\n"
)


def test_nested_multipart_numbering_and_extension_fields(client: Raw, folder: str) -> None:
    client.append(folder, NESTED)
    client.select(folder)
    reply = client.command(
        "FETCH 1 (BODY.PEEK[1.1] BODY.PEEK[1.2] BODY.PEEK[2] BODY.PEEK[1.2.MIME] BODYSTRUCTURE)"
    )
    items = fetches(reply)[1]
    assert items["BODY[1.1]"] == b"plain version\r\n"
    assert items["BODY[1.2]"] == b"<p>html version</p>\r\n"
    assert items["BODY[2]"] == b"notes=20here\r\n"
    assert items["BODY[1.2.MIME]"] == b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    structure = items["BODYSTRUCTURE"]
    assert isinstance(structure, list)
    alternative = structure[0]
    same_body(
        alternative[0],
        ["TEXT", "PLAIN", ["CHARSET", "utf-8"], None, None, "7BIT", 15, 1, None, None, None, None],
    )
    assert canon(alternative[2]) == "ALTERNATIVE"
    notes = structure[1]
    lang = Either("en", ["en"])  # body-fld-lang: a string or a list of strings
    expected = [
        "TEXT", "PLAIN", ["CHARSET", "us-ascii"], "<part2@example.org>", "A description", "QUOTED-PRINTABLE",
        14, 1, "Q2hlY2sgSW50ZWdyaXR5IQ==", ["INLINE", None], lang, "http://example.test/notes.txt",
    ]  # fmt: skip
    same_body(notes, expected)
    assert notes[3] == b"<part2@example.org>" and notes[11] == b"http://example.test/notes.txt"  # exact case


def test_envelope_groups_routes_and_sender(client: Raw, folder: str) -> None:
    message = (
        b'From: a@x.example, "Last, First" <b@y.example>\r\n'
        b"Sender: s@z.example\r\n"
        b'To: Team: c@x.example, "D" <d@x.example>;, e@x.example\r\n'
        b"Bcc: <@route.example:g@x.example>\r\n"
        b"Subject: addresses\r\n\r\nx\r\n"
    )
    client.append(folder, message)
    client.select(folder)
    env = item(client, 1, "ENVELOPE")
    assert isinstance(env, list)
    senders = [[None, None, b"a", b"x.example"], [b"Last, First", None, b"b", b"y.example"]]
    assert env[2] == senders and env[4] == senders  # Reply-To defaults to From
    assert env[3] == [[None, None, b"s", b"z.example"]]  # Sender given, so not From
    assert env[5] == [
        [None, None, b"Team", None],  # group start
        [None, None, b"c", b"x.example"],
        [b"D", None, b"d", b"x.example"],
        [None, None, None, None],  # group end
        [None, None, b"e", b"x.example"],
    ]
    assert env[7] == [[None, b"@route.example", b"g", b"x.example"]]  # addr-adl holds the route
