"""FETCH of body sections, partials, sizes, dates and the \\Seen side effect (RFC 3501 6.4.5, 7.4.2),
byte for byte against the fixtures in conftest."""

from __future__ import annotations

import re

import pytest

from tests.sidecars.imap.conftest import FORWARD, MULTIPART, ImapService, Raw, fetches, plain

HEADER_END = 265  # MULTIPART's header is 265 bytes, blank line included


@pytest.fixture
def box(client: Raw, folder: str) -> Raw:
    """The test's folder selected, holding MULTIPART (1), FORWARD (2) and a plain message (3)."""
    client.append(folder, MULTIPART, date="02-Nov-2026 10:00:00 +0000")
    client.append(folder, FORWARD)
    client.append(folder, plain("third"), flags="\\Seen")
    client.select(folder)
    return client


def one(conn: Raw, command: str, seq: int = 1) -> dict[str, object]:
    reply = conn.command(command)
    assert reply.ok, reply
    return fetches(reply)[seq]


def test_whole_message_header_and_text(box: Raw) -> None:
    items = one(box, "FETCH 1 (BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] RFC822.SIZE)")
    assert items["BODY[]"] == MULTIPART
    assert items["BODY[HEADER]"] == MULTIPART[:HEADER_END]
    assert items["BODY[TEXT]"] == MULTIPART[HEADER_END:]
    assert items["RFC822.SIZE"] == len(MULTIPART) == 592


def test_mime_part_sections(box: Raw) -> None:
    items = one(box, "FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.MIME])")
    assert items["BODY[1]"] == b"Hello Bob,\r\nthe report is attached.\r\n"
    assert items["BODY[1.MIME]"] == b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    assert items["BODY[2]"] == b"JVBERi0xLjQKJcOkw7zDtsOfCg=="
    assert items["BODY[2.MIME]"] == (
        b'Content-Type: application/pdf; name="report.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="report.pdf"\r\n\r\n'
    )


def test_encapsulated_message_sections(box: Raw) -> None:
    items = one(box, "FETCH 2 (BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[2.1] BODY.PEEK[2.MIME])", 2)
    assert items["BODY[2.HEADER]"] == b"From: bob@example.test\r\nSubject: Inner\r\n\r\n"
    assert items["BODY[2.TEXT]"] == b"inner body\r\n"
    assert items["BODY[2.1]"] == b"inner body\r\n"  # RFC 3501 6.4.5: part 1 of a non-multipart message
    assert items["BODY[2.MIME]"] == b"Content-Type: message/rfc822\r\n\r\n"
    whole = one(box, "FETCH 2 BODY.PEEK[2]", 2)["BODY[2]"]
    assert whole == b"From: bob@example.test\r\nSubject: Inner\r\n\r\ninner body\r\n"


def test_header_fields_and_not(box: Raw) -> None:
    items = one(box, "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[HEADER.FIELDS.NOT (FROM TO CC "
                     "SUBJECT DATE MESSAGE-ID MIME-VERSION)])")  # fmt: skip
    subset = [v for k, v in items.items() if "HEADER.FIELDS (" in k]
    rest = [v for k, v in items.items() if "HEADER.FIELDS.NOT" in k]
    assert subset == [b'From: "Alice Example" <alice@example.test>\r\nSubject: Report attached\r\n\r\n']
    assert rest == [b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n']


def test_header_fields_of_a_missing_field_is_the_blank_line(box: Raw) -> None:
    items = one(box, "FETCH 1 BODY.PEEK[HEADER.FIELDS (X-NOT-THERE)]")
    assert list(items.values()) == [b"\r\n"]


def test_partial_fetches(box: Raw) -> None:
    items = one(box, "FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<5.10> BODY.PEEK[1]<4.1000>)")
    assert items["BODY[]<0>"] == MULTIPART[:10]  # RFC 3501 7.4.2: only the origin is echoed
    assert items["BODY[TEXT]<5>"] == MULTIPART[HEADER_END + 5 : HEADER_END + 15]
    assert items["BODY[1]<4>"] == b"o Bob,\r\nthe report is attached.\r\n"


def test_partial_past_the_end_is_empty(box: Raw) -> None:
    items = one(box, "FETCH 1 BODY.PEEK[]<10000.10>")
    assert items["BODY[]<10000>"] == b""


def test_partial_raw_syntax(box: Raw) -> None:
    reply = box.command("FETCH 1 BODY.PEEK[]<0.10>")
    line = reply.named("FETCH")[0]
    assert line.startswith(b"* 1 FETCH (BODY[]<0> {10}\r\n" + MULTIPART[:10]) or line.startswith(
        b'* 1 FETCH (BODY[]<0> "' + MULTIPART[:10] + b'"'
    ), line


def test_rfc822_items(box: Raw) -> None:
    items = one(box, "FETCH 1 (RFC822.HEADER RFC822.TEXT)")
    assert items["RFC822.HEADER"] == MULTIPART[:HEADER_END]
    assert items["RFC822.TEXT"] == MULTIPART[HEADER_END:]
    assert one(box, "FETCH 2 RFC822", 2)["RFC822"] == FORWARD


def test_peek_leaves_seen_alone_and_body_sets_it(box: Raw) -> None:
    box.command("FETCH 1 BODY.PEEK[]")
    assert "\\Seen" not in one(box, "FETCH 1 FLAGS")["FLAGS"]  # type: ignore[operator]
    reply = box.command("FETCH 1 BODY[TEXT]")
    assert reply.ok
    assert "\\Seen" in one(box, "FETCH 1 FLAGS")["FLAGS"]  # type: ignore[operator]
    # RFC 3501 6.4.5: the flag change should be reported with the fetch itself
    assert any("\\Seen" in items.get("FLAGS", []) for items in fetches(reply).values())  # type: ignore[operator]


def test_rfc822_header_does_not_set_seen(box: Raw) -> None:
    box.command("FETCH 2 RFC822.HEADER")
    assert "\\Seen" not in one(box, "FETCH 2 FLAGS", 2)["FLAGS"]  # type: ignore[operator]


def test_macros(box: Raw) -> None:
    fast = one(box, "FETCH 1 FAST")
    assert set(fast) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}
    assert set(one(box, "FETCH 1 ALL")) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}
    assert set(one(box, "FETCH 1 FULL")) == {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}


