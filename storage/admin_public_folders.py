"""A domain's public folders and its folder recipients, as an administrator manages them.

Got from ``store.for_admin(name).public_folders`` (storage.adminview). Each method decides the
administrator's scope in the transaction of its work (``AdminView.acting``): reading needs the domain in
scope, every change the domain permission ``public_folders`` (storage.adminscope).

* Public folders are the folder tree of the namespace ``p<domain id>`` (storage.folders); creating,
  renaming and deleting go through the same tree code as IMAP's, so UIDVALIDITY, subtrees and the change
  feed behave the same. Who may read them is the ACL engine's business (WebMail's sharing pages and
  IMAP SETACL), not this module's.
* A folder recipient is an address of the domain (an ``addresses`` row of kind ``folder`` whose
  ``folder_id`` names a public folder of the same domain): mail to it is filed straight into that folder
  (storage.groups.resolve gives its folder, storage.mail_delivery stores it there). Deleting the folder
  deletes the address with it (the foreign key cascades), so an address never points at nothing.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from storage import schema as s
from storage.adminscope import Scope
from storage.errors import AlreadyExists, NotFound
from storage.folders import folder_by_path, public_namespace
from storage.names import folder_path, split_address

if TYPE_CHECKING:
    from storage.adminview import AdminView


@dataclass(frozen=True)
class PublicFolder:
    """One public folder with its cached totals and the folder recipients that deliver into it."""

    path: str
    kind: str
    message_count: int
    total_bytes: int
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class FolderRecipient:
    address: str
    folder: str  # the public folder's path


class AdminPublicFolders:
    """Public folders and folder recipients for one administrator (see the module docstring)."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def _domain(
        self, scope: Scope, conn: Connection, domain: str, right: str | None = "public_folders"
    ) -> tuple[int, str]:
        did = scope.domain(self.store, conn, domain, right)
        return did, str(conn.execute(select(s.domains.c.name).where(s.domains.c.id == did)).scalar_one())

    def list(self, domain: str) -> list[PublicFolder]:
        """The domain's public folders in path order (the namespace root left out).

        Raises:
            NotFound: no such domain, or one outside the scope.
        """
        f, a = s.folders, s.addresses
        with self.view.acting() as scope, self.store.db.read() as conn:
            did, dn = self._domain(scope, conn, domain, None)
            rows = conn.execute(
                select(f.c.id, f.c.path, f.c.kind, f.c.message_count, f.c.total_bytes)
                .where(f.c.namespace == public_namespace(did), f.c.path != "")
                .order_by(f.c.path)
            ).all()
            recipients: dict[int, list[str]] = {}
            for r in conn.execute(
                select(a.c.folder_id, a.c.local_part)
                .where(a.c.domain_id == did, a.c.kind == "folder")
                .order_by(a.c.local_part)
            ):
                recipients.setdefault(int(r.folder_id), []).append(f"{r.local_part}@{dn}")
        return [
            PublicFolder(
                r.path, r.kind, int(r.message_count), int(r.total_bytes), tuple(recipients.get(r.id, ()))
            )
            for r in rows
        ]

    def create(self, domain: str, path: str, *, kind: str = "mail") -> None:
        """Create a public folder (and any missing parents).

        Raises:
            NotFound: the domain (in scope). AlreadyExists: the folder. InvalidInput: a bad name or kind.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            _, dn = self._domain(scope, conn, domain)
            self.store.folders.create(f"@{dn}", path, kind=kind)

    def rename(self, domain: str, old: str, new: str) -> None:
        """Rename (or move) a public folder with its subfolders; its folder recipients stay with it."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            _, dn = self._domain(scope, conn, domain)
            self.store.folders.rename(f"@{dn}", old, new)

    def delete(self, domain: str, path: str) -> None:
        """Delete a public folder, its subfolders, their messages and the folder recipients of them all."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            _, dn = self._domain(scope, conn, domain)
            self.store.folders.delete(f"@{dn}", path)

    # -- folder recipients --------------------------------------------------------------------------

    def recipients(self, domain: str) -> builtins.list[FolderRecipient]:
        """The domain's folder recipients by address."""
        a, f = s.addresses, s.folders
        with self.view.acting() as scope, self.store.db.read() as conn:
            did, dn = self._domain(scope, conn, domain, None)
            rows = conn.execute(
                select(a.c.local_part, f.c.path)
                .join(f, f.c.id == a.c.folder_id)
                .where(a.c.domain_id == did, a.c.kind == "folder")
                .order_by(a.c.local_part)
            ).all()
        return [FolderRecipient(f"{r.local_part}@{dn}", r.path) for r in rows]

    def add_recipient(self, address: str, folder: str) -> FolderRecipient:
        """Make ``address`` (in the folder's domain) deliver into the public folder ``folder``.

        Raises:
            NotFound: the domain (in scope) or the folder does not exist.
            AlreadyExists: the address is taken by an account, alias, group, forwarder or folder.
            InvalidInput: a bad address or folder name.
        """
        lp, dn = split_address(address)
        path = folder_path(folder)
        a = s.addresses
        with self.view.acting() as scope, self.store.db.write() as conn:
            did, name = self._domain(scope, conn, dn)
            target = folder_by_path(conn, public_namespace(did), path)
            if conn.execute(select(a.c.id).where(a.c.domain_id == did, a.c.local_part == lp)).first():
                raise AlreadyExists(f"address {lp}@{name} is already taken")
            try:
                conn.execute(
                    insert(a).values(domain_id=did, local_part=lp, kind="folder", folder_id=target.id)
                )
            except IntegrityError as exc:  # pragma: no cover - raced with another insert
                raise AlreadyExists(f"address {lp}@{name} is already taken") from exc
        return FolderRecipient(f"{lp}@{name}", path)

    def remove_recipient(self, address: str) -> None:
        """Remove a folder recipient (the folder and its messages stay).

        Raises:
            NotFound: no folder recipient of that address (in scope).
        """
        lp, dn = split_address(address)
        a = s.addresses
        with self.view.acting() as scope, self.store.db.write() as conn:
            did, name = self._domain(scope, conn, dn)
            gone = conn.execute(
                delete(a).where(a.c.domain_id == did, a.c.local_part == lp, a.c.kind == "folder")
            ).rowcount
            if not gone:
                raise NotFound(f"{lp}@{name} is not a folder recipient")
