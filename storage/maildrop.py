"""A POP3 maildrop (RFC 1939): one folder of one user as a download client sees it.

``store.for_user(account_id).maildrop`` gives a :class:`Maildrop`. POP3 numbers messages 1..n for a
whole session and counts their octets up front, so a session starts from a :class:`DropSnapshot`: the
folder's UIDVALIDITY and HIGHESTMODSEQ and every message's UID, size and blob name, in UID order, in one
indexed query (``folder_id, uid``) that never opens a body. Packed columns (``array`` for UIDs and
sizes, 32 raw bytes per blob name) keep 100,000 messages in about 5 MB.

Rights (storage.acl, as in storage.usermail), and why RETR does not ask the database each time:

* opening needs "l" and "r"; a folder the user cannot see is ``NotFound``;
* a body is read straight from the blob store by the name in the snapshot. What changed since is
  learned with :meth:`Maildrop.refresh` — the rights again and the UIDs expunged since the snapshot, in
  one read — which the session calls before a read at most every ``REFRESH_SECONDS``. So a withdrawn
  right or another client's expunge is noticed within that time, and a 10,000-message download costs a
  few dozen reads instead of two queries per message (which halved its speed);
* marking read (RETR sets \\Seen) needs "s"; without it the message is read and stays unseen;
* removing (the UPDATE state after QUIT) needs "t" and "e" and happens in one transaction: the messages
  the client deleted are flagged \\Deleted and expunged together, or not at all. A message another
  client expunged meanwhile is simply not there any more, and the others still go.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage.blobs import BlobReader
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.store import Store

READ = "r"
REMOVE = "te"
REFRESH_SECONDS = 1.0
SHA_BYTES = 32

_CONTENTS = (
    select(s.messages.c.uid, s.messages.c.size, s.bodies.c.sha256)
    .join(s.bodies, s.bodies.c.id == s.messages.c.body_id)
    .where(s.messages.c.folder_id == bindparam("folder_id"))
    .order_by(s.messages.c.uid)
)
_EXPUNGED = select(s.expunged.c.uid).where(
    s.expunged.c.folder_id == bindparam("folder_id"), s.expunged.c.modseq > bindparam("modseq")
)


@dataclass(frozen=True)
class DropSnapshot:
    """A folder as it was when the POP3 session opened it: message n is ``uids[n-1]``."""

    folder_id: int
    path: str
    uidvalidity: int
    modseq: int
    uids: array[int]
    sizes: array[int]
    shas: bytes  # SHA_BYTES per message, in the same order
    may_mark_seen: bool
    may_remove: bool

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)

    def sha(self, index: int) -> str:
        """The blob name of message ``index + 1``."""
        return self.shas[index * SHA_BYTES : (index + 1) * SHA_BYTES].hex()


class Maildrop:
    """POP3's reads and writes for one user (see the module notes for the rights each needs)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    def open(self, owner: str, path: str = "INBOX") -> DropSnapshot:
        """The folder ``path`` of ``owner`` (normally the user's own address) as of now, in one read.

        Raises:
            NotFound: no such folder, or no "l" on it. PermissionDenied: no "r".
        """
        with self.store.db.read() as conn:
            try:
                folder_id = self.store.folders.resolve_id(conn, owner, path)
            except (NotFound, InvalidInput):
                raise NotFound(acl.NO_SUCH_FOLDER) from None
            rights = acl.require(conn, self.account_id, folder_id, READ)
            folder = fo.folder_by_id(conn, folder_id)
            uids, sizes, shas = array("q"), array("q"), bytearray()
            for uid, size, sha in conn.execute(_CONTENTS, {"folder_id": folder_id}):
                uids.append(int(uid))
                sizes.append(int(size))
                shas += bytes.fromhex(sha)
        return DropSnapshot(
            folder_id,
            folder.path,
            folder.uidvalidity,
            folder.highestmodseq,
            uids,
            sizes,
            bytes(shas),
            may_mark_seen="s" in rights,
            may_remove=all(r in rights for r in REMOVE),
        )

    def refresh(self, drop: DropSnapshot) -> list[int]:
        """The UIDs of the snapshot expunged since it was taken, with the rights checked again.

        Raises:
            NotFound: the folder is gone or no longer visible. PermissionDenied: the user lost "r".
        """
        with self.store.db.read() as conn:
            acl.require(conn, self.account_id, drop.folder_id, READ)
            rows = conn.execute(_EXPUNGED, {"folder_id": drop.folder_id, "modseq": drop.modseq})
            return sorted(int(uid) for (uid,) in rows)

    def body(self, drop: DropSnapshot, index: int) -> BlobReader:
        """An open reader of message ``index + 1``'s stored bytes; close it after use. Rights and
        expunges are the caller's :meth:`refresh` (see the module notes).

        Raises:
            NotFound: the body is no longer stored (expunged and collected).
        """
        return self.store.blobs.reader(drop.sha(index))

    def mark_seen(self, folder_id: int, uids: Iterable[int]) -> int:
        """Set \\Seen on messages that were retrieved (only with "s"; messages gone meanwhile are
        skipped). Returns how many changed."""
        wanted = sorted(set(uids))
        if not wanted:
            return 0

        def unit(conn: Connection) -> int:
            rights = acl.require(conn, self.account_id, folder_id, READ)
            if "s" not in rights:
                return 0
            changed, _ = self.store.mail.set_flags_in(conn, folder_id, wanted, ["\\Seen"], "add")
            return len(changed)

        return self.store.db.write_unit(unit)

    def remove(self, folder_id: int, uids: Iterable[int]) -> list[int]:
        """RFC 1939 6 (UPDATE): remove the messages a session deleted, all in one transaction. UIDs no
        longer in the folder are skipped. Returns the UIDs removed.

        Raises:
            NotFound: the folder is gone or no longer visible. PermissionDenied: "t" or "e" missing.
        """
        wanted = sorted(set(uids))
        if not wanted:
            return []

        def unit(conn: Connection) -> list[int]:
            acl.require(conn, self.account_id, folder_id, READ + REMOVE)
            mail = self.store.mail
            mail.set_flags_in(conn, folder_id, wanted, ["\\Deleted"], "add")
            return mail.expunge_in(conn, folder_id, wanted)

        return self.store.db.write_unit(unit)
