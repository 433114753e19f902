"""What an administrator may act on, decided in storage inside the transaction of the work.

Two kinds of administrator (the manual's admin delegation):

* the **server administrator** (every row of the ``admins`` table today, ``admin`` made by ``fieldpost
  init``) may do everything: server settings, domains, the queue;
* a **domain administrator** acts on the domains granted to them and on nothing else: their accounts,
  groups, forwarders and the settings of those domains, their classes and accounts.

Where the grant comes from: no table holds delegations yet (issue 12 adds one, see docs/security.md,
"Administrators"). Until then :class:`DomainScope` is a typed parameter of ``store.for_admin``: it can only
*narrow* what the administrator's row grants, never widen it, and it is checked here, in storage, on every
call. When issue 12 stores delegations, :func:`resolve` intersects them with it and nothing above storage
changes.

Answers (the same on SQLite and PostgreSQL):

* an administrator name that is not (or no longer) in the table: ``PermissionDenied(NO_SUCH_ADMIN)`` on
  every call, so a deleted administrator's open WebAdmin or CLI session stops at its next request;
* an object of a domain outside the scope (by name, alias, address, or as a group member):
  ``NotFound`` worded exactly as for a domain that does not exist, so a domain administrator cannot tell
  another tenant's domain from no domain at all;
* a server-level action (adding, renaming or deleting a domain, domain aliases, server-level settings, the
  queue) by a domain administrator: ``PermissionDenied(SERVER_ONLY)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from storage import schema as s
from storage.errors import InvalidInput, NotFound, PermissionDenied
from storage.names import domain_name, split_address

if TYPE_CHECKING:
    from storage.store import Store

NO_SUCH_ADMIN = "no such administrator"
SERVER_ONLY = "only a server administrator may do this"


@dataclass(frozen=True)
class DomainScope:
    """The domains a delegated administrator acts on (names; aliases of them count as them)."""

    domains: frozenset[str]

    @classmethod
    def of(cls, *names: str) -> DomainScope:
        return cls(frozenset(domain_name(n) for n in names))


@dataclass(frozen=True)
class Scope:
    """An administrator's reach inside one transaction: everything (``domain_ids`` None) or those domains."""

    admin: str
    domain_ids: frozenset[int] | None

    @property
    def is_server(self) -> bool:
        return self.domain_ids is None

    def require_server(self) -> None:
        if not self.is_server:
            raise PermissionDenied(SERVER_ONLY)

    def admits(self, domain_id: int) -> bool:
        return self.domain_ids is None or domain_id in self.domain_ids

    def domain(self, store: Store, conn: Connection, name: str) -> int:
        """The id of domain ``name`` (or of the domain it aliases) if it is in scope.

        Raises:
            NotFound: no such domain, or one outside the scope (same words for both).
        """
        did = store.domains.id_of(conn, name)
        if not self.admits(did):
            raise NotFound(f"domain {domain_name(name)} does not exist")
        return did

    def address(self, store: Store, conn: Connection, address: str) -> int:
        """The id of the domain of ``address`` if it is in scope (NotFound otherwise, as above)."""
        _, dn = split_address(address)
        return self.domain(store, conn, dn)

    def member(self, store: Store, conn: Connection, address: str) -> None:
        """A group member or forwarder target: an outside address is anyone's to name; an address of one
        of our domains must be in scope."""
        _, dn = split_address(address)
        try:
            did = store.domains.id_of(conn, dn)
        except (NotFound, InvalidInput):
            return
        if not self.admits(did):
            raise NotFound(f"domain {dn} does not exist")


def resolve(store: Store, conn: Connection, admin: str, within: DomainScope | None) -> Scope:
    """The scope of ``admin`` now, read in the caller's transaction.

    Raises:
        PermissionDenied: ``NO_SUCH_ADMIN``.
    """
    row = conn.execute(select(s.admins.c.id).where(s.admins.c.name == admin)).first()
    if row is None:
        raise PermissionDenied(NO_SUCH_ADMIN)
    # every stored administrator is a server administrator until delegations are stored (issue 12)
    if within is None:
        return Scope(admin, None)
    ids: set[int] = set()
    for name in within.domains:
        try:
            ids.add(store.domains.id_of(conn, name))
        except (NotFound, InvalidInput):
            continue  # a granted domain that was deleted grants nothing
    return Scope(admin, frozenset(ids))
