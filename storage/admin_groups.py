"""Administrator groups: ``store.for_admin(name).admin_groups``.

A group carries server permissions and domain grants (``view.admins.grant(domain, group=...)``) that each
member holds besides their own (storage.adminscope). The rules are those of storage.administrators: the
server-wide or ``admins`` permission to act at all, and a delegated actor sees and changes only groups
(and adds only administrators) whose every permission they hold themselves, so joining a group never
gives more than its manager has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from storage import adminscope
from storage import schema as s
from storage.administrators import (
    GrantInfo,
    admin_row,
    check_name,
    grants_of,
    group_row,
    server_rights_to_give,
)
from storage.adminscope import SERVER_RIGHTS, Scope
from storage.errors import AlreadyExists, NotFound

if TYPE_CHECKING:
    from storage.adminview import AdminView


@dataclass(frozen=True)
class AdminGroupInfo:
    """An administrator group: what it gives and to whom."""

    name: str
    server_rights: tuple[str, ...]
    members: tuple[str, ...]
    grants: tuple[GrantInfo, ...]


class AdminGroups:
    """Administrator groups (``view.admin_groups``)."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    @contextmanager
    def _acting(self) -> Iterator[tuple[Scope, Connection]]:
        with self.view.acting() as scope, self.store.db.write() as conn:
            scope.require("admins")
            yield scope, conn

    def _info(self, conn: Connection, row: Row[*tuple[Any, ...]]) -> AdminGroupInfo:
        members = conn.execute(
            select(s.admins.c.name)
            .join(s.admin_group_members, s.admin_group_members.c.admin_id == s.admins.c.id)
            .where(s.admin_group_members.c.group_id == row.id)
            .order_by(s.admins.c.name)
        ).scalars()
        return AdminGroupInfo(
            row.name,
            tuple(sorted(adminscope.parse_rights(row.server_rights, SERVER_RIGHTS, strict=False))),
            tuple(members),
            grants_of(conn, group_id=int(row.id)),
        )

    def list(self) -> list[AdminGroupInfo]:
        """The groups the actor may manage (a server-wide administrator: all), by name."""
        with self._acting() as (scope, conn):
            g = s.admin_groups.c
            rows = conn.execute(select(g.id, g.name, g.server_rights).order_by(g.name)).all()
            return [
                self._info(conn, r)
                for r in rows
                if adminscope.covers(
                    scope, adminscope.held_by_group(conn, r.name, int(r.id), r.server_rights)
                )
            ]

    def get(self, name: str) -> AdminGroupInfo:
        with self._acting() as (scope, conn):
            return self._info(conn, group_row(conn, scope, name))

    def add(self, name: str, server_rights: str | Iterable[str] = "") -> AdminGroupInfo:
        """A new group with these server permissions (only ones the actor holds).

        Raises:
            AlreadyExists: the name is taken.
            InvalidInput: bad name or unknown permission.
            PermissionDenied: a permission the actor does not hold.
        """
        check_name(name, "administrator group")
        with self._acting() as (scope, conn):
            rights = server_rights_to_give(scope, server_rights)
            if conn.execute(select(s.admin_groups.c.id).where(s.admin_groups.c.name == name)).first():
                raise AlreadyExists(f"administrator group {name!r} already exists")
            conn.execute(
                insert(s.admin_groups).values(name=name, server_rights=adminscope.rights_text(rights))
            )
            return self._info(conn, group_row(conn, scope, name))

    def delete(self, name: str) -> None:
        """Delete a group: its members lose what it gave them from their next call on."""
        with self._acting() as (scope, conn):
            row = group_row(conn, scope, name)
            conn.execute(delete(s.admin_groups).where(s.admin_groups.c.id == row.id))

    def set_server_rights(self, name: str, rights: str | Iterable[str]) -> tuple[str, ...]:
        """Replace the group's server permissions ("all", "none", or names); returns them."""
        with self._acting() as (scope, conn):
            row = group_row(conn, scope, name)
            given = server_rights_to_give(scope, rights)
            conn.execute(
                update(s.admin_groups)
                .where(s.admin_groups.c.id == row.id)
                .values(server_rights=adminscope.rights_text(given))
            )
            return tuple(sorted(given))

    def add_member(self, group: str, admin: str) -> None:
        """Put an administrator in a group (both must be the actor's to manage; adding twice is a no-op)."""
        with self._acting() as (scope, conn):
            gid = int(group_row(conn, scope, group).id)
            aid = int(admin_row(conn, scope, admin).id)
            m = s.admin_group_members
            if (
                conn.execute(select(m.c.admin_id).where(m.c.group_id == gid, m.c.admin_id == aid)).first()
                is None
            ):
                conn.execute(insert(m).values(group_id=gid, admin_id=aid))

    def remove_member(self, group: str, admin: str) -> None:
        """Take an administrator out of a group.

        Raises:
            NotFound: the group or administrator is not the actor's, or they are not a member.
        """
        with self._acting() as (scope, conn):
            gid = int(group_row(conn, scope, group).id)
            aid = int(admin_row(conn, scope, admin).id)
            m = s.admin_group_members
            if not conn.execute(delete(m).where(m.c.group_id == gid, m.c.admin_id == aid)).rowcount:
                raise NotFound(f"{admin} is not a member of administrator group {group!r}")
