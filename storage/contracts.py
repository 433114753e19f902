"""The storage contract as ``typing.Protocol`` interfaces: what a caller outside storage may rely on.

Why: callers used to hold an untyped ``store: Any``, so nothing checked that a method they called
existed or took those arguments. A caller that needs all of storage takes :class:`storage.store.Store`;
one that needs only part of it takes the narrowest protocol here, so its signature says what it uses
and a test may hand it a small stand-in. The protocols describe the Connection-free API only: no
method here takes or returns a SQLAlchemy Connection, and the same methods answer the same way on
SQLite and on PostgreSQL (the contract suite, ``tests/storage/test_contract_*.py``, runs every
component on both backends).

Components (``store.<name>``): :class:`MailReading` (``store.mail``, the system read path: no rights
checked), :class:`FolderDirectory` (``store.folders``), :class:`AccountDirectory`
(``store.accounts``), :class:`SenderRights` (``store.senders``), :class:`SettingsReading`
(``store.settings``), :class:`ChangeSubscriptions` (``store.changes``, the change feed a caller subscribes
to instead of polling). On a user's behalf: :class:`UserMailbox` (``store.for_user(account_id)``, every
call checked by the rights engine), :class:`MessageReading` (its ``reader(folder_id)``) and
``storage.mailbox_view.MailboxView`` (its ``view``: what a mail client's pages need). On an
administrator's behalf: :class:`AdminDirectory` (``store.for_admin(name)``, every call checked against the
administrator's scope in its own transaction) and :class:`QueueAdministration` (its ``queue``, also what
``store.queue`` offers the operator's queue commands).

Facets of the Store (``WithSettings``, ``WithFolders``, ...): a function that takes ``store`` but uses
one component types it with the facet; the Store satisfies every facet structurally, so callers keep
passing the store itself.

That each implementation satisfies its protocol is checked by mypy (``make check``) at the bottom of
this module, so a signature change in a component that breaks the contract fails the type check.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from storage import acl
from storage.models import Account, Domain, FlagChange, Folder, Forwarder, Group, MessageInfo

if TYPE_CHECKING:
    from storage.adminscope import Scope
    from storage.changes import Change
    from storage.folder_sharing import FolderSharing
    from storage.mail import NewMessage
    from storage.mail_sync import MailSync
    from storage.mailbox_list import VisibleMailboxes
    from storage.mailbox_view import MailboxView
    from storage.queue import QueuedMessage
    from storage.usermail import FolderChanges, NamedEntry, OpenedFolder


# -- components ----------------------------------------------------------------------------------------


class MailReading(Protocol):
    """Messages of a folder by id, read on the system path (delivery, Sieve, the CLI): no rights checked."""

    def uids(self, folder_id: int) -> list[int]: ...

    def flags(
        self, folder_id: int, uids: Iterable[int] | None = None, *, changed_since: int | None = None
    ) -> list[FlagChange]: ...

    def info(
        self,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]: ...

    def raw(self, folder_id: int, uid: int, *, start: int = 0, end: int | None = None) -> bytes: ...

    def expunged_since(self, folder_id: int, modseq: int) -> list[int]: ...

    def search(self, folder_id: int, query: str, *, where: str = "all") -> list[int]: ...


class FolderDirectory(Protocol):
    """Folders by owner (an address, or "@domain" for public folders) and path; subscriptions."""

    def get(self, owner: str, path: str) -> Folder: ...

    def by_id(self, folder_id: int) -> Folder: ...

    def list(self, owner: str) -> list[Folder]: ...

    def visible(self, owner: str, account_id: int) -> builtins.list[Folder]: ...

    def subscriptions(self, account: str) -> builtins.list[str]: ...

    def count(self, owner: str) -> int: ...


class AccountDirectory(Protocol):
    """Accounts by address (or alias) and by id."""

    def get(self, address: str) -> Account: ...

    def by_id(self, account_id: int) -> Account: ...

    def list(self, domain: str | None = None) -> list[Account]: ...


class SenderRights(Protocol):
    """Which sender addresses an account may use (envelope and ``From:``)."""

    def may_send_as(self, account_id: int, address: str) -> bool: ...

    def foreign_header_from(
        self, account_id: int, addresses: Iterable[str], sender: Iterable[str] = ()
    ) -> str | None: ...

    def addresses_for(self, account_id: int) -> list[str]: ...

    def on_behalf_of(self, account_id: int) -> list[str]: ...


class SettingsReading(Protocol):
    """Effective setting values (account over class over domain over server over the default)."""

    def get(self, name: str, *, domain: str | None = None, account: str | None = None) -> Any: ...

    def effective_many(
        self,
        names: Iterable[str],
        *,
        domain: str | None = None,
        domain_id: int | None = None,
        account_id: int | None = None,
    ) -> dict[str, Any]: ...


class ChangeSubscription(Protocol):
    """One subscriber's interest in the change feed; ``close()`` ends it (idempotent, from any thread)."""

    @property
    def closed(self) -> bool: ...

    def close(self) -> None: ...