def test_internaldate_format_and_value(box: Raw) -> None:
    date = one(box, "FETCH 1 INTERNALDATE")["INTERNALDATE"]
    assert isinstance(date, bytes)
    # RFC 3501 9: date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
    assert re.fullmatch(rb"[ 0-3]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}", date), date
    from email.utils import parsedate_to_datetime

    appended = parsedate_to_datetime("Mon, 02 Nov 2026 10:00:00 +0000")
    from datetime import datetime

    assert datetime.strptime(date.decode(), "%d-%b-%Y %H:%M:%S %z") == appended


def test_uid_fetch_always_returns_uid(box: Raw) -> None:
    uids = {seq: items["UID"] for seq, items in fetches(box.command("FETCH 1:* UID")).items()}
    reply = box.command(f"UID FETCH {uids[2]} FLAGS")
    got = fetches(reply)
    assert set(got) == {2} and set(got[2]) == {"UID", "FLAGS"} and got[2]["UID"] == uids[2]  # RFC 3501 6.4.8
    assert box.command("UID FETCH 99999 FLAGS").ok  # a UID that does not exist: no data, no error
    assert not box.command("UID FETCH 99999 FLAGS").named("FETCH")


def test_star_and_reversed_ranges(box: Raw) -> None:
    assert set(fetches(box.command("FETCH * UID"))) == {3}
    assert set(fetches(box.command("FETCH 3:1 UID"))) == {1, 2, 3}
    assert set(fetches(box.command("FETCH 1,3 UID"))) == {1, 3}


def test_sequence_number_past_the_end_is_bad(box: Raw) -> None:
    assert box.command("FETCH 7 FLAGS").status in ("BAD", "NO")  # RFC 3501 9 (seq-number), 6.4.5
    assert box.command("NOOP").ok


def test_fetch_of_a_missing_part_is_empty_or_no(box: Raw) -> None:
    reply = box.command("FETCH 3 BODY.PEEK[5]")
    if reply.ok:
        assert list(fetches(reply)[3].values()) in ([b""], [None])
    else:
        assert reply.status == "NO"


def test_unknown_fetch_item_is_bad(box: Raw) -> None:
    assert box.command("FETCH 1 (FLAGS BOGUSITEM)").status == "BAD"
    assert box.command("FETCH 1 BODY[1.BOGUS]").status == "BAD"


def test_imaplib_fetch(imap_service: ImapService, account: str, folder: str) -> None:
    with imap_service.imaplib(account) as client:
        client.append(folder, None, None, MULTIPART)
        client.select(folder)
        typ, data = client.fetch("1", "(BODY.PEEK[1.MIME] RFC822.SIZE)")
        assert typ == "OK"
        assert data[0][1] == b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"


def test_uid_range_to_star_always_includes_the_last_message(box: Raw) -> None:
    last = fetches(box.command("FETCH * UID"))[3]["UID"]
    reply = box.command(f"UID FETCH {last + 1000}:* UID")  # type: ignore[operator]
    assert {items["UID"] for items in fetches(reply).values()} == {last}  # RFC 3501 6.4.8


def test_body_1_of_a_single_part_message_is_its_text(box: Raw) -> None:
    assert one(box, "FETCH 3 BODY.PEEK[1]", 3)["BODY[1]"] == b"body text\r\n"  # RFC 3501 6.4.5


@pytest.mark.parametrize("items", ["BODY[]<0.0>", "BODY[HEADER.FIELDS ()]", "()", "BODY[]<1>", "BODY[TEXT"])
def test_malformed_fetch_items_are_bad(box: Raw, items: str) -> None:
    assert box.command(f"FETCH 1 {items}").status == "BAD"  # RFC 3501 9: nz-number, 1*header-fld-name
    assert box.command("NOOP").ok


def test_header_fields_keeps_repeated_and_folded_fields(client: Raw, folder: str) -> None:
    message = (
        b"Received: from a.example by b.example; Mon, 02 Nov 2026 10:00:00 +0000\r\n"
        b"Subject: folded\r\n subject line\r\n"
        b"Received: from c.example\r\n\tby d.example; Mon, 02 Nov 2026 09:59:00 +0000\r\n"
        b"\r\nbody\r\n"
    )
    client.append(folder, message)
    client.select(folder)
    items = one(client, "FETCH 1 (BODY.PEEK[HEADER.FIELDS (received)] BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    received = [v for k, v in items.items() if "RECEIVED" in k]
    subject = [v for k, v in items.items() if "SUBJECT" in k]
    assert received == [
        b"Received: from a.example by b.example; Mon, 02 Nov 2026 10:00:00 +0000\r\n"
        b"Received: from c.example\r\n\tby d.example; Mon, 02 Nov 2026 09:59:00 +0000\r\n\r\n"
    ]
    assert subject == [b"Subject: folded\r\n subject line\r\n\r\n"]  # byte-exact, folding kept


@pytest.mark.parametrize("items", ["(FAST UID)", "(ALL)", "FAST UID"])
def test_macros_stand_alone(box: Raw, items: str) -> None:
    assert box.command(f"FETCH 1 {items}").status == "BAD"  # RFC 3501 9: a macro is the whole item list
