"""The permissions dialog's storage side: inherited entries, exceptions on a subfolder, and the
mailbox-level grants (delegation) on the user's own mailbox root.

``store.for_user(id).sharing`` gives a :class:`FolderSharing`. Like the rest of the user facade, every
call asks storage.acl inside its own transaction: a folder without "l" does not exist for the user, and
reading or changing its entries needs "a" on it. The plain entries of one folder (list, grant, change,
remove) are UserMail's (``acl_entries`` / ``change_entry`` / ``delete_entry``), shared with IMAP's
GETACL/SETACL.

Why exceptions are written as deny entries: the engine's rule is the manual's (storage.rights
``effective_rights``): per right, a deny anywhere on the chain wins, else an allow anywhere grants. An
allow entry on a subfolder therefore cannot *narrow* what an entry above grants with "apply to
subfolders": both are allows, and allows add up. So "on this subfolder, bob may only read" is stored as
what the engine understands: an allow of the letters kept plus a deny, on the subfolder, of every other
folder letter. The exception is a cap: whatever else reaches bob there (his entries above, a group he is
in, the domain, anyone) he holds at most the letters kept. Both are ordinary, listed entries; with "apply
to subfolders" they cover the whole branch below the subfolder too (the manual's "exception for a
subfolder or a whole branch"). An exception for a group or the domain caps every member the same way.

Delegation lives on the mailbox root (path ""), as storage.acl's digits: "0" send as, "1" read free/busy,
"2" send on behalf. They are written with the owner's own mailbox as the only possible target (a user
delegates for themselves). As the manual has it, a user delegates to co-workers *of the same domain*: a
user or group of the owner's domain, or all its users; never "anyone" nor another domain's accounts (on
a server hosting several organisations, one tenant's user must not let another tenant's send as them).
Withdrawing is always possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage.errors import InvalidInput
from storage.models import Folder

if TYPE_CHECKING:
    from storage.usermail import UserMail

_MAX_DEPTH = 512


@dataclass(frozen=True)
class InheritedEntry:
    """An entry of an ancestor that reaches the folder ("apply to subfolders" set on it)."""

    name: str
    rights: acl.Rights
    allow: bool
    from_path: str  # the ancestor's path; "" is the whole mailbox (or the public root)


@dataclass(frozen=True)
class Delegate:
    """Who holds mailbox-level grants on the user's mailbox, and which."""

    name: str
    send_as: bool
    send_on_behalf: bool
    free_busy: bool


