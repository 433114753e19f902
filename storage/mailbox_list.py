"""What an IMAP LIST shows a user, read in one transaction of a fixed number of statements: their own
folders, the folders of other accounts of their domain they may look up, their domain's public folders,
and their subscriptions (RFC 3501 6.3.8-9, RFC 2342 namespaces).

Rules (storage.acl, RFC 4314 4): a folder is listed with "l" only. The owner holds every right on their
own folders, so those need no rights read. Another account's folders can be visible through an allow
entry naming one of the user's principals on the folder or on an ancestor (a mailbox-wide grant lives
on the namespace root), or through the postmaster's implicit "l" on every mailbox of their domain; only
those namespaces are read, and their rights are worked out from their folders and entries in bulk
(``acl.rights_in_namespaces``). Only accounts of the user's own domain are looked at, as before.

Why: the listing used to read each namespace in a transaction of its own (owner, rights, folders), one
per account of the domain: 48 statements for the demo's three accounts, growing with the domain
(bench/README.md, "Server CPU per IMAP command"). Now: eight, whatever the number of accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage.errors import NotFound
from storage.models import Folder


@dataclass(frozen=True)
class VisibleMailboxes:
    """Folders of every kind the user may look up (namespace roots left out), each part in path order;
    ``shared`` is (owner address, folders) by address, only owners with a visible folder."""

    own: list[Folder]
    shared: list[tuple[str, list[Folder]]]
    public: list[Folder]
    subscriptions: list[str]
    domain: str


_a, _d, _f, _e = s.accounts, s.domains, s.folders, s.acl_entries
_ME = (
    select(_a.c.domain_id, _a.c.local_part, _d.c.name)
    .join(_d, _d.c.id == _a.c.domain_id)
    .where(_a.c.id == bindparam("account_id"))
)
# other mailboxes of the domain with an allow entry somewhere, with the entry's principal
_GRANTS = (
    select(_f.c.namespace, _a.c.local_part, _e.c.principal_kind, _e.c.principal_id)
    .select_from(_e.join(_f, _f.c.id == _e.c.folder_id).join(_a, _a.c.id == _f.c.account_id))
    .where(
        _f.c.domain_id == bindparam("domain_id"),
        _f.c.account_id != bindparam("account_id"),
        _e.c.allow.is_(True),
    )
)
# a postmaster may look up every mailbox of the domain
_DOMAIN_ACCOUNTS = select(_a.c.id, _a.c.local_part).where(
    _a.c.domain_id == bindparam("domain_id"), _a.c.id != bindparam("account_id")
)
_FOLDERS = (
    select(_f)
    .where(_f.c.namespace.in_(bindparam("namespaces", expanding=True)))
    .order_by(_f.c.namespace, _f.c.path)
)
_SUBSCRIPTIONS = (
    select(s.subscriptions.c.name)
    .where(s.subscriptions.c.account_id == bindparam("account_id"))
    .order_by(s.subscriptions.c.name)
)


def visible_mailboxes(conn: Connection, account_id: int, *, shared: bool, public: bool) -> VisibleMailboxes:
    """The listing of ``account_id`` (see the module docstring); other accounts' folders only with
    ``shared``, public ones only with ``public`` (a LIST whose patterns cannot reach them skips them).

    Raises:
        NotFound: no such account.
    """
    me = conn.execute(_ME, {"account_id": account_id}).first()
    if me is None:
        raise NotFound("no such account")
    own_ns = fo.mailbox_namespace(account_id)
    public_ns = fo.public_namespace(me.domain_id)
    owners: dict[str, str] = {}  # namespace -> owner address, other accounts'
    if shared:
        owners = _shared_owners(conn, account_id, me)
    wanted = [own_ns, *owners, *([public_ns] if public else [])]
    rows = conn.execute(_FOLDERS, {"namespaces": wanted}).all()
    others = [row for row in rows if row.namespace != own_ns]
    rights = acl.rights_in_namespaces(conn, account_id, others) if others else {}
    by_ns: dict[str, list[Folder]] = {}
    for row in rows:
        if row.path and (row.namespace == own_ns or "l" in rights.get(row.id, acl.NONE)):
            by_ns.setdefault(row.namespace, []).append(fo.row_to_folder(row))
    subscriptions = list(conn.execute(_SUBSCRIPTIONS, {"account_id": account_id}).scalars())
    shared_folders = sorted(
        ((owners[ns], by_ns[ns]) for ns in owners if ns in by_ns), key=lambda pair: pair[0]
    )
    return VisibleMailboxes(
        own=by_ns.get(own_ns, []),
        shared=shared_folders,
        public=by_ns.get(public_ns, []) if public else [],
        subscriptions=subscriptions,
        domain=me.name,
    )


def _shared_owners(conn: Connection, account_id: int, me: Any) -> dict[str, str]:
    """namespace -> owner address of the domain's other mailboxes the user may see something in: all
    of them for the postmaster, else those with an allow entry naming one of the user's principals."""
    params = {"domain_id": me.domain_id, "account_id": account_id}
    if me.local_part.lower() == "postmaster":
        accounts = conn.execute(_DOMAIN_ACCOUNTS, params)
        return {fo.mailbox_namespace(row.id): f"{row.local_part}@{me.name}" for row in accounts}
    principals = acl.principals_of(conn, account_id)
    return {
        row.namespace: f"{row.local_part}@{me.name}"
        for row in conn.execute(_GRANTS, params)
        if (row.principal_kind, row.principal_id) in principals
    }
