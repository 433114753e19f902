"""Files an account uploaded for later use (JMAP upload, RFC 8620 6.1): an attachment before the draft
that holds it is saved, a message before Email/import. Reached as ``store.for_user(id).uploads``.

Why files and no table: an upload is transient -- it is used within minutes by the call that names
it, then copied into a message (whose body is a normal blob with its row), or it expires. So each
account has a directory of its own, ``<blob root>/uploads/<account id>/``, holding ``<sha256>`` (the
bytes) and ``<sha256>.type`` (the media type the client declared). The SHA-256 names the upload:
the same bytes uploaded twice are one file, and one account can never name another's (the directory
is chosen by the facade's account, never by the id). The blob store's own walk (``storage check``)
skips this directory (its entries are not two-hex-digit fan-out directories).

Limits: an upload is at most ``max_bytes`` (the caller's announced limit); an account holds at most
``MAX_PENDING_BYTES`` of uploads at once (``QuotaExceeded`` beyond); files older than ``KEEP_SECONDS``
are removed by the next upload of that account (RFC 8620 6.1 asks servers to keep them at least an
hour). Writes go to a temporary file renamed into place, off the gevent hub (storage.off_hub).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final

from storage.errors import InvalidInput, NotFound, QuotaExceeded
from storage.off_hub import run_off_hub

if TYPE_CHECKING:
    from storage.store import Store

KEEP_SECONDS: Final = 24 * 3600
MAX_PENDING_BYTES: Final = 500 * 1024 * 1024
MAX_TYPE_CHARS: Final = 255
_SHA: Final = re.compile(r"[0-9a-f]{64}")
_TYPE: Final = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(;[ -~]*)?")


@dataclass(frozen=True)
class Upload:
    sha256: str
    type: str
    size: int


class AccountUploads:
    def __init__(self, store: Store, account_id: int) -> None:
        self.root = store.blobs.root / "uploads" / str(int(account_id))

    def _path(self, sha: str) -> Path:
        if not _SHA.fullmatch(sha):
            raise NotFound("no such upload")
        return self.root / sha

    def put(self, data: bytes, content_type: str, *, max_bytes: int) -> Upload:
        """Keep ``data`` (declared as ``content_type``) and describe it.

        Raises:
            InvalidInput: over ``max_bytes``, or a malformed media type.
            QuotaExceeded: the account's pending uploads would pass ``MAX_PENDING_BYTES``.
        """
        if len(data) > max_bytes:
            raise InvalidInput(f"an upload is at most {max_bytes} bytes")
        kind = " ".join(content_type.split()) or "application/octet-stream"
        if len(kind) > MAX_TYPE_CHARS or not _TYPE.fullmatch(kind):
            raise InvalidInput("the Content-Type is not a media type")
        return run_off_hub(self._put, data, kind)

    def _put(self, data: bytes, kind: str) -> Upload:
        self.root.mkdir(parents=True, exist_ok=True)
        pending = self._expire()
        sha = hashlib.sha256(data).hexdigest()
        final = self.root / sha
        if not final.exists() and pending + len(data) > MAX_PENDING_BYTES:
            raise QuotaExceeded(
                f"uploads not yet used hold {pending} bytes; at most {MAX_PENDING_BYTES} may wait at once"
            )
        self._write(final, data)
        self._write(self.root / f"{sha}.type", kind.encode())
        return Upload(sha, kind, len(data))

    def _write(self, final: Path, data: bytes) -> None:
        tmp = final.with_name(f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)

    def _expire(self) -> int:
        """Remove uploads past ``KEEP_SECONDS`` (and stray temporaries); the bytes of the rest."""
        cutoff = time.time() - KEEP_SECONDS
        kept = 0
        for entry in self.root.iterdir():
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            if stat.st_mtime < cutoff or (entry.name.startswith(".") and stat.st_mtime < time.time() - 3600):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
            elif _SHA.fullmatch(entry.name):
                kept += stat.st_size
        return kept

    def get(self, sha: str) -> Upload:
        """The upload named ``sha``.

        Raises:
            NotFound: no such upload of this account (never made, or expired).
        """
        path = self._path(sha)
        try:
            size = path.stat().st_size
            kind = (self.root / f"{sha}.type").read_text()
        except FileNotFoundError:
            raise NotFound("no such upload") from None
        return Upload(sha, kind, size)

    def open(self, sha: str) -> BinaryIO:
        """The upload's bytes, open for reading (a later expiry does not cut an open file short)."""
        try:
            return open(self._path(sha), "rb")
        except FileNotFoundError:
            raise NotFound("no such upload") from None

    def read(self, sha: str) -> bytes:
        with self.open(sha) as fh:
            return fh.read()
