"""Address lists as RFC 3501 7.4.2 ENVELOPE addresses, and their decoded search text (issue 15, items 5-6).

The oracle is RFC 3501's address grammar (section 9: addr-name and addr-mailbox hold the phrase and
local part "after removing RFC 2822 quoting"; a group is a start marker whose addr-mailbox is the
group name and an all-NIL end marker), RFC 2047 6.2 (encoded words are decoded by the reader, so
ENVELOPE keeps them) and the common reading of ``user@domain (Real Name)``.
"""

from __future__ import annotations

import pytest

from storage.mime import Address, address_list_text, envelope_structure, parse_message
from storage.mime.addresses import address_string

START, END = Address(None, None, "Team", None), Address(None, None, None, None)


def addresses(header: str) -> tuple[Address, ...]:
    return parse_message(f"To: {header}\r\n\r\n".encode()).envelope.to


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # a trailing comment names an addr-spec mailbox, as the angle form does
        ("user@domain (Real Name)", [("Real Name", None, "user", "domain")]),
        ("Real Name <user@domain>", [("Real Name", None, "user", "domain")]),
        ("user@domain ( Real Name )", [("Real Name", None, "user", "domain")]),
        ("user@domain (first) (Real Name)", [("Real Name", None, "user", "domain")]),
        ("user@domain (Real \\(x\\) (nested) Name)", [("Real (x) (nested) Name", None, "user", "domain")]),
        ("user@domain ()", [(None, None, "user", "domain")]),
        ("(before) user@domain", [(None, None, "user", "domain")]),  # a leading comment is not a name
        ("Real <user@domain> (comment)", [("Real", None, "user", "domain")]),  # the phrase wins
        ("a@x (One), b@y (Two)", [("One", None, "a", "x"), ("Two", None, "b", "y")]),
        # comments inside the phrase are dropped
        ("John (the man) Smith <j@x>", [("John Smith", None, "j", "x")]),
        # RFC 2047 words stay encoded (RFC 2047 6.2); an encoded word with a comma is one word
        ("=?utf-8?q?M=C3=BCller?= <m@x>", [("=?utf-8?q?M=C3=BCller?=", None, "m", "x")]),
        ("=?utf-8?q?Doe,_John?= <j@x>", [("=?utf-8?q?Doe,_John?=", None, "j", "x")]),
        ("j@x (=?utf-8?q?J=C3=B6rg?=)", [("=?utf-8?q?J=C3=B6rg?=", None, "j", "x")]),
        ('"=?utf-8?q?a?=" <a@x>', [("=?utf-8?q?a?=", None, "a", "x")]),
        # quoting removed from names and local parts (RFC 3501 9)
        ('"Doe, John \\"JD\\"" <"john doe"@x>', [('Doe, John "JD"', None, "john doe", "x")]),
        ('"odd@name"@x', [(None, None, "odd@name", "x")]),
        # groups: start marker (group name), members, end marker
        (
            "undisclosed-recipients:;",
            [(None, None, "undisclosed-recipients", None), (None, None, None, None)],
        ),
        (
            "Team: a@x, Bee <b@y>;, c@z",
            [
                (None, None, "Team", None),
                (None, None, "a", "x"),
                ("Bee", None, "b", "y"),
                (None, None, None, None),
                (None, None, "c", "z"),
            ],
        ),
        (
            '"The Team": a@x (Ay)',
            [(None, None, "The Team", None), ("Ay", None, "a", "x"), (None, None, None, None)],
        ),
        ("<@relay.example:route@example.net>", [(None, "@relay.example", "route", "example.net")]),
    ],
)
def test_envelope_addresses(header: str, expected: list[tuple[str | None, ...]]) -> None:
    assert [
        tuple(a) for a in envelope_structure(parse_message(f"From: {header}\r\n\r\n".encode()).envelope)[2]
    ] == [tuple(e) for e in expected]


def test_comment_name_gives_the_same_envelope_as_the_angle_form() -> None:
    assert addresses("user@domain (Real Name)") == addresses("Real Name <user@domain>")


def test_from_display_and_addr_columns_use_the_comment_name_and_requote() -> None:
    parsed = parse_message(b'From: "john doe"@x (John)\r\nTo: "a b"@y, c@z\r\n\r\n')
    assert parsed.from_display == "John"
    assert parsed.from_addr == '"john doe"@x'
    assert parsed.to_addrs == ('"a b"@y', "c@z")


def test_address_string_quotes_only_what_needs_it() -> None:
    assert address_string(Address(None, None, "a.b+c", "x")) == "a.b+c@x"
    assert address_string(Address(None, None, "jörg", "x")) == "jörg@x"  # RFC 6532
    assert address_string(Address(None, None, 'a "b"', "x")) == '"a \\"b\\""@x'
    assert address_string(Address(None, None, "a..b", "x")) == '"a..b"@x'
    assert address_string(START) is None and address_string(END) is None


@pytest.mark.parametrize(
    ("header", "text"),
    [
        ("user@domain (Real Name)", "Real Name <user@domain>"),
        ("=?utf-8?q?M=C3=BCller,_Hans?= <m@x>", "Müller, Hans <m@x>"),
        ("j@x (=?utf-8?b?SsO2cmc=?=)", "Jörg <j@x>"),
        ("a@x, B <b@y>", "a@x, B <b@y>"),
        ("Team: a@x, b@y;, c@z", "Team: a@x, b@y;, c@z"),
        ("undisclosed-recipients:;", "undisclosed-recipients:;"),
        ('"a b"@x', '"a b"@x'),
        ("", ""),
    ],
)
def test_address_list_text_is_the_decoded_header_form(header: str, text: str) -> None:
    assert address_list_text(addresses(header)) == text
