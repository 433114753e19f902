"""The folder access-control engine: every protocol and page asks this module, and only this module.

Rights are RFC 4314 letters, plus three digits of our own (RFC 4314 leaves digits to the site) for grants
that only make sense on a mailbox root:

====  ======================================================================================
l     lookup: the folder shows up in listings
r     read: open the folder and read its items
s     keep seen: the read/unread state is shared with everyone else who has "s"
w     write flags other than \\Seen and \\Deleted
i     insert: add items (new, copied or moved in)
p     post: submit mail to the folder's address
k     create subfolders below this folder
x     delete or rename the folder itself
t     mark items deleted / not deleted
e     expunge items marked deleted
a     administer: change the folder's entries
0     send as the mailbox's owner (checked on the mailbox root)
1     read the owner's free/busy information (checked on the mailbox root)
2     send on behalf of the owner: From: the owner, Sender: the delegate (checked on the mailbox root)
====  ======================================================================================

The manual's permission names map onto letters as follows: "view items" is l, "read folder content" is
r, "read items" is l+r, "share read/unread status" is s, "set/clear flags" is w, "add items" is i (+p),
"add sub-folders" is k, "delete folder" is x, "mark items deleted" is t, "expunge" is e, "delete items"
is t+e, "manage permissions" is a. Changing an item means replacing it, so it needs both i and t.

Roles are named sets. The manual names viewer, contributor, editor and master without listing them; we
make each one strictly include the one before it: a viewer reads (l r s), a contributor also adds items
(i p), an editor also manages existing items and subfolders (w t e k) and a master may also delete the
folder and share it (x a). The mailbox-level digits are in no role; they are granted one by one.

Computation (``effective_rights``): an entry on the folder itself always counts, an entry on an ancestor
counts only with its "apply to subfolders" flag. Per right, a matching deny anywhere on that chain wins,
else a matching allow grants it, else it is refused. Implicit rights are added last and no deny can take
them away: an owner has everything on their own mailbox; a domain's postmaster has everything on the
domain's public folders and lookup+administer on every mailbox folder of the domain. A server
administrator is not a mailbox user and gets nothing here.

Exceptions: since allows add up, an allow on a subfolder cannot narrow what an inherited allow gives. The
permissions dialog writes an exception as an allow of the letters kept plus a deny of the other folder
letters on the subfolder (storage.folder_sharing), which this rule then applies as a cap.

The Rights type, the roles and the pure deny-wins computation are in storage.rights (re-exported
here); this module reads and writes the entries.

Implementation notes: every DB function takes an open ``Connection``; the caller owns the transaction.
Reads are a fixed number of statements whatever the depth of the tree or the size of a namespace
(recursive CTEs for the folder chain and nested groups, one bulk read per namespace for listings).

``rights_for`` runs on every IMAP SELECT, STATUS, STORE and FETCH, so it is kept cheap: its statements
are built once at import (SQLAlchemy then finds their compiled SQL in its cache instead of building and
compiling a recursive CTE per call), an owner on their own folder is answered from the first row (their
implicit ALL cannot be denied, so entries cannot change the answer), and everyone else's matching entries
come in one statement that walks the folder chain and the nested groups together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, literal, select

from storage import dialect
from storage import schema as s
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.rights import (
    ALL,
    CANONICAL_ORDER,
    CONTRIBUTOR,
    EDITOR,
    FOLDER_RIGHTS,
    MAILBOX_RIGHTS,
    MASTER,
    NONE,
    POSTMASTER_ON_MAILBOXES,
    PRINCIPAL_KINDS,
    READ_FREEBUSY,
    ROLES,
    SEND_AS,
    SEND_ON_BEHALF,
    VIEWER,
    AclEntry,
    Principal,
    Rights,
    apply_modification,
    effective_rights,
    may_store,
    rights_to_store,
    role_of,
)

__all__ = [
    "ALL",
    "CANONICAL_ORDER",
    "CONTRIBUTOR",
    "EDITOR",
    "FOLDER_RIGHTS",
    "MAILBOX_RIGHTS",
    "MASTER",
    "NONE",
    "NO_SUCH_FOLDER",
    "POSTMASTER_ON_MAILBOXES",
    "PRINCIPAL_KINDS",
    "READ_FREEBUSY",
    "ROLES",
    "SEND_AS",
    "SEND_ON_BEHALF",
    "VIEWER",
    "AclEntry",
    "Principal",
    "Rights",
    "apply_modification",
    "default_entries_for_new_domain",
    "default_entries_for_new_folder",
    "effective_rights",
    "grant",
    "list_entries",
    "mailbox_root_id",
    "may_store",
    "principals_of",
    "require",
    "revoke",
    "rights_for",
    "rights_in_namespace",
    "rights_on_mailbox",
    "rights_to_store",
    "role_of",
    "visible_folder_ids",
]

_MAX_DEPTH = 512  # guards the chain walk against a (corrupt) parent_id cycle

# What a user is told about a folder they may not look up, and about one that does not exist: the same
# words (RFC 4314 4, issue 9: no answer may tell the two apart, nor name an internal id).
NO_SUCH_FOLDER = "no such mailbox"


# -- implicit rights


@dataclass(frozen=True)
class _User:
    account_id: int
    domain_id: int
    is_postmaster: bool


def _implicit(user: _User, folder_account_id: int | None, folder_domain_id: int) -> Rights:
    if folder_account_id is not None and folder_account_id == user.account_id:
        return ALL
    if user.is_postmaster and folder_domain_id == user.domain_id:
        return ALL if folder_account_id is None else POSTMASTER_ON_MAILBOXES
    return NONE


_USER = select(s.accounts.c.domain_id, s.accounts.c.local_part).where(
    s.accounts.c.id == bindparam("account_id")
)


def _load_user(conn: Connection, account_id: int) -> _User:
    row = conn.execute(_USER, {"account_id": account_id}).first()
    if row is None:
        raise NotFound("no such account")
    return _User(account_id, row.domain_id, row.local_part.lower() == "postmaster")


def _groups_statement() -> Any:
    gm = s.group_members
    # UNION (not UNION ALL) drops rows already seen, so a membership cycle ends the recursion.
    groups = (
        select(gm.c.group_id)
        .where(gm.c.account_id == bindparam("account_id"))
        .cte("member_of", recursive=True)
    )
    groups = groups.union(select(gm.c.group_id).join(groups, gm.c.member_group_id == groups.c.group_id))
    return select(groups.c.group_id)


_GROUPS = _groups_statement()


def _principals(conn: Connection, user: _User) -> frozenset[Principal]:
    found: set[Principal] = {("user", user.account_id), ("domain", user.domain_id), ("anyone", 0)}
    found.update(("group", gid) for gid in conn.execute(_GROUPS, {"account_id": user.account_id}).scalars())
    return frozenset(found)


def principals_of(conn: Connection, account_id: int) -> frozenset[Principal]:
    """Everything an account matches: itself, its groups (nested, any depth), its domain, anyone.

    Raises:
        NotFound: no such account.
    """
    return _principals(conn, _load_user(conn, account_id))


def _entry(row: Any) -> AclEntry:
    return AclEntry(
        folder_id=row.folder_id,
        principal=(row.principal_kind, row.principal_id),
        rights=Rights.parse(row.rights),
        allow=bool(row.allow),
        inherit=bool(row.inherit),
    )


# -- reading rights


_FOLDER_OWNER = select(s.folders.c.account_id, s.folders.c.domain_id).where(
    s.folders.c.id == bindparam("folder_id")
)
# the folder's owner and the asking user in one row (no row: one of them does not exist)
_FOLDER_AND_USER = (
    select(
        s.folders.c.account_id,
        s.folders.c.domain_id,
        s.accounts.c.domain_id.label("user_domain_id"),
        s.accounts.c.local_part,
    )
    .select_from(s.folders.join(s.accounts, s.accounts.c.id == bindparam("account_id")))
    .where(s.folders.c.id == bindparam("folder_id"))
)


def _matching_entries_statement() -> Any:
    """The entries on the folder and its ancestors that name the user, the user's domain, anyone, or a
    group the user is in (nested groups resolved by a second recursive CTE), with the distance from the
    folder (0 = the folder itself). One statement, so a check is two round trips in all."""
    f, a, gm = s.folders, s.acl_entries, s.group_members
    chain = (
        select(f.c.id, f.c.parent_id, literal(0).label("depth"))
        .where(f.c.id == bindparam("folder_id"))
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(f.c.id, f.c.parent_id, (chain.c.depth + 1).label("depth"))
        .join(chain, f.c.id == chain.c.parent_id)
        .where(chain.c.depth < _MAX_DEPTH)
    )
    # UNION (not UNION ALL) drops rows already seen, so a membership cycle ends the recursion.
    groups = (
        select(gm.c.group_id)
        .where(gm.c.account_id == bindparam("account_id"))
        .cte("member_of", recursive=True)
    )
    groups = groups.union(select(gm.c.group_id).join(groups, gm.c.member_group_id == groups.c.group_id))
    names_user = (
        ((a.c.principal_kind == "user") & (a.c.principal_id == bindparam("account_id")))
        | ((a.c.principal_kind == "domain") & (a.c.principal_id == bindparam("domain_id")))
        | (a.c.principal_kind == "anyone")
        | ((a.c.principal_kind == "group") & a.c.principal_id.in_(select(groups.c.group_id)))
    )
    return (
        select(chain.c.depth, a.c.allow, a.c.rights, a.c.inherit)
        .join(a, a.c.folder_id == chain.c.id)
        .where(names_user)
    )


_MATCHING_ENTRIES = _matching_entries_statement()


@lru_cache(maxsize=256)
def _letters(text: str) -> frozenset[str]:
    """Stored rights strings are few and repeat; parse each once."""
    return Rights.parse(text).letters


def rights_for(conn: Connection, account_id: int, folder_id: int) -> Rights:
    """The account's effective rights on one folder (the rule of ``effective_rights``).

    Raises:
        NotFound: no such account or folder.
    """
    row = conn.execute(_FOLDER_AND_USER, {"folder_id": folder_id, "account_id": account_id}).first()
    return rights_given(conn, account_id, folder_id, row)


def rights_given(conn: Connection, account_id: int, folder_id: int, row: Any) -> Rights:
    """``rights_for`` once the folder's owner and the user are read: ``row`` has the folder's
    ``account_id`` and ``domain_id`` and the user's ``user_domain_id`` and ``local_part`` (None: no such
    folder or user), so a caller that reads the folder's row anyway reads them in the same statement.
    An owner's rights then cost no statement; anyone else's one more (the matching entries)."""
    if row is None:
        if conn.execute(_FOLDER_OWNER, {"folder_id": folder_id}).first() is None:
            raise NotFound(NO_SUCH_FOLDER)
        raise NotFound("no such account")
    if row.account_id == account_id:
        return ALL  # the owner's implicit rights: everything, and no deny takes any of it away
    user = _User(account_id, row.user_domain_id, row.local_part.lower() == "postmaster")
    implicit = _implicit(user, row.account_id, row.domain_id)
    if implicit == ALL:
        return ALL
    allowed: set[str] = set()
    denied: set[str] = set()
    params = {"folder_id": folder_id, "account_id": account_id, "domain_id": user.domain_id}
    for depth, allow, rights, inherit in conn.execute(_MATCHING_ENTRIES, params):
        if depth == 0 or inherit:
            (allowed if allow else denied).update(_letters(rights))
    if not allowed:
        return implicit
    return Rights(frozenset(allowed - denied)) | implicit


def require(conn: Connection, account_id: int, folder_id: int, needed: str | Rights) -> Rights:
    """Raise unless the account may look the folder up and holds every right in ``needed`` on it;
    returns the account's rights on the folder.

    A folder without "l" does not exist for the user (RFC 4314 4), whatever else they hold: they get the
    same NotFound as for a folder that does not exist, so no answer reveals it.

    Raises:
        NotFound: no such account or folder, or no "l" on it (``NO_SUCH_FOLDER``).
        PermissionDenied: a right is missing (the message names which, never the folder's id).
    """
    return demand(rights_for(conn, account_id, folder_id), needed)


def demand(rights: Rights, needed: str | Rights) -> Rights:
    """``require``'s rule on rights already read: NotFound without "l", PermissionDenied for a missing
    right; returns ``rights``."""
    if "l" not in rights.letters:
        raise NotFound(NO_SUCH_FOLDER)
    missing = Rights.of(needed) - rights
    if missing:
        raise PermissionDenied(f"missing right(s) {missing}")
    return rights


def rights_in_namespace(conn: Connection, account_id: int, namespace: str) -> dict[int, Rights]:
    """Effective rights on every folder of a namespace ("a<id>" or "p<id>"), in two bulk reads.

    Raises:
        NotFound: no such account.
    """
    user = _load_user(conn, account_id)
    principals = _principals(conn, user)
    f, a = s.folders, s.acl_entries
    folders = conn.execute(
        select(f.c.id, f.c.parent_id, f.c.account_id, f.c.domain_id).where(f.c.namespace == namespace)
    ).all()
    entry_rows = conn.execute(select(a).join(f, f.c.id == a.c.folder_id).where(f.c.namespace == namespace))
    return _rights_of_rows(user, principals, folders, entry_rows)


_ENTRIES_IN_NAMESPACES = (
    select(s.acl_entries)
    .join(s.folders, s.folders.c.id == s.acl_entries.c.folder_id)
    .where(s.folders.c.namespace.in_(bindparam("namespaces", expanding=True)))
)


def rights_in_namespaces(conn: Connection, account_id: int, folders: Sequence[Any]) -> dict[int, Rights]:
    """``rights_in_namespace`` over several namespaces whose folder rows the caller has read (each with
    ``id``, ``namespace``, ``parent_id``, ``account_id``, ``domain_id``; every folder of those
    namespaces, roots included, as the rights of a folder follow its ancestors'): three statements
    whatever the number of namespaces.

    Raises:
        NotFound: no such account.
    """
    user = _load_user(conn, account_id)
    principals = _principals(conn, user)
    namespaces = sorted({row.namespace for row in folders})
    entry_rows: Iterable[Any] = (
        conn.execute(_ENTRIES_IN_NAMESPACES, {"namespaces": namespaces}) if namespaces else []
    )
    return _rights_of_rows(user, principals, folders, entry_rows)


def _rights_of_rows(
    user: _User, principals: frozenset[Principal], folders: Sequence[Any], entry_rows: Iterable[Any]
) -> dict[int, Rights]:
    by_folder: dict[int, list[AclEntry]] = {}
    for row in entry_rows:
        by_folder.setdefault(row.folder_id, []).append(_entry(row))
    parent = {row.id: row.parent_id for row in folders}
    result: dict[int, Rights] = {}
    for row in folders:
        chain: list[list[AclEntry]] = []
        current: int | None = row.id
        while current is not None and len(chain) < _MAX_DEPTH:
            chain.append(by_folder.get(current, []))
            current = parent.get(current)
        implicit = _implicit(user, row.account_id, row.domain_id)
        result[row.id] = effective_rights(chain, principals, implicit)
    return result


def visible_folder_ids(conn: Connection, account_id: int, namespace: str) -> set[int]:
    """The folders of a namespace the account may see in a listing (holds "l")."""
    return {fid for fid, rights in rights_in_namespace(conn, account_id, namespace).items() if "l" in rights}


def mailbox_root_id(conn: Connection, owner_account_id: int) -> int:
    """The id of an account's namespace root (path ""), where mailbox-wide grants live.

    Raises:
        NotFound: the account has no mailbox root.
    """
    f = s.folders
    fid = conn.execute(
        select(f.c.id).where(f.c.namespace == f"a{owner_account_id}", f.c.path == "")
    ).scalar_one_or_none()
    if fid is None:
        raise NotFound("the account has no mailbox root folder")
    return int(fid)


def rights_on_mailbox(conn: Connection, account_id: int, owner_account_id: int) -> Rights:
    """Rights on another account's mailbox root: ask it for SEND_AS ("0"), READ_FREEBUSY ("1") and
    SEND_ON_BEHALF ("2")."""
    return rights_for(conn, account_id, mailbox_root_id(conn, owner_account_id))


# -- changing entries


def _check_principal(conn: Connection, principal: Principal) -> Principal:
    kind, pid = principal
    tables = {"user": s.accounts, "group": s.groups, "domain": s.domains}
    if kind == "anyone":
        if pid != 0:
            raise InvalidInput("the 'anyone' principal has id 0")
        return principal
    if kind not in tables:
        raise InvalidInput(f"unknown principal kind {kind!r}; expected one of {', '.join(PRINCIPAL_KINDS)}")
    table = tables[kind]
    if conn.execute(select(table.c.id).where(table.c.id == pid)).first() is None:
        raise NotFound(f"no such {kind}")
    return principal


def _check_folder(conn: Connection, folder_id: int) -> None:
    if conn.execute(select(s.folders.c.id).where(s.folders.c.id == folder_id)).first() is None:
        raise NotFound(NO_SUCH_FOLDER)


def _entry_filter(folder_id: int, principal: Principal, allow: bool) -> Any:
    a = s.acl_entries
    return (
        (a.c.folder_id == folder_id)
        & (a.c.principal_kind == principal[0])
        & (a.c.principal_id == principal[1])
        & (a.c.allow == allow)
    )


def grant(
    conn: Connection,
    folder_id: int,
    principal: Principal,
    rights: str | Rights,
    *,
    allow: bool = True,
    inherit: bool = True,
) -> None:
    """Set (replace) the principal's allow or deny entry on a folder; empty rights delete it.

    Raises:
        InvalidInput: bad rights string or principal kind.
        NotFound: the folder or the principal does not exist.
    """
    value = Rights.of(rights)
    _check_folder(conn, folder_id)
    _check_principal(conn, principal)
    if not value:
        revoke(conn, folder_id, principal, allow=allow)
        return
    row = {
        "folder_id": folder_id,
        "principal_kind": principal[0],
        "principal_id": principal[1],
        "allow": allow,
        "rights": str(value),
        "inherit": inherit,
    }
    stmt = dialect.insert(conn, s.acl_entries).values(**row)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["folder_id", "principal_kind", "principal_id", "allow"],
            set_={"rights": stmt.excluded.rights, "inherit": stmt.excluded.inherit},
        )
    )


def revoke(conn: Connection, folder_id: int, principal: Principal, *, allow: bool = True) -> bool:
    """Delete the principal's allow (or deny) entry on a folder; True if there was one."""
    result = conn.execute(delete(s.acl_entries).where(_entry_filter(folder_id, principal, allow)))
    return bool(result.rowcount)


def list_entries(conn: Connection, folder_id: int) -> list[AclEntry]:
    """The folder's own stored entries (not inherited ones, not implicit rights), in a stable order."""
    a = s.acl_entries
    rows = conn.execute(
        select(a)
        .where(a.c.folder_id == folder_id)
        .order_by(a.c.principal_kind, a.c.principal_id, a.c.allow.desc())
    )
    return [_entry(row) for row in rows]


# -- default entries (explicit, editable, written when things are created)


def default_entries_for_new_domain(conn: Connection, public_root_folder_id: int, domain_id: int) -> None:
    """Every user of a new domain may look up its public folders (allow "l" on the root, inherited)."""
    grant(conn, public_root_folder_id, ("domain", domain_id), "l", allow=True, inherit=True)


def default_entries_for_new_folder(
    conn: Connection, folder_id: int, creator_account_id: int | None, owner_account_id: int | None
) -> None:
    """A user who creates a public folder or a folder in someone else's mailbox gets every folder right on
    it, inherited. Nothing is written for a folder in the creator's own mailbox (the owner's implicit
    rights cover it) nor for one made by an administrator (``creator_account_id`` None).

    The mailbox-level digits are left out: they are only read on a mailbox root, which nobody creates.
    """
    if creator_account_id is None or creator_account_id == owner_account_id:
        return
    grant(conn, folder_id, ("user", creator_account_id), MASTER, allow=True, inherit=True)
