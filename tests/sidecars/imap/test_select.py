"""SELECT, EXAMINE, STATUS, CHECK, CLOSE and UNSELECT (RFC 3501 6.3.1, 6.3.2, 6.3.10, 6.4.1, 6.4.2;
RFC 3691): the exact untagged data each must return and the state changes they cause."""

from __future__ import annotations

import re

from tests.sidecars.imap.conftest import Raw, Reply, code_of, fetches, parse, plain

SYSTEM_FLAGS = {"\\ANSWERED", "\\FLAGGED", "\\DELETED", "\\SEEN", "\\DRAFT"}


def fill(conn: Raw, folder: str) -> None:
    """Three messages: the first seen, the others not."""
    conn.append(folder, plain("one"), flags="\\Seen")
    conn.append(folder, plain("two"))
    conn.append(folder, plain("three"))


def codes(reply: Reply) -> dict[str, str]:
    """Response codes of the untagged OK lines: {"UIDNEXT": "4", ...}."""
    out = {}
    for line in reply.untagged:
        if line.startswith(b"* OK ["):
            name, _, rest = code_of(line).partition(" ")
            out[name.upper()] = rest
    return out


def test_select_returns_every_required_response(client: Raw, folder: str) -> None:
    fill(client, folder)
    reply = client.select(folder)
    assert re.fullmatch(rb"A\d+ OK \[READ-WRITE\].*", reply.tagged), reply.tagged  # RFC 3501 6.3.1
    assert b"* 3 EXISTS" in reply.untagged
    assert any(re.fullmatch(rb"\* \d+ RECENT", line) for line in reply.untagged), reply
    (flags_line,) = reply.named("FLAGS")
    flags = {str(f).upper() for f in parse(flags_line)[2]}  # type: ignore[union-attr]
    assert flags >= SYSTEM_FLAGS
    found = codes(reply)
    assert found["UNSEEN"] == "2"  # the sequence number of the first unseen message
    assert int(found["UIDVALIDITY"]) > 0
    permanent = found["PERMANENTFLAGS"].strip("()").upper().split()
    assert set(permanent) >= SYSTEM_FLAGS and "\\*" in permanent
    uids = [items["UID"] for items in fetches(client.command("FETCH 1:* UID")).values()]
    assert len(uids) == 3 and uids == sorted(uids)
    assert int(found["UIDNEXT"]) > max(uids)  # type: ignore[type-var]


def test_select_empty_folder(client: Raw, folder: str) -> None:
    reply = client.select(folder)
    assert b"* 0 EXISTS" in reply.untagged
    assert "UNSEEN" not in codes(reply)  # no unseen message, so no UNSEEN code
    assert {"UIDVALIDITY", "UIDNEXT", "PERMANENTFLAGS"} <= set(codes(reply))


def test_examine_is_read_only(client: Raw, folder: str) -> None:
    fill(client, folder)
    reply = client.command(f"EXAMINE {folder}")
    assert reply.ok and b"[READ-ONLY]" in reply.tagged, reply  # RFC 3501 6.3.2
    assert b"* 3 EXISTS" in reply.untagged
    assert client.command("STORE 2 +FLAGS (\\Flagged)").status == "NO"
    client.command("FETCH 2 BODY[]")  # must not set \Seen in a read-only mailbox
    flags = fetches(client.command("FETCH 2 FLAGS"))[2]["FLAGS"]
    assert "\\Seen" not in flags  # type: ignore[operator]


def test_select_missing_folder_is_no_and_deselects(client: Raw, folder: str) -> None:
    fill(client, folder)
    client.select(folder)
    assert client.command("SELECT NoSuchFolderHere").status == "NO"
    # RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected
    assert client.command("FETCH 1 FLAGS").status in ("BAD", "NO")


def test_select_inbox_is_case_insensitive(client: Raw) -> None:
    assert client.command("SELECT inbox").ok  # RFC 3501 5.1: INBOX in any case
    assert client.command('SELECT "InBoX"').ok


