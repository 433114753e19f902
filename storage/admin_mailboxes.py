"""An account's mail folders imported and exported as an administrator may (``view.mailboxes``): what
``fieldpost import mbox`` and ``fieldpost export mbox`` do, for WebAdmin.

Listing an account's folders needs only the account's domain in scope; putting messages into a folder
and reading a folder's messages out need the domain permission ``backup`` (storage.adminscope), checked
in the transaction of each message put and of each page of messages read, so a permission withdrawn
halfway stops the rest. An account outside the administrator's domains is ``NotFound``, worded as for
an account that does not exist.

A message is parsed and its blob written before its transaction opens (as every append does); the
folder is created, with its parents, if it is missing, and the account's quota is checked in the same
transaction as the append.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from storage import backup_restore as restore
from storage import folders as fo
from storage.admin_backup import BACKUP, MAX_PAGE
from storage.errors import InvalidInput
from storage.models import Folder

if TYPE_CHECKING:
    from storage.adminview import AdminView


class AdminMailboxes:
    """See the module docstring."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def mail_folders(self, address: str) -> list[Folder]:
        """The account's mail folders (not calendars, contacts...) in path order."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address)
            self.store.accounts.id_of(conn, address)  # NotFound for an account that does not exist
            return [f for f in self.store.folders.list(address) if f.kind == "mail"]

    def check_backup(self, address: str) -> None:
        """Raise unless messages may be put into and read out of ``address``'s folders (a page asks
        before it reads an upload).

        Raises:
            NotFound: no such account, or one outside the scope. PermissionDenied: no ``backup``.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, BACKUP)
            self.store.accounts.id_of(conn, address)

    def import_message(
        self,
        address: str,
        folder: str,
        raw: bytes,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> int:
        """Append one message to ``folder`` of ``address`` (created if missing); returns its UID.

        Raises:
            NotFound: no such account, or one outside the scope. PermissionDenied: no ``backup``.
            InvalidInput: an empty message, a bad flag, a bad folder name or a folder of another kind.
            QuotaExceeded: the account's quota is used up.
        """
        self.check_backup(address)  # refused before a byte is written
        staged = self.store.mail.stage(raw, flags)
        sha = self.store.blobs.put(raw)
        with self.view.acting() as scope, self.store.db.write() as conn:
            scope.address(self.store, conn, address, BACKUP)
            ns = fo.mailbox_namespace(self.store.accounts.id_of(conn, address))
            fid = restore.ensure_folder(self.store, conn, ns, folder)
            if fo.folder_by_id(conn, fid).kind != "mail":
                raise InvalidInput(f"{folder!r} is not a mail folder")
            return restore.restore_message(self.store, conn, fid, None, staged, sha, internal_date)

    def export(self, address: str, folder: str) -> Iterator[tuple[bytes, datetime, frozenset[str]]]:
        """(bytes, internal date, flags) of every message of the folder in UID order. The scope and the
        folder are checked now (the caller learns of a refusal before it starts its answer); the
        messages are read page by page as the caller iterates, each page checked again.

        Raises:
            NotFound: no such account or folder, or outside the scope. PermissionDenied: no ``backup``.
        """
        self.view.backup.messages(address, folder, limit=1)
        return self._messages(address, folder)

    def _messages(self, address: str, folder: str) -> Iterator[tuple[bytes, datetime, frozenset[str]]]:
        after = 0
        while True:
            page = self.view.backup.messages(address, folder, after=after, limit=MAX_PAGE)
            for entry in page:
                yield self.store.blobs.read(entry.sha256), entry.internal_date, entry.flags
            if len(page) < MAX_PAGE:
                return
            after = page[-1].uid
