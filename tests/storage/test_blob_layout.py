"""The blob store's layout (storage/blobs.py): a new blob goes into one of 256 shard directories made
once, so it never creates a directory (one directory fsync per blob, as Maildir's ``new/``), and blobs
that an older version wrote one level deeper (``ab/cd/<sha>``) are still read, found, deleted, listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.blobs import BlobStore, sha256_hex
from storage.errors import NotFound


def _legacy_blob(root: Path, data: bytes) -> str:
    """A blob written where the two-level layout put it."""
    sha = sha256_hex(data)
    (root / sha[:2] / sha[2:4]).mkdir(parents=True, exist_ok=True)
    (root / sha[:2] / sha[2:4] / sha).write_bytes(data)
    return sha


def test_a_new_blob_lands_in_an_existing_shard_and_leaves_one_directory_to_sync(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    first, dirs = blobs.put_unsynced(b"first message")
    # the first write of the process makes the shards and leaves the root to the commit too
    assert dirs == [str(tmp_path), str(tmp_path / first[:2])]
    assert len([p for p in tmp_path.iterdir() if p.is_dir() and len(p.name) == 2]) == 256
    before = {p for p in tmp_path.rglob("*") if p.is_dir()}
    for n in range(40):
        sha, dirs = blobs.put_unsynced(b"message %d" % n)
        assert dirs == [str(tmp_path / sha[:2])]
        assert (tmp_path / sha[:2] / sha).read_bytes() == b"message %d" % n
    assert {p for p in tmp_path.rglob("*") if p.is_dir()} == before  # no directory was created
    # the same content again writes nothing and still names its directory for the commit to sync
    assert blobs.put_unsynced(b"first message") == (first, [str(tmp_path / first[:2])])


def test_a_reopened_store_syncs_the_root_once_and_recreates_a_missing_shard(tmp_path: Path) -> None:
    BlobStore(tmp_path).put(b"made the shards")
    again = BlobStore(tmp_path)
    sha, dirs = again.put_unsynced(b"one")
    assert dirs == [str(tmp_path), str(tmp_path / sha[:2])]
    victim = sha256_hex(b"two")[:2]
    if victim != sha[:2]:
        os.rmdir(tmp_path / victim)
        sha2, dirs = again.put_unsynced(b"two")
        assert dirs == [str(tmp_path), str(tmp_path / victim)]
        assert again.read(sha2) == b"two"


def test_blobs_of_the_older_two_level_layout_are_still_served(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    old = _legacy_blob(tmp_path, b"written by an older version")
    new = blobs.put(b"written now")
    assert blobs.exists(old) and blobs.read(old) == b"written by an older version"
    with blobs.reader(old) as r:
        assert r.read(0, 7) == b"written"
    assert blobs.size(old) == len(b"written by an older version")
    assert sorted(blobs) == sorted([old, new])
    # storing the same content again does not write a second copy
    assert blobs.put_unsynced(b"written by an older version")[1] == [str(tmp_path / old[:2] / old[2:4])]
    assert not (tmp_path / old[:2] / old).exists()
    blobs.delete(old)
    assert not blobs.exists(old)
    with pytest.raises(NotFound):
        blobs.reader(old)
    assert list(blobs) == [new]
