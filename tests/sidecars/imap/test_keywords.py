"""Keywords over a real socket (RFC 3501 7.2.6, 7.1, 4.5): a keyword new to the mailbox is listed in
FLAGS (and PERMANENTFLAGS) before any FETCH shows it, in the session that set it and in every other
session with the mailbox selected; NIL is refused as a keyword. Byte-exact transcripts of the same
cases are in test_transcript_flags_modseq.py."""

from __future__ import annotations

import imaplib
import re
from collections.abc import Callable

import pytest

from tests.sidecars.imap.conftest import ImapService, Raw, plain

SYSTEM = b"\\Answered \\Flagged \\Deleted \\Seen \\Draft"


@pytest.fixture
def box(client: Raw, folder: str) -> Raw:
    for n in range(3):
        client.append(folder, plain(f"k{n}"))
    client.select(folder)
    return client


def first_index(lines: list[bytes], pattern: bytes) -> int:
    return next(i for i, line in enumerate(lines) if re.match(pattern, line))


def test_store_sends_flags_then_permanentflags_then_fetch(box: Raw) -> None:
    reply = box.command("STORE 2 +FLAGS ($Work)")
    assert reply.ok, reply
    assert reply.untagged == [
        b"* FLAGS (" + SYSTEM + b" $Work)",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Work \\*)] "
        b"flags the session may change",
        b"* 2 FETCH (FLAGS (\\Recent $Work))",
    ]
    assert box.command("STORE 3 +FLAGS ($Work)").untagged == [b"* 3 FETCH (FLAGS (\\Recent $Work))"]


def test_other_session_learns_the_keyword_before_the_fetch(
    box: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    other = connect(account)
    other.select(folder)
    assert box.command("STORE 1 +FLAGS.SILENT ($Urgent)").ok
    reply = other.noop_until(lambda lines: any(re.match(rb"\* 1 FETCH ", line) for line in lines))
    flags_at = first_index(reply.untagged, rb"\* FLAGS \(.*\$Urgent")
    assert flags_at < first_index(reply.untagged, rb"\* 1 FETCH \(FLAGS \(\$Urgent\)\)"), reply


def test_appended_keyword_reaches_the_other_session_before_exists(
    box: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    other = connect(account)
    other.select(folder)
    box.append(folder, plain("k3"), flags="$Later")
    reply = other.noop_until(lambda lines: b"* 4 EXISTS" in lines)
    assert first_index(reply.untagged, rb"\* FLAGS \(.*\$Later") < reply.untagged.index(b"* 4 EXISTS")
    fetched = other.command("FETCH 4 FLAGS")
    assert fetched.untagged == [b"* 4 FETCH (FLAGS ($Later))"], fetched  # already announced


def test_imaplib_sees_the_new_keyword_in_flags(
    imap_service: ImapService, account: str, box: Raw, folder: str
) -> None:
    client = imap_service.imaplib(account)
    try:
        client.select(folder)
        status, _ = client.store("1", "+FLAGS", "($Todo)")
        assert status == "OK"
        _, flags = client.response("FLAGS")
        assert flags and b"$Todo" in flags[-1], flags  # the FLAGS response came with the STORE
        with pytest.raises(imaplib.IMAP4.error, match="NIL is not a keyword"):
            client.store("1", "+FLAGS", "(NIL)")
        _, data = client.fetch("1", "(FLAGS)")
        assert b"NIL" not in data[0]  # type: ignore[operator]
    finally:
        client.logout()


def test_nil_keyword_is_bad_for_store_and_append(box: Raw, folder: str) -> None:
    reply = box.command("STORE 1 +FLAGS (NIL)")
    assert reply.status == "BAD" and b"NIL is not a keyword" in reply.tagged, reply
    refused = box.literal_command(f"APPEND {folder} (\\Seen nil)", plain("k4"))
    assert refused.status == "BAD", refused
    assert box.command("FETCH 1:* FLAGS").untagged == [
        b"* 1 FETCH (FLAGS (\\Recent))",
        b"* 2 FETCH (FLAGS (\\Recent))",
        b"* 3 FETCH (FLAGS (\\Recent))",
    ]