class FolderSharing:
    """The permissions dialog's reads and writes beyond one folder's own entries (module docstring)."""

    def __init__(self, user: UserMail) -> None:
        self.user = user
        self.store = user.store

    def mailbox_root(self) -> Folder:
        """The user's own mailbox root (path ""), where entries for the whole mailbox and the
        delegation digits live.

        Raises:
            NotFound: the account has no mailbox root.
        """
        with self.store.db.read() as conn:
            return fo.folder_by_id(conn, acl.mailbox_root_id(conn, self.user.account_id))

    def inherited(self, folder_id: int) -> list[InheritedEntry]:
        """The entries of the folder's ancestors that pass down to it, nearest ancestor first.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "a".
        """
        with self.store.db.read() as conn:
            acl.require(conn, self.user.account_id, folder_id, "a")
            out = []
            for folder in _ancestors(conn, folder_id):
                for entry in acl.list_entries(conn, folder.id):
                    name = self.store.acl.principal_name(conn, entry.principal)
                    if entry.inherit and name is not None:
                        out.append(InheritedEntry(name, entry.rights, entry.allow, folder.path))
            return out

    def make_exception(self, folder_id: int, principal: str, keep: str, *, inherit: bool) -> acl.Rights:
        """Let ``principal`` hold at most ``keep`` (folder letters, possibly none) on this folder (and,
        with ``inherit``, on the branch below it), whatever reaches it from elsewhere; returns the
        letters now denied here. Writes the principal's allow entry (``keep``) and deny entry (every
        other folder letter) on the folder; an empty one is deleted.

        Raises:
            NotFound: no such folder, no "l", or no such principal. PermissionDenied: no "a".
            InvalidInput: bad letters, or the owner (whose rights are implicit).
        """
        wanted = acl.Rights.parse(keep)
        if wanted - acl.FOLDER_RIGHTS:
            raise InvalidInput(f"an exception keeps folder rights only ({acl.FOLDER_RIGHTS})")
        with self.store.db.write() as conn:
            acl.require(conn, self.user.account_id, folder_id, "a")
            who = self.user._principal_not_owner(conn, folder_id, principal)
            denied = acl.Rights.parse(acl.FOLDER_RIGHTS) - wanted
            current = _own_allow(conn, folder_id, who)
            acl.grant(conn, folder_id, who, wanted | (current - acl.FOLDER_RIGHTS), inherit=inherit)
            acl.grant(conn, folder_id, who, denied, allow=False, inherit=inherit)
            self.store.changes.record_rights(conn, folder_id)
            return denied

    def delegates(self) -> list[Delegate]:
        """Everyone holding a mailbox-level grant on the user's own mailbox root, by name."""
        with self.store.db.read() as conn:
            root = acl.mailbox_root_id(conn, self.user.account_id)
            out = []
            for entry in acl.list_entries(conn, root):
                name = self.store.acl.principal_name(conn, entry.principal)
                if not entry.allow or name is None or not entry.rights & acl.MAILBOX_RIGHTS:
                    continue
                r = entry.rights
                out.append(Delegate(name, acl.SEND_AS in r, acl.SEND_ON_BEHALF in r, acl.READ_FREEBUSY in r))
            return sorted(out, key=lambda d: (d.name != "anyone", d.name.lower()))

    def set_delegate(self, principal: str, *, send_as: bool, send_on_behalf: bool, free_busy: bool) -> None:
        """Give ``principal`` exactly these mailbox-level grants on the user's own mailbox (all False:
        none); the folder letters of its entry on the mailbox root are kept.

        Raises:
            NotFound: no such user, group or domain. InvalidInput: the user themselves, "anyone", or a
            principal of another domain (granting only; withdrawing is always allowed).
        """
        digits = "".join(d for d, on in (("0", send_as), ("1", free_busy), ("2", send_on_behalf)) if on)
        with self.store.db.write() as conn:
            root = acl.mailbox_root_id(conn, self.user.account_id)
            who = self.user._principal_not_owner(conn, root, principal)
            if digits:
                _same_domain(conn, self.user.account_id, who)
            entry = next((e for e in acl.list_entries(conn, root) if e.principal == who and e.allow), None)
            folder_letters = entry.rights & acl.FOLDER_RIGHTS if entry else acl.NONE
            inherit = entry.inherit if entry and folder_letters else False
            acl.grant(conn, root, who, folder_letters | digits, inherit=inherit)
            self.store.changes.record_rights(conn, root)


NOT_SAME_DOMAIN = "delegation goes to users or groups of your own domain"


def _same_domain(conn: Connection, account_id: int, who: acl.Principal) -> None:
    kind, pid = who
    theirs: int | None = None
    mine = conn.execute(select(s.accounts.c.domain_id).where(s.accounts.c.id == account_id)).scalar_one()
    if kind == "domain":
        theirs = pid
    elif kind in ("user", "group"):
        table = s.accounts if kind == "user" else s.groups
        theirs = conn.execute(select(table.c.domain_id).where(table.c.id == pid)).scalar_one_or_none()
    if theirs != mine:
        raise InvalidInput(NOT_SAME_DOMAIN)


def _ancestors(conn: Connection, folder_id: int) -> list[Folder]:
    """The folder's ancestors, nearest first, up to the namespace root."""
    out: list[Folder] = []
    parent = fo.folder_by_id(conn, folder_id).parent_id
    while parent is not None and len(out) < _MAX_DEPTH:
        folder = fo.folder_by_id(conn, parent)
        out.append(folder)
        parent = folder.parent_id
    return out


def _own_allow(conn: Connection, folder_id: int, who: acl.Principal) -> acl.Rights:
    entry = next((e for e in acl.list_entries(conn, folder_id) if e.principal == who and e.allow), None)
    return entry.rights if entry else acl.NONE
