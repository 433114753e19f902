"""COPY (RFC 3501 6.4.7) and MOVE (RFC 6851): what arrives in the destination (bytes, flags, internal date),
what the source session is told (COPYUID before the EXPUNGEs), and failures that change nothing."""

from __future__ import annotations

import re

import pytest

from tests.sidecars.imap.conftest import MULTIPART, ImapService, Raw, code_of, fetches, plain


@pytest.fixture
def box(client: Raw, folder: str) -> tuple[Raw, str]:
    client.append(folder, MULTIPART, "\\Flagged $Work", "01-Nov-2026 12:00:00 +0000")
    client.append(folder, plain("second"), "\\Seen")
    client.append(folder, plain("third"))
    dest = f"{folder}-dest"
    assert client.command(f"CREATE {dest}").ok
    client.select(folder)
    return client, dest


def summary(conn: Raw) -> list[tuple[bytes, set[str], bytes]]:
    items = fetches(conn.command("FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[])"))
    return [
        (i["BODY[]"], {str(f) for f in i["FLAGS"]} - {"\\Recent"}, i["INTERNALDATE"])  # type: ignore[union-attr, misc]
        for _, i in sorted(items.items())
    ]


def test_copy_keeps_bytes_flags_and_date(box: tuple[Raw, str]) -> None:
    conn, dest = box
    before = summary(conn)
    reply = conn.command(f"COPY 1:2 {dest}")
    assert reply.ok and not reply.named("EXPUNGE"), reply
    assert summary(conn) == before  # the source is untouched
    conn.command(f"EXAMINE {dest}")
    assert summary(conn) == before[:2]


def test_move_reports_copyuid_then_expunges(box: tuple[Raw, str]) -> None:
    conn, dest = box
    before = summary(conn)
    reply = conn.command(f"MOVE 1:2 {dest}")
    assert reply.ok, reply
    expunges = [i for i, line in enumerate(reply.untagged) if re.fullmatch(rb"\* \d+ EXPUNGE", line)]
    assert len(expunges) == 2
    copyuid = [i for i, line in enumerate(reply.untagged) if line.startswith(b"* OK [COPYUID ")]
    if copyuid:  # RFC 6851 4.3: the untagged OK with COPYUID comes before the expunges
        assert copyuid[0] < expunges[0]
    else:
        assert code_of(reply.tagged).startswith("COPYUID "), reply
    assert summary(conn) == before[2:]
    conn.command(f"EXAMINE {dest}")
    assert summary(conn) == before[:2]


def test_uid_move(box: tuple[Raw, str]) -> None:
    conn, dest = box
    uid = fetches(conn.command("FETCH 3 UID"))[3]["UID"]
    reply = conn.command(f"UID MOVE {uid} {dest}")
    assert reply.ok and reply.named("EXPUNGE") == [b"* 3 EXPUNGE"], reply
    assert b"MESSAGES 1" in conn.command(f"STATUS {dest} (MESSAGES)").named("STATUS")[0]


def test_move_to_missing_folder_changes_nothing(box: tuple[Raw, str]) -> None:
    conn, _dest = box
    reply = conn.command("MOVE 1:* NoSuchFolder")
    assert reply.status == "NO" and code_of(reply.tagged) == "TRYCREATE"
    assert not reply.named("EXPUNGE")
    assert len(summary(conn)) == 3


def test_move_to_trash_like_a_mail_client(box: tuple[Raw, str], folder: str) -> None:
    conn, _dest = box
    conn.append(folder, plain(f"to the bin {folder}"))
    assert conn.command("MOVE 4 Trash").ok
    conn.command("EXAMINE Trash")
    reply = conn.literal_command("SEARCH HEADER Subject", f"to the bin {folder}".encode())
    assert len(reply.named("SEARCH")[0].split()) == 3, reply  # exactly one match in Trash


def test_copy_in_read_only_session_is_allowed(box: tuple[Raw, str], folder: str) -> None:
    conn, dest = box
    conn.command(f"EXAMINE {folder}")
    assert conn.command(f"COPY 1 {dest}").ok  # COPY only reads the source
    assert conn.command(f"MOVE 1 {dest}").status == "NO"  # MOVE would expunge from a read-only mailbox


def test_copy_with_bad_sequence_is_bad(box: tuple[Raw, str]) -> None:
    conn, dest = box
    assert conn.command(f"COPY 0 {dest}").status == "BAD"  # RFC 3501 9: nz-number
    assert conn.command(f"COPY 1:x {dest}").status == "BAD"
    assert conn.command("NOOP").ok


def test_copy_into_the_selected_folder_reports_exists(box: tuple[Raw, str], folder: str) -> None:
    conn, _dest = box
    reply = conn.command(f"COPY 1 {folder}")
    assert reply.ok and b"* 4 EXISTS" in reply.untagged, reply


def test_move_of_scattered_messages_replays_cleanly(client: Raw, folder: str) -> None:
    for n in range(1, 7):
        client.append(folder, plain(f"s{n}"))
    assert client.command(f"CREATE {folder}-scatter").ok
    client.select(folder)
    uids = [items["UID"] for _, items in sorted(fetches(client.command("FETCH 1:* UID")).items())]
    reply = client.command(f"MOVE 1,3,5:6 {folder}-scatter")
    assert reply.ok, reply
    view = list(uids)
    for line in reply.untagged:
        if match := re.fullmatch(rb"\* (\d+) EXPUNGE", line):
            del view[int(match.group(1)) - 1]
    assert view == [uids[1], uids[3]]  # RFC 3501 7.4.1 numbering, applied in order
    assert [items["UID"] for _, items in sorted(fetches(client.command("FETCH 1:* UID")).items())] == view


def test_move_into_the_selected_mailbox_is_copy_then_expunge(box: tuple[Raw, str], folder: str) -> None:
    """RFC 6851: MOVE into the mailbox itself succeeds like COPY + EXPUNGE: COPYUID with the new UID,
    the EXPUNGE of the original, then the EXISTS of the copy."""
    conn, _dest = box
    before = summary(conn)
    uids = [items["UID"] for _, items in sorted(fetches(conn.command("FETCH 1:* UID")).items())]
    status = conn.command(f"STATUS {folder} (UIDVALIDITY UIDNEXT)").named("STATUS")[0]
    match = re.search(rb"UIDVALIDITY (\d+) UIDNEXT (\d+)", status)
    assert match, status
    validity, uidnext = int(match.group(1)), int(match.group(2))
    reply = conn.command(f"MOVE 1 {folder}")
    assert reply.ok, reply
    assert reply.untagged == [
        f"* OK [COPYUID {validity} {uids[0]} {uidnext}] moved".encode(),
        b"* 1 EXPUNGE",
        b"* 3 EXISTS",
        b"* 3 RECENT",
    ]
    assert summary(conn) == [before[1], before[2], before[0]]  # bytes, flags and date kept
    assert [items["UID"] for _, items in sorted(fetches(conn.command("FETCH 1:* UID")).items())] == [
        uids[1],
        uids[2],
        uidnext,
    ]


def test_imapclient_move_within_the_folder(
    imap_service: ImapService, account: str, folder: str, box: tuple[Raw, str]
) -> None:
    with imap_service.imapclient(account) as c:
        c.select_folder(folder)
        first = c.search("ALL")[0]
        c.move([first], folder)
        after = c.search("ALL")
        assert first not in after and len(after) == 3 and max(after) > first
