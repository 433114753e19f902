"""STORE and UID STORE (RFC 3501 6.4.6, 6.4.8): +FLAGS, -FLAGS, FLAGS, .SILENT, keywords, and the untagged
FETCH each must (or must not) produce."""

from __future__ import annotations

import pytest

from tests.sidecars.imap.conftest import ImapService, Raw, Reply, fetches, plain


@pytest.fixture
def box(client: Raw, folder: str) -> Raw:
    for n in range(3):
        client.append(folder, plain(f"store {n}"))
    client.select(folder)
    return client


def flags_of(conn: Raw, seq: int) -> set[str]:
    return {str(f) for f in fetches(conn.command(f"FETCH {seq} FLAGS"))[seq]["FLAGS"]} - {"\\Recent"}  # type: ignore[union-attr]


def reported(reply: Reply) -> dict[int, set[str]]:
    return {seq: {str(f) for f in items["FLAGS"]} - {"\\Recent"} for seq, items in fetches(reply).items()}


def test_add_flags_reports_the_new_flag_set(box: Raw) -> None:
    reply = box.command("STORE 1 +FLAGS (\\Flagged \\Answered)")
    assert reply.ok, reply
    assert reported(reply) == {1: {"\\Flagged", "\\Answered"}}
    assert flags_of(box, 1) == {"\\Flagged", "\\Answered"}


def test_remove_and_replace(box: Raw) -> None:
    box.command("STORE 2 +FLAGS (\\Seen \\Flagged \\Draft)")
    assert reported(box.command("STORE 2 -FLAGS (\\Flagged)")) == {2: {"\\Seen", "\\Draft"}}
    assert reported(box.command("STORE 2 FLAGS (\\Answered)")) == {2: {"\\Answered"}}
    assert reported(box.command("STORE 2 FLAGS ()")) == {2: set()}


def test_silent_sends_no_fetch(box: Raw) -> None:
    reply = box.command("STORE 1:3 +FLAGS.SILENT (\\Seen)")
    assert reply.ok and not reply.named("FETCH"), reply  # RFC 3501 6.4.6
    assert all(flags_of(box, n) == {"\\Seen"} for n in (1, 2, 3))


def test_flags_without_parentheses(box: Raw) -> None:
    assert box.command("STORE 3 +FLAGS \\Deleted").ok  # RFC 3501 9: store-att-flags allows a bare list
    assert flags_of(box, 3) == {"\\Deleted"}


def test_keywords_are_kept(box: Raw) -> None:
    reply = box.command("STORE 1 +FLAGS ($Forwarded Work)")
    assert reply.ok, reply
    assert flags_of(box, 1) == {"$Forwarded", "Work"}
    search = box.command("SEARCH KEYWORD Work")
    assert search.named("SEARCH") == [b"* SEARCH 1"]


def test_uid_store_includes_uid(box: Raw) -> None:
    uid = fetches(box.command("FETCH 2 UID"))[2]["UID"]
    reply = box.command(f"UID STORE {uid} +FLAGS (\\Flagged)")
    assert reply.ok
    items = fetches(reply)[2]
    assert items["UID"] == uid  # RFC 3501 6.4.8: UID in every FETCH of a UID command


def test_store_range_with_star(box: Raw) -> None:
    reply = box.command("STORE 2:* +FLAGS (\\Seen)")
    assert set(reported(reply)) == {2, 3}


def test_store_syntax_errors_are_bad(box: Raw) -> None:
    assert box.command("STORE 1 FLAGZ (\\Seen)").status == "BAD"
    assert box.command("STORE 1 +FLAGS (\\Seen").status == "BAD"
    assert box.command("STORE a:b +FLAGS (\\Seen)").status == "BAD"
    assert box.command("NOOP").ok


def test_flags_persist_across_sessions(
    imap_service: ImapService, box: Raw, account: str, folder: str
) -> None:
    box.command("STORE 1 +FLAGS.SILENT (\\Answered $Label1)")
    other = imap_service.login(account)
    try:
        other.command(f"EXAMINE {folder}")
        assert flags_of(other, 1) == {"\\Answered", "$Label1"}
    finally:
        other.close()


def test_imapclient_flag_helpers(imap_service: ImapService, account: str, folder: str, box: Raw) -> None:
    with imap_service.imapclient(account) as c:
        c.select_folder(folder)
        uids = c.search("ALL")
        c.add_flags(uids[:1], [b"\\Flagged"])
        c.remove_flags(uids[:1], [b"\\Flagged"])
        c.set_flags(uids[1:2], [b"\\Seen", b"Todo"])
        got = c.get_flags(uids)
        assert set(got[uids[0]]) - {b"\\Recent"} == set()
        assert set(got[uids[1]]) - {b"\\Recent"} == {b"\\Seen", b"Todo"}


def test_several_flags_without_parentheses(box: Raw) -> None:
    assert reported(box.command("STORE 1 FLAGS \\Seen \\Flagged")) == {1: {"\\Seen", "\\Flagged"}}
    assert box.command("STORE 1 -FLAGS.SILENT \\Seen \\Flagged").ok  # RFC 3501 9: store-att-flags
    assert flags_of(box, 1) == set()
