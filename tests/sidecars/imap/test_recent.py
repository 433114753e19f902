"""The \\Recent flag and the RECENT count (RFC 3501 2.3.2, 7.3.2, 6.4.4 NEW/OLD/RECENT): a new message is
recent in exactly one session - the first to be told about it - and stays recent there until it ends."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.sidecars.imap.conftest import Raw, fetches, parse, plain


def recent_count(lines: list[bytes]) -> int | None:
    found = [int(m.group(1)) for line in lines if (m := re.fullmatch(rb"\* (\d+) RECENT", line))]
    return found[-1] if found else None


def test_first_session_to_select_gets_recent(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    client.append(folder, plain("r1"))
    client.append(folder, plain("r2"))
    first = client.select(folder)
    assert recent_count(first.untagged) == 2, first
    assert all("\\Recent" in items["FLAGS"] for items in fetches(client.command("FETCH 1:* FLAGS")).values())  # type: ignore[operator]
    other = connect(account)
    second = other.select(folder)
    assert recent_count(second.untagged) == 0, second  # already announced to the first session
    assert all(
        "\\Recent" not in items["FLAGS"] for items in fetches(other.command("FETCH 1:* FLAGS")).values()
    )  # type: ignore[operator]


def test_message_arriving_while_selected_is_recent_here(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    client.select(folder)
    connect(account).append(folder, plain("arrives"))
    reply = client.noop_until(lambda lines: b"* 1 EXISTS" in lines)
    assert b"* 1 EXISTS" in reply.untagged and recent_count(reply.untagged) == 1, reply
    assert client.command("SEARCH RECENT").named("SEARCH") == [b"* SEARCH 1"]
    assert client.command("SEARCH NEW").named("SEARCH") == [b"* SEARCH 1"]  # recent and unseen
    assert client.command("SEARCH OLD").named("SEARCH") == [b"* SEARCH"]


def test_recent_cannot_be_stored(client: Raw, folder: str) -> None:
    client.append(folder, plain("x"))
    client.select(folder)
    reply = client.command("STORE 1 -FLAGS (\\Recent)")
    if reply.ok:  # ignoring the request is allowed; changing the flag is not (RFC 3501 2.3.2)
        assert "\\Recent" in fetches(client.command("FETCH 1 FLAGS"))[1]["FLAGS"]  # type: ignore[operator]
    else:
        assert reply.status in ("BAD", "NO")


def test_status_and_examine_leave_recent_alone(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    """RFC 3501 6.3.2: EXAMINE MUST NOT make messages lose \\Recent; STATUS only reports the count."""
    client.append(folder, plain("r1"))
    client.append(folder, plain("r2"))
    assert b"RECENT 2" in client.command(f"STATUS {folder} (RECENT)").named("STATUS")[0]
    assert recent_count(client.command(f"EXAMINE {folder}").untagged) == 2
    client.command("UNSELECT")
    assert recent_count(connect(account).select(folder).untagged) == 2


def test_select_lists_keywords_in_use(client: Raw, folder: str) -> None:
    """RFC 3501 6.3.1: FLAGS gives the flags defined in the mailbox, keywords on its messages included."""
    client.append(folder, plain("k"), flags="Work $Label2")
    (line,) = client.select(folder).named("FLAGS")
    assert {"Work", "$Label2"} <= {str(f) for f in parse(line)[2]}  # type: ignore[union-attr]
