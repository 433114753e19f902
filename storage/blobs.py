"""Content-addressed message bodies on the filesystem.

A blob is named by the SHA-256 of its bytes and written once: to a temporary file, fsync'd, renamed into
``ab/<sha>``, then the directory is fsync'd, so after ``put`` returns the bytes survive a crash. The
database row that references a blob is committed only after that, which gives the crash rule the rest of
storage relies on: a committed body row always has its file; a file may lack a row (a delivery that died
before its commit), and ``storage check`` removes those orphans.

The directory fsyncs may be left to the transaction instead (``put_unsynced`` + ``sync_before_commit``):
the hot paths (a delivery, a queued message) hand the directories their rename changed to the write
unit, and the group committer (or ``Database.write``) fsyncs the distinct ones of its whole group right
before its COMMIT, so the rule above still holds (no row is committed before its file's name is durable)
while concurrent messages share those fsyncs (on ext4 the first forces the journal commit that makes the
others cheap) and none of them runs on the caller's thread.

Layout: the 256 shard directories ``00/`` .. ``ff/`` are created (and the root fsync'd once) at a store's
first write, so a new blob adds one entry to a directory that already exists and costs two fsyncs, the file's
and its shard's, as a Maildir delivery does (file, ``new/``). Stores written before this kept blobs one
level deeper, ``ab/cd/<sha>``, which made nearly every blob of a young store create a directory (two
directory fsyncs, three when ``ab/`` was new too); those files stay where they are and are found there
(reads, ``exists``, ``delete`` and iteration look in both places; new content goes to ``ab/``).

``put`` never runs its fsyncs on a gevent hub (:mod:`storage.off_hub`). The interface is small on purpose (put, open, read, reader, delete, iterate) so an S3-compatible store can
stand beside this one later.

Readers (``BlobStore.reader``) serve IMAP FETCH and other streamed reads: they hold the open file, not a
database transaction, and hand out byte ranges in chunks of ``READ_CHUNK``, so a reader that is drained
slowly by a slow client costs one file descriptor and one chunk, whatever the blob's size. On POSIX an
open file stays readable after the collector unlinks it, so an expunge meanwhile cannot cut a body short.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from storage.errors import NotFound
from storage.off_hub import run_off_hub

READ_CHUNK = 64 * 1024
_HEX = frozenset("0123456789abcdef")
SHARDS_MARKER = ".shards"  # in the root once the 256 shard directories exist


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Filesystem blob store rooted at one directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._root_text = str(self.root)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._shards_ready = False  # the 256 shard directories are known to exist (see _make_shards)

    def path(self, sha: str) -> Path:
        """Where the blob is: ``ab/<sha>``, or ``ab/cd/<sha>`` for one written by an older version."""
        flat = self._flat(sha)
        if not os.path.exists(flat):
            legacy = self._legacy(sha)
            if os.path.exists(legacy):
                return Path(legacy)
        return Path(flat)

    def exists(self, sha: str) -> bool:
        return os.path.exists(self._flat(sha)) or os.path.exists(self._legacy(sha))

    def _flat(self, sha: str) -> str:
        if len(sha) != 64 or not set(sha) <= _HEX:
            raise ValueError(f"not a blob name: {sha!r}")
        return f"{self._root_text}/{sha[:2]}/{sha}"

    def _legacy(self, sha: str) -> str:
        return f"{self._root_text}/{sha[:2]}/{sha[2:4]}/{sha}"

    def _make_shards(self) -> list[str]:
        """Create the 256 shard directories, all at once, at the first write of a store (a store only
        read, as most tests' are, never pays for them); the directories the caller must fsync before
        a row may rely on them: the root, once per process (another process may have made them and
        not fsync'd it yet). The marker file spares later opens the 256 checks: should it outlive a
        directory (a crash before that fsync), ``_put_unsynced`` creates the missing one."""
        self._shards_ready = True
        if os.path.exists(f"{self._root_text}/{SHARDS_MARKER}"):
            return [self._root_text]
        for i in range(256):
            os.makedirs(f"{self._root_text}/{i:02x}", exist_ok=True)
        with open(f"{self._root_text}/{SHARDS_MARKER}", "w"):
            pass
        return [self._root_text]

    def put(self, data: bytes, sha: str | None = None) -> str:
        """Store ``data`` durably and return its name; a no-op when the same content is already stored.

        Called on a gevent hub, the write and its fsyncs run in the hub's threadpool (other sessions go
        on, and concurrent puts' fsyncs overlap); from a real thread, inline.
        """
        return run_off_hub(self._put, data, sha)

    def put_unsynced(self, data: bytes, sha: str | None = None) -> tuple[str, list[str]]:
        """As ``put``, except the directories: the name and the directories that still need an fsync
        before a row referencing the blob may commit (hand them to ``sync_before_commit``)."""
        return run_off_hub(self._put_unsynced, data, sha)

    def _put(self, data: bytes, sha: str | None) -> str:
        sha, dirs = self._put_unsynced(data, sha)
        for directory in dirs:
            _fsync_dir(directory)
        return sha

    def _put_unsynced(self, data: bytes, sha: str | None) -> tuple[str, list[str]]:
        sha = sha or sha256_hex(data)
        final = self._flat(sha)
        shard = f"{self._root_text}/{sha[:2]}"
        if os.path.exists(final):  # its writer may not have fsync'd the directory yet: whoever commits does
            return sha, [shard]
        legacy = self._legacy(sha)
        if os.path.exists(legacy):
            return sha, [legacy.rsplit("/", 1)[0]]
        tmp = f"{self.tmp}/{sha}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        made = [] if self._shards_ready else self._make_shards()
        try:
            os.replace(tmp, final)
        except FileNotFoundError:  # the shard directory is gone (removed by hand, or a crash)
            os.makedirs(shard, exist_ok=True)
            os.replace(tmp, final)
            return sha, [self._root_text, shard]
        return sha, [*made, shard]

    def open(self, sha: str) -> BinaryIO:
        return open(self.path(sha), "rb")

    def read(self, sha: str, start: int = 0, end: int | None = None) -> bytes:
        """The whole blob, or the byte range [start, end) of it (IMAP partial fetches read only that)."""
        with self.open(sha) as fh:
            if start:
                fh.seek(start)
            return fh.read() if end is None else fh.read(max(0, end - start))

    def reader(self, sha: str) -> BlobReader:
        """An open reader of one blob; NotFound when it is gone (collected after an expunge).

        The path is joined as text, not with pathlib: POP3 RETR and IMAP FETCH open one per message, and
        building a ``Path`` cost more than opening the file."""
        try:
            fd = os.open(self._flat(sha), os.O_RDONLY)
        except FileNotFoundError:
            try:
                fd = os.open(self._legacy(sha), os.O_RDONLY)
            except FileNotFoundError:
                raise NotFound(f"message body {sha[:12]} is no longer stored") from None
        return BlobReader(fd)

    def delete(self, sha: str) -> None:
        for path in (self._flat(sha), self._legacy(sha)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def size(self, sha: str) -> int:
        return self.path(sha).stat().st_size

    def __iter__(self) -> Iterator[str]:
        """Every stored blob name (for ``storage check``; never on a request path)."""
        for first in sorted(self.root.iterdir()):
            if len(first.name) != 2 or not first.is_dir():
                continue
            names: set[str] = set()
            for entry in first.iterdir():
                if len(entry.name) == 64:
                    names.add(entry.name)
                elif len(entry.name) == 2 and entry.is_dir():  # the older two-level layout
                    names.update(f.name for f in entry.iterdir() if len(f.name) == 64)
            yield from sorted(names)

    def stale_temporaries(self, older_than: float = 3600.0) -> list[Path]:
        """Temporary files left by a writer that died before its rename: its process is gone, or the
        file is older than ``older_than`` seconds (in case the pid was reused)."""
        cutoff = time.time() - older_than
        stale = []
        for p in self.tmp.iterdir():
            parts = p.name.split(".")
            pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
            try:
                if (pid is not None and not _alive(pid)) or p.stat().st_mtime < cutoff:
                    stale.append(p)
            except FileNotFoundError:  # renamed into place meanwhile
                continue
        return stale


class BlobReader:
    """One open blob: its size and byte ranges, read with ``pread`` so several ranges may be read in
    any order without sharing a file position. Close it (or use it as a context manager)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.size = os.fstat(fd).st_size

    def read(self, start: int, end: int) -> bytes:
        """The bytes [start, end) (clipped to the blob), in one piece: for small ranges only."""
        return b"".join(self.chunks(start, end))

    def chunks(self, start: int, end: int, chunk: int = READ_CHUNK) -> Iterator[bytes]:
        """The bytes [start, end) (clipped to the blob) in pieces of at most ``chunk`` bytes."""
        pos, end = max(0, start), min(end, self.size)
        while pos < end:
            data = os.pread(self._fd, min(chunk, end - pos), pos)
            if not data:  # the file is shorter than it was: never spin
                return
            pos += len(data)
            yield data

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            self.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sync_before_commit(info: dict[Any, Any], dirs: Iterable[str]) -> None:
    """Leave the fsync of ``dirs`` to the COMMIT of the transaction whose ``Connection.info`` this is
    (``Database.write`` and the group committer fsync ``info["sync_dirs"]`` before they commit); a
    transaction that does not collect them gets them fsync'd now."""
    pending = info.get("sync_dirs")
    if pending is None:
        for directory in dirs:
            _fsync_dir(directory)
    else:
        pending.update(dirs)


def fsync_dirs(dirs: Iterable[str]) -> None:
    """fsync each directory (the distinct ones of a commit group), off the gevent hub."""
    if dirs:
        run_off_hub(_fsync_all, sorted(dirs))


def _fsync_all(dirs: list[str]) -> None:
    for directory in dirs:
        _fsync_dir(directory)


def _fsync_dir(directory: Path | str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
