"""Transcripts of the TRANSACTION and UPDATE states (RFC 1939 5, 6, 7): STAT, LIST, UIDL, RETR, TOP,
DELE, RSET, NOOP, QUIT; bad input and wrong states; \\Seen after RETR only; zombies; QUIT removes the
deleted messages all together and nothing when the connection just ends; another client's expunge."""

from __future__ import annotations

import pytest

from sidecars.pop3 import session as session_module
from storage.store import Store
from tests.sidecars.pop3.conftest import ALICE, INBOX, Client, MakeClient


def inbox(store: Store) -> int:
    return store.folders.get(ALICE, "INBOX").id


def seen(store: Store) -> dict[int, bool]:
    return {f.uid: "\\Seen" in f.flags for f in store.mail.flags(inbox(store))}


def test_stat_list_uidl(store: Store, client: Client) -> None:
    sizes = [len(m) for m in INBOX]
    assert client.cmd("STAT") == f"+OK 3 {sum(sizes)}\r\n"
    assert (
        client.cmd("LIST")
        == "+OK 3 messages\r\n" + "".join(f"{n} {s}\r\n" for n, s in enumerate(sizes, 1)) + ".\r\n"
    )
    assert client.cmd("LIST 2") == f"+OK 2 {sizes[1]}\r\n"
    folder = store.folders.get(ALICE, "INBOX")
    uids = store.mail.uids(folder.id)
    assert (
        client.cmd("UIDL")
        == "+OK unique-id listing follows\r\n"
        + "".join(f"{n} {folder.uidvalidity}.{uid}\r\n" for n, uid in enumerate(uids, 1))
        + ".\r\n"
    )
    assert client.cmd("UIDL 3") == f"+OK 3 {folder.uidvalidity}.{uids[2]}\r\n"


def test_bad_arguments_and_numbers(client: Client) -> None:
    assert client.cmd("LIST 4") == "-ERR no message 4: there are 3\r\n"
    assert client.cmd("LIST 0").startswith("-ERR LIST: message numbers start at 1; syntax: LIST [msg]")
    assert client.cmd("RETR x").startswith("-ERR RETR: not a number")
    assert client.cmd("RETR").startswith("-ERR RETR: one message number")
    assert client.cmd("TOP 1").startswith("-ERR TOP: a message number and a line count")
    assert client.cmd("STAT 1").startswith("-ERR STAT: no arguments expected")
    assert client.cmd("USER x").startswith("-ERR USER is not allowed in the TRANSACTION state")
    assert client.cmd("STLS").startswith("-ERR STLS is not allowed")
    assert client.cmd("NOOP") == "+OK\r\n"


def test_retr_streams_dot_stuffed_and_marks_seen_at_quit(store: Store, client: Client) -> None:
    reply = client.cmd("RETR 1")
    assert client.last.more
    expected = INBOX[0].replace(b"\r\n.", b"\r\n..")
    assert reply == f"+OK {len(INBOX[0])} octets\r\n" + expected.decode() + ".\r\n"
    assert not any(seen(store).values())  # written in a batch, later
    client.cmd("TOP 2 0")
    assert client.cmd("QUIT").startswith("+OK") and client.last.close
    flags = list(seen(store).values())
    assert flags == [True, False, False]  # RETR sets \Seen, TOP does not


def test_seen_is_written_when_the_connection_ends_without_quit(store: Store, client: Client) -> None:
    client.cmd("RETR 3")
    client.session.connection_lost()
    assert list(seen(store).values()) == [False, False, True]


def test_top(client: Client) -> None:
    head, _, _ = INBOX[1].partition(b"\r\n\r\n")
    assert client.cmd("TOP 2 0") == "+OK top of message follows\r\n" + head.decode() + "\r\n\r\n.\r\n"
    assert (
        client.cmd("TOP 2 1")
        == "+OK top of message follows\r\n" + head.decode() + "\r\n\r\nHello number 2.\r\n.\r\n"
    )
    assert client.cmd("TOP 2 3").endswith("Second line.\r\n..starts with a dot\r\n.\r\n")


def test_pipelined_commands_wait_for_a_streamed_answer(client: Client) -> None:
    first = client.send("RETR 1\r\nLIST 1\r\nNOOP\r\n")
    assert first.startswith("+OK") and first.endswith("\r\n.\r\n") and client.last.more
    rest = client.more()
    assert "LIST" not in first and rest.startswith("+OK 1 ") and rest.endswith("\r\n+OK\r\n")
    assert not client.last.more


