"""UIDPLUS (RFC 4315): APPENDUID and COPYUID response codes that match the messages really made, and UID
EXPUNGE removing only the named messages."""

from __future__ import annotations

import re

from tests.sidecars.imap.conftest import Raw, code_of, fetches, plain


def uid_set(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        a, b = int(lo), int(hi or lo)
        out.extend(range(min(a, b), max(a, b) + 1))
    return out


def uidvalidity(conn: Raw, mailbox: str) -> int:
    line = conn.command(f"STATUS {mailbox} (UIDVALIDITY)").named("STATUS")[0]
    match = re.search(rb"UIDVALIDITY (\d+)", line)
    assert match, line
    return int(match.group(1))


def test_appenduid(client: Raw, folder: str) -> None:
    reply = client.append(folder, plain("appenduid"))
    match = re.fullmatch(r"APPENDUID (\d+) (\d+)", code_of(reply.tagged))
    assert match, reply.tagged  # RFC 4315 3
    assert int(match.group(1)) == uidvalidity(client, folder)
    client.select(folder)
    assert fetches(client.command("FETCH 1 UID"))[1]["UID"] == int(match.group(2))


def test_copyuid_maps_source_to_destination(client: Raw, folder: str) -> None:
    for n in range(4):
        client.append(folder, plain(f"copy {n}"))
    assert client.command(f"CREATE {folder}/dest").ok
    client.select(folder)
    source = {items["UID"]: seq for seq, items in fetches(client.command("FETCH 1:* UID")).items()}
    reply = client.command(f"COPY 2:4 {folder}/dest")
    assert reply.ok
    match = re.fullmatch(r"COPYUID (\d+) ([\d:,]+) ([\d:,]+)", code_of(reply.tagged))
    assert match, reply.tagged
    assert int(match.group(1)) == uidvalidity(client, f"{folder}/dest")
    src, dst = uid_set(match.group(2)), uid_set(match.group(3))
    assert sorted(src) == sorted(uid for uid, seq in source.items() if seq >= 2) and len(dst) == 3
    client.command(f"EXAMINE {folder}/dest")
    bodies = {
        items["UID"]: items["BODY[HEADER.FIELDS (SUBJECT)]"]
        for items in fetches(client.command("FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")).values()
    }
    for s, d in zip(src, dst, strict=True):  # the n-th source UID became the n-th destination UID
        assert bodies[d] == f"Subject: copy {source[s] - 1}\r\n\r\n".encode()


def test_uid_expunge_only_the_named_messages(client: Raw, folder: str) -> None:
    for n in range(3):
        client.append(folder, plain(f"x{n}"), flags="\\Deleted")
    client.select(folder)
    uids = [items["UID"] for items in fetches(client.command("FETCH 1:* UID")).values()]
    reply = client.command(f"UID EXPUNGE {uids[1]}")
    assert reply.ok and reply.named("EXPUNGE") == [b"* 2 EXPUNGE"], reply  # RFC 4315 2.1
    left = [items["UID"] for items in fetches(client.command("FETCH 1:* UID")).values()]
    assert left == [uids[0], uids[2]]


def test_uid_expunge_skips_undeleted(client: Raw, folder: str) -> None:
    client.append(folder, plain("keep"))
    client.select(folder)
    uid = fetches(client.command("FETCH 1 UID"))[1]["UID"]
    reply = client.command(f"UID EXPUNGE {uid}")
    assert reply.ok and not reply.named("EXPUNGE")


def test_copy_to_missing_folder_says_trycreate(client: Raw, folder: str) -> None:
    client.append(folder, plain("x"))
    client.select(folder)
    reply = client.command("COPY 1 NoSuchFolder")
    assert reply.status == "NO" and code_of(reply.tagged) == "TRYCREATE"


def test_uid_copy_reports_copyuid(client: Raw, folder: str) -> None:
    client.append(folder, plain("uid copy"))
    assert client.command(f"CREATE {folder}/to").ok
    client.select(folder)
    uid = fetches(client.command("FETCH 1 UID"))[1]["UID"]
    reply = client.command(f"UID COPY {uid} {folder}/to")
    match = re.fullmatch(r"COPYUID (\d+) (\d+) (\d+)", code_of(reply.tagged))
    assert reply.ok and match and int(match.group(2)) == uid, reply
    assert client.command(f"UID COPY {uid + 1000} {folder}/to").ok  # type: ignore[operator]  # no such UID: nothing, no error
