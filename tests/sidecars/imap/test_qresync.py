"""QRESYNC (RFC 7162 3.2): ENABLE, SELECT with the QRESYNC parameter (VANISHED (EARLIER) and changed flags),
VANISHED instead of EXPUNGE once enabled, UID FETCH ... VANISHED, and the CLOSED response code."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.sidecars.imap.conftest import Raw, code_of, fetches, plain


def uid_set(text: str) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        a, b = int(lo), int(hi or lo)
        out.update(range(min(a, b), max(a, b) + 1))
    return out


def vanished(lines: list[bytes], earlier: bool) -> set[int]:
    pattern = rb"\* VANISHED \(EARLIER\) ([\d:,]+)" if earlier else rb"\* VANISHED ([\d:,]+)"
    out: set[int] = set()
    for line in lines:
        if match := re.fullmatch(pattern, line):
            out |= uid_set(match.group(1).decode())
    return out


@pytest.fixture
def history(client: Raw, folder: str) -> tuple[Raw, int, int, list[int]]:
    """Four messages; returns (conn, uidvalidity, modseq before the changes, uids); then flags message 2
    and expunges message 3, so a resync from the old modseq has something to report."""
    for n in range(4):
        client.append(folder, plain(f"q{n}"))
    reply = client.select(folder, " (CONDSTORE)")
    codes = {}
    for line in reply.untagged:
        if line.startswith(b"* OK ["):
            name, _, value = code_of(line).partition(" ")
            codes[name] = value
    uidvalidity, highest = int(codes["UIDVALIDITY"]), int(codes["HIGHESTMODSEQ"])
    uids = [items["UID"] for _, items in sorted(fetches(client.command("FETCH 1:* UID")).items())]
    client.command("STORE 2 +FLAGS.SILENT (\\Flagged)")
    client.command("STORE 3 +FLAGS.SILENT (\\Deleted)")
    client.command("EXPUNGE")
    client.command("UNSELECT")
    return client, uidvalidity, highest, uids  # type: ignore[return-value]


def test_enable_qresync(client: Raw) -> None:
    reply = client.command("ENABLE QRESYNC")
    assert reply.ok and any(b"QRESYNC" in line for line in reply.named("ENABLED")), reply


def test_select_with_qresync_reports_vanished_and_changes(
    history: tuple[Raw, int, int, list[int]], folder: str
) -> None:
    conn, uidvalidity, highest, uids = history
    assert conn.command("ENABLE QRESYNC").ok
    reply = conn.select(folder, f" (QRESYNC ({uidvalidity} {highest}))")
    assert vanished(reply.untagged, earlier=True) == {uids[2]}, reply  # RFC 7162 3.2.5.1
    changed = fetches(reply)
    assert len(changed) == 1, reply
    (items,) = changed.values()
    assert items["UID"] == uids[1] and "\\Flagged" in items["FLAGS"] and "MODSEQ" in items  # type: ignore[operator]


def test_wrong_uidvalidity_gets_no_vanished(history: tuple[Raw, int, int, list[int]], folder: str) -> None:
    conn, uidvalidity, highest, _ = history
    conn.command("ENABLE QRESYNC")
    reply = conn.select(folder, f" (QRESYNC ({uidvalidity + 1} {highest}))")
    assert not vanished(reply.untagged, earlier=True)


def test_qresync_parameter_without_enable_is_bad(
    history: tuple[Raw, int, int, list[int]], folder: str
) -> None:
    conn, uidvalidity, highest, _ = history
    assert conn.command(f"SELECT {folder} (QRESYNC ({uidvalidity} {highest}))").status == "BAD"  # 3.2.5


def test_uid_fetch_vanished(history: tuple[Raw, int, int, list[int]], folder: str) -> None:
    conn, _, highest, uids = history
    conn.command("ENABLE QRESYNC")
    conn.select(folder)
    reply = conn.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {highest} VANISHED)")
    assert reply.ok, reply
    assert vanished(reply.untagged, earlier=True) == {uids[2]}  # RFC 7162 3.2.6
    assert {items["UID"] for items in fetches(reply).values()} == {uids[1]}


def test_expunge_becomes_vanished(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    for n in range(3):
        client.append(folder, plain(f"v{n}"))
    client.command("ENABLE QRESYNC")
    client.select(folder)
    uid = fetches(client.command("FETCH 2 UID"))[2]["UID"]
    client.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    reply = client.command("EXPUNGE")
    assert not reply.named("EXPUNGE") and vanished(reply.untagged, earlier=False) == {uid}, reply  # 3.2.10
    other = connect(account)
    other.select(folder)
    other.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    other.command("EXPUNGE")
    noop = client.noop_until(lambda lines: bool(vanished(lines, earlier=False)))
    assert not noop.named("EXPUNGE") and len(vanished(noop.untagged, earlier=False)) == 1, noop


def test_closed_code_on_implicit_close(client: Raw, folder: str) -> None:
    client.command("ENABLE QRESYNC")
    client.select(folder)
    reply = client.select("INBOX")
    closed = [i for i, line in enumerate(reply.untagged) if line.startswith(b"* OK [CLOSED]")]
    assert closed, reply  # RFC 7162 3.2.11
    exists = [i for i, line in enumerate(reply.untagged) if line.endswith(b" EXISTS")]
    assert closed[0] < exists[0]  # the boundary comes before the new mailbox's data


def test_known_uids_limit_vanished(history: tuple[Raw, int, int, list[int]], folder: str) -> None:
    conn, uidvalidity, highest, uids = history
    conn.command("ENABLE QRESYNC")
    reply = conn.select(folder, f" (QRESYNC ({uidvalidity} {highest} {uids[0]}:{uids[1]}))")
    assert not vanished(reply.untagged, earlier=True), reply  # uids[2] is outside the known UIDs
    assert b"* 3 EXISTS" in reply.untagged


def test_enable_qresync_implies_condstore(client: Raw, folder: str) -> None:
    client.command("ENABLE QRESYNC")
    reply = client.select(folder)
    assert any(line.startswith(b"* OK [HIGHESTMODSEQ ") for line in reply.untagged), reply  # RFC 7162 3.2.3


def test_move_with_qresync_reports_vanished(client: Raw, folder: str) -> None:
    for n in range(2):
        client.append(folder, plain(f"mv{n}"))
    assert client.command(f"CREATE {folder}-to").ok
    client.command("ENABLE QRESYNC")
    client.select(folder)
    uid = fetches(client.command("FETCH 1 UID"))[1]["UID"]
    reply = client.command(f"UID MOVE {uid} {folder}-to")
    assert reply.ok and not reply.named("EXPUNGE"), reply
    assert vanished(reply.untagged, earlier=False) == {uid}  # RFC 6851 4.2 with RFC 7162 3.2.10