def test_status_items(client: Raw, folder: str) -> None:
    fill(client, folder)
    reply = client.command(f"STATUS {folder} (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    assert reply.ok, reply
    (line,) = reply.named("STATUS")
    values = parse(line)
    assert values[2] == folder  # the name as an astring (atom or quoted)
    items = dict(zip(values[3][::2], values[3][1::2], strict=True))  # type: ignore[index]
    assert items["MESSAGES"] == 3 and items["UNSEEN"] == 2
    assert isinstance(items["RECENT"], int) and items["UIDVALIDITY"] > 0
    examined = codes(client.command(f"EXAMINE {folder}"))
    assert (
        int(examined["UIDNEXT"]) == items["UIDNEXT"] and int(examined["UIDVALIDITY"]) == items["UIDVALIDITY"]
    )


def test_status_of_missing_folder_is_no(client: Raw) -> None:
    assert client.command("STATUS NoSuchFolder (MESSAGES)").status == "NO"


def test_status_with_unknown_item_is_bad(client: Raw) -> None:
    assert client.command("STATUS INBOX (MESSAGES BOGUS)").status == "BAD"


def test_close_expunges_silently(client: Raw, folder: str) -> None:
    fill(client, folder)
    client.select(folder)
    assert client.command("STORE 2 +FLAGS.SILENT (\\Deleted)").ok
    reply = client.command("CLOSE")
    assert reply.ok and not reply.named("EXPUNGE"), reply  # RFC 3501 6.4.2: no untagged EXPUNGE
    assert client.command("FETCH 1 FLAGS").status in ("BAD", "NO")  # back to authenticated
    assert b"MESSAGES 2" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_close_after_examine_does_not_expunge(client: Raw, folder: str) -> None:
    fill(client, folder)
    client.select(folder)
    assert client.command("STORE 2 +FLAGS.SILENT (\\Deleted)").ok
    client.command(f"EXAMINE {folder}")
    assert client.command("CLOSE").ok
    assert b"MESSAGES 3" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_unselect_does_not_expunge(client: Raw, folder: str) -> None:
    fill(client, folder)
    client.select(folder)
    assert client.command("STORE 2 +FLAGS.SILENT (\\Deleted)").ok
    assert client.command("UNSELECT").ok  # RFC 3691 2
    assert client.command("FETCH 1 FLAGS").status in ("BAD", "NO")
    assert b"MESSAGES 3" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_check_and_noop_in_selected_state(client: Raw, folder: str) -> None:
    client.select(folder)
    assert client.command("CHECK").ok  # RFC 3501 6.4.1
    assert client.command("NOOP").ok


def test_reselect_gives_the_same_uidvalidity(client: Raw, folder: str) -> None:
    fill(client, folder)
    first = codes(client.select(folder))["UIDVALIDITY"]
    assert codes(client.select(folder))["UIDVALIDITY"] == first


def test_recreated_folder_has_a_new_uidvalidity(client: Raw, folder: str) -> None:
    fill(client, folder)
    first = codes(client.select(folder))["UIDVALIDITY"]
    client.command("UNSELECT")
    assert client.command(f"DELETE {folder}").ok
    assert client.command(f"CREATE {folder}").ok
    reply = client.select(folder)
    assert codes(reply)["UIDVALIDITY"] != first  # RFC 3501 2.3.1.1
    assert b"* 0 EXISTS" in reply.untagged


def test_uidnext_does_not_go_back_after_expunge(client: Raw, folder: str) -> None:
    client.append(folder, plain("a"))
    client.append(folder, plain("b"), flags="\\Deleted")
    client.select(folder)
    last = fetches(client.command("FETCH 2 UID"))[2]["UID"]
    client.command("EXPUNGE")
    assert int(codes(client.select(folder))["UIDNEXT"]) > last  # type: ignore[operator]


def test_select_of_a_name_with_every_atom_char_is_no(client: Raw) -> None:
    """Issue 15.1: "[" is an ATOM-CHAR (RFC 3501 9), so this parses and names no mailbox; it was BAD."""
    reply = client.command("SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}")
    assert reply.status == "NO" and code_of(reply.tagged) == "NONEXISTENT", reply
    assert client.command("NOOP").ok
