"""Folder trees: per-account mailboxes and per-domain public folders.

Implementation notes:

* A namespace is ``a<account id>`` (a mailbox) or ``p<domain id>`` (a domain's public folders). Each has
  a root folder with path ``""`` that is never listed; ACL grants on it cover the whole namespace.
* UIDVALIDITY is derived from the folder's id, which is never reused (AUTOINCREMENT / sequences), so a
  folder deleted and created again under the same name gets a new UIDVALIDITY as RFC 3501 requires.
* Renaming a folder rewrites the paths of its subtree in one transaction; ids, UIDs and UIDVALIDITY stay.
* Subscriptions are (account, name) rows of their own, not a folder flag: deleting a folder keeps the
  name subscribed (RFC 3501 6.3.6), renaming one takes the subscriptions of its subtree along (as Dovecot
  and Cyrus do; RFC 3501 6.3.5 leaves it open). New accounts start subscribed to their standard folders.
* Lookups and listings here are the system's (delivery, the CLI). A user's go through
  ``store.for_user`` (storage.usermail), which calls the ``*_for`` methods and ``visible``; nothing
  public takes an optional user, so leaving one out cannot skip a check.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from storage import acl, dialect
from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.models import Folder
from storage.names import FOLDER_SEPARATOR, folder_path, parent_path, utcnow

if TYPE_CHECKING:
    from storage.store import Store

ROLES = ("inbox", "sent", "drafts", "trash", "junk", "archive")
KINDS = ("mail", "calendar", "contacts", "tasks", "notes", "journal")

# What every new mailbox starts with: (path, role, kind).
DEFAULT_MAILBOX: tuple[tuple[str, str | None, str], ...] = (
    ("INBOX", "inbox", "mail"),
    ("Sent", "sent", "mail"),
    ("Drafts", "drafts", "mail"),
    ("Trash", "trash", "mail"),
    ("Junk", "junk", "mail"),
    ("Archive", "archive", "mail"),
    ("Calendar", None, "calendar"),
    ("Contacts", None, "contacts"),
    ("Tasks", None, "tasks"),
    ("Notes", None, "notes"),
    ("Journal", None, "journal"),
)


def mailbox_namespace(account_id: int) -> str:
    return f"a{account_id}"


def public_namespace(domain_id: int) -> str:
    return f"p{domain_id}"


def row_to_folder(row: Any) -> Folder:
    return Folder(
        id=row.id,
        namespace=row.namespace,
        account_id=row.account_id,
        domain_id=row.domain_id,
        parent_id=row.parent_id,
        path=row.path,
        role=row.role,
        kind=row.kind,
        uidvalidity=row.uidvalidity,
        uidnext=row.uidnext,
        highestmodseq=row.highestmodseq,
        message_count=row.message_count,
        unseen_count=row.unseen_count,
        total_bytes=row.total_bytes,
    )


# The hot lookups, built once: SQLAlchemy then reuses the statement's cache key and compiled form
# instead of building and keying a new select() per call (several times the cost of running it on
# SQLite; bench/README.md, "Server CPU per IMAP command").
_BY_ID = select(s.folders).where(s.folders.c.id == bindparam("folder_id"))
_BY_PATH = select(s.folders).where(
    s.folders.c.namespace == bindparam("namespace"), s.folders.c.path == bindparam("path")
)


# the folder's row and the asking user's domain and local part, for its rights (acl.rights_given)
_BY_ID_WITH_USER = (
    select(s.folders, s.accounts.c.domain_id.label("user_domain_id"), s.accounts.c.local_part)
    .select_from(s.folders.join(s.accounts, s.accounts.c.id == bindparam("account_id")))
    .where(s.folders.c.id == bindparam("folder_id"))
)


def folder_for(
    conn: Connection, account_id: int, folder_id: int, needed: str | acl.Rights
) -> tuple[Folder, acl.Rights]:
    """The folder and the account's rights on it, checked as ``acl.require`` does (NotFound without
    "l", PermissionDenied for a missing right), in one statement for the owner: a command that checks
    its rights and reads the folder no longer reads the folder twice.

    Raises:
        NotFound: no such folder or account, or no "l". PermissionDenied: a right in ``needed`` is missing.
    """
    row = conn.execute(_BY_ID_WITH_USER, {"folder_id": folder_id, "account_id": account_id}).first()
    rights = acl.demand(acl.rights_given(conn, account_id, folder_id, row), needed)
    return row_to_folder(row), rights


def folder_by_id(conn: Connection, folder_id: int, *, lock: bool = False) -> Folder:
    if lock:
        q = dialect.lock_rows(conn, select(s.folders).where(s.folders.c.id == folder_id))
        row = conn.execute(q).first()
    else:
        row = conn.execute(_BY_ID, {"folder_id": folder_id}).first()
    if row is None:
        raise NotFound(acl.NO_SUCH_FOLDER)
    return row_to_folder(row)


def folder_id_with_role(conn: Connection, account_id: int, role: str) -> int | None:
    """The id of the account's own folder with a special-use ``role``, the first by path; None if none."""
    fid = conn.execute(
        select(s.folders.c.id)
        .where(s.folders.c.namespace == mailbox_namespace(account_id), s.folders.c.role == role)
        .order_by(s.folders.c.path)
        .limit(1)
    ).scalar()
    return None if fid is None else int(fid)


