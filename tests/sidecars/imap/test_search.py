"""SEARCH and UID SEARCH (RFC 3501 6.4.4, 7.2.5): every key family, CHARSET UTF-8 with diacritics, decoded
header matching, BADCHARSET, syntax errors, and the exact ``* SEARCH`` reply."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.sidecars.imap.conftest import MULLER, MULTIPART, ImapService, Raw, fetches, plain

BIG_BODY = "lorem ipsum dolor sit amet " * 80  # about 2 KB


def fill(conn: Raw, folder: str) -> None:
    """1: seen plain "alpha report" (01-Nov), 2: MULLER (03-Nov), 3: MULTIPART (05-Nov),
    4: big, flagged and deleted (05-Nov)."""
    conn.append(folder, plain("alpha report", "the quick brown fox"), "\\Seen", "01-Nov-2026 12:00:00 +0000")
    conn.append(folder, MULLER, date="03-Nov-2026 12:00:00 +0000")
    conn.append(folder, MULTIPART, date="05-Nov-2026 12:00:00 +0000")
    conn.append(folder, plain("beta", BIG_BODY), "\\Flagged \\Deleted", "05-Nov-2026 12:00:00 +0000")


@pytest.fixture(scope="module")
def shared_box(imap_service: ImapService, worker_account: str) -> Iterator[Raw]:
    """The four messages once per module, EXAMINEd (read-only) by one connection the read-only tests share."""
    conn = imap_service.login(worker_account)
    folder = f"S{secrets.token_hex(4)}"
    assert conn.command(f"CREATE {folder}").ok
    fill(conn, folder)
    assert conn.command(f"EXAMINE {folder}").ok
    yield conn
    conn.close()


@pytest.fixture
def box(client: Raw, folder: str) -> Raw:
    """The same four messages in the test's own folder, selected read-write."""
    fill(client, folder)
    client.select(folder)
    return client


def search(conn: Raw, criteria: str | bytes) -> list[int]:
    body = criteria.encode() if isinstance(criteria, str) else criteria
    reply = conn.command(b"SEARCH " + body)
    assert reply.ok, reply
    (line,) = reply.named("SEARCH")
    return [int(n) for n in line.split()[2:]]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("ALL", [1, 2, 3, 4]),
        ("SEEN", [1]),
        ("UNSEEN", [2, 3, 4]),
        ("FLAGGED", [4]),
        ("DELETED", [4]),
        ("UNDELETED", [1, 2, 3]),
        ("ANSWERED", []),
        ("SUBJECT report", [1, 3]),
        ("SUBJECT REPORT", [1, 3]),
        ("FROM juergen", [2]),
        ("TO bob", [1, 3, 4]),
        ("CC carol", [3]),
        ("BODY fox", [1]),
        ("BODY FOX", [1]),
        ("TEXT carol", [3]),
        ("TEXT fox", [1]),
        ("LARGER 1500", [4]),
        ("SMALLER 400", [1, 2]),
        ("OR SEEN FLAGGED", [1, 4]),
        ("NOT SEEN", [2, 3, 4]),
        ("(SEEN) UNFLAGGED", [1]),
        ("2:3", [2, 3]),
        ("*", [4]),
        ("3:*", [3, 4]),
        ("2,4 UNDELETED", [2]),
        ('HEADER Message-ID "<mueller-1@example.org>"', [2]),
        ('HEADER Cc ""', [3]),
        ('HEADER X-Not-There ""', []),
        ("BEFORE 03-Nov-2026", [1]),
        ("ON 05-Nov-2026", [3, 4]),
        ("SINCE 03-Nov-2026", [2, 3, 4]),
        ("SENTBEFORE 03-Nov-2026", [1, 3, 4]),
        ("SENTON 03-Nov-2026", [2]),
        ("SENTSINCE 04-Nov-2026", []),
        ("NOT OR SUBJECT beta FROM juergen", [1, 3]),
    ],
)
def test_search_keys(shared_box: Raw, criteria: str, expected: list[int]) -> None:
    assert search(shared_box, criteria) == expected


def test_no_match_is_a_bare_search_line(box: Raw) -> None:
    reply = box.command("SEARCH SUBJECT nothing-matches-this")
    assert reply.named("SEARCH") == [b"* SEARCH"]  # RFC 3501 7.2.5: no trailing space


def test_exact_reply_bytes(box: Raw) -> None:
    assert box.command("SEARCH UNSEEN").named("SEARCH") == [b"* SEARCH 2 3 4"]


