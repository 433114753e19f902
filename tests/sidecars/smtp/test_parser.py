"""sidecars.smtp.parser: command grammar, addresses, parameters, the line reader and the DATA decoder."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.header_block import header_fields
from sidecars.smtp import parser as P
from sidecars.smtp import replies as R


def parse(line: str | bytes) -> P.Command:
    return P.parse_command(line.encode() if isinstance(line, str) else line)


def error(line: str | bytes) -> R.Reply:
    with pytest.raises(P.ParseError) as info:
        parse(line)
    return info.value.reply


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("EHLO mail.example.net", P.Ehlo("mail.example.net")),
        ("helo [192.0.2.1]", P.Helo("[192.0.2.1]")),
        ("MAIL FROM:<>", P.MailFrom("", {})),
        ("mail from: <A@Example.NET>", P.MailFrom("A@example.net", {})),
        (
            "MAIL FROM:<a@b.example> SIZE=1000 BODY=8bitmime RET=hdrs ENVID=x+2By AUTH=<>",
            P.MailFrom(
                "a@b.example",
                {"SIZE": 1000, "BODY": "8BITMIME", "RET": "HDRS", "ENVID": "x+2By", "AUTH": "<>"},
            ),
        ),
        ('MAIL FROM:<"john doe"@b.example>', P.MailFrom('"john doe"@b.example', {})),
        ('MAIL FROM:<"plain"@b.example>', P.MailFrom("plain@b.example", {})),
        ('MAIL FROM:<"a\\"b>c"@b.example>', P.MailFrom('"a\\"b>c"@b.example', {})),
        ("MAIL FROM:<@relay1.example,@relay2.example:u@b.example>", P.MailFrom("u@b.example", {})),
        ("MAIL FROM:<ü@b.example> SMTPUTF8", P.MailFrom("ü@b.example", {"SMTPUTF8": True})),
        ("RCPT TO:<postmaster>", P.RcptTo("postmaster", {})),
        ("RCPT TO:<u@[IPv6:2001:DB8::1]>", P.RcptTo("u@[IPv6:2001:db8::1]", {})),
        (
            "RCPT TO:<u@b.example> NOTIFY=failure,delay ORCPT=rfc822;u@b.example",
            P.RcptTo("u@b.example", {"NOTIFY": ("FAILURE", "DELAY"), "ORCPT": "rfc822;u@b.example"}),
        ),
        ("DATA", P.Data()),
        ("BDAT 0 LAST", P.Bdat(0, True)),
        ("bdat 42", P.Bdat(42, False)),
        ("RSET ", P.Rset()),
        ("NOOP anything", P.Noop()),
        ("HELP mail", P.Help("mail")),
        ("QUIT", P.Quit()),
        ("VRFY alice", P.Vrfy("alice")),
        ("EXPN staff", P.Expn("staff")),
        ("STARTTLS", P.StartTls()),
        ("AUTH plain", P.Auth("PLAIN", None)),
        ("AUTH PLAIN =", P.Auth("PLAIN", b"")),
        ("AUTH PLAIN AGFsaWNlAHB3", P.Auth("PLAIN", b"\0alice\0pw")),
    ],
)
def test_commands(line: str, command: P.Command) -> None:
    assert parse(line) == command


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("WHAT", R.UNKNOWN_COMMAND),
        ("MAIL FROM:<ü@b.example>", R.UTF8_REQUIRED),
        ("MAIL FROM:<a@b.example> SIZE=big", R.BAD_PARAMETER.format(text="SIZE must be a number of octets")),
        ("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", R.BAD_PARAMETER.format(text="parameter SIZE given twice")),
        ("MAIL FROM:<a@b.example> SMTPUTF8=yes", R.BAD_PARAMETER.format(text="SMTPUTF8 takes no value")),
        ("MAIL FROM:<a@b.example> NOTIFY=NEVER", R.UNSUPPORTED_PARAMETER.format(name="NOTIFY")),
        ("RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS", R.BAD_PARAMETER.format(text="NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY")),
        ("RCPT TO:<a@b.example> ORCPT=nosemicolon", R.BAD_PARAMETER.format(text="ORCPT must be addr-type;address")),
        ("MAIL FROM:<a@b.example> ENVID=" + "x" * 101, R.BAD_PARAMETER.format(text="ENVID must be xtext of at most 100 characters")),
        ("MAIL FROM:<a b@c.example>", R.BAD_SENDER_SYNTAX.format(text="bad local part 'a b'")),
        ("MAIL FROM:<a@-bad.example>", R.BAD_SENDER_SYNTAX.format(text="bad domain '-bad.example'")),
        ("MAIL FROM:<a@b.example", R.BAD_SENDER_SYNTAX.format(text="missing > after the address")),
        ("MAIL FROM:<" + "a" * 65 + "@b.example>", R.BAD_SENDER_SYNTAX.format(text="local part longer than 64 octets")),
        ("RCPT TO:<>", R.BAD_RECIPIENT_SYNTAX.format(text="empty recipient")),
        ("RCPT TO:<u@[300.1.1.1]>", R.BAD_RECIPIENT_SYNTAX.format(text="bad address literal [300.1.1.1]")),
        ("RCPT TO:<u@b.example>junk", R.SYNTAX.format(usage="RCPT TO:<address> [parameters]")),
        ("BDAT", R.SYNTAX.format(usage="BDAT <size> [LAST]")),
        ("BDAT 10 FIRST", R.SYNTAX.format(usage="BDAT <size> [LAST]")),
        ("AUTH PLAIN ***", R.BAD_BASE64),
        ("QUIT now", R.SYNTAX.format(usage="QUIT")),
        ("VRFY", R.SYNTAX.format(usage="VRFY <string>")),
        (b"NOOP\x00", R.NUL_IN_COMMAND),
        (b"NOOP \xc3", R.BAD_ENCODING),
        ("NOOP " + "x" * 510, R.LINE_TOO_LONG),
    ],
)  # fmt: skip
def test_errors(line: str | bytes, reply: R.Reply) -> None:
    assert error(line) == reply


def test_auth_lines_may_be_longer_than_other_commands() -> None:
    token = "QUFB" * 1000
    assert parse(f"AUTH PLAIN {token}") == P.Auth("PLAIN", b"AAA" * 1000)


def test_line_reader_limits_and_line_endings() -> None:
    reader = P.LineReader(limit=16)
    reader.feed(b"ONE\r\nTWO\nTHREE-IS-FAR-TOO-LONG")
    assert reader.next_line() == P.Line(b"ONE", False, False)
    assert reader.next_line() == P.Line(b"TWO", True, False)
    assert reader.next_line() is None
    assert len(reader) <= 16
    reader.feed(b"-STILL\r\nFOUR\r")
    assert reader.next_line() == P.Line(b"", False, True)
    assert reader.next_line() is None
    reader.feed(b"\nrest")
    assert reader.next_line() == P.Line(b"FOUR", False, False)
    assert reader.take(2) == b"re" and reader.take_rest() == b"st"


def test_line_of_exactly_the_limit_passes() -> None:
    reader = P.LineReader(limit=10)
    reader.feed(b"12345678\r\n123456789\r\n")
    assert reader.next_line() == P.Line(b"12345678", False, False)
    assert reader.next_line() == P.Line(b"", False, True)


def test_data_decoder_unstuffs_and_stops_at_the_end_marker() -> None:
    d = P.DataDecoder()
    chunk = d.feed(b"..one\r\ntwo\r\n..\r\n.\r\nQUIT\r\n")
    assert chunk == P.DataChunk(b".one\r\ntwo\r\n.\r\n", True, b"QUIT\r\n")


def test_data_decoder_empty_message_and_bare_lf_dot() -> None:
    assert P.DataDecoder().feed(b".\r\n") == P.DataChunk(b"", True, b"")
    d = P.DataDecoder()
    first = d.feed(b"a\n.\nb\r\n.\r\n")
    assert first == P.DataChunk(b"a\r\n.\r\nb\r\n", True, b"") and d.bare_lf == 2


def test_data_decoder_long_lines_are_flushed_without_losing_bytes() -> None:
    d = P.DataDecoder()
    body = b"." + b"x" * 20000 + b"\r\n"
    out = d.feed(body[:15000]).body + d.feed(body[15000:] + b".\r\n").body
    assert out == body[1:]


def test_header_fields_unfold() -> None:
    raw = b"Received: from a\r\n\tby b; date\r\nSubject: hi\r\n\r\nReceived: not a header\r\n"
    assert header_fields(raw) == [("Received", "from a by b; date"), ("Subject", "hi")]


def test_normalise_line_endings() -> None:
    assert P.normalise_line_endings(b"a\nb\r\nc\n") == (b"a\r\nb\r\nc\r\n", 2)


# -- properties ---------------------------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.binary(max_size=600))
def test_fuzz_parse_command_raises_only_parse_error(data: bytes) -> None:
    try:
        P.parse_command(data)
    except P.ParseError as exc:
        assert 500 <= exc.reply.code < 600


_VERBS = ["EHLO ", "MAIL FROM:", "RCPT TO:", "BDAT ", "AUTH ", "VRFY ", "MAIL FROM:<", "RCPT TO:<"]


@settings(max_examples=500)
@given(st.sampled_from(_VERBS), st.text(max_size=120))
def test_fuzz_commands_with_plausible_prefixes(verb: str, rest: str) -> None:
    with contextlib.suppress(P.ParseError):
        P.parse_command((verb + rest).encode("utf-8", "surrogatepass"))


@given(st.lists(st.binary(max_size=300), max_size=8), st.integers(min_value=8, max_value=600))
def test_fuzz_line_reader_never_raises_and_bounds_memory(chunks: list[bytes], limit: int) -> None:
    reader = P.LineReader(limit=limit)
    for chunk in chunks:
        reader.feed(chunk)
        while (line := reader.next_line()) is not None:
            assert line.too_long or len(line.data) + 1 <= limit
        assert len(reader) < limit + 300


_LINES = st.lists(st.text(alphabet=st.sampled_from(list("ab.\r \x00é")), max_size=12), max_size=10)


@given(_LINES, st.data())
def test_dot_stuffing_round_trips_in_any_chunking(lines: list[str], data: st.DataObject) -> None:
    body = "".join(line.replace("\r", "") + "\r\n" for line in lines).encode()
    wire = P.dot_stuff(body) + b"NEXT"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    decoder = P.DataDecoder()
    out, rest, start = b"", b"", 0
    for end in [*cuts, len(wire)]:
        chunk = decoder.feed(wire[start:end])
        out += chunk.body
        rest += chunk.rest
        start = max(start, end)
    assert decoder.done and out == body and rest == b"NEXT"


@given(st.binary(max_size=2000), st.integers(1, 64))
def test_fuzz_data_decoder_never_raises(data: bytes, step: int) -> None:
    decoder = P.DataDecoder()
    for i in range(0, len(data), step):
        decoder.feed(data[i : i + step])
