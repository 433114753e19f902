"""Modified UTF-7 mailbox names (RFC 3501 section 5.1.3): RFC examples, strictness, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecars.imap import mutf7

# (Unicode name, wire spelling); every pair is checked in both directions.
PAIRS = [
    ("", ""),
    ("INBOX", "INBOX"),
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501 5.1.3 example
    ("☺!", "&Jjo-!"),
    ("&", "&-"),
    ("Tom & Jerry", "Tom &- Jerry"),
    ("&&", "&-&-"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("Gelöschte Elemente", "Gel&APY-schte Elemente"),
    ("Корзина", "&BBoEPgRABDcEOAQ9BDA-"),
    ("é&é", "&AOk-&-&AOk-"),
    ("tab\there", "tab&AAk-here"),  # control characters are not printable ASCII, so they shift
    ("\x7f", "&AH8-"),
    ("𝄞 music", "&2DTdHg- music"),  # astral plane: a UTF-16 surrogate pair inside one shift
    ("a-b", "a-b"),
    ("~", "~"),
]


@pytest.mark.parametrize(("name", "wire"), PAIRS)
def test_encode_matches_wire_form(name: str, wire: str) -> None:
    assert mutf7.encode(name) == wire


@pytest.mark.parametrize(("name", "wire"), PAIRS)
def test_decode_matches_unicode_form(name: str, wire: str) -> None:
    assert mutf7.decode(wire) == name


MALFORMED = [
    ("&Jjo!", "unterminated"),  # RFC 3501 5.1.3: not terminated with "-"
    ("&U,BTFw-&ZeVnLIqe-", "adjacent"),  # RFC 3501 5.1.3: two shifts in a row
    ("&AGE-", "not minimal"),  # "a" must represent itself
    ("&ACY-", "not minimal"),  # "&" must be "&-", never base64
    ("&AGEA6Q-", "not minimal"),  # "aé": the "a" part is printable
    ("&", "unterminated"),
    ("abc&", "unterminated"),
    ("&AOk", "unterminated"),
    ("&AO/-", "invalid modified base64"),  # "/" is "," in modified base64
    ("&AO=-", "invalid modified base64"),
    ("&A-", "whole UTF-16"),
    ("&AOkA-", "whole UTF-16"),
    ("&AOl-", "padding bits"),  # low bits of the last base64 character must be zero
    ("&2DQ-", "UTF-16"),  # a lone high surrogate
    ("&3R4-", "UTF-16"),  # a lone low surrogate
    ("Entwürfe", "must be encoded"),  # raw non-ASCII (8-bit) is not modified UTF-7
    ("a\tb", "must be encoded"),
    ("a\x00b", "must be encoded"),
]


@pytest.mark.parametrize(("wire", "reason"), MALFORMED)
def test_decode_rejects_malformed_with_a_reason(wire: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        mutf7.decode(wire)


def test_encode_rejects_lone_surrogates() -> None:
    with pytest.raises(ValueError):
        mutf7.encode("bad\udc80")


# Any Unicode string without lone surrogates is a possible folder name.
names = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@given(names)
def test_round_trip(name: str) -> None:
    wire = mutf7.encode(name)
    assert mutf7.decode(wire) == name


@given(names)
def test_wire_form_is_printable_ascii_and_canonical(name: str) -> None:
    wire = mutf7.encode(name)
    assert all(0x20 <= ord(c) <= 0x7E for c in wire)
    assert mutf7.encode(mutf7.decode(wire)) == wire


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30))
def test_decode_accepts_only_the_canonical_spelling(wire: str) -> None:
    """Any printable ASCII string either fails to decode or re-encodes to itself exactly."""
    try:
        name = mutf7.decode(wire)
    except ValueError:
        return
    assert mutf7.encode(name) == wire


@given(st.text(st.sampled_from("&-AOk,+/BU9x"), max_size=20))
def test_decode_of_shift_soup_is_canonical_or_rejected(wire: str) -> None:
    try:
        name = mutf7.decode(wire)
    except ValueError:
        return
    assert mutf7.encode(name) == wire
