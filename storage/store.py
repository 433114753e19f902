"""The Store: one object per process that every protocol, page and command talks to.

It owns the database engine, the blob store and the per-process caches, and exposes storage in domain
terms through small components (``store.accounts.add``, ``store.mail.deliver``, ``store.acl.grant``...).
What a user does goes through ``store.for_user(account_id)``, which applies the ACL engine on every call.
Nothing outside this package sees SQL.

Each component is made on first use, and its module imported then (``Facet``): a process only loads
the storage it talks to (``fieldpost domain list`` never imports the PIM, backup or delivery code, an
SMTP worker never the administration views), which keeps process start and a worker's memory small.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sqlalchemy import Connection, func, select

from storage import schema as s
from storage import settings as settings_mod
from storage.blobs import BlobStore
from storage.db import Database

if TYPE_CHECKING:
    from storage.accounts import Accounts, Admins
    from storage.adminscope import DomainScope
    from storage.adminview import AdminView
    from storage.auth import Auth
    from storage.changes import ChangeFeed
    from storage.confirmations import Confirmations
    from storage.countries import Countries
    from storage.domains import Domains
    from storage.folders import Folders
    from storage.greylist import Greylist
    from storage.groups import Forwarders, Groups
    from storage.holds import ExpungedHolds
    from storage.mail import Mail
    from storage.models import CheckReport
    from storage.passwords import SecretBox
    from storage.permissions import Permissions
    from storage.pim.feeds import CalendarFeeds
    from storage.pim.system import PimSystem
    from storage.queue import Queue
    from storage.recent import Recent
    from storage.recipients import Recipients
    from storage.remote_accounts import RemoteAccounts
    from storage.scripts import Scripts
    from storage.second_factor import SecondFactors
    from storage.senders import Senders
    from storage.settings_store import Settings
    from storage.usermail import UserMail

T = TypeVar("T")


class Facet(Generic[T]):
    """A Store component made by ``make(store)`` on first use, once per Store even when threads or
    greenlets race for it (some hold caches or a listener thread); afterwards it is a plain attribute
    (the instance dictionary answers before this non-data descriptor is asked)."""

    def __init__(self, make: Callable[[Store], T]) -> None:
        self.make = make
        self.name = make.__name__
        self.__doc__ = make.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, store: None, owner: type | None = None) -> Facet[T]: ...
    @overload
    def __get__(self, store: Store, owner: type | None = None) -> T: ...
    def __get__(self, store: Store | None, owner: type | None = None) -> Facet[T] | T:
        if store is None:
            return self
        with store._facets_lock:
            made = store.__dict__.get(self.name)
            if made is None:
                made = self.make(store)
                store.__dict__[self.name] = made
        return made


class Store:
    def __init__(
        self, db_url: str, blob_dir: str | Path, *, secret_key_path: str | Path | None = None
    ) -> None:
        self._facets_lock = threading.RLock()  # a component's constructor may ask for another one
        self.db = Database(db_url)
        self.db.migrate()
        self.blobs = BlobStore(blob_dir)
        key_path = Path(secret_key_path) if secret_key_path else Path(blob_dir).parent / "secret.key"
        self._secret_key_path = key_path
        self._secret_box: SecretBox | None = None
        from storage.pim import item_rows

        item_rows.backfill(self)  # organizer rows of items stored before revision 0012 (one read if none)

    # -- components, each made on first use (see ``Facet``) ------------------------------------------
    @Facet
    def settings(self) -> Settings:
        from storage.settings_store import Settings

        return Settings(self)

    @Facet
    def domains(self) -> Domains:
        from storage.domains import Domains

        return Domains(self)

    @Facet
    def accounts(self) -> Accounts:
        from storage.accounts import Accounts

        return Accounts(self)

    @Facet
    def admins(self) -> Admins:
        from storage.accounts import Admins

        return Admins(self)

    @Facet
    def groups(self) -> Groups:
        from storage.groups import Groups

        return Groups(self)

    @Facet
    def forwarders(self) -> Forwarders:
        from storage.groups import Forwarders

        return Forwarders(self)

    @Facet
    def folders(self) -> Folders:
        from storage.folders import Folders

        return Folders(self)

    @Facet
    def mail(self) -> Mail:
        from storage.mail import Mail

        return Mail(self)

    @Facet
    def holds(self) -> ExpungedHolds:
        from storage.holds import ExpungedHolds

        return ExpungedHolds(self)

    @Facet
    def acl(self) -> Permissions:
        from storage.permissions import Permissions

        return Permissions(self)

    @Facet
    def senders(self) -> Senders:
        from storage.senders import Senders

        return Senders(self)

    @Facet
    def recipients(self) -> Recipients:
        from storage.recipients import Recipients

        return Recipients(self)

    @Facet
    def changes(self) -> ChangeFeed:
        from storage.changes import ChangeFeed

        return ChangeFeed(self)

    @Facet
    def recent(self) -> Recent:
        from storage.recent import Recent

        return Recent(self)

    @Facet
    def queue(self) -> Queue:
        from storage.queue import Queue

        return Queue(self)

    @Facet
    def scripts(self) -> Scripts:
        from storage.scripts import Scripts

        return Scripts(self)

    @Facet
    def confirmations(self) -> Confirmations:
        from storage.confirmations import Confirmations

        return Confirmations(self)

    @Facet
    def greylist(self) -> Greylist:
        from storage.greylist import Greylist

        return Greylist(self)

    @Facet
    def countries(self) -> Countries:
        from storage.countries import Countries

        return Countries(self)

    @Facet
    def second_factors(self) -> SecondFactors:
        from storage.second_factor import SecondFactors

        return SecondFactors(self)

    @Facet
    def remote_accounts(self) -> RemoteAccounts:
        from storage.remote_accounts import RemoteAccounts

        return RemoteAccounts(self)

    @Facet
    def auth(self) -> Auth:
        from storage.auth import Auth

        return Auth(self)

    @Facet
    def pim_feeds(self) -> CalendarFeeds:
        """Secret ICS feed links, no login (storage.pim.feeds)."""
        from storage.pim.feeds import CalendarFeeds

        return CalendarFeeds(self)

    @Facet
    def pim_system(self) -> PimSystem:
        """The organizer for mail processing (storage.pim.system)."""
        from storage.pim.system import PimSystem

        return PimSystem(self)

    def for_user(self, account_id: int) -> UserMail:
        """Mail as the account may see and change it: every call is checked by the ACL engine. Protocol
        sessions use this; ``self.mail`` is the system path (delivery, Sieve, CLI) and checks nothing."""
        from storage.usermail import UserMail

        return UserMail(self, account_id)

    def for_admin(self, admin: str, within: DomainScope | None = None) -> AdminView:
        """The directory, settings and queue as administrator ``admin`` may see and change them: every
        call decides their scope in its own transaction (storage.adminscope). ``within`` narrows it to
        some domains (a delegated administrator); it never widens what storage grants. The CLI, WebAdmin
        and FTP backup use this; the components (``self.domains``...) are the system path."""
        from storage.adminview import AdminView

        return AdminView(self, admin, within)

    @property
    def secret_box(self) -> SecretBox:
        """The key for reversible CRAM-MD5/APOP secrets; made on first use only."""
        if self._secret_box is None:
            from storage.passwords import SecretBox

            self._secret_box = SecretBox.load_or_create(self._secret_key_path)
        return self._secret_box

    # Settings lookups inside a caller's transaction (used by the components).
    def settings_effective(
        self, conn: Connection, name: str, *, account_id: int | None = None, domain_id: int | None = None
    ) -> Any:
        return settings_mod.effective(conn, name, account_id=account_id, domain_id=domain_id)

    def settings_many(
        self,
        conn: Connection,
        names: Iterable[str],
        *,
        account_id: int | None = None,
        domain_id: int | None = None,
    ) -> dict[str, Any]:
        return settings_mod.effective_many(conn, list(names), account_id=account_id, domain_id=domain_id)

    def stats(self) -> dict[str, int]:
        with self.db.read() as conn:

            def count(table: Any) -> int:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

            blob_bytes = conn.execute(select(func.coalesce(func.sum(s.bodies.c.size), 0))).scalar_one()
            return {
                "domains": count(s.domains),
                "accounts": count(s.accounts),
                "groups": count(s.groups),
                "folders": count(s.folders),
                "messages": count(s.messages),
                "blobs": count(s.bodies),
                "blob_bytes": int(blob_bytes),
                "queued": count(s.queue_messages),
            }

    def check(self, repair: bool = False) -> CheckReport:
        from storage.check import run_check

        return run_check(self, repair=repair)

    def close(self) -> None:
        self.changes.stop()
        self.db.dispose()


def open_store(db_url: str, blob_dir: str | Path, *, secret_key_path: str | Path | None = None) -> Store:
    """Open (creating or upgrading the schema as needed) the store of one data directory."""
    return Store(db_url, blob_dir, secret_key_path=secret_key_path)
