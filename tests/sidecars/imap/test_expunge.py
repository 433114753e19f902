"""EXPUNGE (RFC 3501 6.4.3, 7.4.1): the EXPUNGE responses must, replayed in order against the client's
view, leave exactly the undeleted messages; nothing happens in a read-only session."""

from __future__ import annotations

import re

import pytest

from tests.sidecars.imap.conftest import ImapService, Raw, fetches, plain


def replay(view: list[int], lines: list[bytes]) -> list[int]:
    """Apply ``* n EXPUNGE`` responses one after another, renumbering as RFC 3501 7.4.1 demands."""
    view = list(view)
    for line in lines:
        match = re.fullmatch(rb"\* (\d+) EXPUNGE", line)
        if match:
            seq = int(match.group(1))
            assert 1 <= seq <= len(view), (line, view)
            del view[seq - 1]
    return view


@pytest.mark.parametrize("deleted", [[2, 3, 5], [1], [1, 2, 3, 4, 5], [4, 5]])
def test_expunge_responses_renumber_correctly(client: Raw, folder: str, deleted: list[int]) -> None:
    for n in range(1, 6):
        client.append(folder, plain(f"m{n}"), flags="\\Deleted" if n in deleted else "")
    client.select(folder)
    uids = [fetches(client.command("FETCH 1:* UID"))[n]["UID"] for n in range(1, 6)]
    reply = client.command("EXPUNGE")
    assert reply.ok, reply
    assert len(reply.named("EXPUNGE")) == len(deleted)
    expected = [uid for n, uid in enumerate(uids, 1) if n not in deleted]
    assert replay(uids, reply.untagged) == expected  # type: ignore[arg-type]
    now = fetches(client.command("FETCH 1:* UID")) if expected else {}
    assert [now[n]["UID"] for n in sorted(now)] == expected


def test_expunge_with_nothing_deleted(client: Raw, folder: str) -> None:
    client.append(folder, plain("stay"))
    client.select(folder)
    reply = client.command("EXPUNGE")
    assert reply.ok and not reply.named("EXPUNGE")


def test_expunge_in_read_only_session_removes_nothing(client: Raw, folder: str) -> None:
    client.append(folder, plain("x"), flags="\\Deleted")
    client.command(f"EXAMINE {folder}")
    reply = client.command("EXPUNGE")
    assert not reply.named("EXPUNGE")
    assert b"MESSAGES 1" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]


def test_expunged_uids_are_never_reused(client: Raw, folder: str) -> None:
    client.append(folder, plain("a"), flags="\\Deleted")
    client.select(folder)
    old = fetches(client.command("FETCH 1 UID"))[1]["UID"]
    client.command("EXPUNGE")
    client.append(folder, plain("b"))
    new = fetches(client.command("FETCH 1 UID"))[1]["UID"]
    assert new > old  # type: ignore[operator]  # RFC 3501 2.3.1.1


def test_logout_and_select_elsewhere_do_not_expunge(
    client: Raw, folder: str, imap_service: ImapService, account: str
) -> None:
    """Only CLOSE and EXPUNGE remove \\Deleted messages (RFC 3501 6.1.3, 6.3.1, 6.4.2)."""
    client.append(folder, plain("keep me"), flags="\\Deleted")
    client.select(folder)
    client.select("INBOX")  # implicit close of the folder: no expunge
    assert b"MESSAGES 1" in client.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]
    client.select(folder)
    assert client.command("LOGOUT").ok
    other = imap_service.login(account)
    try:
        assert b"MESSAGES 1" in other.command(f"STATUS {folder} (MESSAGES)").named("STATUS")[0]
    finally:
        other.close()