class ChangeSubscriptions(Protocol):
    """The change feed: ``callback(changes)`` for every commit of any process that changes a folder
    (a message, its flags, an expunge, the folder itself or its rights), within a second."""

    def subscribe(
        self,
        callback: Callable[[list[Change]], None],
        *,
        folder_id: int | None = None,
        account_id: int | None = None,
    ) -> ChangeSubscription: ...

    def start(self) -> None: ...

    def latest_id(self) -> int: ...

    def since(self, after_id: int, limit: int = 10_000) -> list[Change]: ...


class MessageReading(Protocol):
    """One folder's messages as a user may read them, rights checked once when it was opened."""

    def uids(self) -> list[int]: ...

    def flags(
        self, uids: Iterable[int] | None = None, *, changed_since: int | None = None
    ) -> list[FlagChange]: ...

    def info(
        self,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]: ...

    def raw(self, uid: int, *, start: int = 0, end: int | None = None) -> bytes: ...

    def search(self, query: str, *, where: str = "all") -> list[int]: ...

    def expunged_since(self, modseq: int) -> list[int]: ...

    def mark_seen(self, uids: Iterable[int]) -> list[FlagChange]: ...

    def held(self, uids: Iterable[int]) -> list[MessageInfo]: ...


class UserMailbox(Protocol):
    """Folders and messages as one account may see and change them: every call applies the rights
    engine (RFC 4314 4) and opens its own transaction."""

    account_id: int

    def find(self, owner: str, path: str) -> tuple[Folder, acl.Rights]: ...

    def find_own(self, path: str) -> tuple[Folder, acl.Rights]: ...

    def list_folders(self, owner: str) -> list[Folder]: ...

    def mailboxes(self, *, shared: bool, public: bool) -> VisibleMailboxes: ...

    def folder_with_role(self, role: str) -> Folder: ...

    def rights(self, folder_id: int) -> acl.Rights: ...

    def status(self, folder_id: int) -> Folder: ...

    def create_folder(
        self, owner: str, path: str, *, role: str | None = None, kind: str = "mail"
    ) -> Folder: ...

    def rename_folder(self, owner: str, old: str, new: str) -> Folder: ...

    def delete_folder(self, owner: str, path: str) -> None: ...

    def open(self, folder_id: int) -> OpenedFolder: ...

    def open_own(self, path: str) -> OpenedFolder: ...

    def reader(self, folder_id: int) -> MessageReading: ...

    def changes(self, folder_id: int, since_modseq: int) -> FolderChanges: ...

    def set_flags(
        self,
        folder_id: int,
        uids: Iterable[int],
        flags: Iterable[str],
        mode: str = "add",
        *,
        unchanged_since: int | None = None,
    ) -> tuple[list[FlagChange], list[int]]: ...

    def copy(
        self, src_folder_id: int, uids: Iterable[int], dst_folder_id: int, *, move: bool = False
    ) -> dict[int, int]: ...

    def move(self, src_folder_id: int, uids: Iterable[int], dst_folder_id: int) -> dict[int, int]: ...

    def expunge(self, folder_id: int, uids: Iterable[int] | None = None) -> list[int]: ...

    @property
    def view(self) -> MailboxView:
        """The mail client's calls (list pages, search, folder tree, message parts, mass operations)."""
        ...

    def append(
        self, folder_id: int, raw: bytes, flags: Iterable[str] = (), internal_date: datetime | None = None
    ) -> NewMessage: ...

    def append_claiming_recent(
        self, folder_id: int, raw: bytes, flags: Iterable[str] = (), internal_date: datetime | None = None
    ) -> tuple[NewMessage, int]: ...

    @property
    def sync(self) -> MailSync:
        """A synchronising client's calls (folders with sync points, messages across folders, queries)."""
        ...

    @property
    def sharing(self) -> FolderSharing:
        """The permissions dialog beyond one folder's entries (inherited, exceptions, delegation)."""
        ...

    def acl_entries(self, folder_id: int) -> list[NamedEntry]: ...

    def may_administer(self, folder_id: int) -> None: ...

    def change_entry(
        self, folder_id: int, principal: str, spec: str, *, allow: bool = True, inherit: bool | None = None
    ) -> acl.Rights: ...

    def delete_entry(self, folder_id: int, principal: str, *, allow: bool = True) -> bool: ...


