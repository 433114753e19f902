"""Two sessions on one folder (RFC 3501 5.2, 5.5, 7.4.1; RFC 2180 4): each sees the other's new messages,
flag changes and expunges at the next command that may carry them, in an order a client can replay, and
never an EXPUNGE while answering FETCH, STORE or SEARCH."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.sidecars.imap.conftest import Closed, Raw, fetch_items, fetches, plain


class View:
    """A client's picture of the mailbox: UIDs by position, updated by EXISTS/EXPUNGE in arrival order."""

    def __init__(self, uids: list[int]) -> None:
        self.uids: list[int | None] = list(uids)

    def apply(self, lines: list[bytes]) -> None:
        for line in lines:
            if match := re.fullmatch(rb"\* (\d+) EXPUNGE", line):
                seq = int(match.group(1))
                assert 1 <= seq <= len(self.uids), (line, self.uids)
                del self.uids[seq - 1]
            elif match := re.fullmatch(rb"\* (\d+) EXISTS", line):
                count = int(match.group(1))
                assert count >= len(self.uids), f"EXISTS went down: {line!r} with {len(self.uids)} known"
                self.uids.extend([None] * (count - len(self.uids)))


@pytest.fixture
def pair(client: Raw, folder: str, account: str, connect: Callable[..., Raw]) -> tuple[Raw, Raw, View]:
    """Sessions A (the test's client) and B, both with the folder of five messages selected."""
    for n in range(1, 6):
        client.append(folder, plain(f"m{n}"))
    client.select(folder)
    other = connect(account)
    other.select(folder)
    uids = [items["UID"] for _, items in sorted(fetches(other.command("FETCH 1:* UID")).items())]
    return client, other, View(uids)  # type: ignore[arg-type]


def expunges(lines: list[bytes]) -> int:
    return sum(1 for line in lines if re.fullmatch(rb"\* \d+ EXPUNGE", line))


def uids_now(conn: Raw) -> list[int]:
    return [items["UID"] for _, items in sorted(fetches(conn.command("UID FETCH 1:* UID")).items())]  # type: ignore[misc]


def test_new_message_reaches_the_other_session(pair: tuple[Raw, Raw, View], folder: str) -> None:
    a, b, _ = pair
    a.append(folder, plain("m6"))
    b.noop_until(lambda lines: b"* 6 EXISTS" in lines)


def test_flag_change_reaches_the_other_session(pair: tuple[Raw, Raw, View]) -> None:
    a, b, _ = pair
    assert a.command("STORE 3 +FLAGS.SILENT (\\Flagged)").ok
    reply = b.noop_until(lambda lines: any(re.match(rb"\* 3 FETCH ", line) for line in lines))
    got = fetches(reply)
    assert 3 in got and "\\Flagged" in got[3]["FLAGS"], reply  # type: ignore[operator]