def folder_by_path(conn: Connection, namespace: str, path: str) -> Folder:
    row = conn.execute(_BY_PATH, {"namespace": namespace, "path": path}).first()
    if row is None:
        raise NotFound(f"folder {path!r} does not exist")
    return row_to_folder(row)


def create_root(conn: Connection, namespace: str, domain_id: int, account_id: int | None) -> int:
    return _insert_folder(conn, namespace, domain_id, account_id, None, "", None, "mail")


def create_folder(
    conn: Connection,
    namespace: str,
    path: str,
    *,
    role: str | None = None,
    kind: str = "mail",
    actor: int | None = None,
    max_folders: int = 0,
) -> Folder:
    """Create ``path`` and any missing parents (IMAP CREATE semantics); the leaf must be new."""
    path = folder_path(path)
    if role is not None and role not in ROLES:
        raise InvalidInput(f"unknown folder role {role!r}; expected one of {', '.join(ROLES)}")
    if kind not in KINDS:
        raise InvalidInput(f"unknown folder type {kind!r}; expected one of {', '.join(KINDS)}")
    existing = conn.execute(
        select(s.folders.c.id).where(s.folders.c.namespace == namespace, s.folders.c.path == path)
    ).first()
    if existing is not None:
        raise AlreadyExists(f"folder {path!r} already exists")
    root = folder_by_path(conn, namespace, "")
    parts = path.split(FOLDER_SEPARATOR)
    parent = root
    created_ids: list[int] = []
    for depth in range(1, len(parts) + 1):
        sub = FOLDER_SEPARATOR.join(parts[:depth])
        row = conn.execute(
            select(s.folders).where(s.folders.c.namespace == namespace, s.folders.c.path == sub)
        ).first()
        if row is not None:
            parent = row_to_folder(row)
            continue
        if actor is not None:
            acl.require(conn, actor, parent.id, "k")
        leaf = depth == len(parts)
        fid = _insert_folder(
            conn,
            namespace,
            root.domain_id,
            root.account_id,
            parent.id,
            sub,
            role if leaf else None,
            kind if leaf else "mail",
        )
        created_ids.append(fid)
        if actor is not None and actor != root.account_id:
            acl.default_entries_for_new_folder(conn, fid, actor, root.account_id)
        parent = folder_by_id(conn, fid)
    if root.account_id is not None and created_ids:
        _count_folders(conn, root.account_id, len(created_ids), max_folders)
    return parent


def _count_folders(conn: Connection, account_id: int, delta: int, max_folders: int) -> None:
    conn.execute(
        update(s.accounts)
        .where(s.accounts.c.id == account_id)
        .values(folder_count=s.accounts.c.folder_count + delta)
    )
    if max_folders and delta > 0:
        count = conn.execute(select(s.accounts.c.folder_count).where(s.accounts.c.id == account_id)).scalar()
        if count is not None and count > max_folders:
            raise QuotaExceeded(f"folder quota exceeded: at most {max_folders} folders")