class QueueAdministration(Protocol):
    """The mail queue as the operator sees it (``mailflow.queue_ops``): look, retry, fail, remove."""

    def list(
        self,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        states: Iterable[str] | None = None,
        min_size: int | None = None,
        limit: int = 100,
    ) -> builtins.list[QueuedMessage]: ...

    def get(self, qid: int) -> QueuedMessage: ...

    def raw(self, qid: int) -> bytes: ...

    def defer(
        self, qid: int, when: datetime, *, state: str = "send-failure", error: str | None = None
    ) -> None: ...

    def set_recipient(self, qid: int, address: str, state: str, error: str | None = None) -> None: ...

    def finish(self, qid: int) -> None: ...


class AdminDirectory(Protocol):
    """Domains, accounts, groups, forwarders, settings and the queue as one administrator may see and
    change them: every call decides the administrator's scope in its own transaction (storage.adminscope:
    NotFound for another tenant's objects, PermissionDenied for server-level work)."""

    admin: str

    @property
    def queue(self) -> QueueAdministration: ...

    def scope(self) -> Scope: ...

    def list_domains(self) -> list[Domain]: ...

    def domain(self, name: str) -> Domain: ...

    def add_domain(self, name: str, postmaster_password: str | None = None) -> Domain: ...

    def rename_domain(self, old: str, new: str) -> Domain: ...

    def delete_domain(self, name: str) -> None: ...

    def add_domain_alias(self, name: str, alias: str) -> None: ...

    def remove_domain_alias(self, name: str, alias: str) -> None: ...

    def set_domain_enabled(self, name: str, enabled: bool) -> None: ...

    def list_accounts(self, domain: str | None = None) -> builtins.list[Account]: ...

    def account(self, address: str) -> Account: ...

    def add_account(
        self, address: str, password: str | None, *, display_name: str | None = None
    ) -> Account: ...

    def set_password(self, address: str, password: str) -> None: ...

    def set_account_enabled(self, address: str, enabled: bool) -> None: ...

    def set_account_class(self, address: str, class_name: str | None) -> None: ...

    def add_account_alias(self, address: str, alias: str) -> None: ...

    def remove_account_alias(self, address: str, alias: str) -> None: ...

    def delete_account(self, address: str) -> None: ...

    def add_account_class(self, domain: str, name: str) -> int: ...

    def list_groups(self, domain: str | None = None) -> builtins.list[Group]: ...

    def add_group(self, address: str, display_name: str | None = None) -> Group: ...

    def delete_group(self, address: str) -> None: ...

    def add_group_member(self, group: str, member: str) -> None: ...

    def remove_group_member(self, group: str, member: str) -> None: ...

    def list_forwarders(self, domain: str) -> builtins.list[Forwarder]: ...

    def add_forwarder(self, address: str, targets: builtins.list[str]) -> Forwarder: ...

    def delete_forwarder(self, address: str) -> None: ...

    def setting(self, name: str, *, domain: str | None = None, account: str | None = None) -> Any: ...

    def set_setting(
        self,
        name: str,
        value: Any,
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> Any: ...

    def clear_setting(
        self,
        name: str,
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> bool: ...

    def explicit_settings(
        self, *, domain: str | None = None, account_class: str | None = None, account: str | None = None
    ) -> dict[str, Any]: ...


# -- facets of the Store: what a caller that takes ``store`` but uses one component asks for ---------------


class WithSettings(Protocol):
    @property
    def settings(self) -> SettingsReading: ...


class WithFolders(Protocol):
    @property
    def folders(self) -> FolderDirectory: ...


class WithAccounts(Protocol):
    @property
    def accounts(self) -> AccountDirectory: ...


class WithSenders(Protocol):
    @property
    def senders(self) -> SenderRights: ...


class WithMail(Protocol):
    @property
    def mail(self) -> MailReading: ...


class WithChanges(Protocol):
    @property
    def changes(self) -> ChangeSubscriptions: ...


class ForUser(Protocol):
    def for_user(self, account_id: int) -> UserMailbox: ...


class ForAdmin(Protocol):
    def for_admin(self, admin: str) -> AdminDirectory: ...


class WithQueue(Protocol):
    @property
    def queue(self) -> QueueAdministration: ...


# -- the implementations satisfy the contract (checked by mypy, never run) ---------------------------------

if TYPE_CHECKING:
    from storage.accounts import Accounts
    from storage.adminview import AdminQueue, AdminView
    from storage.changes import ChangeFeed
    from storage.folders import Folders
    from storage.mail import Mail
    from storage.queue import Queue
    from storage.senders import Senders
    from storage.settings_store import Settings
    from storage.store import Store
    from storage.usermail import FolderReader, UserMail

    def _implementations_satisfy_the_contract(
        store: Store,
        mail: Mail,
        folders: Folders,
        accounts: Accounts,
        senders: Senders,
        settings: Settings,
        user: UserMail,
        reader: FolderReader,
        changes: ChangeFeed,
        admin: AdminView,
        admin_queue: AdminQueue,
        queue: Queue,
    ) -> None:
        _mail: MailReading = mail
        _folders: FolderDirectory = folders
        _accounts: AccountDirectory = accounts
        _senders: SenderRights = senders
        _settings: SettingsReading = settings
        _user: UserMailbox = user
        _reader: MessageReading = reader
        _changes: ChangeSubscriptions = changes
        _admin: AdminDirectory = admin
        _admin_queue: QueueAdministration = admin_queue
        _queue: QueueAdministration = queue
        _with_settings(store)
        _with_folders(store)
        _with_accounts(store)
        _with_senders(store)
        _with_mail(store)
        _with_changes(store)
        _for_user(store)
        _for_admin(store)
        _with_queue(store)
        _with_queue(admin)

    def _with_settings(store: WithSettings) -> None: ...
    def _with_folders(store: WithFolders) -> None: ...
    def _with_accounts(store: WithAccounts) -> None: ...
    def _with_senders(store: WithSenders) -> None: ...
    def _with_mail(store: WithMail) -> None: ...
    def _with_changes(store: WithChanges) -> None: ...
    def _for_user(store: ForUser) -> None: ...
    def _for_admin(store: ForAdmin) -> None: ...
    def _with_queue(store: WithQueue) -> None: ...