def test_utf8_subject_with_literal(box: Raw) -> None:
    word = "Müller".encode()
    tag = box.next_tag()
    box.send(tag.encode() + b" SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(word))
    assert box.read_line().startswith(b"+")
    box.send(word + b"\r\n")
    reply = box.until_tagged(tag)
    assert reply.ok and reply.named("SEARCH") == [b"* SEARCH 2"], reply  # encoded words are decoded


def search_utf8(conn: Raw, key: str, word: str) -> list[int]:
    """``SEARCH CHARSET UTF-8 KEY {n}`` + the word: 8-bit text goes in a literal (RFC 3501 9)."""
    reply = conn.literal_command(f"SEARCH CHARSET UTF-8 {key}", word.encode())
    assert reply.ok, reply
    (line,) = reply.named("SEARCH")
    return [int(n) for n in line.split()[2:]]


def test_utf8_from_display_name_and_body(box: Raw) -> None:
    assert search_utf8(box, "FROM", "Jürgen") == [2]
    assert search_utf8(box, "BODY", "Köln") == [2]
    assert search_utf8(box, "TEXT", "müller") == [2]  # case-insensitive beyond ASCII


def test_search_without_diacritics_finds_them(box: Raw) -> None:
    """Issue 5: search through the full-text index folds diacritics, so "muller" finds "Müller"."""
    assert search(box, "CHARSET UTF-8 SUBJECT muller") == [2]
    assert search(box, "CHARSET UTF-8 BODY koln") == [2]


def test_unknown_charset_is_no_badcharset(box: Raw) -> None:
    reply = box.command("SEARCH CHARSET X-KLINGON SUBJECT x")
    assert reply.status == "NO", reply  # RFC 3501 6.4.4: NO, not BAD
    assert b"[BADCHARSET" in reply.tagged


@pytest.mark.parametrize("criteria", ["FOOBAR", "SINCE yesterday", "LARGER x", "OR SEEN", "(SEEN", "HEADER"])
def test_bad_syntax_is_bad(box: Raw, criteria: str) -> None:
    assert box.command(f"SEARCH {criteria}").status == "BAD"
    assert box.command("NOOP").ok


def test_uid_search_returns_uids(box: Raw) -> None:
    uids = {seq: items["UID"] for seq, items in fetches(box.command("FETCH 1:* UID")).items()}
    reply = box.command("UID SEARCH UNSEEN")
    (line,) = reply.named("SEARCH")
    assert [int(n) for n in line.split()[2:]] == [uids[2], uids[3], uids[4]]
    assert search(box, f"UID {uids[3]}") == [3]
    assert search(box, f"UID {uids[2]}:*") == [2, 3, 4]


def test_keyword_and_unkeyword(box: Raw) -> None:
    box.command("STORE 2 +FLAGS.SILENT (Project)")
    assert search(box, "KEYWORD Project") == [2]
    assert search(box, "UNKEYWORD Project") == [1, 3, 4]


def test_imapclient_search_with_unicode(
    imap_service: ImapService, account: str, box: Raw, folder: str
) -> None:
    with imap_service.imapclient(account) as c:
        c.select_folder(folder, readonly=True)
        assert len(c.search(["SUBJECT", "Müller"], charset="UTF-8")) == 1
        assert len(c.search(["UNSEEN"])) == 3


def test_larger_and_smaller_are_strict(box: Raw) -> None:
    size = fetches(box.command("FETCH 2 RFC822.SIZE"))[2]["RFC822.SIZE"]
    assert 2 not in search(box, f"LARGER {size}") and 2 in search(box, f"LARGER {size - 1}")  # type: ignore[operator]
    assert 2 not in search(box, f"SMALLER {size}") and 2 in search(box, f"SMALLER {size + 1}")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("BODY uick", [1]),  # inside a word
        ('BODY "brown fox"', [1]),
        ('BODY "fox brown"', []),  # both words occur, but not as this string
        ('TEXT "boundary=\\"XYZ\\""', [3]),  # a header line of message 3
        ("TEXT multi-1@example", [3]),  # Message-ID header
        ("SUBJECT eport", [1, 3]),
    ],
)
def test_string_keys_match_substrings(shared_box: Raw, criteria: str, expected: list[int]) -> None:
    """RFC 3501 6.4.4: "a message matches the key if the string is a substring of the field" (case-
    insensitively) - not word or token matching; TEXT covers the header as well as the body."""
    assert search(shared_box, criteria) == expected


def test_two_literals_in_one_search(box: Raw) -> None:
    tag = box.next_tag()
    box.send(f"{tag} SEARCH CHARSET UTF-8 SUBJECT {{7}}\r\n".encode())
    assert box.read_line().startswith(b"+")
    box.send("Müller".encode() + b" FROM {7}\r\n")
    assert box.read_line().startswith(b"+")
    box.send("Jürgen".encode() + b"\r\n")
    assert box.until_tagged(tag).named("SEARCH") == [b"* SEARCH 2"]
