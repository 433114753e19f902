"""FETCH of a message another session expunged, before this session is told (RFC 2180 4.1.1, issue 15
item 10): the data still known is returned, as Dovecot does and sync tools expect; the EXPUNGE comes at
the next command that may carry it, and then the message is gone for this session too."""

from __future__ import annotations

import time
from collections.abc import Callable

from sidecars.processing.schedule import housekeeping_jobs
from storage.names import utcnow
from tests.sidecars.imap.conftest import ImapService, Raw, fetches, plain
from tests.support.service import running


def two_sessions(client: Raw, folder: str, account: str, connect: Callable[..., Raw]) -> Raw:
    for n in range(1, 4):
        client.append(folder, plain(f"m{n}"))
    client.select(folder)
    other = connect(account)
    other.select(folder)
    return other


def test_fetch_returns_the_data_of_a_message_expunged_elsewhere(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    b = two_sessions(client, folder, account, connect)
    uid = fetches(b.command("FETCH 2 UID"))[2]["UID"]
    assert client.command("STORE 2 +FLAGS.SILENT (\\Deleted)").ok
    assert client.command("EXPUNGE").named("EXPUNGE") == [b"* 2 EXPUNGE"]
    reply = b.command("FETCH 2 (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])")
    assert reply.tagged.endswith(b" OK FETCH completed"), reply
    assert not reply.named("EXPUNGE")  # RFC 3501 7.4.1
    items = fetches(reply)[2]
    assert items["UID"] == uid and "\\Deleted" in items["FLAGS"]  # type: ignore[operator]
    assert items["BODY[]"] == plain("m2") and items["RFC822.SIZE"] == len(plain("m2"))
    assert items["ENVELOPE"][1] == b"m2"  # type: ignore[index]
    # still the data after another FETCH of the range, numbers unchanged
    assert sorted(fetches(b.command("FETCH 1:3 UID"))) == [1, 2, 3]
    told = b.noop_until(lambda lines: b"* 2 EXPUNGE" in lines)
    assert told.untagged.count(b"* 2 EXPUNGE") == 1
    after = fetches(b.command("FETCH 2 BODY.PEEK[]"))
    assert after[2]["BODY[]"] == plain("m3")  # number 2 is the next message now


def test_uid_fetch_returns_the_data_then_the_expunge(
    client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    b = two_sessions(client, folder, account, connect)
    uid = fetches(b.command("FETCH 1 UID"))[1]["UID"]
    client.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    client.command("EXPUNGE")
    reply = b.command(f"UID FETCH {uid} BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    assert reply.ok, reply
    assert fetches(reply)[1]["BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: m1\r\n\r\n"
    b.noop_until(lambda lines: True)  # the EXPUNGE came with the UID FETCH (RFC 3501 7.4.1) or now
    assert fetches(b.command("UID FETCH 1:* UID")).keys() == {1, 2}


def test_expunged_by_another_process_the_fetch_returns_the_data(
    imap_service: ImapService, client: Raw, folder: str, account: str, connect: Callable[..., Raw]
) -> None:
    """Storage holds what FETCH needs of every expunged message, whichever process expunged it (here the
    CLI's or WebMail's path, straight into storage from the test process)."""
    b = two_sessions(client, folder, account, connect)
    uid = fetches(b.command("FETCH 2 UID"))[2]["UID"]
    client.command("STORE 2 +FLAGS.SILENT (\\Deleted)")
    box = imap_service.store.folders.get(account, folder)
    assert imap_service.store.mail.expunge(box.id, [uid]) == [uid]
    reply = b.command("FETCH 2 (UID BODY.PEEK[])")
    assert reply.tagged.endswith(b" OK FETCH completed"), reply
    assert fetches(reply)[2] == {"UID": uid, "BODY[]": plain("m2")}


def test_expunged_by_another_imap_process_then_released(
    imap_service: ImapService, folder: str, account: str
) -> None:
    """Two IMAP service processes on one data dir (as two workers of the pool are): an expunge in one,
    a FETCH in the other gets the data, then the EXPUNGE; once imap.expunged_hold_seconds are over,
    housekeeping releases the body, the blob is collected and storage check is clean."""
    store = imap_service.store
    store.settings.set("imap.expunged_hold_seconds", 2)
    try:
        with running("sidecars.imap", "imap", imap_service.data) as (offset, proc):
            second = ImapService(imap_service.data, offset, proc, store)
            a = second.login(account)
            b = imap_service.login(account)
            assert proc.pid != imap_service.proc.pid  # a in the second process, b in the first
            texts = [plain(f"{folder}-{n}") for n in range(1, 4)]  # unique: no blob shared with other tests
            for raw in texts:
                a.append(folder, raw)
            a.select(folder)
            b.select(folder)
            uid = fetches(b.command("FETCH 2 UID"))[2]["UID"]
            (sha,) = {m.sha256 for m in store.mail.info(store.folders.get(account, folder).id, [uid])}
            assert a.command("STORE 2 +FLAGS.SILENT (\\Deleted)").ok
            assert a.command("EXPUNGE").named("EXPUNGE") == [b"* 2 EXPUNGE"]
            reply = b.command("FETCH 2 (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])")
            assert reply.tagged.endswith(b" OK FETCH completed"), reply
            items = fetches(reply)[2]
            assert items["UID"] == uid and "\\Deleted" in items["FLAGS"]  # type: ignore[operator]
            assert items["BODY[]"] == texts[1] and items["RFC822.SIZE"] == len(texts[1])
            assert items["ENVELOPE"][1] == f"{folder}-2".encode()  # type: ignore[index]
            # the other process's change reaches this one through the database's change feed
            told = b.noop_until(lambda lines: b"* 2 EXPUNGE" in lines, guard=20.0)
            assert told.untagged.count(b"* 2 EXPUNGE") == 1
            assert fetches(b.command("FETCH 2 BODY.PEEK[]"))[2]["BODY[]"] == texts[2]
            a.close()
            b.close()
    finally:
        store.settings.set("imap.expunged_hold_seconds", 35 * 60)
    assert store.blobs.exists(sha)  # held until the time is over and housekeeping runs
    time.sleep(2.1)
    (job,) = [j for j in housekeeping_jobs() if j.name == "expunged holds release"]
    assert job.run(store, utcnow()) >= 1
    assert not store.blobs.exists(sha)
    report = store.check()
    assert report.ok and report.problems == [], report.problems


def test_an_expunged_message_is_returned_only_with_the_read_right(
    client: Raw, folder: str, account: str, guest_account: str, connect: Callable[..., Raw]
) -> None:
    """The held data is read under the rights in force now (RFC 4314 4): a guest that lost "r" after the
    expunge gets NO [NOPERM] and no data of the message."""
    for n in range(1, 3):
        client.append(folder, plain(f"{folder} shared {n}"))
    assert client.command(f'SETACL {folder} "{guest_account}" lr').ok
    guest = connect(guest_account)
    guest.select(f'"Other Users/{account}/{folder}"')
    client.select(folder)
    assert client.command("STORE 1 +FLAGS.SILENT (\\Deleted)").ok
    assert client.command("EXPUNGE").ok
    reply = guest.command("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert reply.ok, reply
    assert (
        fetches(reply)[1]["BODY[HEADER.FIELDS (SUBJECT)]"] == f"Subject: {folder} shared 1\r\n\r\n".encode()
    )
    assert client.command(f'SETACL {folder} "{guest_account}" l').ok
    refused = guest.command("FETCH 1 (BODY.PEEK[])")
    assert refused.tagged.endswith(b" NO [NOPERM] permission denied: missing right(s) r"), refused
    assert not refused.named("FETCH")
