"""The folder tree a user's mail client shows: their own folders, folders others share with them and
their domain's public folders, with unread and total counts, in one read.

Rules (storage.acl, RFC 4314 4): a folder without "l" is absent; its counts are given only with "r"
(None otherwise), so a user who may see a folder's name does not learn how much it holds. A folder the
user cannot see but whose subfolder they can is still absent; the subfolder keeps its full path, and
``depth`` counts its path's components, so a client indents it as if the parent were there.

Cost: a fixed number of statements whatever the number of namespaces shown (the folders of all of them
in one read, their rights in ``acl.rights_in_namespaces``), plus those that find the namespaces shared
with the user: the namespaces holding an allow entry for one of their principals (the user, their
groups, their domain, anyone). A domain's postmaster, who may look up every mailbox of the domain, is
shown only the mailboxes that hold such an entry too (their listing of every mailbox is WebAdmin's
business, not the mail client's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, or_, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage.models import Folder

Section = Literal["personal", "shared", "public"]


@dataclass(frozen=True)
class TreeFolder:
    """One folder of the tree. ``owner`` is how storage names its namespace in the other user-bound
    calls (an address, or "@domain" for public folders); ``total``/``unread`` are None without "r"."""

    id: int
    section: Section
    owner: str
    path: str
    name: str
    depth: int
    role: str | None
    kind: str
    rights: acl.Rights
    total: int | None
    unread: int | None

    @property
    def readable(self) -> bool:
        return "r" in self.rights


def tree_in(conn: Connection, account_id: int, *, kind: str | None = "mail") -> list[TreeFolder]:
    """Personal, then shared (by owner address), then public folders, each part in path order; only
    folders of ``kind`` (None: every kind).

    The folders of every namespace shown are read in one statement and their rights in one more
    (``acl.rights_in_namespaces``): a JMAP request reads this tree once or twice per method call, so its
    statement count is on every request's path (bench/jmap_cpu.py)."""
    a, d = s.accounts, s.domains
    me = conn.execute(
        select(a.c.domain_id, a.c.local_part, d.c.name)
        .join(d, d.c.id == a.c.domain_id)
        .where(a.c.id == account_id)
    ).one()
    parts: list[tuple[str, Section, str]] = [
        (fo.mailbox_namespace(account_id), "personal", f"{me.local_part}@{me.name}"),
        *((ns, "shared", owner) for ns, owner in _shared_namespaces(conn, account_id)),
        (fo.public_namespace(me.domain_id), "public", "@" + me.name),
    ]
    rows = conn.execute(
        select(s.folders)
        .where(s.folders.c.namespace.in_([ns for ns, _, _ in parts]))
        .order_by(s.folders.c.path)
    ).all()
    rights = acl.rights_in_namespaces(conn, account_id, rows)
    by_namespace: dict[str, list[Folder]] = {}
    for row in rows:
        by_namespace.setdefault(row.namespace, []).append(fo.row_to_folder(row))
    out: list[TreeFolder] = []
    for ns, section, owner in parts:
        out += _section(by_namespace.get(ns, []), rights, section, owner, kind)
    return out


def _section(
    folders: list[Folder], rights: dict[int, acl.Rights], section: Section, owner: str, kind: str | None
) -> list[TreeFolder]:
    out = []
    for folder in folders:
        r = rights.get(folder.id, acl.NONE)
        if not folder.path or "l" not in r or (kind is not None and folder.kind != kind):
            continue
        readable = "r" in r
        out.append(
            TreeFolder(
                id=folder.id,
                section=section,
                owner=owner,
                path=folder.path,
                name=folder.name,
                depth=folder.path.count("/"),
                role=folder.role,
                kind=folder.kind,
                rights=r,
                total=folder.message_count if readable else None,
                unread=folder.unseen_count if readable else None,
            )
        )
    return out


def _shared_namespaces(conn: Connection, account_id: int) -> list[tuple[str, str]]:
    """(namespace, owner address) of other accounts' mailboxes with an allow entry for the user."""
    principals = acl.principals_of(conn, account_id)
    e, f, a, d = s.acl_entries, s.folders, s.accounts, s.domains
    match = or_(*(and_(e.c.principal_kind == kind, e.c.principal_id == pid) for kind, pid in principals))
    rows = conn.execute(
        select(f.c.namespace, a.c.local_part, d.c.name)
        .distinct()
        .select_from(
            e.join(f, f.c.id == e.c.folder_id)
            .join(a, a.c.id == f.c.account_id)
            .join(d, d.c.id == a.c.domain_id)
        )
        .where(e.c.allow.is_(True), match, f.c.account_id != account_id)
    ).all()
    return sorted(((r.namespace, f"{r.local_part}@{r.name}") for r in rows), key=lambda pair: pair[1])
