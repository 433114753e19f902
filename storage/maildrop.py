"""A POP3 maildrop (RFC 1939): one folder of one user as a download client sees it.

``store.for_user(account_id).maildrop`` gives a :class:`Maildrop`. POP3 numbers messages 1..n for a
whole session and counts their octets up front, so a session starts from a :class:`DropSnapshot`: the
folder's UIDVALIDITY and every message's UID and size, in UID order, read from the messages table alone
in one indexed query (``folder_id, uid``), never from the bodies. Two ``array`` columns keep 100,000
messages in about 1.6 MB.

Every call checks the user's rights at the moment it runs (storage.acl, like storage.usermail):

* opening and reading bodies need "l" and "r"; a folder the user cannot see is ``NotFound``;
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

from sqlalchemy import Connection, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage.blobs import BlobReader
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.usermail import UserMail

READ = "r"
REMOVE = "te"


@dataclass(frozen=True)
class DropSnapshot:
    """A folder as it was when the POP3 session opened it: message n is ``uids[n-1]``."""

    folder_id: int
    path: str
    uidvalidity: int
    uids: array[int]
    sizes: array[int]
    may_mark_seen: bool
    may_remove: bool

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)


class Maildrop:
    """POP3's reads and writes for one user (see the module notes for the rights each needs)."""

    def __init__(self, user: UserMail) -> None:
        self.user = user
        self.store = user.store
        self.account_id = user.account_id

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
            uids, sizes = array("q"), array("q")
            m = s.messages
            rows = conn.execute(select(m.c.uid, m.c.size).where(m.c.folder_id == folder_id).order_by(m.c.uid))
            for uid, size in rows:
                uids.append(int(uid))
                sizes.append(int(size))
        return DropSnapshot(
            folder_id,
            folder.path,
            folder.uidvalidity,
            uids,
            sizes,
            may_mark_seen="s" in rights,
            may_remove=all(r in rights for r in REMOVE),
        )

    def body(self, folder_id: int, uid: int) -> BlobReader:
        """An open reader of one message's stored bytes (RETR, TOP), checked now; close it after use.

        Raises:
            NotFound: the message is gone (expunged meanwhile), or the folder is no longer visible.
            PermissionDenied: the user lost "r".
        """
        with self.store.db.read() as conn:
            acl.require(conn, self.account_id, folder_id, READ)
            sha = self.store.mail.sha_in(conn, folder_id, uid)
        return self.store.blobs.reader(sha)

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
