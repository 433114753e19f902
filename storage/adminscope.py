"""What an administrator may act on, decided in storage inside the transaction of the work.

Kinds of administrator (the manual's admin delegation; operator's view in docs/administration.md):

* a **server-wide administrator** (``admins.server_wide``; ``admin`` made by ``fieldpost init``) may do
  everything;
* a **delegated administrator** holds the *server permissions* of their own row and of every
  administrator group they belong to (``SERVER_RIGHTS``), and the *domains granted* to them or to one of
  their groups (``admin_domains``), each with *domain permissions* (``DOMAIN_RIGHTS``) and limits. A
  domain granted twice (to them and to a group, or to two groups) holds the union of the permissions and,
  per limit, the larger one (no limit beats any number).

A granted domain is visible (listed, read) whatever its permissions; each change needs the permission of
its kind. A grant without permissions is therefore a read-only view of that domain.

``DomainScope`` (a parameter of ``store.for_admin``) only narrows: the administrator acts on the granted
domains it names and holds no server permission (a server-wide administrator narrowed this way holds every
domain permission on those domains, with no limits).

Answers (the same on SQLite and PostgreSQL):

* an administrator name that is not (or no longer) in the table, or is disabled:
  ``PermissionDenied(NO_SUCH_ADMIN)`` on every call, so a deleted or disabled administrator's open
  WebAdmin or CLI session stops at its next request;
* an object of a domain outside the scope (by name, alias, address, or as a group member):
  ``NotFound`` worded exactly as for a domain that does not exist, so a delegated administrator cannot
  tell another tenant's domain from no domain at all;
* a server-level action without its server permission: ``PermissionDenied`` starting with ``SERVER_ONLY``;
* a change in a granted domain without its domain permission: ``PermissionDenied`` naming the permission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, or_, select

from storage import schema as s
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.names import domain_name, split_address

if TYPE_CHECKING:
    from storage.store import Store

NO_SUCH_ADMIN = "no such administrator"
SERVER_ONLY = "only a server administrator may do this"

#: Server permissions of a delegated administrator: name -> what it allows (the doc table).
SERVER_RIGHTS: dict[str, str] = {
    "config": "read and change server-level settings",
    "services": "start, stop and restart services; listeners and their rules",
    "security": "acceptance and routing rules, scanners, SPF/DKIM/DMARC, DNSBL, greylisting, sender lists",
    "queue": "see the mail queue and retry, delete or bounce messages in it",
    "logs": "read the server's logs",
    "reports": "server-wide reports (storage use of every domain)",
    "backup": "back up and restore the whole server",
    "admins": "manage delegated administrators and their groups, within the permissions one holds",
    "domains": "add domains (the new domain is granted to its creator with every domain permission); "
    "rename, delete, switch off and alias the domains one holds",
}

#: Domain permissions of a domain grant: name -> what it allows in that domain.
DOMAIN_RIGHTS: dict[str, str] = {
    "accounts": "add, delete, switch off accounts; their passwords, aliases and account class",
    "groups": "groups, their members, and forwarders",
    "public_folders": "public folders and folder recipients",
    "filters": "the domain's filters and rules",
    "settings": "settings of the domain, its account classes and its accounts; add account classes",
    "backup": "back up and restore the domain",
    "reports": "the domain's storage report",
}

ALL_SERVER_RIGHTS = frozenset(SERVER_RIGHTS)
ALL_DOMAIN_RIGHTS = frozenset(DOMAIN_RIGHTS)


def parse_rights(
    text: str | Iterable[str], known: Mapping[str, str], *, strict: bool = True
) -> frozenset[str]:
    """Permission names from ``"a b,c"`` or an iterable; "all" means every one; "none" or "" none.

    Raises:
        InvalidInput: (``strict``) a name that is not a permission of ``known``.
    """
    words = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    found: set[str] = set()
    for word in (w.strip().lower() for w in words):
        if not word or word == "none":
            continue
        if word == "all":
            found.update(known)
        elif word in known:
            found.add(word)
        elif strict:
            raise InvalidInput(f"unknown permission {word!r} (known: {', '.join(sorted(known))})")
    return frozenset(found)


def rights_text(rights: Iterable[str]) -> str:
    """How permissions are stored and shown: sorted names, space-separated."""
    return " ".join(sorted(rights))


@dataclass(frozen=True)
class DomainGrant:
    """What an administrator holds on one domain: permissions and limits (None: no limit)."""

    rights: frozenset[str]
    max_accounts: int | None = None
    max_account_quota_mb: int | None = None

    def merged(self, other: DomainGrant) -> DomainGrant:
        """Two grants of one domain: the union of permissions and, per limit, the larger (None wins)."""
        return DomainGrant(
            self.rights | other.rights,
            _larger(self.max_accounts, other.max_accounts),
            _larger(self.max_account_quota_mb, other.max_account_quota_mb),
        )


FULL_GRANT = DomainGrant(ALL_DOMAIN_RIGHTS)


def _larger(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)


@dataclass(frozen=True)
class DomainScope:
    """The domains a delegated administrator acts on (names; aliases of them count as them)."""

    domains: frozenset[str]

    @classmethod
    def of(cls, *names: str) -> DomainScope:
        return cls(frozenset(domain_name(n) for n in names))


@dataclass(frozen=True)
class Scope:
    """An administrator's reach inside one transaction.

    ``domain_ids`` None: every domain (a server-wide administrator); else the granted domains, with their
    permissions and limits in ``grants``.
    """

    admin: str
    domain_ids: frozenset[int] | None
    server_rights: frozenset[str] = ALL_SERVER_RIGHTS
    grants: Mapping[int, DomainGrant] = field(default_factory=dict, hash=False, compare=False)
    admin_id: int | None = None

    @property
    def is_server(self) -> bool:
        """A server-wide administrator: every domain, every permission, no limits."""
        return self.domain_ids is None

    def require_server(self) -> None:
        """Work that only a server-wide administrator may do (no permission names it)."""
        if not self.is_server:
            raise PermissionDenied(SERVER_ONLY)

    def has(self, right: str) -> bool:
        """Whether the server permission ``right`` is held (a server-wide administrator holds all)."""
        if right not in SERVER_RIGHTS:
            raise InvalidInput(f"unknown server permission {right!r}")
        return self.is_server or right in self.server_rights

    def require(self, right: str) -> None:
        """Raises PermissionDenied (starting with ``SERVER_ONLY``) without server permission ``right``."""
        if not self.has(right):
            raise PermissionDenied(f"{SERVER_ONLY}, or one granted the server permission {right!r}")

    def admits(self, domain_id: int) -> bool:
        return self.domain_ids is None or domain_id in self.domain_ids

    def grant(self, domain_id: int) -> DomainGrant:
        """Permissions and limits on a domain in scope (a server-wide administrator: all, no limits)."""
        if self.is_server:
            return FULL_GRANT
        return self.grants.get(domain_id, DomainGrant(frozenset()))

    def may(self, domain_id: int, right: str) -> bool:
        """Whether domain permission ``right`` is held on ``domain_id`` (False outside the scope)."""
        if right not in DOMAIN_RIGHTS:
            raise InvalidInput(f"unknown domain permission {right!r}")
        return self.admits(domain_id) and right in self.grant(domain_id).rights

    def domain(self, store: Store, conn: Connection, name: str, right: str | None = None) -> int:
        """The id of domain ``name`` (or of the domain it aliases) if it is in scope, and, with ``right``,
        if that domain permission is held on it.

        Raises:
            NotFound: no such domain, or one outside the scope (same words for both).
            PermissionDenied: in scope, but ``right`` is not granted on it.
        """
        did = store.domains.id_of(conn, name)
        if not self.admits(did):
            raise NotFound(f"domain {domain_name(name)} does not exist")
        if right is not None and not self.may(did, right):
            raise PermissionDenied(f"no {right!r} permission on domain {domain_name(name)}")
        return did

    def address(self, store: Store, conn: Connection, address: str, right: str | None = None) -> int:
        """The id of the domain of ``address`` if it is in scope (and ``right`` held; see ``domain``)."""
        _, dn = split_address(address)
        return self.domain(store, conn, dn, right)

    def member(self, store: Store, conn: Connection, address: str) -> None:
        """A group member or forwarder target: anyone's to name, an address of another tenant's domain
        included. Refusing those (and only those) would tell a domain administrator which domains exist
        here: an unknown domain must be accepted as an outside address, so another tenant's reads the
        same. Naming someone as a member gives them nothing but mail, which anyone may send them."""
        split_address(address)  # a malformed address is InvalidInput, as anywhere


def resolve(store: Store, conn: Connection, admin: str, within: DomainScope | None) -> Scope:
    """The scope of ``admin`` now, read in the caller's transaction.

    Raises:
        PermissionDenied: ``NO_SUCH_ADMIN`` (unknown or disabled administrator).
    """
    a = s.admins
    row = conn.execute(
        select(a.c.id, a.c.server_wide, a.c.server_rights, a.c.enabled).where(a.c.name == admin)
    ).first()
    if row is None or not row.enabled:
        raise PermissionDenied(NO_SUCH_ADMIN)
    held = held_by_admin(conn, admin, int(row.id), bool(row.server_wide), row.server_rights)
    if within is None:
        return held
    grants = dict(held.grants)
    if held.is_server:
        grants = {did: FULL_GRANT for did in conn.execute(select(s.domains.c.id)).scalars()}
    wanted: set[int] = set()
    for name in within.domains:
        try:
            wanted.add(store.domains.id_of(conn, name))
        except (NotFound, InvalidInput):
            continue  # a named domain that was deleted grants nothing
    grants = {did: g for did, g in grants.items() if did in wanted}
    return Scope(admin, frozenset(grants), frozenset(), grants, held.admin_id)


def held_by_admin(conn: Connection, name: str, admin_id: int, server_wide: bool, own_rights: str) -> Scope:
    """Everything an administrator holds (own row and groups), whether or not they are enabled."""
    if server_wide:
        return Scope(name, None, ALL_SERVER_RIGHTS, {}, admin_id)
    group_ids = list(
        conn.execute(
            select(s.admin_group_members.c.group_id).where(s.admin_group_members.c.admin_id == admin_id)
        ).scalars()
    )
    rights = set(parse_rights(own_rights, SERVER_RIGHTS, strict=False))
    if group_ids:
        for text in conn.execute(
            select(s.admin_groups.c.server_rights).where(s.admin_groups.c.id.in_(group_ids))
        ).scalars():
            rights |= parse_rights(text, SERVER_RIGHTS, strict=False)
    d = s.admin_domains
    holder = d.c.admin_id == admin_id
    if group_ids:
        holder = or_(holder, d.c.group_id.in_(group_ids))
    grants = _domain_grants(conn, holder)
    return Scope(name, frozenset(grants), frozenset(rights), grants, admin_id)


def held_by_group(conn: Connection, name: str, group_id: int, rights: str) -> Scope:
    """What an administrator group gives its members."""
    grants = _domain_grants(conn, s.admin_domains.c.group_id == group_id)
    return Scope(name, frozenset(grants), parse_rights(rights, SERVER_RIGHTS, strict=False), grants)


def covers(actor: Scope, other: Scope) -> bool:
    """Whether ``actor`` holds everything ``other`` holds (server permissions, domains, their permissions,
    limits at least as wide): the test against escalation, since managing an administrator (their password,
    their groups) amounts to acting as them."""
    if actor.is_server:
        return True
    if other.is_server or not other.server_rights <= actor.server_rights:
        return False
    return all(actor.admits(did) and within_grant(actor.grant(did), g) for did, g in other.grants.items())


def within_grant(outer: DomainGrant, inner: DomainGrant) -> bool:
    """Whether ``inner`` gives nothing that ``outer`` does not (permissions and limits)."""
    return (
        inner.rights <= outer.rights
        and _within(inner.max_accounts, outer.max_accounts)
        and _within(inner.max_account_quota_mb, outer.max_account_quota_mb)
    )


def _within(inner: int | None, outer: int | None) -> bool:
    return outer is None or (inner is not None and inner <= outer)


def _domain_grants(conn: Connection, holder: ColumnElement[bool]) -> dict[int, DomainGrant]:
    d = s.admin_domains
    grants: dict[int, DomainGrant] = {}
    for r in conn.execute(
        select(d.c.domain_id, d.c.rights, d.c.max_accounts, d.c.max_account_quota_mb).where(holder)
    ):
        grant = DomainGrant(
            parse_rights(r.rights, DOMAIN_RIGHTS, strict=False),
            None if r.max_accounts is None else int(r.max_accounts),
            None if r.max_account_quota_mb is None else int(r.max_account_quota_mb),
        )
        did = int(r.domain_id)
        grants[did] = grants[did].merged(grant) if did in grants else grant
    return grants
