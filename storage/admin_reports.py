"""Storage reports (``view.reports``): how much each domain and each account holds, against its quotas.

The figures are the cached columns storage keeps up to date in the delivering and expunging transactions
(``accounts.used_bytes``, ``message_count``, ``folder_count``), so a report of any size costs one grouped
query per page, never a walk over messages. Quotas are the effective ``quota.*`` settings of each account
shown (account, class, domain, server), read for one page of accounts at a time.

Who sees what: a server administrator, or one holding the "reports" server permission, every domain; any
other delegated administrator the domains granted to them
with the "reports" domain permission -- another tenant's domain is NotFound, worded as for a domain that
does not exist, and a granted domain without the permission PermissionDenied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from storage import schema as s
from storage import settings as registry
from storage.errors import InvalidInput

if TYPE_CHECKING:
    from storage.adminview import AdminView

MAX_PAGE = 500
ORDERS = {"size": "used_bytes", "messages": "message_count", "folders": "folder_count", "name": "local_part"}
QUOTAS = ("quota.storage_bytes", "quota.messages", "quota.folders")


@dataclass(frozen=True)
class DomainUsage:
    name: str
    accounts: int
    used_bytes: int
    messages: int
    folders: int


@dataclass(frozen=True)
class AccountUsage:
    """One account's use; a limit of 0 means none (the settings' convention)."""

    address: str
    enabled: bool
    used_bytes: int
    messages: int
    folders: int
    limit_bytes: int
    limit_messages: int
    limit_folders: int

    @property
    def percent_bytes(self) -> int | None:
        """Use of the storage quota in percent (rounded down), None without a quota."""
        return self.used_bytes * 100 // self.limit_bytes if self.limit_bytes else None


@dataclass(frozen=True)
class AccountUsagePage:
    domain: DomainUsage
    accounts: list[AccountUsage]
    total: int  # accounts in the domain
    offset: int


class AdminReports:
    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def domains(self) -> list[DomainUsage]:
        """Every domain in the administrator's scope with its totals, largest first."""
        a = s.accounts
        with self.view.acting() as scope, self.store.db.read() as conn:
            query = (
                select(
                    s.domains.c.id,
                    s.domains.c.name,
                    func.count(a.c.id),
                    func.coalesce(func.sum(a.c.used_bytes), 0),
                    func.coalesce(func.sum(a.c.message_count), 0),
                    func.coalesce(func.sum(a.c.folder_count), 0),
                )
                .select_from(s.domains.outerjoin(a, a.c.domain_id == s.domains.c.id))
                .group_by(s.domains.c.id, s.domains.c.name)
            )
            everything = scope.has("reports")
            rows = [r for r in conn.execute(query) if everything or scope.may(int(r[0]), "reports")]
        found = [DomainUsage(str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]
        return sorted(found, key=lambda d: (-d.used_bytes, d.name))

    def accounts(
        self, domain: str, *, order: str = "size", offset: int = 0, limit: int = 100
    ) -> AccountUsagePage:
        """One page of a domain's accounts with their use and quotas.

        Args:
            order: "size" (default), "messages", "folders" (largest first) or "name".

        Raises:
            NotFound: no such domain, or one outside the scope.
            PermissionDenied: the domain is granted without the "reports" permission.
            InvalidInput: an unknown order, a negative offset or a limit outside 1..500.
        """
        if order not in ORDERS:
            raise InvalidInput(f"unknown order {order[:20]!r}: one of {', '.join(ORDERS)}")
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"a page starts at 0 or later and holds 1 to {MAX_PAGE} accounts")
        a = s.accounts
        column = a.c[ORDERS[order]]
        with self.view.acting() as scope, self.store.db.read() as conn:
            if scope.has("reports"):
                did = self.store.domains.id_of(conn, domain)
            else:
                did = scope.domain(self.store, conn, domain, right="reports")
            name = str(conn.execute(select(s.domains.c.name).where(s.domains.c.id == did)).scalar_one())
            totals = conn.execute(
                select(
                    func.count(a.c.id),
                    func.coalesce(func.sum(a.c.used_bytes), 0),
                    func.coalesce(func.sum(a.c.message_count), 0),
                    func.coalesce(func.sum(a.c.folder_count), 0),
                ).where(a.c.domain_id == did)
            ).one()
            rows = conn.execute(
                select(
                    a.c.id, a.c.local_part, a.c.enabled, a.c.used_bytes, a.c.message_count, a.c.folder_count
                )
                .where(a.c.domain_id == did)
                .order_by(column.asc() if order == "name" else column.desc(), a.c.local_part)
                .offset(offset)
                .limit(limit)
            ).all()
            usage = []
            for row in rows:
                limits = registry.effective_many(conn, QUOTAS, account_id=int(row.id))
                usage.append(
                    AccountUsage(
                        f"{row.local_part}@{name}",
                        bool(row.enabled),
                        int(row.used_bytes),
                        int(row.message_count),
                        int(row.folder_count),
                        int(limits["quota.storage_bytes"]),
                        int(limits["quota.messages"]),
                        int(limits["quota.folders"]),
                    )
                )
        summary = DomainUsage(name, int(totals[0]), int(totals[1]), int(totals[2]), int(totals[3]))
        return AccountUsagePage(summary, usage, summary.accounts, offset)
