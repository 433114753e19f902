"""Administration of administrators: ``store.for_admin(name).admins`` (and ``.admin_groups``, in
storage.admin_groups).

Who may: a server-wide administrator, or a delegated one holding the server permission ``admins``. What a
delegated one may do is bounded by what they hold themselves (no escalation):

* they see and manage only administrators (and groups) whose every permission, domain and limit they
  hold too (``adminscope.covers``); any other is answered ``NotFound`` like a name that does not exist,
  since changing someone's password, groups or permissions amounts to acting as them;
* they give only server permissions they hold, grant only domains in their scope with permissions they
  hold there and limits no wider than theirs, and never make anyone server-wide.

Whoever acts, the last enabled server-wide administrator cannot be deleted, disabled or made delegated:
the server would be left with nobody able to administer it. The server-wide rows are locked first
(PostgreSQL), so two administrators demoting each other at once cannot both succeed.

Every method is one transaction (``view.acting()``): the check and the change commit together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Row, and_, delete, insert, select, true, update

from storage import adminscope, passwords
from storage import schema as s
from storage.accounts import check_password_length
from storage.adminscope import DOMAIN_RIGHTS, SERVER_RIGHTS, DomainGrant, Scope
from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from storage.names import domain_name

if TYPE_CHECKING:
    from storage.adminview import AdminView

LAST_SERVER_ADMIN = (
    "the last enabled server-wide administrator cannot be deleted, disabled or made delegated; "
    "make another one server-wide first"
)
NOT_SERVER_WIDE = "only a server-wide administrator may make an administrator server-wide"
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def check_name(name: str, what: str = "administrator") -> str:
    """A valid administrator or group name (letters, digits, ``.``, ``_``, ``-``; 1 to 64)."""
    if not _NAME.fullmatch(name or ""):
        raise InvalidInput(f"invalid {what} name {name!r}: 1 to 64 letters, digits, '.', '_' or '-'")
    return name


@dataclass(frozen=True)
class GrantInfo:
    """A domain granted to an administrator or a group (limits: None = no limit)."""

    domain: str
    rights: tuple[str, ...]
    max_accounts: int | None
    max_account_quota_mb: int | None


@dataclass(frozen=True)
class AdminInfo:
    """An administrator as stored: their own permissions and grants (``groups`` add more)."""

    name: str
    enabled: bool
    server_wide: bool
    server_rights: tuple[str, ...]
    groups: tuple[str, ...]
    grants: tuple[GrantInfo, ...]


def grants_of(
    conn: Connection, *, admin_id: int | None = None, group_id: int | None = None
) -> tuple[GrantInfo, ...]:
    d = s.admin_domains
    holder = d.c.admin_id == admin_id if admin_id is not None else d.c.group_id == group_id
    rows = conn.execute(
        select(s.domains.c.name, d.c.rights, d.c.max_accounts, d.c.max_account_quota_mb)
        .join(s.domains, s.domains.c.id == d.c.domain_id)
        .where(holder)
        .order_by(s.domains.c.name)
    )
    return tuple(
        GrantInfo(
            r.name,
            tuple(sorted(adminscope.parse_rights(r.rights, DOMAIN_RIGHTS, strict=False))),
            r.max_accounts,
            r.max_account_quota_mb,
        )
        for r in rows
    )


def group_row(conn: Connection, scope: Scope, name: str) -> Row[*tuple[Any, ...]]:
    """The group ``name`` if the actor covers it.

    Raises:
        NotFound: no such group, or one the actor may not manage (same words).
    """
    g = s.admin_groups
    row = conn.execute(select(g.c.id, g.c.name, g.c.server_rights).where(g.c.name == name)).first()
    if row is None or not adminscope.covers(
        scope, adminscope.held_by_group(conn, row.name, int(row.id), row.server_rights)
    ):
        raise NotFound(f"administrator group {name!r} does not exist")
    return row


def admin_row(conn: Connection, scope: Scope, name: str) -> Row[*tuple[Any, ...]]:
    """The administrator ``name`` (id, name, enabled, server_wide, server_rights) if the actor covers them.

    Raises:
        NotFound: no such administrator, or one the actor may not manage (same words).
    """
    a = s.admins.c
    row = conn.execute(
        select(a.id, a.name, a.enabled, a.server_wide, a.server_rights).where(a.name == name)
    ).first()
    held = (
        None
        if row is None
        else adminscope.held_by_admin(conn, row.name, int(row.id), bool(row.server_wide), row.server_rights)
    )
    if row is None or held is None or not adminscope.covers(scope, held):
        raise NotFound(f"administrator {name!r} does not exist")
    return row


def server_rights_to_give(scope: Scope, rights: str | Iterable[str]) -> frozenset[str]:
    """Parse server permissions and refuse any the actor does not hold."""
    wanted = adminscope.parse_rights(rights, SERVER_RIGHTS)
    if not scope.is_server and not wanted <= scope.server_rights:
        missing = ", ".join(sorted(wanted - scope.server_rights))
        raise PermissionDenied(f"you cannot give server permissions you do not hold: {missing}")
    return wanted


class Administrators:
    """Administrators (``view.admins``); see the module docstring for who may do what."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    @contextmanager
    def _acting(self) -> Iterator[tuple[Scope, Connection]]:
        with self.view.acting() as scope, self.store.db.write() as conn:
            scope.require("admins")
            yield scope, conn

    def _info(self, conn: Connection, row: Row[*tuple[Any, ...]]) -> AdminInfo:
        groups = conn.execute(
            select(s.admin_groups.c.name)
            .join(s.admin_group_members, s.admin_group_members.c.group_id == s.admin_groups.c.id)
            .where(s.admin_group_members.c.admin_id == row.id)
            .order_by(s.admin_groups.c.name)
        ).scalars()
        return AdminInfo(
            row.name,
            bool(row.enabled),
            bool(row.server_wide),
            tuple(sorted(adminscope.parse_rights(row.server_rights, SERVER_RIGHTS, strict=False))),
            tuple(groups),
            grants_of(conn, admin_id=int(row.id)),
        )

    # -- reading ------------------------------------------------------------------------------------

    def list(self) -> list[AdminInfo]:
        """The administrators the actor may manage (a server-wide one: all), by name."""
        with self._acting() as (scope, conn):
            a = s.admins.c
            rows = conn.execute(
                select(a.id, a.name, a.enabled, a.server_wide, a.server_rights).order_by(a.name)
            ).all()
            return [
                self._info(conn, r)
                for r in rows
                if adminscope.covers(
                    scope,
                    adminscope.held_by_admin(conn, r.name, int(r.id), bool(r.server_wide), r.server_rights),
                )
            ]

    def get(self, name: str) -> AdminInfo:
        with self._acting() as (scope, conn):
            return self._info(conn, admin_row(conn, scope, name))

    # -- changing -----------------------------------------------------------------------------------

    def add(
        self, name: str, password: str, *, server_wide: bool = False, server_rights: str | Iterable[str] = ""
    ) -> AdminInfo:
        """A new administrator (enabled), delegated unless ``server_wide`` (server-wide actors only).

        Raises:
            AlreadyExists: the name is taken.
            InvalidInput: bad name, short password, unknown permission.
            PermissionDenied: server-wide asked by a delegated actor, or permissions they do not hold.
        """
        check_name(name)
        hashed = self._hash(password)
        with self._acting() as (scope, conn):
            if server_wide and not scope.is_server:
                raise PermissionDenied(NOT_SERVER_WIDE)
            rights = server_rights_to_give(scope, server_rights)
            if conn.execute(select(s.admins.c.id).where(s.admins.c.name == name)).first() is not None:
                raise AlreadyExists(f"administrator {name!r} already exists")
            conn.execute(
                insert(s.admins).values(
                    name=name,
                    password_hash=hashed,
                    password_generation=0,
                    server_wide=server_wide,
                    server_rights="" if server_wide else adminscope.rights_text(rights),
                    enabled=True,
                )
            )
            return self._info(conn, admin_row(conn, scope, name))

    def delete(self, name: str) -> None:
        """Delete an administrator; their open sessions are refused from their next call on."""
        with self._acting() as (scope, conn):
            row = admin_row(conn, scope, name)
            self._keep_a_server_admin(conn, row)
            conn.execute(delete(s.admins).where(s.admins.c.id == row.id))

    def set_enabled(self, name: str, enabled: bool) -> None:
        """A disabled administrator cannot sign in, and their open sessions stop at their next call."""
        with self._acting() as (scope, conn):
            row = admin_row(conn, scope, name)
            if not enabled:
                self._keep_a_server_admin(conn, row)
            conn.execute(update(s.admins).where(s.admins.c.id == row.id).values(enabled=enabled))

    def set_password(self, name: str, password: str) -> None:
        """A new password (argon2id); the generation moves on, so sessions opened before it end."""
        hashed = self._hash(password)
        with self._acting() as (scope, conn):
            row = admin_row(conn, scope, name)
            conn.execute(
                update(s.admins)
                .where(s.admins.c.id == row.id)
                .values(password_hash=hashed, password_generation=s.admins.c.password_generation + 1)
            )

    def set_server_wide(self, name: str, server_wide: bool) -> None:
        """Make an administrator server-wide (server-wide actors only) or delegated (their own
        permissions and grants then apply; the last server-wide one stays)."""
        with self._acting() as (scope, conn):
            row = admin_row(conn, scope, name)
            if server_wide and not scope.is_server:
                raise PermissionDenied(NOT_SERVER_WIDE)
            if not server_wide:
                self._keep_a_server_admin(conn, row)
            conn.execute(update(s.admins).where(s.admins.c.id == row.id).values(server_wide=server_wide))

    def set_server_rights(self, name: str, rights: str | Iterable[str]) -> tuple[str, ...]:
        """Replace an administrator's own server permissions ("all", "none", or names); returns them."""
        with self._acting() as (scope, conn):
            row = admin_row(conn, scope, name)
            given = server_rights_to_give(scope, rights)
            text = adminscope.rights_text(given)
            conn.execute(update(s.admins).where(s.admins.c.id == row.id).values(server_rights=text))
            return tuple(sorted(given))

    def grant(
        self,
        domain: str,
        *,
        admin: str | None = None,
        group: str | None = None,
        rights: str | Iterable[str] = "all",
        max_accounts: int | None = None,
        max_account_quota_mb: int | None = None,
    ) -> GrantInfo:
        """Grant ``domain`` to an administrator or a group (exactly one), replacing an earlier grant of it
        to them; ``rights`` are domain permissions ("all", "none" for a read-only view, or names).

        Raises:
            NotFound: the domain is not in the actor's scope, or the administrator/group is not theirs.
            PermissionDenied: permissions or limits wider than the actor holds on that domain.
            InvalidInput: unknown permission, negative limit, neither or both of admin and group.
        """
        for limit in (max_accounts, max_account_quota_mb):
            if limit is not None and limit < 0:
                raise InvalidInput("a limit must be 0 or more (leave it out for no limit)")
        wanted = DomainGrant(
            adminscope.parse_rights(rights, DOMAIN_RIGHTS), max_accounts, max_account_quota_mb
        )
        with self._acting() as (scope, conn):
            did = scope.domain(self.store, conn, domain)
            if not adminscope.within_grant(scope.grant(did), wanted):
                raise PermissionDenied(
                    f"you cannot grant more on {domain_name(domain)} than you hold there "
                    "(permissions, or limits wider than yours)"
                )
            aid, gid = self._holder(conn, scope, admin, group)
            d = s.admin_domains
            conn.execute(delete(d).where(held_by(did, aid, gid)))
            conn.execute(
                insert(d).values(
                    admin_id=aid,
                    group_id=gid,
                    domain_id=did,
                    rights=adminscope.rights_text(wanted.rights),
                    max_accounts=max_accounts,
                    max_account_quota_mb=max_account_quota_mb,
                )
            )
            return GrantInfo(
                domain_name(domain), tuple(sorted(wanted.rights)), max_accounts, max_account_quota_mb
            )

    def revoke(self, domain: str, *, admin: str | None = None, group: str | None = None) -> None:
        """Withdraw ``domain`` from an administrator or a group; holds from their next call on.

        Raises:
            NotFound: not granted to them, or domain/administrator/group not in the actor's reach.
        """
        with self._acting() as (scope, conn):
            did = scope.domain(self.store, conn, domain)
            aid, gid = self._holder(conn, scope, admin, group)
            if not conn.execute(delete(s.admin_domains).where(held_by(did, aid, gid))).rowcount:
                raise NotFound(f"{domain_name(domain)} is not granted to {admin or group}")

    # -- inside -------------------------------------------------------------------------------------

    def _holder(
        self, conn: Connection, scope: Scope, admin: str | None, group: str | None
    ) -> tuple[int | None, int | None]:
        """(admin id, group id) of a grant's holder, one of them None."""
        if (admin is None) == (group is None):
            raise InvalidInput("name either an administrator or an administrator group")
        if admin is not None:
            return int(admin_row(conn, scope, admin).id), None
        assert group is not None
        return None, int(group_row(conn, scope, group).id)

    def _hash(self, password: str) -> str:
        with self.store.db.read() as conn:
            check_password_length(self.store, conn, password, domain_id=None)
        return passwords.hash_password(password)

    @staticmethod
    def _keep_a_server_admin(conn: Connection, row: Row[*tuple[Any, ...]]) -> None:
        if not (row.server_wide and row.enabled):
            return
        a = s.admins.c
        others = (
            conn.execute(select(a.id).where(a.server_wide == true(), a.enabled == true()).with_for_update())
            .scalars()
            .all()
        )
        if not [other for other in others if other != row.id]:
            raise PermissionDenied(LAST_SERVER_ADMIN)


def held_by(domain_id: int, admin_id: int | None, group_id: int | None) -> ColumnElement[bool]:
    """The ``admin_domains`` row of one holder's grant of one domain."""
    d = s.admin_domains
    return and_(
        d.c.domain_id == domain_id,
        d.c.admin_id.is_(None) if admin_id is None else d.c.admin_id == admin_id,
        d.c.group_id.is_(None) if group_id is None else d.c.group_id == group_id,
    )