def test_dele_rset_and_deleted_messages(store: Store, client: Client) -> None:
    size1 = len(INBOX[0])
    assert client.cmd("DELE 1") == "+OK message 1 deleted\r\n"
    assert client.cmd("DELE 1") == "-ERR message 1 is deleted\r\n"
    assert client.cmd("RETR 1") == "-ERR message 1 is deleted\r\n"
    assert client.cmd("LIST 1") == "-ERR message 1 is deleted\r\n"
    assert client.cmd("STAT") == f"+OK 2 {sum(map(len, INBOX)) - size1}\r\n"
    assert not client.cmd("LIST").count("\r\n1 ") and client.cmd("LIST").startswith("+OK 2 messages\r\n2 ")
    assert client.cmd("RSET").startswith("+OK 3 messages")
    assert client.cmd("LIST 1") == f"+OK 1 {size1}\r\n"
    assert len(store.mail.uids(inbox(store))) == 3


def test_quit_removes_deleted_messages_and_nothing_else(store: Store, client: Client) -> None:
    uids = store.mail.uids(inbox(store))
    client.cmd("DELE 1")
    client.cmd("DELE 3")
    assert client.cmd("QUIT") == "+OK mail.example.test closing connection (1 messages left)\r\n"
    assert store.mail.uids(inbox(store)) == [uids[1]]


def test_deletions_are_dropped_when_the_connection_ends_without_quit(store: Store, client: Client) -> None:
    client.cmd("DELE 1")
    client.session.connection_lost()
    assert len(store.mail.uids(inbox(store))) == 3


def test_expunge_by_another_client_makes_a_zombie_and_both_stay_consistent(
    store: Store, client: Client, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "REFRESH_SECONDS", 0.0)  # learn of expunges at once
    folder = inbox(store)
    uids = store.mail.uids(folder)
    store.mail.set_flags(folder, [uids[1]], ["\\Deleted"], "add")
    store.mail.expunge(folder)  # what IMAP EXPUNGE does, meanwhile
    assert client.cmd("RETR 2") == "-ERR [SYS/PERM] message 2 was removed meanwhile\r\n"
    assert client.cmd("TOP 2 0").startswith("-ERR [SYS/PERM]")
    assert client.cmd("LIST 2") == "+OK 2 0\r\n"  # a zero-size zombie keeps its number
    assert client.cmd("LIST 3") == f"+OK 3 {len(INBOX[2])}\r\n"
    client.cmd("DELE 2")
    client.cmd("DELE 3")
    assert client.cmd("QUIT").startswith("+OK")
    assert store.mail.uids(folder) == [uids[0]]
    fresh = make_client()
    assert fresh.login().startswith("+OK 1 messages")


def test_two_sessions_on_one_folder(
    store: Store, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "REFRESH_SECONDS", 0.0)
    a, b = make_client(), make_client()
    a.login()
    b.login()
    a.cmd("DELE 1")
    a.cmd("QUIT")
    assert b.cmd("RETR 1").startswith("-ERR [SYS/PERM]")
    assert b.cmd("RETR 2").startswith("+OK")
    b.cmd("DELE 1")
    assert b.cmd("QUIT").startswith("+OK")
    assert len(store.mail.uids(inbox(store))) == 2


def test_many_messages_open_from_the_index(store: Store, make_client: MakeClient) -> None:
    folder = inbox(store)
    for n in range(300):
        store.mail.append_to_folder(folder, b"Subject: bulk %d\r\n\r\nbody\r\n" % n)
    c = make_client()
    assert c.login().startswith("+OK 303 messages")
    listing = c.cmd("UIDL")
    assert listing.count("\r\n") == 305
    assert len(set(listing.split("\r\n")[1:-2])) == 303


def test_expunges_are_learnt_within_the_refresh_time(store: Store, client: Client) -> None:
    """Bodies come from the snapshot's blob names; another client's expunge is learnt at the next look
    (at most every REFRESH_SECONDS), after which the message is a zombie."""
    folder = inbox(store)
    uids = store.mail.uids(folder)
    store.mail.set_flags(folder, [uids[0]], ["\\Deleted"], "add")
    store.mail.expunge(folder)
    client.session.refreshed -= session_module.REFRESH_SECONDS  # the refresh time has passed
    assert client.cmd("STAT") == f"+OK 3 {len(INBOX[1]) + len(INBOX[2])}\r\n"
    assert client.cmd("RETR 1").startswith("-ERR [SYS/PERM] message 1 was removed meanwhile")


def test_a_withdrawn_folder_is_refused(
    store: Store, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "REFRESH_SECONDS", 0.0)
    c = make_client()
    assert c.login("alice+Archive@example.test").startswith("+OK 2 messages")
    store.folders.delete(ALICE, "Archive")
    assert c.cmd("RETR 1").startswith("-ERR the folder is no longer readable")
