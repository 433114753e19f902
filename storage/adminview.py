"""The directory, settings and queue as one administrator may see and change them.

``store.for_admin(name)`` gives an :class:`AdminView`: the API of the ``fieldpost`` commands, WebAdmin, the
CLI service and FTP backup (issues 12 and 13). Every method opens one joined transaction
(``Database.joined``), decides the administrator's scope in it (storage.adminscope: who they are now, which
domains they reach) and does the work in the same transaction, through the same components the system
path uses; a refused check leaves nothing changed, and a scope withdrawn between two calls holds from the
next call on. The rules and the answers (NotFound for another tenant's objects, PermissionDenied for
work without its permission) are adminscope's; the limits of a domain grant (accounts, mailbox size) are
adminlimits', checked in the same transaction.

Which permission each method asks (storage.adminscope lists them): reading a domain in scope, its
accounts, groups, forwarders and settings needs none; domain work needs ``domains`` (server) and the
domain in scope; accounts ``accounts``; groups and forwarders ``groups``; settings of a domain, class or
account and new classes ``settings``; server-level settings ``config``; the queue ``queue``.

The system path (``store.domains``, ``store.accounts``, ``store.queue``...) stays for delivery, processing
and set-up (``fieldpost init``); it checks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from storage import adminlimits
from storage import schema as s
from storage.adminscope import ALL_DOMAIN_RIGHTS, DomainScope, Scope, resolve, rights_text
from storage.models import Account, Domain, Forwarder, Group
from storage.queue import QueuedMessage

if TYPE_CHECKING:
    from storage.admin_backup import AdminBackup
    from storage.admin_directory import AdminDirectory
    from storage.admin_filter_tables import AdminFilterTables
    from storage.admin_groups import AdminGroups
    from storage.admin_logs import AdminLogs
    from storage.admin_mailboxes import AdminMailboxes
    from storage.admin_maintenance import AdminMaintenance
    from storage.admin_public_folders import AdminPublicFolders
    from storage.admin_remote_accounts import AdminRemoteAccounts
    from storage.admin_reports import AdminReports
    from storage.admin_second_factors import AdminSecondFactors
    from storage.admin_security import AdminSecurity
    from storage.admin_services import AdminServices
    from storage.admin_setting_levels import SettingLevels
    from storage.admin_setting_sheets import SettingSheets
    from storage.administrators import Administrators
    from storage.store import Store


class AdminView:
    """One administrator's view (see the module docstring); cheap to make, holds no transaction."""

    def __init__(self, store: Store, admin: str, within: DomainScope | None = None) -> None:
        self.store = store
        self.admin = admin
        self.within = within
        self.queue = AdminQueue(self)

    # -- components, each made (and its module imported) on first use: a command or page loads only its own
    @cached_property
    def second_factors(self) -> AdminSecondFactors:
        from storage.admin_second_factors import AdminSecondFactors

        return AdminSecondFactors(self)

    @cached_property
    def directory(self) -> AdminDirectory:
        from storage.admin_directory import AdminDirectory

        return AdminDirectory(self)

    @cached_property
    def public_folders(self) -> AdminPublicFolders:
        from storage.admin_public_folders import AdminPublicFolders

        return AdminPublicFolders(self)

    @cached_property
    def setting_levels(self) -> SettingLevels:
        from storage.admin_setting_levels import SettingLevels

        return SettingLevels(self)

    @cached_property
    def setting_sheets(self) -> SettingSheets:
        from storage.admin_setting_sheets import SettingSheets

        return SettingSheets(self)

    @cached_property
    def admins(self) -> Administrators:
        from storage.administrators import Administrators

        return Administrators(self)

    @cached_property
    def admin_groups(self) -> AdminGroups:
        from storage.admin_groups import AdminGroups

        return AdminGroups(self)

    @cached_property
    def backup(self) -> AdminBackup:
        from storage.admin_backup import AdminBackup

        return AdminBackup(self)

    @cached_property
    def services(self) -> AdminServices:
        from storage.admin_services import AdminServices

        return AdminServices(self)

    @cached_property
    def logs(self) -> AdminLogs:
        from storage.admin_logs import AdminLogs

        return AdminLogs(self)

    @cached_property
    def reports(self) -> AdminReports:
        from storage.admin_reports import AdminReports

        return AdminReports(self)

    @cached_property
    def security(self) -> AdminSecurity:
        from storage.admin_security import AdminSecurity

        return AdminSecurity(self)

    @cached_property
    def remote_accounts(self) -> AdminRemoteAccounts:
        from storage.admin_remote_accounts import AdminRemoteAccounts

        return AdminRemoteAccounts(self)

    @cached_property
    def mailboxes(self) -> AdminMailboxes:
        from storage.admin_mailboxes import AdminMailboxes

        return AdminMailboxes(self)

    @cached_property
    def filter_tables(self) -> AdminFilterTables:
        from storage.admin_filter_tables import AdminFilterTables

        return AdminFilterTables(self)

    @cached_property
    def maintenance(self) -> AdminMaintenance:
        from storage.admin_maintenance import AdminMaintenance

        return AdminMaintenance(self)

    @contextmanager
    def acting(self) -> Iterator[Scope]:
        """The administrator's scope, with a transaction that every component call inside joins."""
        with self.store.db.joined() as conn:
            yield resolve(self.store, conn, self.admin, self.within)

    def scope(self) -> Scope:
        """Who this administrator is now (for a caller that shapes its pages or prompts by it)."""
        with self.acting() as scope:
            return scope

    # -- domains ------------------------------------------------------------------------------------

    def list_domains(self) -> list[Domain]:
        with self.acting() as scope:
            return [d for d in self.store.domains.list() if scope.admits(d.id)]

    def domain(self, name: str) -> Domain:
        with self.acting() as scope, self.store.db.read() as conn:
            scope.domain(self.store, conn, name)
            return self.store.domains.get(name)

    def add_domain(self, name: str, postmaster_password: str | None = None) -> Domain:
        """Needs the server permission ``domains``; a delegated administrator who adds a domain is
        granted it with every domain permission and no limits."""
        with self.acting() as scope, self.store.db.write() as conn:
            scope.require("domains")
            domain = self.store.domains.add(name, postmaster_password)
            if not scope.is_server:
                conn.execute(
                    s.admin_domains.insert().values(
                        admin_id=scope.admin_id, domain_id=domain.id, rights=rights_text(ALL_DOMAIN_RIGHTS)
                    )
                )
            return domain

    def rename_domain(self, old: str, new: str) -> Domain:
        with self._server_domain(old):
            return self.store.domains.rename(old, new)

    def delete_domain(self, name: str) -> None:
        with self._server_domain(name):
            self.store.domains.delete(name)

    def add_domain_alias(self, name: str, alias: str) -> None:
        with self._server_domain(name):
            self.store.domains.add_alias(name, alias)

    def remove_domain_alias(self, name: str, alias: str) -> None:
        with self._server_domain(name):
            self.store.domains.remove_alias(name, alias)

    def set_domain_enabled(self, name: str, enabled: bool) -> None:
        with self._server_domain(name):
            self.store.domains.set_enabled(name, enabled)

    @contextmanager
    def _server_domain(self, name: str) -> Iterator[None]:
        # NotFound first: a domain administrator learns nothing of a domain outside their scope
        with self.acting() as scope, self.store.db.read() as conn:
            scope.domain(self.store, conn, name)
            scope.require("domains")
            yield

    # -- accounts -----------------------------------------------------------------------------------

    def list_accounts(self, domain: str | None = None) -> list[Account]:
        with self.acting() as scope, self.store.db.read() as conn:
            if domain is not None:
                scope.domain(self.store, conn, domain)
            return [a for a in self.store.accounts.list(domain) if scope.admits(a.domain_id)]

    def account(self, address: str) -> Account:
        with self._in_scope(address, right=None):
            return self.store.accounts.get(address)

    def add_account(self, address: str, password: str | None, *, display_name: str | None = None) -> Account:
        """Needs ``accounts``; within the grant's account limit, and an account whose inherited mailbox
        size is over the grant's size limit (or unlimited) gets the limit (storage.adminlimits)."""
        with self.acting() as scope, self.store.db.write() as conn:
            did = scope.address(self.store, conn, address, "accounts")
            adminlimits.check_room_for_account(conn, scope, did, address.rpartition("@")[2])
            account = self.store.accounts.add(address, password, display_name=display_name)
            if adminlimits.cap_new_account(self.store, conn, scope, did, account.id):
                account = self.store.accounts.get(address)
            return account

    def set_password(self, address: str, password: str) -> None:
        with self._in_scope(address):
            self.store.accounts.set_password(address, password)

    def set_account_enabled(self, address: str, enabled: bool) -> None:
        with self._in_scope(address):
            self.store.accounts.set_enabled(address, enabled)

    def set_account_class(self, address: str, class_name: str | None) -> None:
        with self._in_scope(address) as scope, self.store.db.write() as conn:
            self.store.accounts.set_class(address, class_name)
            did = scope.address(self.store, conn, address)
            aid = self.store.accounts.id_of(conn, address)
            adminlimits.check_account_quota(self.store, conn, scope, did, aid)

    def add_account_alias(self, address: str, alias: str) -> None:
        with self._in_scope(address, alias):
            self.store.accounts.add_alias(address, alias)

    def remove_account_alias(self, address: str, alias: str) -> None:
        with self._in_scope(address):
            self.store.accounts.remove_alias(address, alias)

    def delete_account(self, address: str) -> None:
        with self._in_scope(address):
            self.store.accounts.delete(address)

    def add_account_class(self, domain: str, name: str) -> int:
        with self._in_domain(domain, "settings"):
            return self.store.accounts.add_class(domain, name)

    @contextmanager
    def _in_scope(self, *addresses: str, right: str | None = "accounts") -> Iterator[Scope]:
        """Every address's domain in scope, with domain permission ``right`` (None: reading only)."""
        with self.acting() as scope, self.store.db.read() as conn:
            for address in addresses:
                scope.address(self.store, conn, address, right)
            yield scope

    @contextmanager
    def _in_domain(self, domain: str, right: str | None = None) -> Iterator[Scope]:
        with self.acting() as scope, self.store.db.read() as conn:
            scope.domain(self.store, conn, domain, right)
            yield scope

    # -- groups and forwarders ----------------------------------------------------------------------

    def list_groups(self, domain: str | None = None) -> list[Group]:
        with self.acting() as scope, self.store.db.read() as conn:
            if domain is not None:
                scope.domain(self.store, conn, domain)
            groups = self.store.groups.list(domain)
            return [g for g in groups if domain is not None or self._admits_address(scope, conn, g.address)]

    def add_group(self, address: str, display_name: str | None = None) -> Group:
        with self._in_scope(address, right="groups"):
            return self.store.groups.add(address, display_name)

    def delete_group(self, address: str) -> None:
        with self._in_scope(address, right="groups"):
            self.store.groups.delete(address)

    def add_group_member(self, group: str, member: str) -> None:
        with self._in_scope(group, right="groups") as scope, self.store.db.read() as conn:
            scope.member(self.store, conn, member)
            self.store.groups.add_member(group, member)

    def remove_group_member(self, group: str, member: str) -> None:
        with self._in_scope(group, right="groups"):
            self.store.groups.remove_member(group, member)

    def list_forwarders(self, domain: str) -> list[Forwarder]:
        with self._in_domain(domain):
            return self.store.forwarders.list(domain)

    def add_forwarder(self, address: str, targets: list[str]) -> Forwarder:
        with self._in_scope(address, right="groups"):
            return self.store.forwarders.add(address, targets)

    def delete_forwarder(self, address: str) -> None:
        with self._in_scope(address, right="groups"):
            self.store.forwarders.delete(address)

    def _admits_address(self, scope: Scope, conn: Connection, address: str) -> bool:
        return scope.is_server or scope.admits(self.store.domains.id_of(conn, address.rpartition("@")[2]))

    # -- settings -----------------------------------------------------------------------------------

    def setting(self, name: str, *, domain: str | None = None, account: str | None = None) -> Any:
        """The value in force for an account, a domain, or (permission ``config``) the server."""
        with self._setting_scope(domain, account, None):
            return self.store.settings.get(name, domain=domain, account=account)

    def set_setting(
        self,
        name: str,
        value: Any,
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> Any:
        """Needs ``settings`` on the domain (``config`` at server level); a mailbox size stays within the
        grant's limit (storage.adminlimits)."""
        with self._setting_scope(domain, account, "settings") as (scope, did):
            stored = self.store.settings.set(
                name, value, domain=domain, account_class=account_class, account=account
            )
            if name == adminlimits.QUOTA_SETTING and did is not None:
                adminlimits.check_quota_value(scope, did, stored)
            return stored

    def clear_setting(
        self,
        name: str,
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> bool:
        with self._setting_scope(domain, account, "settings") as (scope, did):
            cleared = self.store.settings.clear(
                name, domain=domain, account_class=account_class, account=account
            )
            if name == adminlimits.QUOTA_SETTING and did is not None:
                with self.store.db.read() as conn:
                    if account is not None:
                        aid = self.store.accounts.id_of(conn, account)
                        adminlimits.check_account_quota(self.store, conn, scope, did, aid)
                    else:
                        adminlimits.check_domain_quota(self.store, conn, scope, did)
            return cleared

    def explicit_settings(
        self, *, domain: str | None = None, account_class: str | None = None, account: str | None = None
    ) -> dict[str, Any]:
        with self._setting_scope(domain, account, None):
            return self.store.settings.explicit(domain=domain, account_class=account_class, account=account)

    @contextmanager
    def _setting_scope(
        self, domain: str | None, account: str | None, right: str | None
    ) -> Iterator[tuple[Scope, int | None]]:
        """The scope and the domain id the level belongs to (None: the server level, which needs the
        server permission ``config`` to read or change)."""
        with self.acting() as scope, self.store.db.read() as conn:
            did = None
            if account is not None:
                did = scope.address(self.store, conn, account, right)
            if domain is not None:
                did = scope.domain(self.store, conn, domain, right)
            if account is None and domain is None:
                scope.require("config")
            yield scope, did


class AdminQueue:
    """The mail queue for an administrator with the server permission ``queue`` (``mailflow.queue_ops``
    works on it); any other gets ``PermissionDenied`` (starting with ``SERVER_ONLY``) from every method.
    Satisfies ``storage.contracts.QueueAdministration``."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    @contextmanager
    def _server(self) -> Iterator[None]:
        with self.view.acting() as scope:
            scope.require("queue")
            yield

    def list(
        self,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        states: Iterable[str] | None = None,
        min_size: int | None = None,
        limit: int = 100,
    ) -> list[QueuedMessage]:
        with self._server():
            return self.store.queue.list(
                sender=sender, recipient=recipient, states=states, min_size=min_size, limit=limit
            )

    def get(self, qid: int) -> QueuedMessage:
        with self._server():
            return self.store.queue.get(qid)

    def raw(self, qid: int) -> bytes:
        with self._server():
            return self.store.queue.raw(qid)

    def defer(
        self, qid: int, when: datetime, *, state: str = "send-failure", error: str | None = None
    ) -> None:
        with self._server():
            self.store.queue.defer(qid, when, state=state, error=error)

    def set_recipient(self, qid: int, address: str, state: str, error: str | None = None) -> None:
        with self._server():
            self.store.queue.set_recipient(qid, address, state, error)

    def finish(self, qid: int) -> None:
        with self._server():
            self.store.queue.finish(qid)