def test_expunge_is_reported_in_the_others_numbering(pair: tuple[Raw, Raw, View]) -> None:
    a, b, view = pair
    gone = [view.uids[1], view.uids[3]]
    a.command("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    assert len(a.command("EXPUNGE").named("EXPUNGE")) == 2
    reply = b.noop_until(lambda lines: expunges(lines) == 2)
    view.apply(reply.untagged)
    assert gone[0] not in view.uids and gone[1] not in view.uids and len(view.uids) == 3
    assert view.uids == uids_now(b)


def test_no_expunge_while_answering_fetch_store_or_search(pair: tuple[Raw, Raw, View]) -> None:
    a, b, view = pair
    a.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.command("EXPUNGE")
    for command in ("FETCH 1:5 FLAGS", "STORE 5 +FLAGS (\\Seen)", "SEARCH ALL"):
        reply = b.command(command)
        assert not reply.named("EXPUNGE"), (command, reply)  # RFC 3501 7.4.1
    search = b.command("SEARCH ALL").named("SEARCH")[0]
    assert search.split()[2:] != [] and len(search.split()[2:]) in (4, 5)  # numbers still in the old view
    reply = b.noop_until(lambda lines: expunges(lines) == 1)
    view.apply(reply.untagged)
    assert len(view.uids) == 4 and view.uids == uids_now(b)


def test_expunge_and_append_together_replay_cleanly(pair: tuple[Raw, Raw, View], folder: str) -> None:
    a, b, view = pair
    a.command("STORE 1,5 +FLAGS.SILENT (\\Deleted)")
    a.command("EXPUNGE")
    a.append(folder, plain("m6"))
    a.append(folder, plain("m7"))
    reply = b.noop_until(
        lambda lines: expunges(lines) == 2 and any(line.endswith(b" EXISTS") for line in lines)
    )
    view.apply(reply.untagged)
    assert len(view.uids) == 5  # 5 - 2 + 2
    actual = uids_now(b)
    assert len(actual) == 5
    assert [u for u in view.uids if u is not None] == actual[:3]


def test_seen_by_one_session_is_seen_by_the_other(pair: tuple[Raw, Raw, View]) -> None:
    a, b, _ = pair
    a.command("FETCH 2 BODY[]")
    reply = b.noop_until(lambda lines: any(re.match(rb"\* 2 FETCH .*Seen", line) for line in lines))
    assert "\\Seen" in fetches(reply).get(2, {}).get("FLAGS", []), reply  # type: ignore[operator, union-attr]


def test_uid_commands_may_carry_expunges(pair: tuple[Raw, Raw, View]) -> None:
    a, b, view = pair
    a.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    a.command("EXPUNGE")
    reply = b.command("UID FETCH 1:* FLAGS")
    view.apply(reply.untagged)
    if not expunges(reply.untagged):
        view.apply(b.noop_until(lambda lines: expunges(lines) == 1).untagged)
    assert len(view.uids) == 4 and view.uids == uids_now(b)


def test_fetch_of_a_message_expunged_elsewhere(pair: tuple[Raw, Raw, View]) -> None:
    """RFC 2180 4.1: until it is told, the session may get the data (4.1.1), a tagged NO (4.1.2) or NIL
    data with OK (4.1.3) - never a silent OK that leaves the client without the message it asked for."""
    a, b, _ = pair
    a.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    a.command("EXPUNGE")
    reply = b.command("FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert not reply.named("EXPUNGE")
    if reply.ok:
        assert 2 in fetches(reply), reply


def test_copy_of_a_message_expunged_elsewhere_is_not_a_silent_ok(
    pair: tuple[Raw, Raw, View], folder: str
) -> None:
    """RFC 3501 6.4.7 / RFC 2180 4.4: COPY either copies the message or fails; an OK that copied nothing
    makes a client's COPY + \\Deleted + EXPUNGE lose the mail."""
    a, b, _ = pair
    assert a.command(f"CREATE {folder}-copies").ok
    a.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    a.command("EXPUNGE")
    reply = b.command(f"COPY 2 {folder}-copies")
    copied = b.command(f"STATUS {folder}-copies (MESSAGES)").named("STATUS")[0]
    assert reply.status == "NO" or b"MESSAGES 1" in copied, (reply, copied)


def test_deleting_the_selected_folder_ends_the_other_session(
    pair: tuple[Raw, Raw, View], folder: str
) -> None:
    """RFC 2180 3.3 lets the server end a session whose mailbox was deleted with BYE; RFC 3501 7.1.5: after
    BYE the server closes the connection, so no further command may be answered."""
    a, b, _ = pair
    a.command("UNSELECT")
    assert a.command(f"DELETE {folder}").ok
    reply = b.command("NOOP")
    if any(line.startswith(b"* BYE") for line in reply.untagged):
        b.sock.settimeout(5)
        with pytest.raises((Closed, OSError)):
            b.command("FETCH 1 FLAGS")
    else:  # or the session stays usable and is told the messages are gone
        assert reply.named("EXPUNGE") or b.command("FETCH 1 FLAGS").status in ("NO", "BAD")


def test_flag_updates_use_the_numbering_in_force_when_sent(pair: tuple[Raw, Raw, View]) -> None:
    """A FETCH sent after an EXPUNGE must use the renumbered sequence (RFC 3501 7.4.1), and the replayed
    view must put the new flag on the message that really got it."""
    a, b, view = pair
    target = view.uids[3]
    a.command("STORE 4 +FLAGS.SILENT (\\Flagged)")
    a.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.command("EXPUNGE")
    reply = b.noop_until(
        lambda lines: expunges(lines) == 1 and any(b"Flagged" in line for line in lines if b" FETCH " in line)
    )
    flagged_at: list[int | None] = []
    for line in reply.untagged:
        view.apply([line])
        if re.fullmatch(rb"\* \d+ FETCH .*", line):
            seq, items = fetch_items(line)
            if "\\Flagged" in items.get("FLAGS", []):  # type: ignore[operator]
                flagged_at.append(view.uids[seq - 1])
    assert flagged_at == [target], reply
    assert view.uids == uids_now(b)


def test_pipelined_commands_on_the_same_messages_run_in_order(client: Raw, folder: str) -> None:
    """RFC 3501 5.5: commands whose results depend on each other are executed in the order sent, and each
    command's untagged data comes before its own tagged completion."""
    for n in range(3):
        client.append(folder, plain(f"p{n}"))
    client.select(folder)
    message = plain("pipelined append")
    client.send(
        b"P1 STORE 1 +FLAGS (\\Flagged)\r\nP2 FETCH 1 FLAGS\r\nP3 SEARCH FLAGGED\r\n"
        + f"P4 APPEND {folder} {{{len(message)}+}}\r\n".encode()
        + message
        + b"\r\n"
        b"P5 SEARCH ALL\r\nP6 STORE 1 -FLAGS (\\Flagged)\r\nP7 SEARCH FLAGGED\r\n"
    )
    replies = [client.until_tagged(f"P{n}") for n in range(1, 8)]  # fails if a tag comes out of order
    assert all(reply.ok for reply in replies), replies
    assert "\\Flagged" in fetches(replies[1])[1]["FLAGS"]  # type: ignore[operator]
    assert replies[2].named("SEARCH") == [b"* SEARCH 1"]
    assert replies[4].named("SEARCH") == [b"* SEARCH 1 2 3 4"]
    assert replies[6].named("SEARCH") == [b"* SEARCH"]


def test_pipelined_fetch_is_not_affected_by_a_later_expunge(client: Raw, folder: str) -> None:
    """RFC 3501 5.5: a FETCH sent before an EXPUNGE sees the mailbox as it was before that EXPUNGE."""
    for n in range(3):
        client.append(folder, plain(f"e{n}"))
    client.send(
        f"Q1 SELECT {folder}\r\nQ2 FETCH 1:* UID\r\nQ3 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n"
        "Q4 EXPUNGE\r\nQ5 FETCH 1:* UID\r\n".encode()
    )
    replies = [client.until_tagged(f"Q{n}") for n in range(1, 6)]
    assert all(reply.ok for reply in replies), replies
    before = [items["UID"] for _, items in sorted(fetches(replies[1]).items())]
    after = [items["UID"] for _, items in sorted(fetches(replies[4]).items())]
    assert len(before) == 3, replies[1]
    assert replies[3].named("EXPUNGE") == [b"* 2 EXPUNGE"]
    assert after == [before[0], before[2]]
