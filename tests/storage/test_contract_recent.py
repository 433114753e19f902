"""\\Recent in storage (storage/recent.py) on both backends: every Store on the database (every IMAP
worker process) shares one mark per folder, so a UID is handed out as recent once (RFC 3501 2.3.2)."""

from __future__ import annotations

import threading
from pathlib import Path

from storage.store import open_store
from tests.storage.conftest import Demo

ALICE = "alice@example.test"


def test_a_uid_is_recent_in_one_claim_across_stores(demo: Demo, store_url: str, blob_dir: Path) -> None:
    inbox = demo.folder(ALICE).id
    other = open_store(store_url, blob_dir)  # another process's view of the same database
    try:
        assert demo.store.recent.claim(inbox, [1, 2, 3], claim=True) == {1, 2, 3}
        assert other.recent.claim(inbox, [1, 2, 3], claim=True) == set()
        assert other.recent.claim(inbox, [1, 2, 3, 4], claim=True) == {4}
        assert demo.store.recent.claim(inbox, [1, 2, 3, 4, 5], claim=True) == {5}
        assert other.recent.mark(inbox) == 5
    finally:
        other.close()


def test_looking_does_not_claim(demo: Demo) -> None:
    """EXAMINE and STATUS see what is recent without taking it (RFC 3501 6.3.2)."""
    recent = demo.store.recent
    inbox, sent = demo.folder(ALICE).id, demo.folder(ALICE, "Sent").id
    assert recent.claim(inbox, [7, 8], claim=False) == {7, 8}
    assert recent.claim(inbox, [7, 8], claim=True) == {7, 8}
    assert recent.claim(inbox, [7, 8], claim=False) == set()
    assert recent.claim(sent, [7, 8], claim=False) == {7, 8}  # one mark per folder
    assert recent.claim(inbox, [], claim=True) == set()


def test_racing_claims_get_disjoint_sets(demo: Demo, store_url: str, blob_dir: Path) -> None:
    inbox = demo.folder(ALICE).id
    stores = [open_store(store_url, blob_dir) for _ in range(4)]
    got: list[set[int]] = []
    start = threading.Barrier(len(stores))

    def claimer(n: int) -> None:
        start.wait()
        for top in range(1, 21):
            got.append(stores[n].recent.claim(inbox, list(range(1, top + 1)), claim=True))

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(len(stores))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for st in stores:
            st.close()
    claimed = [uid for batch in got for uid in batch]
    assert sorted(claimed) == list(range(1, 21))  # each UID once, none lost


def test_the_mark_goes_with_its_folder(demo: Demo) -> None:
    folder = demo.store.folders.create(ALICE, "Projects")
    assert demo.store.recent.claim(folder.id, [1, 2], claim=True) == {1, 2}
    demo.store.folders.delete(ALICE, "Projects")
    again = demo.store.folders.create(ALICE, "Projects")
    assert demo.store.recent.claim(again.id, [1, 2], claim=True) == {1, 2}
