"""SORT and THREAD (RFC 5256) end to end: base-subject extraction, each sort key, REVERSE, several keys,
UID SORT, search criteria, BADCHARSET, and the exact THREAD response for ORDEREDSUBJECT and REFERENCES."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import pytest

from tests.sidecars.imap.conftest import ImapService, Raw, fetches

#: (subject, sent date, from mailbox, body length, internal date); sequence numbers 1..5 in this order.
MESSAGES = [
    ("Re: banana", "Thu, 05 Nov 2026 10:00:00 +0000", "zed", 300, "10-Nov-2026 10:00:00 +0000"),
    ("apple", "Tue, 03 Nov 2026 10:00:00 +0000", "amy", 100, "09-Nov-2026 10:00:00 +0000"),
    ("Fwd: cherry", "Wed, 04 Nov 2026 10:00:00 +0000", "bob", 500, "08-Nov-2026 10:00:00 +0000"),
    ("[list] Re: apple", "Sun, 01 Nov 2026 10:00:00 +0000", "carl", 10, "07-Nov-2026 10:00:00 +0000"),
    ("Banana split", "Mon, 02 Nov 2026 10:00:00 +0000", "dan", 200, "06-Nov-2026 10:00:00 +0000"),
]


def message(subject: str, date: str, sender: str, size: int, extra: str = "") -> bytes:
    return (
        f"From: {sender}@example.org\r\nTo: x@example.test\r\nSubject: {subject}\r\nDate: {date}\r\n{extra}\r\n"
        + "x" * size
        + "\r\n"
    ).encode()


@pytest.fixture(scope="module")
def box(imap_service: ImapService, worker_account: str) -> Iterator[Raw]:
    """The five messages once per module, EXAMINEd by one connection the (read-only) tests share."""
    conn = imap_service.login(worker_account)
    folder = f"S{secrets.token_hex(4)}"
    assert conn.command(f"CREATE {folder}").ok
    for subject, date, sender, size, internal in MESSAGES:
        conn.append(folder, message(subject, date, sender, size), date=internal)
    assert conn.command(f"EXAMINE {folder}").ok
    yield conn
    conn.close()


def sort(conn: Raw, command: str) -> list[int]:
    reply = conn.command(command)
    assert reply.ok, reply
    (line,) = reply.named("SORT")
    return [int(n) for n in line.split()[2:]]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("SUBJECT", [2, 4, 1, 5, 3]),  # apple, apple (seq tie-break), banana, banana split, cherry
        ("DATE", [4, 5, 2, 3, 1]),
        ("REVERSE DATE", [1, 3, 2, 5, 4]),
        ("ARRIVAL", [5, 4, 3, 2, 1]),
        ("FROM", [2, 3, 4, 5, 1]),
        ("DISPLAYFROM", [2, 3, 4, 5, 1]),  # RFC 5957: no display names, so the addresses decide
        ("SIZE", [4, 2, 5, 1, 3]),
        ("SUBJECT DATE", [4, 2, 1, 5, 3]),
        ("REVERSE SUBJECT", [3, 5, 1, 2, 4]),  # ties stay in sequence order (RFC 5256 3)
    ],
)
def test_sort_keys(box: Raw, keys: str, expected: list[int]) -> None:
    assert sort(box, f"SORT ({keys}) UTF-8 ALL") == expected


def test_sort_with_criteria(box: Raw) -> None:
    assert sort(box, "SORT (DATE) UTF-8 SUBJECT apple") == [4, 2]


def test_uid_sort(box: Raw) -> None:
    uids = {seq: items["UID"] for seq, items in fetches(box.command("FETCH 1:* UID")).items()}
    assert sort(box, "UID SORT (DATE) US-ASCII ALL") == [uids[n] for n in (4, 5, 2, 3, 1)]


def test_sort_unknown_charset_and_bad_key(box: Raw) -> None:
    reply = box.command("SORT (DATE) X-UNKNOWN ALL")
    assert reply.status == "NO" and b"[BADCHARSET" in reply.tagged, reply
    assert box.command("SORT (NOSUCHKEY) UTF-8 ALL").status == "BAD"
    assert box.command("SORT () UTF-8 ALL").status == "BAD"  # RFC 5256 5: at least one key


def test_thread_orderedsubject(box: Raw) -> None:
    reply = box.command("THREAD ORDEREDSUBJECT UTF-8 ALL")
    assert reply.ok, reply
    # threads by base subject, ordered by their first message's sent date; one child is not nested
    assert reply.named("THREAD") == [b"* THREAD (4 2)(5)(3)(1)"]


def test_thread_references(client: Raw, folder: str) -> None:
    headers = [
        "Message-ID: <a@x>\r\n",
        "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\n",
        "Message-ID: <c@x>\r\nReferences: <a@x>\r\n",
        "Message-ID: <d@x>\r\nReferences: <a@x> <c@x>\r\n",
        "Message-ID: <e@x>\r\n",
    ]
    subjects = ["topic", "Re: topic", "Re: topic", "Re: topic", "other"]
    for n, (extra, subject) in enumerate(zip(headers, subjects, strict=True), 1):
        client.append(folder, message(subject, f"Sun, 0{n} Nov 2026 10:00:00 +0000", "t", 5, extra))
    client.select(folder)
    reply = client.command("THREAD REFERENCES UTF-8 ALL")
    assert reply.ok, reply
    assert reply.named("THREAD") == [b"* THREAD (1 (2)(3 4))(5)"]  # RFC 5256 4: thread-list grammar


def test_uid_thread(client: Raw, folder: str) -> None:
    for n in range(2):
        client.append(
            folder,
            message("same" if n == 0 else "Re: same", f"Sun, 0{n + 1} Nov 2026 10:00:00 +0000", "t", 5),
        )
    client.select(folder)
    uids = [items["UID"] for _, items in sorted(fetches(client.command("FETCH 1:* UID")).items())]
    reply = client.command("UID THREAD ORDEREDSUBJECT UTF-8 ALL")
    assert reply.named("THREAD") == [f"* THREAD ({uids[0]} {uids[1]})".encode()]


def test_thread_unknown_algorithm_is_bad(box: Raw) -> None:
    assert box.command("THREAD NOSUCHALGO UTF-8 ALL").status in ("BAD", "NO")
    assert box.command("NOOP").ok


def dated(subject: str, day: int, extra: str = "") -> bytes:
    return message(subject, f"Sun, 0{day} Nov 2026 10:00:00 +0000", "t", 1, extra)


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        # RFC 5256 step 5: a reply joins the earlier non-reply with the same base subject ...
        ([dated("topic", 1), dated("Re: topic", 2)], b"* THREAD (1 2)"),
        # ... two non-replies (or two replies) become siblings under a dummy
        ([dated("topic", 1), dated("topic", 2)], b"* THREAD ((1)(2))"),
        ([dated("Re: topic", 1), dated("Re: topic", 2)], b"* THREAD ((1)(2))"),
        # step 1: a duplicate Message-ID is treated as unique; the reply goes to the first holder
        (
            [
                dated("a", 1, "Message-ID: <x@y>\r\n"),
                dated("b", 2, "Message-ID: <x@y>\r\n"),
                dated("c", 3, "In-Reply-To: <x@y>\r\nMessage-ID: <z@y>\r\n"),
            ],
            b"* THREAD (1 3)(2)",
        ),  # fmt: skip
        # step 1: links that would make a loop are not added
        (
            [
                dated("loop", 1, "Message-ID: <p@y>\r\nReferences: <q@y>\r\n"),
                dated("loop", 2, "Message-ID: <q@y>\r\nReferences: <p@y>\r\n"),
            ],
            b"* THREAD (2 1)",
        ),  # fmt: skip
        ([dated("self", 1, "Message-ID: <s@y>\r\nReferences: <s@y>\r\n")], b"* THREAD (1)"),
    ],
)
def test_references_edge_cases(client: Raw, folder: str, messages: list[bytes], expected: bytes) -> None:
    for raw in messages:
        client.append(folder, raw)
    client.select(folder)
    assert client.command("THREAD REFERENCES UTF-8 ALL").named("THREAD") == [expected]


def test_a_hostile_subject_does_not_stall_sort_or_thread(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    """Anyone can send a Subject of 20,000 "[a]" blobs (folded lines); the base subject (RFC 5256 2.1)
    took half a minute of the imap process for it, once per SORT (SUBJECT) or THREAD."""
    subject = "\r\n ".join(" ".join(["[a]"] * 25) for _ in range(800)) + " x"
    client.append(folder, message(subject, "Mon, 02 Nov 2026 10:00:00 +0000", "eve", 10))
    client.append(folder, message("x", "Mon, 02 Nov 2026 11:00:00 +0000", "amy", 10))
    assert client.command(f"SELECT {folder}").ok
    other = connect(account)
    started = time.monotonic()
    client.send(b"S1 SORT (SUBJECT) UTF-8 ALL\r\nS2 THREAD ORDEREDSUBJECT UTF-8 ALL\r\n")
    assert other.command("NOOP").ok
    assert client.until_tagged("S1").untagged == [b"* SORT 1 2"]
    assert client.until_tagged("S2").untagged == [b"* THREAD (1 2)"]
    assert time.monotonic() - started < 5.0  # a hang guard: it takes milliseconds


def test_sort_with_modseq_reports_highestmodseq_then_the_modseq_of_the_found(
    client: Raw, folder: str
) -> None:
    """RFC 7162 3.1 and its sort-data syntax: a MODSEQ criterion turns CONDSTORE on (the first time, with
    the mailbox's HIGHESTMODSEQ first) and the SORT response ends with the highest mod-sequence found."""
    for subject, date, sender, size, internal in MESSAGES[:3]:
        client.append(folder, message(subject, date, sender, size), date=internal)
    selected = client.select(folder)
    (highest,) = [line for line in selected.untagged if line.startswith(b"* OK [HIGHESTMODSEQ ")]
    reply = client.command("SORT (SUBJECT) UTF-8 MODSEQ 1")
    assert reply.ok, reply
    top = max(int(items["MODSEQ"][0]) for items in fetches(client.command("FETCH 1:* MODSEQ")).values())  # type: ignore[index]
    assert reply.untagged == [highest, f"* SORT 2 1 3 (MODSEQ {top})".encode()]
