"""Backup and restore as one administrator may do them (``store.for_admin(name).backup``).

The FTP backup service (sidecars/ftp) shows a tree of domains, accounts, groups, forwarders, public
folders, folders and messages; every listing, download and upload it serves is one method here. Each
method opens the administrator's transaction (``AdminView.acting``) and checks the scope in it before
anything is read or written, so a domain administrator lists, downloads and restores only their own
domains, and gets for any other domain the same ``NotFound`` as for a domain that does not exist.

Owners of folders are named as storage.folders does: ``alice@example.test`` for a mailbox,
``@example.test`` for a domain's public folders. Message listings are paged by UID (``after``,
``limit``), so a folder of any size is listed in bounded reads; a message's bytes are read from its blob
outside any transaction (``open_message`` gives the blob's name and size).

Every method needs the domain permission ``backup`` on the domain it touches (a server-wide
administrator holds it everywhere); ``domains()`` lists only those. Creating a domain is server-level
work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import backup_export as export
from storage import backup_restore as restore
from storage import flags as fl
from storage import folders as fo
from storage import schema as s
from storage.adminscope import Scope, resolve
from storage.errors import InvalidInput, NotFound
from storage.models import Folder
from storage.names import as_utc, folder_path, split_address

if TYPE_CHECKING:
    from storage.adminview import AdminView

MAX_PAGE = 1000
BACKUP = "backup"  # the domain permission every method here needs (storage.adminscope)


@dataclass(frozen=True)
class MessageEntry:
    """One message as a backup lists it: what its file name and its facts (size, date) need."""

    uid: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    sha256: str


@dataclass(frozen=True)
class ScriptEntry:
    name: str
    size: int
    updated_at: datetime
    active: bool


class AdminBackup:
    """See the module docstring."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    @contextmanager
    def _scope(self, write: bool) -> Iterator[tuple[Scope, Connection]]:
        """The administrator's scope and the transaction it was decided in: a write transaction
        (``AdminView.acting``) for restores, a read-only snapshot for listings and downloads (reads
        never queue behind writers, and a mirror makes thousands of them)."""
        if write:
            with self.view.acting() as scope, self.store.db.read() as conn:
                yield scope, conn
        else:
            with self.store.db.read() as conn:
                yield resolve(self.store, conn, self.view.admin, self.view.within), conn

    @contextmanager
    def _owner(self, owner: str, write: bool = False) -> Iterator[tuple[Scope, Connection, str]]:
        """(scope, connection, namespace) of a folder owner in scope."""
        with self._scope(write) as (scope, conn):
            if owner.startswith("@"):
                did = scope.domain(self.store, conn, owner[1:], BACKUP)
                yield scope, conn, fo.public_namespace(did)
            else:
                scope.address(self.store, conn, owner, BACKUP)
                yield scope, conn, fo.mailbox_namespace(self.store.accounts.id_of(conn, owner))

    @contextmanager
    def _domain(self, domain: str, write: bool = False) -> Iterator[tuple[Scope, Connection, int]]:
        with self._scope(write) as (scope, conn):
            yield scope, conn, scope.domain(self.store, conn, domain, BACKUP)

    def check_domain(self, domain: str, *, write: bool = False) -> None:
        """Raise unless the administrator may back up (``write``: restore) ``domain``: for what lives
        outside the database and is copied by the caller (a domain's sealed DKIM keys).

        Raises:
            NotFound: no such domain, or outside the scope. PermissionDenied: no ``backup`` permission.
        """
        with self._domain(domain, write):
            pass

    # -- listings ------------------------------------------------------------------------------------

    def domains(self) -> list[str]:
        """Names of the domains in scope, sorted."""
        with self._scope(False) as (scope, conn):
            rows = conn.execute(select(s.domains.c.id, s.domains.c.name).order_by(s.domains.c.name))
            return [str(r.name) for r in rows if scope.may(int(r.id), BACKUP)]

    def _local_parts(self, domain: str, table: Any) -> list[str]:
        with self._domain(domain) as (_, conn, did):
            q = select(table.c.local_part).where(table.c.domain_id == did).order_by(table.c.local_part)
            return [str(lp) for lp in conn.execute(q).scalars()]

    def accounts(self, domain: str) -> list[str]:
        return self._local_parts(domain, s.accounts)

    def groups(self, domain: str) -> list[str]:
        return self._local_parts(domain, s.groups)

    def forwarders(self, domain: str) -> list[str]:
        return self._local_parts(domain, s.forwarders)

    def folders(self, owner: str) -> list[Folder]:
        with self._owner(owner) as (_, conn, ns):
            rows = conn.execute(
                select(s.folders)
                .where(s.folders.c.namespace == ns, s.folders.c.path != "")
                .order_by(s.folders.c.path)
            )
            return [fo.row_to_folder(r) for r in rows]

    def messages(self, owner: str, path: str, *, after: int = 0, limit: int = MAX_PAGE) -> list[MessageEntry]:
        """Up to ``limit`` messages of a folder with a UID above ``after``, in UID order."""
        with self._owner(owner) as (_, conn, ns):
            fid = fo.folder_by_path(conn, ns, folder_path(path)).id
            m = s.messages
            rows = conn.execute(
                select(m.c.uid, m.c.flags, m.c.keywords, m.c.internal_date, m.c.size, s.bodies.c.sha256)
                .join(s.bodies, s.bodies.c.id == m.c.body_id)
                .where(m.c.folder_id == fid, m.c.uid > after)
                .order_by(m.c.uid)
                .limit(max(1, min(limit, MAX_PAGE)))
            )
            return [
                MessageEntry(
                    int(r.uid),
                    fl.decode(r.flags, r.keywords),
                    as_utc(r.internal_date) or r.internal_date,
                    int(r.size),
                    r.sha256,
                )
                for r in rows
            ]

    def message(self, owner: str, path: str, uid: int) -> MessageEntry:
        """One message's entry (its bytes: ``store.blobs.reader(entry.sha256)``).

        Raises:
            NotFound: no such folder or message, or the owner is outside the scope.
        """
        found = self.messages(owner, path, after=uid - 1, limit=1)
        if not found or found[0].uid != uid:
            raise NotFound(f"message {uid} does not exist")
        return found[0]

    def scripts(self, level: str, owner: str) -> list[ScriptEntry]:
        """Sieve scripts of a domain (level "domain", owner its name) or an account (level "account")."""
        t = s.sieve_scripts
        with self._script_scope(level, owner) as scope_id, self.store.db.read() as conn:
            rows = conn.execute(
                select(t.c.name, t.c.size, t.c.updated_at, t.c.active)
                .where(t.c.level == level, t.c.scope_id == scope_id)
                .order_by(t.c.name)
            )
            return [ScriptEntry(str(r.name), int(r.size), r.updated_at, bool(r.active)) for r in rows]

    def script(self, level: str, owner: str, name: str) -> str:
        with self._script_scope(level, owner):
            return self.store.scripts.get(level, owner, name).content or ""

    @contextmanager
    def _script_scope(self, level: str, owner: str, write: bool = False) -> Iterator[int]:
        if level == "domain":
            with self._domain(owner, write) as (_, _conn, did):
                yield did
        elif level == "account":
            with self._scope(write) as (scope, conn):
                scope.address(self.store, conn, owner, BACKUP)
                yield self.store.accounts.id_of(conn, owner)
        else:
            raise InvalidInput(f"no scripts at level {level!r} in a backup")

    # -- documents -----------------------------------------------------------------------------------

    def domain_document(self, domain: str) -> bytes:
        with self._domain(domain) as (_, conn, did):
            return export.to_bytes(export.domain_document(self.store, conn, did))

    def account_document(self, address: str) -> bytes:
        with self._owner(address) as (_, conn, _ns):
            return export.to_bytes(
                export.account_document(self.store, conn, self.store.accounts.id_of(conn, address))
            )

    def group_document(self, address: str) -> bytes:
        with self._scope(False) as (scope, conn):
            scope.address(self.store, conn, address, BACKUP)
            return export.to_bytes(
                export.group_document(self.store, conn, self.store.groups.id_of(conn, address))
            )

    def forwarder_document(self, address: str) -> bytes:
        lp, dn = split_address(address)
        with self._domain(dn):
            for f in self.store.forwarders.list(dn):
                if f.address == f"{lp}@{dn}":
                    return export.to_bytes(export.forwarder_document(f.address, f.targets))
        raise NotFound(f"forwarder {lp}@{dn} does not exist")

    # -- restores ------------------------------------------------------------------------------------

    def create_domain(self, domain: str) -> None:
        """Make an empty domain to restore into (server administrators only); nothing if it exists."""
        with self._scope(False) as (scope, conn):
            try:
                scope.domain(self.store, conn, domain, BACKUP)
                return
            except NotFound:
                pass
        with self.view.acting() as scope, self.store.db.read() as conn:
            try:
                scope.domain(self.store, conn, domain, BACKUP)
                return
            except NotFound:
                scope.require_server()
            self.store.domains.add(domain)

    def create_account(self, address: str) -> None:
        """Make an empty account (no password) to restore into; nothing if it exists."""
        with self._scope(False) as (scope, conn):
            scope.address(self.store, conn, address, BACKUP)
            try:
                self.store.accounts.id_of(conn, address)
                return
            except NotFound:
                pass
        with self.view.acting() as scope, self.store.db.read() as conn:
            restore.ensure_account(self.store, conn, scope, address)

    def create_folder(self, owner: str, path: str) -> None:
        with self._owner(owner, write=True) as (_, conn, ns):
            restore.ensure_folder(self.store, conn, ns, path)

    def restore_domain(self, domain: str, data: bytes) -> None:
        doc = restore.check_format(_load(data), "domain")
        _same(doc["domain"], domain)
        self.create_domain(domain)
        with self.view.acting() as scope, self.store.db.read() as conn:
            restore.restore_domain(self.store, conn, scope, doc)

    def restore_account(self, address: str, data: bytes) -> None:
        doc = restore.check_format(_load(data), "address")
        _same(doc["address"], address)
        self.create_domain(split_address(address)[1])
        with self.view.acting() as scope, self.store.db.read() as conn:
            restore.restore_account(self.store, conn, scope, doc)

    def restore_group(self, address: str, data: bytes) -> None:
        doc = restore.check_format(_load(data), "address")
        _same(doc["address"], address)
        self.create_domain(split_address(address)[1])
        with self.view.acting() as scope, self.store.db.read() as conn:
            restore.restore_group(self.store, conn, scope, doc)

    def restore_forwarder(self, address: str, data: bytes) -> None:
        doc = restore.check_format(_load(data), "address")
        _same(doc["address"], address)
        self.create_domain(split_address(address)[1])
        with self.view.acting() as scope, self.store.db.read() as conn:
            restore.restore_forwarder(self.store, conn, scope, doc)

    def restore_script(self, level: str, owner: str, name: str, content: str) -> None:
        with self._script_scope(level, owner, write=True):
            self.store.scripts.put(level, owner, name, content)

    def restore_message(
        self,
        owner: str,
        path: str,
        uid: int | None,
        flags: frozenset[str],
        raw: bytes,
        internal_date: datetime | None = None,
    ) -> int:
        """Put one message back (storage.backup_restore says which UID it gets); returns its UID.

        Raises:
            InvalidInput: an empty message or a bad flag.
            QuotaExceeded: the owner's quota is used up.
        """
        staged = self.store.mail.stage(raw, flags)
        if not owner.startswith("@"):
            self.create_account(owner)  # refused here, before the blob is written, if out of scope
        with self._owner(owner):
            pass
        sha = self.store.blobs.put(raw)
        with self._owner(owner, write=True) as (_, conn, ns):
            fid = restore.ensure_folder(self.store, conn, ns, path)
            return restore.restore_message(self.store, conn, fid, uid, staged, sha, internal_date)

    def set_internal_date(self, owner: str, path: str, uid: int, when: datetime) -> None:
        """A message's internal date (FTP MFMT on its file: clients that keep times set it after upload)."""
        with self._owner(owner, write=True) as (_, conn, ns):
            restore.set_internal_date(conn, fo.folder_by_path(conn, ns, folder_path(path)).id, uid, when)


def _load(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"not a JSON document: {exc}") from None


def _same(named: str, expected: str) -> None:
    if named.strip().lower() != expected.strip().lower():
        raise InvalidInput(f"this file describes {named}, not {expected}")