def _insert_folder(
    conn: Connection,
    namespace: str,
    domain_id: int,
    account_id: int | None,
    parent_id: int | None,
    path: str,
    role: str | None,
    kind: str,
) -> int:
    fid: int = conn.execute(
        insert(s.folders)
        .values(
            namespace=namespace,
            domain_id=domain_id,
            account_id=account_id,
            parent_id=parent_id,
            path=path,
            role=role,
            kind=kind,
            uidvalidity=0,
            uidnext=1,
            highestmodseq=1,
            message_count=0,
            unseen_count=0,
            total_bytes=0,
            created_at=utcnow(),
        )
        .returning(s.folders.c.id)
    ).scalar_one()
    conn.execute(update(s.folders).where(s.folders.c.id == fid).values(uidvalidity=fid))
    return fid


def subtree(conn: Connection, folder: Folder) -> list[Folder]:
    """The folder and every descendant, by path prefix (one indexed range query)."""
    q = select(s.folders).where(s.folders.c.namespace == folder.namespace)
    if folder.path:
        q = q.where(
            (s.folders.c.path == folder.path)
            | (s.folders.c.path.startswith(folder.path + FOLDER_SEPARATOR, autoescape=True))
        )
    return [row_to_folder(r) for r in conn.execute(q.order_by(s.folders.c.path))]


