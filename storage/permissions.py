"""The ACL engine in domain terms: principals and folders named by address and path.

storage.acl holds the rules and works on ids inside a caller's transaction; this facade opens the
transactions and turns names into ids, for the CLI, WebMail sharing pages and tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from storage import acl
from storage import schema as s
from storage.errors import NotFound
from storage.names import split_address

if TYPE_CHECKING:
    from storage.store import Store


class Permissions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def principal(self, conn: Connection, name: str) -> acl.Principal:
        """``anyone``, ``@example.test`` (all users of the domain), or a user or group address."""
        if name.strip().lower() == "anyone":
            return ("anyone", 0)
        if name.startswith("@"):
            return ("domain", self.store.domains.id_of(conn, name[1:]))
        lp, dn = split_address(name)
        did = self.store.domains.id_of(conn, dn)
        row = conn.execute(
            select(s.addresses).where(s.addresses.c.domain_id == did, s.addresses.c.local_part == lp)
        ).first()
        if row is None or row.kind == "forwarder":
            raise NotFound(f"no user or group {lp}@{dn}")
        return ("group", int(row.group_id)) if row.kind == "group" else ("user", int(row.account_id))

    def principal_name(self, conn: Connection, principal: acl.Principal) -> str | None:
        """The name a principal is given in listings (the reverse of ``principal``); None when it no
        longer exists."""
        kind, pid = principal
        try:
            if kind == "anyone":
                return "anyone"
            if kind == "user":
                return self.store.accounts.load(conn, pid).address
            if kind == "group":
                return self.store.groups._load(conn, pid).address
            return "@" + self.store.domains._load(conn, pid).name
        except NotFound:
            return None

    def _folder_id(self, conn: Connection, owner: str, path: str) -> int:
        return self.store.folders.resolve_id(conn, owner, path)

    def grant(
        self, owner: str, path: str, principal: str, rights: str, *, allow: bool = True, inherit: bool = True
    ) -> None:
        """Set ``principal``'s allow (or deny) rights on a folder; ``path`` "" is the whole mailbox."""
        with self.store.db.write() as conn:
            folder_id = self._folder_id(conn, owner, path)
            acl.grant(conn, folder_id, self.principal(conn, principal), rights, allow=allow, inherit=inherit)
            self.store.changes.record_rights(conn, folder_id)  # open sessions re-check their rights

    def revoke(self, owner: str, path: str, principal: str, *, allow: bool = True) -> bool:
        with self.store.db.write() as conn:
            folder_id = self._folder_id(conn, owner, path)
            removed = acl.revoke(conn, folder_id, self.principal(conn, principal), allow=allow)
            if removed:
                self.store.changes.record_rights(conn, folder_id)
            return removed

    def entries(self, owner: str, path: str) -> list[acl.AclEntry]:
        with self.store.db.read() as conn:
            return acl.list_entries(conn, self._folder_id(conn, owner, path))

    def rights(self, user: str, owner: str, path: str) -> acl.Rights:
        """What ``user`` may do on ``owner``'s folder ``path``."""
        with self.store.db.read() as conn:
            return acl.rights_for(
                conn, self.store.accounts.id_of(conn, user), self._folder_id(conn, owner, path)
            )

    def rights_on(self, account_id: int, folder_id: int) -> acl.Rights:
        with self.store.db.read() as conn:
            return acl.rights_for(conn, account_id, folder_id)
