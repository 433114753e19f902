"""storage.maildrop (POP3's view of a folder) on every backend: the snapshot comes from the index in UID
order with sizes and blob names; refresh reports other clients' expunges and re-checks the rights;
removal is one transaction that skips what is already gone; \\Seen needs "s", removal "t" and "e"."""

from __future__ import annotations

import pytest

from storage.errors import NotFound, PermissionDenied
from tests.storage.conftest import Demo, build_message

ALICE, BOB = "alice@example.test", "bob@example.test"


def fill(demo: Demo, count: int) -> int:
    folder = demo.folder(ALICE).id
    for n in range(count):
        demo.store.mail.append_to_folder(folder, build_message(subject=f"m{n}", body="x" * n))
    return folder


def test_snapshot_refresh_seen_and_remove(demo: Demo) -> None:
    store = demo.store
    folder = fill(demo, 4)
    drop = store.for_user(demo.alice.id).maildrop.open(ALICE)
    uids = store.mail.uids(folder)
    assert list(drop.uids) == uids and drop.folder_id == folder
    info = store.mail.info(folder, with_structure=False)
    assert list(drop.sizes) == [i.size for i in info] and drop.total_bytes == sum(i.size for i in info)
    assert drop.may_mark_seen and drop.may_remove
    maildrop = store.for_user(demo.alice.id).maildrop
    with maildrop.body(drop, 2) as reader:
        assert reader.read(0, reader.size) == store.mail.raw(folder, uids[2])

    store.mail.set_flags(folder, [uids[1]], ["\\Deleted"], "add")
    store.mail.expunge(folder)  # another client, meanwhile
    assert maildrop.refresh(drop) == [uids[1]]

    assert maildrop.mark_seen(folder, [uids[0], uids[1]]) == 1  # the expunged one is skipped
    assert maildrop.remove(folder, [uids[1], uids[3]]) == [uids[3]]
    assert store.mail.uids(folder) == [uids[0], uids[2]]
    assert ["\\Seen" in f.flags for f in store.mail.flags(folder)] == [True, False]


def test_rights_are_checked(demo: Demo) -> None:
    store = demo.store
    folder = fill(demo, 2)
    bob = store.for_user(demo.bob.id).maildrop
    with pytest.raises(NotFound):
        bob.open(ALICE)  # no "l": the folder does not exist for bob
    store.for_user(demo.alice.id).change_entry(folder, BOB, "lr")
    drop = bob.open(ALICE)
    assert len(drop.uids) == 2 and not drop.may_mark_seen and not drop.may_remove
    assert bob.mark_seen(folder, drop.uids) == 0  # read, and left unseen
    with pytest.raises(PermissionDenied):
        bob.remove(folder, drop.uids)
    assert len(store.mail.uids(folder)) == 2
    store.for_user(demo.alice.id).delete_entry(folder, BOB)
    with pytest.raises(NotFound):
        bob.refresh(drop)


def test_a_large_folder_opens_from_the_index(demo: Demo) -> None:
    store = demo.store
    folder = fill(demo, 300)
    drop = store.for_user(demo.alice.id).maildrop.open(ALICE, "INBOX")
    assert len(drop.uids) == 300 and len(drop.shas) == 300 * 32
    assert drop.sha(299) == store.mail.info(folder, [drop.uids[299]], with_structure=False)[0].sha256