class Folders:
    """Folder operations in domain terms, each its own transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _namespace_of(self, conn: Connection, owner: str) -> str:
        """``alice@example.test`` -> her mailbox; ``@example.test`` -> that domain's public folders."""
        if owner.startswith("@"):
            return public_namespace(self.store.domains.id_of(conn, owner[1:]))
        return mailbox_namespace(self.store.accounts.id_of(conn, owner))

    def resolve_id(self, conn: Connection, owner: str, path: str) -> int:
        """Folder id for (owner, path) inside a caller's transaction; path "" is the namespace root."""
        ns = self._namespace_of(conn, owner)
        return folder_by_path(conn, ns, folder_path(path) if path else "").id

    def create(self, owner: str, path: str, *, role: str | None = None, kind: str = "mail") -> Folder:
        """System create (the CLI, delivery targets): no rights checked."""
        return self._create(owner, path, role, kind, None)

    def create_for(
        self, account_id: int, owner: str, path: str, *, role: str | None = None, kind: str = "mail"
    ) -> Folder:
        """Create on a user's behalf: "k" on every parent made or reached (store.for_user calls this)."""
        return self._create(owner, path, role, kind, account_id)

    def _create(self, owner: str, path: str, role: str | None, kind: str, actor: int | None) -> Folder:
        with self.store.db.write() as conn:
            ns = self._namespace_of(conn, owner)
            max_folders = 0
            if ns.startswith("a"):
                max_folders = int(
                    self.store.settings_effective(conn, "quota.folders", account_id=int(ns[1:]))
                )
            folder = create_folder(conn, ns, path, role=role, kind=kind, actor=actor, max_folders=max_folders)
            self.store.changes.record(conn, folder.id, folder.account_id, folder.highestmodseq, "folder")
            return folder

    def get(self, owner: str, path: str) -> Folder:
        """System lookup (no rights checked); a user's goes through ``store.for_user(...).find``."""
        with self.store.db.read() as conn:
            return folder_by_path(conn, self._namespace_of(conn, owner), folder_path(path))

    def by_id(self, folder_id: int) -> Folder:
        """System lookup (no rights checked)."""
        with self.store.db.read() as conn:
            return folder_by_id(conn, folder_id)

    def list(self, owner: str) -> list[Folder]:
        """All folders of a namespace except its root, in path order (system: no rights checked)."""
        with self.store.db.read() as conn:
            return self._list(conn, self._namespace_of(conn, owner))

    def visible(self, owner: str, account_id: int) -> builtins.list[Folder]:
        """The folders of a namespace (root excluded) that ``account_id`` may look up ("l"), in path
        order: what ``store.for_user(...).list_folders`` answers."""
        with self.store.db.read() as conn:
            ns = self._namespace_of(conn, owner)
            shown = acl.visible_folder_ids(conn, account_id, ns)
            return [f for f in self._list(conn, ns) if f.id in shown]

    def _list(self, conn: Connection, ns: str) -> builtins.list[Folder]:
        rows = conn.execute(
            select(s.folders)
            .where(s.folders.c.namespace == ns, s.folders.c.path != "")
            .order_by(s.folders.c.path)
        ).all()
        return [row_to_folder(r) for r in rows]

    def rename(self, owner: str, old: str, new: str) -> Folder:
        """System rename: no rights checked."""
        return self._rename(owner, old, new, None)

    def rename_for(self, account_id: int, owner: str, old: str, new: str) -> Folder:
        """Rename on a user's behalf: "x" on the folder, "k" where the new name goes."""
        return self._rename(owner, old, new, account_id)

    def _rename(self, owner: str, old: str, new: str, actor: int | None) -> Folder:
        old, new = folder_path(old), folder_path(new)
        with self.store.db.write() as conn:
            ns = self._namespace_of(conn, owner)
            folder = folder_by_path(conn, ns, old)
            if folder.role == "inbox":
                raise InvalidInput("INBOX cannot be renamed; move its messages instead")
            if new == old or new.startswith(old + FOLDER_SEPARATOR):
                raise InvalidInput(f"cannot rename {old!r} into itself")
            if conn.execute(
                select(s.folders.c.id).where(s.folders.c.namespace == ns, s.folders.c.path == new)
            ).first():
                raise AlreadyExists(f"folder {new!r} already exists")
            if actor is not None:
                acl.require(conn, actor, folder.id, "x")
                _require_x_below(conn, actor, subtree(conn, folder))
            parent_new = parent_path(new)
            parent = (
                folder_by_path(conn, ns, "")
                if not parent_new
                else _ensure_parent(conn, ns, parent_new, actor)
            )
            if actor is not None:
                acl.require(conn, actor, parent.id, "k")
            for f in subtree(conn, folder):
                conn.execute(
                    update(s.folders).where(s.folders.c.id == f.id).values(path=new + f.path[len(old) :])
                )
            if folder.account_id is not None:
                _move_subscriptions(conn, folder.account_id, old, new)
            conn.execute(update(s.folders).where(s.folders.c.id == folder.id).values(parent_id=parent.id))
            self.store.changes.record(conn, folder.id, folder.account_id, folder.highestmodseq, "folder")
            return folder_by_id(conn, folder.id)

    def delete(self, owner: str, path: str) -> None:
        """System delete of a folder, its subfolders and their messages (blob references are released)."""
        self._delete(owner, path, None)

    def delete_for(self, account_id: int, owner: str, path: str) -> None:
        """Delete on a user's behalf: "l" and "x" on the folder and on every subfolder."""
        self._delete(owner, path, account_id)

    def _delete(self, owner: str, path: str, actor: int | None) -> None:
        with self.store.db.write() as conn:
            folder = folder_by_path(conn, self._namespace_of(conn, owner), folder_path(path))
            if folder.role == "inbox":
                raise InvalidInput("INBOX cannot be deleted")
            if actor is not None:
                acl.require(conn, actor, folder.id, "x")
            doomed = subtree(conn, folder)
            if actor is not None:
                _require_x_below(conn, actor, doomed)
            for f in doomed:
                self.store.mail.remove_all(conn, f)
            conn.execute(s.folders.delete().where(s.folders.c.id.in_([f.id for f in doomed])))
            if folder.account_id is not None:
                _count_folders(conn, folder.account_id, -len(doomed), 0)
            self.store.changes.record(conn, folder.id, folder.account_id, folder.highestmodseq, "folder")

    def subscribe(self, account: str, name: str) -> None:
        """Add ``name`` (a folder name as the account's client sees it) to the account's subscriptions.

        Whether a folder of that name exists is the caller's business: RFC 3501 6.3.6 lets a server accept
        names of folders that do not exist (yet).

        Raises:
            InvalidInput: an empty name, a control character, or longer than MAX_SUBSCRIPTION_NAME.
            NotFound: no such account.
        """
        name = subscription_name(name)
        with self.store.db.write() as conn:
            aid = self.store.accounts.id_of(conn, account)
            exists = conn.execute(
                select(s.subscriptions.c.name).where(
                    s.subscriptions.c.account_id == aid, s.subscriptions.c.name == name
                )
            ).first()
            if exists is None:
                conn.execute(insert(s.subscriptions).values(account_id=aid, name=name))

    def unsubscribe(self, account: str, name: str) -> bool:
        """Remove ``name`` from the account's subscriptions; True if it was there.

        Raises:
            NotFound: no such account.
        """
        with self.store.db.write() as conn:
            aid = self.store.accounts.id_of(conn, account)
            result = conn.execute(
                delete(s.subscriptions).where(
                    s.subscriptions.c.account_id == aid, s.subscriptions.c.name == subscription_name(name)
                )
            )
            return bool(result.rowcount)

    def subscriptions(self, account: str) -> builtins.list[str]:
        """The account's subscribed names, sorted; names of deleted folders stay until unsubscribed.

        Raises:
            NotFound: no such account.
        """
        with self.store.db.read() as conn:
            aid = self.store.accounts.id_of(conn, account)
            return sorted(
                conn.execute(
                    select(s.subscriptions.c.name).where(s.subscriptions.c.account_id == aid)
                ).scalars()
            )

    def count(self, owner: str) -> int:
        with self.store.db.read() as conn:
            ns = self._namespace_of(conn, owner)
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(s.folders)
                    .where(s.folders.c.namespace == ns, s.folders.c.path != "")
                ).scalar_one()
            )


