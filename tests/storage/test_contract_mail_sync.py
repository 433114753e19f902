"""store.for_user(...).sync (storage.mail_sync) on both backends: folders with sync points and counters,
messages by (folder, UID), conversations across folders, nested queries paged from the indexes, and the
MODSEQ changes a synchronising client reads -- all under the rights engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.mail_sync import Cond, Op, Sort
from tests.storage.conftest import Demo
from tests.storage.test_contract_message_list import raw

ALICE = "alice@example.test"
BOB = "bob@example.test"


def deliver(demo: Demo, message: bytes, to: str = ALICE) -> int:
    return demo.store.mail.deliver(message, [to]).delivered[to][1]


def test_folders_carry_counters_sync_points_and_rights(demo: Demo) -> None:
    deliver(demo, raw("one", msgid="<1@x>"))
    deliver(demo, raw("Re: one", msgid="<2@x>", refs="<1@x>"))
    deliver(demo, raw("two", msgid="<3@x>"))
    alice = demo.store.for_user(demo.alice.id)
    inbox = demo.folder(ALICE)
    alice.set_flags(inbox.id, [3], ["\\Seen"])
    folders = {f.tree.path: f for f in alice.sync.folders()}
    assert "Calendar" not in folders
    f = folders["INBOX"]
    assert (f.tree.total, f.tree.unread, f.threads, f.unread_threads) == (3, 2, 2, 1)
    assert f.highestmodseq == demo.folder(ALICE).highestmodseq and f.uidnext == 4
    assert f.subscribed and f.parent_id is None


def test_shared_folder_is_seen_read_only_and_hidden_ones_are_absent(demo: Demo) -> None:
    bob = demo.store.for_user(demo.bob.id)
    shared = bob.create_folder(BOB, "Shared")
    deliver(demo, raw("for bob"), BOB)
    bob.copy(demo.folder(BOB).id, [1], shared.id)
    bob.change_entry(shared.id, ALICE, "lr")
    alice = demo.store.for_user(demo.alice.id).sync
    seen = [f for f in alice.folders() if f.tree.section == "shared"]
    assert [(f.tree.path, f.tree.total) for f in seen] == [("Shared", 1)]
    assert alice.messages([(shared.id, 1), (demo.folder(BOB).id, 1)]).keys() == {(shared.id, 1)}
    assert shared.id in alice.readable_folders() and demo.folder(BOB).id not in alice.readable_folders()
    with pytest.raises(NotFound):
        alice.changed_since(demo.folder(BOB).id, 0)
    bob.change_entry(shared.id, ALICE, "l")
    with pytest.raises(PermissionDenied):
        alice.changed_since(shared.id, 0)
    assert alice.messages([(shared.id, 1)]) == {}


def test_messages_and_threads_across_folders(demo: Demo) -> None:
    deliver(demo, raw("root", msgid="<r@x>", sender="Ann <ann@x.test>"))
    deliver(demo, raw("Re: root", msgid="<s@x>", refs="<r@x>"))
    alice = demo.store.for_user(demo.alice.id)
    inbox, archive = demo.folder(ALICE).id, demo.folder(ALICE, "Archive").id
    alice.move(inbox, [2], archive)
    got = alice.sync.messages([(inbox, 1), (archive, 1), (inbox, 2)])
    assert set(got) == {(inbox, 1), (archive, 1)}
    root = got[(inbox, 1)]
    assert (root.subject, root.from_addr, root.message_id) == ("root", "ann@x.test", "<r@x>")
    assert root.thread_key and got[(archive, 1)].thread_key == root.thread_key
    assert alice.sync.thread(root.thread_key) == [(inbox, 1), (archive, 1)]


def test_changed_since_gives_flag_changes_new_and_expunged(demo: Demo) -> None:
    for i in range(3):
        deliver(demo, raw(f"m{i}"))
    alice = demo.store.for_user(demo.alice.id)
    inbox = demo.folder(ALICE)
    point = inbox.highestmodseq
    alice.set_flags(inbox.id, [1], ["\\Deleted"])
    alice.expunge(inbox.id)
    alice.set_flags(inbox.id, [2], ["\\Flagged"])
    deliver(demo, raw("m3"))
    changed, gone = alice.sync.changed_since(inbox.id, point)
    assert [uid for uid, _ in changed] == [2, 4] and [uid for uid, _ in gone] == [1]


@pytest.fixture
def many(demo: Demo) -> tuple[Demo, int, int]:
    """30 messages in INBOX (day i, size growing) and 10 in Archive."""
    for i in range(40):
        when = datetime(2025, 1, 1 + i % 28, 10, i, tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        deliver(demo, raw(f"subject {i:02d}", when=when, body=f"word{i} " + "x" * i))
    alice = demo.store.for_user(demo.alice.id)
    inbox, archive = demo.folder(ALICE).id, demo.folder(ALICE, "Archive").id
    alice.move(inbox, range(31, 41), archive)
    alice.set_flags(inbox, range(1, 11), ["\\Seen"])
    return demo, inbox, archive


def test_query_pages_one_folder_and_many(many: tuple[Demo, int, int]) -> None:
    demo, inbox, archive = many
    sync = demo.store.for_user(demo.alice.id).sync
    by_size = [Sort("size", True)]
    page = sync.query(Cond("folders", [inbox]), by_size, position=5, limit=5, total=True)
    assert page.keys == [(inbox, u) for u in range(6, 11)] and page.total == 30
    everything = sync.query(None, by_size, position=28, limit=4, total=True)
    assert everything.total == 40
    assert everything.keys == [(inbox, 29), (inbox, 30), (archive, 1), (archive, 2)]
    unseen = sync.query(
        Op("and", (Cond("folders", [inbox]), Op("not", (Cond("flag", "\\Seen"),)))), by_size, limit=100
    )
    assert [u for _, u in unseen.keys] == list(range(11, 31))
    either = sync.query(Op("or", (Cond("min_size", 10_000), Cond("text_body", "word3"))), by_size, limit=100)
    # word3 is a prefix of word30..word39 (moved to Archive) too; nothing is 10,000 bytes
    assert set(either.keys) == {(inbox, 4), *((archive, u) for u in range(1, 11))}
    last = sync.query(Cond("folders", [inbox]), by_size, position=-3, limit=10)
    assert last.position == 27 and last.keys == [(inbox, 28), (inbox, 29), (inbox, 30)]
    anchored = sync.query(None, by_size, anchor=(archive, 1), anchor_offset=-1, limit=2)
    assert anchored.keys == [(inbox, 30), (archive, 1)]
    with pytest.raises(NotFound):
        sync.query(Cond("folders", [inbox]), by_size, anchor=(archive, 1))
    with pytest.raises(InvalidInput):
        sync.query(None, [Sort("colour")])


def test_query_collapses_conversations(demo: Demo) -> None:
    deliver(demo, raw("root", msgid="<r@x>", when="Mon, 06 Jan 2025 10:00:00 +0000"))
    deliver(demo, raw("Re: root", msgid="<s@x>", refs="<r@x>", when="Tue, 07 Jan 2025 10:00:00 +0000"))
    deliver(demo, raw("other", msgid="<o@x>", when="Wed, 08 Jan 2025 10:00:00 +0000"))
    sync = demo.store.for_user(demo.alice.id).sync
    inbox = demo.folder(ALICE).id
    newest = [Sort("sent", False)]
    page = sync.query(Cond("folders", [inbox]), newest, collapse_threads=True, total=True)
    assert page.keys == [(inbox, 3), (inbox, 2)] and page.total == 2
    flagged = demo.store.for_user(demo.alice.id)
    flagged.set_flags(inbox, [1], ["$important"])
    some = sync.query(Cond("thread_flag_some", "$Important"), newest)
    assert some.keys == [(inbox, 2), (inbox, 1)]
    none = sync.query(Cond("thread_flag_none", "$important"), newest)
    assert none.keys == [(inbox, 3)]
    assert sync.query(Cond("keyword", "$IMPORTANT"), newest).keys == [(inbox, 1)]
