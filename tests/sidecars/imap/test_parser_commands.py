"""The pure IMAP parser: framing (literals, LITERAL+, limits) and typed command arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecars.imap.parser import parse_command
from sidecars.imap.reader import CommandLine, NeedContinuation, Reader, Refusal
from sidecars.imap.searchkeys import BadCharset, Key
from sidecars.imap.sequence import STAR, format_set, parse_sequence
from sidecars.imap.tokens import ParseError


def commands(data: bytes, reader: Reader | None = None) -> list[object]:
    reader = reader or Reader(max_literal=1 << 20)
    return reader.feed(data)


def parse(line: bytes):  # type: ignore[no-untyped-def]
    events = commands(line + b"\r\n")
    assert len(events) == 1 and isinstance(events[0], CommandLine), events
    return parse_command(events[0])


# -- framing ---------------------------------------------------------------------------------------


def test_synchronising_literal_asks_for_continuation_then_completes() -> None:
    reader = Reader()
    assert reader.feed(b"a1 LOGIN {5}\r\n") == [NeedContinuation(5)]
    events = reader.feed(b'alice "secret"\r\n')
    cmd = parse_command(events[0])  # type: ignore[arg-type]
    assert (cmd.spec.user, cmd.spec.password) == ("alice", "secret")


def test_non_synchronising_literal_needs_no_continuation() -> None:
    events = commands(b"a1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n")
    assert len(events) == 1
    cmd = parse_command(events[0])  # type: ignore[arg-type]
    assert (cmd.spec.user, cmd.spec.password) == ("alice", "secret")


def test_byte_by_byte_feeding_gives_the_same_command() -> None:
    data = b'a1 APPEND INBOX (\\Seen) "17-Jul-1996 02:44:25 -0700" {11+}\r\nSubject: x\n\r\n'
    reader = Reader(max_literal=100)
    events = []
    for i in range(len(data)):
        events += reader.feed(data[i : i + 1])
    assert len(events) == 1
    cmd = parse_command(events[0])  # type: ignore[arg-type]
    assert cmd.spec.message.literal.read() == b"Subject: x\n"
    assert cmd.spec.flags == ("\\Seen",)
    assert cmd.spec.date == datetime(1996, 7, 17, 9, 44, 25, tzinfo=UTC)


def test_too_long_line_is_refused_with_its_tag_and_the_next_command_works() -> None:
    reader = Reader(max_line=100)
    events = reader.feed(b"t7 NOOP " + b"x" * 200 + b"\r\nt8 NOOP\r\n")
    assert isinstance(events[0], Refusal) and events[0].tag == "t7"
    assert "too long" in events[0].text
    assert parse_command(events[1]).name == "NOOP"  # type: ignore[arg-type]


def test_too_large_synchronising_literal_is_refused_without_continuation() -> None:
    reader = Reader(max_literal=10)
    events = reader.feed(b"a1 APPEND INBOX {11}\r\n")
    assert events == [Refusal("a1", "literal of 11 bytes is larger than the limit of 10")]
    assert parse_command(reader.feed(b"a2 NOOP\r\n")[0]).tag == "a2"  # type: ignore[arg-type]


def test_too_large_non_synchronising_literal_is_skipped_with_the_rest_of_its_command() -> None:
    reader = Reader(max_literal=10)
    events = reader.feed(b"a1 APPEND INBOX {11+}\r\n0123456789X\r\na2 NOOP\r\n")
    assert isinstance(events[0], Refusal) and events[0].tag == "a1"
    assert parse_command(events[1]).tag == "a2"  # type: ignore[arg-type]


def test_large_literal_is_spooled_not_kept_in_memory_chunks() -> None:
    body = b"x" * (600 * 1024)
    events = Reader(max_literal=1 << 21).feed(b"a1 APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
    literal = events[0].literals[0]  # type: ignore[union-attr]
    assert literal._file is not None and literal.read() == body


# -- arguments -------------------------------------------------------------------------------------


def test_fetch_macro_and_sections() -> None:
    cmd = parse(b"a FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BODY[1.2.MIME] BINARY[2])")
    items = cmd.spec.items
    assert [i.name for i in items] == ["FLAGS", "BODY", "BODY", "BINARY"]
    assert items[1].peek and items[1].partial == (0, 100) and items[1].section.fields == ("From", "To")
    assert items[1].label == "BODY[HEADER.FIELDS (FROM TO)]<0>"
    assert items[2].section.part == "1.2" and items[2].section.text == "MIME" and items[2].sets_seen
    assert [i.name for i in parse(b"a FETCH 1 ALL").spec.items] == [
        "FLAGS",
        "INTERNALDATE",
        "RFC822.SIZE",
        "ENVELOPE",
    ]


def test_uid_fetch_adds_uid_and_changedsince_adds_modseq() -> None:
    cmd = parse(b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)")
    assert cmd.name == "UID FETCH"
    assert [i.name for i in cmd.spec.items] == ["UID", "FLAGS", "MODSEQ"]
    assert cmd.spec.changed_since == 12345 and cmd.spec.vanished


@pytest.mark.parametrize(
    "line",
    [b"a FETCH 1 BODY[HEADER.FIELDS]", b"a FETCH 1 BODY[0]", b"a FETCH 1 BODY[]<5>", b"a FETCH x FLAGS",
     b"a FETCH 1 (FLAGS) (VANISHED)", b"a FETCH 1 NOSUCH", b"a FETCH 0 FLAGS", b"a FETCH 1:2:3 FLAGS"],
)  # fmt: skip
def test_bad_fetch_is_a_parse_error_with_the_tag(line: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse(line)
    assert info.value.tag == "a"


def test_search_grammar_with_or_not_parentheses_and_return() -> None:
    cmd = parse(b'a SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR FROM "al" NOT (SEEN UID 1:5) SINCE 1-Feb-2020')
    assert cmd.spec.returns == frozenset({"MIN", "COUNT"})
    first, second = cmd.spec.key.args
    assert first.op == "OR" and first.args[0] == Key("FROM", ("al",))
    assert first.args[1].op == "NOT" and first.args[1].args[0].op == "AND"
    assert second == Key("SINCE", (date(2020, 2, 1),))


def test_search_with_unknown_charset_is_badcharset() -> None:
    with pytest.raises(BadCharset):
        parse(b"a SEARCH CHARSET KOI8-R TEXT x")


def test_store_forms() -> None:
    cmd = parse(b"a UID STORE 1:3 (UNCHANGEDSINCE 7) -FLAGS.SILENT (\\Deleted $Label)")
    spec = cmd.spec
    assert (spec.mode, spec.silent, spec.flags, spec.unchanged_since) == (
        "remove",
        True,
        ("\\Deleted", "$Label"),
        7,
    )
    assert parse(b"a STORE 1 FLAGS \\Seen").spec.flags == ("\\Seen",)
    with pytest.raises(ParseError):
        parse(b"a STORE 1 +FLAGS (\\Recent)")


def test_sequence_sets() -> None:
    seq = parse_sequence("3,1:2,7:*")
    assert seq.ranges == ((3, 3), (1, 2), (7, STAR))
    assert seq.resolve_numbers(8) == [1, 2, 3, 7, 8]
    assert seq.resolve_uids([1, 5, 9, 20]) == [1, 9, 20]
    assert parse_sequence("$").saved
    assert format_set([1, 2, 3, 5, 7, 8]) == "1:3,5,7:8"


def test_list_extended_forms() -> None:
    spec = parse(b'a LIST (SUBSCRIBED) "" ("INBOX" "Sent") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))').spec
    assert spec.selection == {"SUBSCRIBED"} and spec.patterns == ("INBOX", "Sent")
    assert spec.returns == {"CHILDREN", "STATUS"} and spec.status_items == ("MESSAGES", "UNSEEN")
    with pytest.raises(ParseError):
        parse(b'a LIST (RECURSIVEMATCH) "" "*"')


#: RFC 3501 9: ASTRING-CHAR = ATOM-CHAR / resp-specials; ATOM-CHAR is any CHAR but atom-specials
ASTRING_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '(){ %*"\\')


def test_square_brackets_are_atom_chars_outside_fetch_sections() -> None:
    """Issue 15.1: "[" is an ATOM-CHAR and "]" an ASTRING-CHAR; only FETCH sections group brackets."""
    name = "!#$&'+,-.0123456789:;<=>?@^_`|[}"
    assert parse(b"a SELECT " + name.encode()).spec.mailbox == name
    assert parse(b'a LIST "" ' + name.encode() + b"%*").spec.patterns == (name + "%*",)
    assert parse(b"a CREATE a]b[c").spec.mailbox == "a]b[c"
    assert parse(b"a SELECT BODY[").spec.mailbox == "BODY["  # an unclosed section is no section
    assert parse(b"a STATUS x[ (MESSAGES)").spec.mailbox == "x["
    fetch = parse(b"a FETCH 1 (BODY.PEEK[HEADER.FIELDS (X[1] Y)] BINARY.SIZE[1])").spec
    assert fetch.items[0].section.fields == ("X[1]", "Y") and fetch.items[1].name == "BINARY.SIZE"


@settings(max_examples=300, deadline=None)
@given(st.text(ASTRING_CHARS, min_size=1, max_size=40))
def test_every_astring_atom_parses_as_itself(name: str) -> None:
    assert parse(b"a SELECT " + name.encode()).spec.mailbox == name
    assert parse(b'a LIST "" ' + name.encode() + b"%").spec.patterns == (name + "%",)


def test_nesting_depth_is_limited() -> None:
    with pytest.raises(ParseError, match="nested"):
        parse(b"a SEARCH " + b"(" * 40 + b"ALL" + b")" * 40)


def test_unknown_command_and_missing_tag() -> None:
    with pytest.raises(ParseError, match="unknown command"):
        parse(b"a FROBNICATE")
    with pytest.raises(ParseError) as info:
        parse(b"(")
    assert info.value.tag == "*"


# -- fuzz ------------------------------------------------------------------------------------------

IMAP_WORDS = st.sampled_from(
    [b"a1 ", b"UID ", b"FETCH ", b"SEARCH ", b"STORE ", b"1:*", b"(", b")", b"[", b"]", b"{3}\r\n", b"{2+}\r\n",
     b'"q\\"', b"BODY[", b"HEADER.FIELDS (", b"<0.5>", b"OR ", b"NOT ", b"\r\n", b" ", b"*", b"$", b"\\Seen",
     b"CHARSET ", b"RETURN (", b"APPEND INBOX ", b"LIST ", b'"" ', b"\x00", b"\xff"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(IMAP_WORDS, st.binary(max_size=20)), max_size=30))
def test_any_input_gives_commands_or_parse_errors_only(pieces: list[bytes]) -> None:
    reader = Reader(max_line=200, max_literal=50)
    for event in reader.feed(b"".join(pieces) + b"\r\n"):
        if isinstance(event, CommandLine):
            try:
                parse_command(event)
            except ParseError as exc:
                assert exc.text and (exc.tag == "*" or " " not in exc.tag)


def test_reader_counts_the_bytes_of_the_current_command_only() -> None:
    # what the connection compares with command_limit under COMPRESS=DEFLATE (issue 9 item 6)
    reader = Reader(max_literal=100)
    assert reader.command_limit == reader.max_line + 100 + 64 * 1024
    reader.feed(b"a NOOP\r\nb APPEND x {10+}\r\n01234")
    assert reader.command_bytes == len(b"b APPEND x {10+}\r\n01234")
    reader.feed(b"56789\r\nc NO")
    assert reader.command_bytes == len(b"c NO")
    reader.feed(b"OP\r\n")
    assert reader.command_bytes == 0
    reader.feed(b"d APPEND x {500+}\r\n" + b"z" * 300)  # refused, its bytes still count
    assert reader.command_bytes == len(b"d APPEND x {500+}\r\n") + 300
