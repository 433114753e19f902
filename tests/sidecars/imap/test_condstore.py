"""CONDSTORE (RFC 7162 3.1): HIGHESTMODSEQ, MODSEQ in FETCH, CHANGEDSINCE, STORE UNCHANGEDSINCE with the
MODIFIED response code, SEARCH MODSEQ and STATUS HIGHESTMODSEQ."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.sidecars.imap.conftest import Raw, code_of, fetches, plain


@pytest.fixture
def box(client: Raw, folder: str) -> tuple[Raw, int]:
    """Three messages, folder selected with CONDSTORE; returns (conn, HIGHESTMODSEQ at select)."""
    for n in range(3):
        client.append(folder, plain(f"c{n}"))
    reply = client.select(folder, " (CONDSTORE)")
    codes = [code_of(line) for line in reply.untagged if line.startswith(b"* OK [HIGHESTMODSEQ ")]
    assert codes, reply  # RFC 7162 3.1.2.1
    return client, int(codes[0].split()[1])


def modseq(conn: Raw, seq: int) -> int:
    value = fetches(conn.command(f"FETCH {seq} MODSEQ"))[seq]["MODSEQ"]
    assert isinstance(value, list) and len(value) == 1, value  # MODSEQ (n)
    return int(value[0])  # type: ignore[arg-type]


def test_fetch_modseq_and_highestmodseq(box: tuple[Raw, int]) -> None:
    conn, highest = box
    values = [modseq(conn, n) for n in (1, 2, 3)]
    assert all(v > 0 for v in values) and max(values) <= highest


def test_store_bumps_modseq_and_reports_it(box: tuple[Raw, int]) -> None:
    conn, highest = box
    reply = conn.command("STORE 2 +FLAGS (\\Flagged)")
    items = fetches(reply)[2]
    assert "MODSEQ" in items, reply  # RFC 7162 3.1.4: CONDSTORE is on, so STORE's FETCH carries MODSEQ
    assert int(items["MODSEQ"][0]) > highest  # type: ignore[index]
    assert modseq(conn, 2) > highest


def test_changedsince(box: tuple[Raw, int]) -> None:
    conn, highest = box
    conn.command("STORE 3 +FLAGS.SILENT (\\Seen)")
    reply = conn.command(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {highest})")
    assert reply.ok, reply
    got = fetches(reply)
    assert set(got) == {3} and "MODSEQ" in got[3]  # RFC 7162 3.1.4.1


def test_unchangedsince_succeeds_then_fails_with_modified(box: tuple[Raw, int]) -> None:
    conn, _ = box
    current = modseq(conn, 1)
    ok = conn.command(f"STORE 1 (UNCHANGEDSINCE {current}) +FLAGS (\\Answered)")
    assert ok.ok and "MODIFIED" not in code_of(ok.tagged)
    stale = conn.command(f"STORE 1 (UNCHANGEDSINCE {current}) +FLAGS (\\Flagged)")
    assert stale.ok and code_of(stale.tagged) == "MODIFIED 1", stale  # RFC 7162 3.1.3
    flags = fetches(conn.command("FETCH 1 FLAGS"))[1]["FLAGS"]
    assert "\\Flagged" not in flags and "\\Answered" in flags  # type: ignore[operator]


def test_unchangedsince_zero_always_fails(box: tuple[Raw, int]) -> None:
    conn, _ = box
    reply = conn.command("STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)")
    assert code_of(reply.tagged) == "MODIFIED 1:3" or code_of(reply.tagged) == "MODIFIED 1,2,3", reply


def test_search_modseq(box: tuple[Raw, int]) -> None:
    conn, highest = box
    conn.command("STORE 2 +FLAGS.SILENT (\\Seen)")
    new = modseq(conn, 2)
    reply = conn.command(f"SEARCH MODSEQ {highest + 1}")
    assert reply.named("SEARCH") == [f"* SEARCH 2 (MODSEQ {new})".encode()], reply  # RFC 7162 3.1.5


def test_status_highestmodseq(box: tuple[Raw, int], folder: str) -> None:
    conn, _ = box
    conn.command("STORE 1 +FLAGS.SILENT (\\Draft)")
    line = conn.command(f"STATUS {folder} (HIGHESTMODSEQ)").named("STATUS")[0]
    match = re.search(rb"HIGHESTMODSEQ (\d+)", line)
    assert match and int(match.group(1)) == modseq(conn, 1)


def test_enable_condstore_then_select_reports_highestmodseq(client: Raw, folder: str) -> None:
    client.command("ENABLE CONDSTORE")
    reply = client.select(folder)
    assert any(line.startswith(b"* OK [HIGHESTMODSEQ ") for line in reply.untagged), reply


def test_noop_reports_other_sessions_flag_change_with_modseq(
    box: tuple[Raw, int], account: str, folder: str, connect: Callable[..., Raw]
) -> None:
    conn, highest = box
    other = connect(account)
    other.select(folder)
    other.command("STORE 3 +FLAGS.SILENT (\\Flagged)")
    reply = conn.noop_until(lambda lines: any(line.startswith(b"* 3 FETCH ") for line in lines))
    items = fetches(reply).get(3, {})
    assert "MODSEQ" in items and int(items["MODSEQ"][0]) > highest, items  # type: ignore[index]


def test_unchangedsince_fails_only_for_the_modified_messages(box: tuple[Raw, int]) -> None:
    conn, highest = box
    conn.command("STORE 2 +FLAGS.SILENT (\\Draft)")  # message 2 now has a MODSEQ above highest
    reply = conn.command(f"STORE 1:3 (UNCHANGEDSINCE {highest}) +FLAGS (\\Answered)")
    assert reply.ok and code_of(reply.tagged) == "MODIFIED 2", reply  # RFC 7162 3.1.3
    flags = {seq: items["FLAGS"] for seq, items in fetches(conn.command("FETCH 1:3 FLAGS")).items()}
    assert "\\Answered" in flags[1] and "\\Answered" in flags[3]  # type: ignore[operator]
    assert "\\Answered" not in flags[2]  # type: ignore[operator]


@pytest.mark.parametrize(
    "command",
    [
        "FETCH 1 (FLAGS MODSEQ)",
        "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
        "SEARCH MODSEQ 1",
        "STORE 1 (UNCHANGEDSINCE 99999) +FLAGS.SILENT (\\Seen)",
        "STATUS INBOX (HIGHESTMODSEQ)",
    ],
)
def test_first_enabling_command_reports_highestmodseq(client: Raw, folder: str, command: str) -> None:
    """RFC 7162 3.1: the first CONDSTORE enabling command with a mailbox selected (not SELECT (CONDSTORE))
    tells the client the mailbox's HIGHESTMODSEQ, before the command's own responses; later ones do not."""
    for n in range(2):
        client.append(folder, plain(f"e{n}"))
    selected = client.select(folder)
    (at_select,) = [code_of(line) for line in selected.untagged if line.startswith(b"* OK [HIGHESTMODSEQ ")]
    reply = client.command(command)
    assert reply.ok, reply
    assert reply.untagged[0] == f"* OK [{at_select}] highest mod-sequence".encode(), reply
    assert sum(b"HIGHESTMODSEQ" in line for line in reply.untagged) == 1 + command.startswith("STATUS")
    again = client.command(command)
    assert not any(line.startswith(b"* OK [HIGHESTMODSEQ ") for line in again.untagged), again
