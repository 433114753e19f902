"""The change feed: subscribers are woken for every committed change, from this process and from others."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from storage.changes import Change
from storage.store import Store, open_store
from tests.storage.conftest import Demo, build_message

ALICE = "alice@example.test"
BOB = "bob@example.test"
REPO = Path(__file__).resolve().parents[2]
WAKE_WITHIN = 2.0


class Inbox:
    """A subscriber that remembers what it got and when."""

    def __init__(self) -> None:
        self.changes: list[tuple[float, Change]] = []
        self.cond = threading.Condition()

    def __call__(self, batch: list[Change]) -> None:
        now = time.time()
        with self.cond:
            self.changes.extend((now, c) for c in batch)
            self.cond.notify_all()

    def wait_for(self, predicate: object, timeout: float = WAKE_WITHIN) -> tuple[float, Change] | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.changes:
                    if predicate(item[1]):  # type: ignore[operator]
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


def subscribe(store: Store) -> Inbox:
    inbox = Inbox()
    store.changes.subscribe(inbox)
    return inbox


def test_in_process_delivery_wakes_subscriber(demo: Demo) -> None:
    store = demo.store
    got = subscribe(store)
    inbox_id = store.folders.get(ALICE, "INBOX").id
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    item = got.wait_for(lambda c: c.kind == "new" and c.folder_id == fid and c.uid == uid)
    assert item is not None, "no 'new' change within 2 s"
    change = item[1]
    assert change.folder_id == inbox_id
    assert change.account_id == demo.alice.id
    assert change.modseq == store.folders.get(ALICE, "INBOX").highestmodseq


def test_every_commit_wakes_subscribers(demo: Demo) -> None:
    """Not just the first few: each of many successive deliveries is seen within the limit."""
    store = demo.store
    got = subscribe(store)
    for n in range(8):
        fid, uid = store.mail.deliver(build_message(subject=f"n{n}"), [ALICE]).delivered[ALICE]
        item = got.wait_for(
            lambda c, fid=fid, uid=uid: c.kind == "new" and c.uid == uid and c.folder_id == fid
        )
        assert item is not None, f"delivery number {n + 1} woke no subscriber within 2 s"


def test_kinds_of_change(demo: Demo) -> None:
    store = demo.store
    got = subscribe(store)
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    assert got.wait_for(lambda c: c.kind == "new" and c.uid == uid)
    store.mail.set_flags(fid, [uid], ["\\Deleted"])
    assert got.wait_for(lambda c: c.kind == "flags" and c.folder_id == fid)
    store.mail.expunge(fid)
    assert got.wait_for(lambda c: c.kind == "expunge" and c.folder_id == fid)
    made = store.folders.create(ALICE, "Fresh")
    assert got.wait_for(lambda c: c.kind == "folder" and c.folder_id == made.id)
    modseqs = [c.modseq for _, c in got.changes if c.folder_id == fid]
    assert modseqs == sorted(modseqs) and len(set(modseqs)) == len(modseqs)


def test_since_and_unsubscribe(demo: Demo) -> None:
    store = demo.store
    mark = store.changes.latest_id()
    got = Inbox()
    subscription = store.changes.subscribe(got)
    other = subscribe(store)
    subscription.close()
    subscription.close()  # closing twice is harmless
    assert subscription.closed
    fid, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    assert other.wait_for(lambda c: c.uid == uid)
    assert got.changes == []
    later = store.changes.since(mark)
    assert [(c.kind, c.folder_id, c.uid) for c in later] == [("new", fid, uid)]
    assert store.changes.latest_id() == later[-1].id


def test_broken_subscriber_does_not_stop_the_feed(demo: Demo) -> None:
    store = demo.store

    def broken(batch: list[Change]) -> None:
        raise RuntimeError("subscriber bug")

    store.changes.subscribe(broken)
    got = subscribe(store)
    for _ in range(2):
        _, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
        assert got.wait_for(lambda c, uid=uid: c.uid == uid)


@pytest.fixture
def writer(demo: Demo, store_url: str, blob_dir: Path) -> Iterator[Store]:
    """A second Store on the same database: stands in for another process (its own engine, its own
    feed); the subscriptions are made on ``demo.store``."""
    other = open_store(store_url, blob_dir)
    yield other
    other.close()


def seen_folders(inbox: Inbox) -> set[int]:
    with inbox.cond:
        return {c.folder_id for _, c in inbox.changes}


def test_folder_subscription_gets_only_its_folder(demo: Demo, writer: Store) -> None:
    store = demo.store
    inbox_id = store.folders.get(ALICE, "INBOX").id
    work = writer.folders.create(ALICE, "Work")
    mine, everything = Inbox(), Inbox()
    with store.changes.subscribe(mine, folder_id=inbox_id) as subscription:
        assert subscription.folder_id == inbox_id and subscription.account_id is None
        store.changes.subscribe(everything)
        writer.mail.append(ALICE, "Work", build_message(subject="elsewhere"))
        assert everything.wait_for(lambda c: c.folder_id == work.id and c.kind == "new")
        _, uid = writer.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
        assert mine.wait_for(lambda c: c.kind == "new" and c.uid == uid)
        assert everything.wait_for(lambda c: c.folder_id == inbox_id and c.uid == uid)
        assert seen_folders(mine) == {inbox_id}  # the Work append was not handed to it
    assert subscription.closed


def test_account_subscription_gets_every_folder_of_the_account(demo: Demo, writer: Store) -> None:
    store = demo.store
    alices, bobs = Inbox(), Inbox()
    store.changes.subscribe(alices, account_id=demo.alice.id)
    store.changes.subscribe(bobs, account_id=demo.bob.id)
    made = writer.folders.create(ALICE, "Projects")
    assert alices.wait_for(lambda c: c.kind == "folder" and c.folder_id == made.id)
    fid, uid = writer.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    assert alices.wait_for(lambda c: c.kind == "new" and c.uid == uid and c.folder_id == fid)
    bob_fid, bob_uid = writer.mail.deliver(build_message(), [BOB]).delivered[BOB]
    assert bobs.wait_for(lambda c: c.uid == bob_uid and c.folder_id == bob_fid)
    with alices.cond:
        assert {c.account_id for _, c in alices.changes} == {demo.alice.id}


def test_closed_subscription_is_not_woken(demo: Demo, writer: Store) -> None:
    store = demo.store
    inbox_id = store.folders.get(ALICE, "INBOX").id
    closed, open_ = Inbox(), Inbox()
    store.changes.subscribe(closed, folder_id=inbox_id).close()
    store.changes.subscribe(open_, folder_id=inbox_id)
    _, uid = writer.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    assert open_.wait_for(lambda c: c.uid == uid)
    assert closed.changes == []
    with pytest.raises(ValueError):
        store.changes.subscribe(closed, folder_id=inbox_id, account_id=demo.alice.id)


def test_many_subscribers_of_one_folder_are_all_woken(demo: Demo, writer: Store) -> None:
    store = demo.store
    inbox_id = store.folders.get(ALICE, "INBOX").id
    inboxes = [Inbox() for _ in range(50)]
    subscriptions = [store.changes.subscribe(i, folder_id=inbox_id) for i in inboxes]
    assert store.changes.subscribers(inbox_id) == {s.token for s in subscriptions}
    _, uid = writer.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    for inbox in inboxes:
        assert inbox.wait_for(lambda c: c.uid == uid)
    for subscription in subscriptions:
        subscription.close()
    assert store.changes.subscribers(inbox_id) == frozenset()


def test_acl_change_wakes_the_folder_and_the_folders_below(demo: Demo, writer: Store) -> None:
    """Granting or withdrawing rights changes what a session there may see: its subscribers (and
    those of subfolders, which inherit the entry) are woken with an ``acl`` change."""
    store = demo.store
    shared = writer.folders.create(ALICE, "Shared")
    below = writer.folders.create(ALICE, "Shared/Below")
    other = writer.folders.create(ALICE, "Other")
    on_shared, on_below, on_other = Inbox(), Inbox(), Inbox()
    store.changes.subscribe(on_shared, folder_id=shared.id)
    store.changes.subscribe(on_below, folder_id=below.id)
    store.changes.subscribe(on_other, folder_id=other.id)

    def woken(inbox: Inbox, folder_id: int, after: int) -> Change:
        item = inbox.wait_for(lambda c: c.kind == "acl" and c.folder_id == folder_id and c.id > after)
        assert item is not None, f"no acl change of folder {folder_id} within 2 s"
        return item[1]

    mark = writer.changes.latest_id()
    writer.acl.grant(ALICE, "Shared", BOB, "lr")
    assert woken(on_shared, shared.id, mark).account_id == demo.alice.id
    assert woken(on_below, below.id, mark).account_id == demo.alice.id

    mark = writer.changes.latest_id()
    assert writer.acl.revoke(ALICE, "Shared", BOB)
    woken(on_shared, shared.id, mark)
    woken(on_below, below.id, mark)

    # the user-bound forms (IMAP SETACL and DELETEACL) record the same
    mark = writer.changes.latest_id()
    writer.for_user(demo.alice.id).change_entry(shared.id, BOB, "l")
    woken(on_below, below.id, mark)
    mark = writer.changes.latest_id()
    assert writer.for_user(demo.alice.id).delete_entry(shared.id, BOB)
    woken(on_below, below.id, mark)
    assert on_other.changes == []


def test_group_membership_change_wakes_the_folders_it_has_rights_on(demo: Demo, writer: Store) -> None:
    """A group's members get its rights: adding or removing a member (of it or of a group inside it)
    or deleting it changes who may see the folders it has entries on, so those are woken too."""
    store = demo.store
    team, everyone = "team@example.test", "everyone@example.test"
    writer.groups.add(team)
    writer.groups.add(everyone)
    writer.groups.add_member(everyone, team)
    by_team = writer.folders.create(ALICE, "Team")
    by_everyone = writer.folders.create(ALICE, "Everyone")
    untouched = writer.folders.create(ALICE, "Private")
    writer.acl.grant(ALICE, "Team", team, "lr")
    writer.acl.grant(ALICE, "Everyone", everyone, "l")
    on_team, on_everyone, on_private = Inbox(), Inbox(), Inbox()
    store.changes.subscribe(on_team, folder_id=by_team.id)
    store.changes.subscribe(on_everyone, folder_id=by_everyone.id)
    store.changes.subscribe(on_private, folder_id=untouched.id)

    def woken(inbox: Inbox, folder_id: int, after: int) -> None:
        item = inbox.wait_for(lambda c: c.kind == "acl" and c.folder_id == folder_id and c.id > after)
        assert item is not None, f"no acl change of folder {folder_id} within 2 s"

    for change in (
        lambda: writer.groups.add_member(team, BOB),
        lambda: writer.groups.remove_member(team, BOB),
        lambda: writer.groups.delete(team),
    ):
        mark = writer.changes.latest_id()
        change()
        woken(on_team, by_team.id, mark)
        woken(on_everyone, by_everyone.id, mark)  # team is inside everyone
    assert on_private.changes == []


def test_prune_deletes_only_rows_older_than_the_retention(demo: Demo) -> None:
    store = demo.store
    store.mail.deliver(build_message(), [ALICE])
    first = store.changes.since(0)
    assert first
    later = first[-1].at + timedelta(days=2)
    assert store.changes.prune(timedelta(days=3), now=later) == 0
    assert store.changes.prune(timedelta(days=1), now=later) == len(first)
    assert store.changes.since(0) == []
    _, uid = store.mail.deliver(build_message(), [ALICE]).delivered[ALICE]
    assert [c.uid for c in store.changes.since(0) if c.kind == "new"] == [uid]  # ids go on, not reused
    assert store.changes.latest_id() > first[-1].id


CHILD = """
import sys, time
from storage.store import open_store
store = open_store(sys.argv[1], sys.argv[2])
try:
    for n in range(int(sys.argv[3])):
        result = store.mail.deliver(sys.stdin.buffer.read() if n == 0 else b"Subject: again %d\\r\\n\\r\\nbody\\r\\n" % n,
                                    ["alice@example.test"])
        fid, uid = result.delivered["alice@example.test"]
        print(time.time(), fid, uid, flush=True)
        time.sleep(0.3)
finally:
    store.close()
"""


def test_change_from_another_process_wakes_subscriber(demo: Demo, store_url: str, blob_dir: Path) -> None:
    store = demo.store
    got = subscribe(store)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store_url, str(blob_dir), "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(build_message(subject="from the child"))
    child.stdin.close()
    try:
        for n in range(3):
            line = child.stdout.readline().decode()
            assert line, child.stderr.read().decode() if child.stderr else "child died"
            at, fid, uid = float(line.split()[0]), int(line.split()[1]), int(line.split()[2])
            item = got.wait_for(
                lambda c, fid=fid, uid=uid: c.kind == "new" and c.folder_id == fid and c.uid == uid
            )
            assert item is not None, f"change {n + 1} from the other process not seen within 2 s"
            assert item[0] - at < WAKE_WITHIN, f"change {n + 1} seen {item[0] - at:.2f} s after its commit"
    finally:
        assert child.wait(timeout=30) == 0, child.stderr.read().decode() if child.stderr else ""
    inbox = store.folders.get(ALICE, "INBOX")
    assert inbox.message_count == 3
    (first,) = store.mail.info(inbox.id, [store.mail.uids(inbox.id)[0]])
    assert first.subject == "from the child"
    assert store.check().ok, store.check().problems