MAX_SUBSCRIPTION_NAME = 1024  # characters; the width of subscriptions.name


def subscription_name(name: str) -> str:
    """Check a subscribed name; INBOX is case-insensitive (RFC 3501 5.1), so any spelling is "INBOX".

    Raises:
        InvalidInput: empty, a control character, or longer than MAX_SUBSCRIPTION_NAME.
    """
    if not name:
        raise InvalidInput("a subscription needs a folder name")
    if len(name) > MAX_SUBSCRIPTION_NAME:
        raise InvalidInput(f"folder name longer than {MAX_SUBSCRIPTION_NAME} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise InvalidInput("folder names cannot contain control characters")
    return "INBOX" if name.upper() == "INBOX" else name


def subscribe_defaults(conn: Connection, account_id: int) -> None:
    """Subscribe a new account to its standard folders (the mail ones), so clients that show only
    subscribed folders (LSUB) see them from the first login."""
    conn.execute(
        insert(s.subscriptions),
        [{"account_id": account_id, "name": path} for path, _, kind in DEFAULT_MAILBOX if kind == "mail"],
    )


def _move_subscriptions(conn: Connection, account_id: int, old: str, new: str) -> None:
    """RENAME takes the owner's subscriptions of the folder and of its subfolders along."""
    sub = s.subscriptions
    rows = conn.execute(
        select(sub.c.name).where(
            sub.c.account_id == account_id,
            (sub.c.name == old) | sub.c.name.startswith(old + FOLDER_SEPARATOR, autoescape=True),
        )
    ).scalars()
    for name in list(rows):
        target = new + name[len(old) :]
        conn.execute(delete(sub).where(sub.c.account_id == account_id, sub.c.name.in_([name, target])))
        conn.execute(insert(sub).values(account_id=account_id, name=target))


SUBFOLDER_DENIED = "missing right(s) x on a subfolder"


def _require_x_below(conn: Connection, actor: int, tree: builtins.list[Folder]) -> None:
    """ "x" on a folder does not reach subfolders the user may not see or delete (RFC 4314 4): deleting
    or renaming a tree on a user's behalf needs "l" and "x" on each of them too (``tree[0]`` is the
    folder itself, checked by the caller)."""
    if any("lx" not in acl.rights_for(conn, actor, f.id) for f in tree[1:]):
        raise PermissionDenied(SUBFOLDER_DENIED)


def _ensure_parent(conn: Connection, ns: str, path: str, actor: int | None) -> Folder:
    try:
        return folder_by_path(conn, ns, path)
    except NotFound:
        return create_folder(conn, ns, path, actor=actor)


__all__ = ["Folders", "PermissionDenied"]
