"""Atoms with every ATOM-CHAR (RFC 3501 9) where the grammar takes an atom, end to end: a keyword is a
flag-keyword = atom, so "[", "}", "," and "/" belong in it like any other ATOM-CHAR (issue 15.1); the
mailbox-name cases are in test_select.py, test_list.py and test_list_transcript.py."""

from __future__ import annotations

import re

from tests.sidecars.imap.conftest import Raw, plain

#: every ATOM-CHAR: printable ASCII but the atom-specials ( ) { SP % * " \ ]
EVERY_ATOM_CHAR = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '(){ %*"\\]')


def test_keyword_with_every_atom_char_is_stored_fetched_and_searched(client: Raw, folder: str) -> None:
    client.append(folder, plain("one"))
    client.select(folder)
    for keyword in (EVERY_ATOM_CHAR, "a[b", "x}", "1,2", "to/do"):
        reply = client.command(f"STORE 1 +FLAGS ({keyword})")
        assert reply.ok, (keyword, reply)
        (line,) = client.command("FETCH 1 FLAGS").named("FETCH")
        # read by hand: the suite's response parser takes any "[" for a BODY[...] section
        found = re.fullmatch(rb"\* 1 FETCH \(FLAGS \(([^()]*)\)\)", line)
        assert found and keyword.encode() in found.group(1).split(b" "), (keyword, line)
        assert client.command(f"SEARCH KEYWORD {keyword}").named("SEARCH") == [b"* SEARCH 1"], keyword


def test_a_close_bracket_is_not_a_keyword_character(client: Raw, folder: str) -> None:
    client.append(folder, plain("one"))
    client.select(folder)
    assert client.command("STORE 1 +FLAGS (a]b)").status == "BAD"  # "]" is a resp-special, not an ATOM-CHAR
    assert client.command("NOOP").ok
