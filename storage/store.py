"""The Store: one object per process that every protocol, page and command talks to.

It owns the database engine, the blob store and the per-process caches, and exposes storage in domain
terms through small components (``store.accounts.add``, ``store.mail.deliver``, ``store.acl.grant``...).
What a user does goes through ``store.for_user(account_id)``, which applies the ACL engine on every call.
Nothing outside this package sees SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from storage import schema as s
from storage import settings as settings_mod
from storage.accounts import Accounts, Admins
from storage.adminscope import DomainScope
from storage.adminview import AdminView
from storage.auth import Auth
from storage.blobs import BlobStore
from storage.changes import ChangeFeed
from storage.confirmations import Confirmations
from storage.countries import Countries
from storage.db import Database
from storage.domains import Domains
from storage.folders import Folders
from storage.greylist import Greylist
from storage.groups import Forwarders, Groups
from storage.holds import ExpungedHolds
from storage.mail import Mail
from storage.models import CheckReport
from storage.passwords import SecretBox
from storage.permissions import Permissions
from storage.pim import item_rows
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


class Store:
    def __init__(
        self, db_url: str, blob_dir: str | Path, *, secret_key_path: str | Path | None = None
    ) -> None:
        self.db = Database(db_url)
        self.db.migrate()
        self.blobs = BlobStore(blob_dir)
        key_path = Path(secret_key_path) if secret_key_path else Path(blob_dir).parent / "secret.key"
        self._secret_key_path = key_path
        self._secret_box: SecretBox | None = None
        self.settings = Settings(self)
        self.domains = Domains(self)
        self.accounts = Accounts(self)
        self.admins = Admins(self)
        self.groups = Groups(self)
        self.forwarders = Forwarders(self)
        self.folders = Folders(self)
        self.mail = Mail(self)
        self.holds = ExpungedHolds(self)
        self.acl = Permissions(self)
        self.senders = Senders(self)
        self.recipients = Recipients(self)
        self.changes = ChangeFeed(self)
        self.recent = Recent(self)
        self.queue = Queue(self)
        self.scripts = Scripts(self)
        self.confirmations = Confirmations(self)
        self.greylist = Greylist(self)
        self.countries = Countries(self)
        self.second_factors = SecondFactors(self)
        self.remote_accounts = RemoteAccounts(self)
        self.auth = Auth(self)
        self.pim_feeds = CalendarFeeds(self)  # secret ICS feed links, no login (storage.pim.feeds)
        self.pim_system = PimSystem(self)  # the organizer for mail processing (storage.pim.system)
        item_rows.backfill(self)  # organizer rows of items stored before revision 0012 (one read if none)

    def for_user(self, account_id: int) -> UserMail:
        """Mail as the account may see and change it: every call is checked by the ACL engine. Protocol
        sessions use this; ``self.mail`` is the system path (delivery, Sieve, CLI) and checks nothing."""
        return UserMail(self, account_id)

    def for_admin(self, admin: str, within: DomainScope | None = None) -> AdminView:
        """The directory, settings and queue as administrator ``admin`` may see and change them: every
        call decides their scope in its own transaction (storage.adminscope). ``within`` narrows it to
        some domains (a delegated administrator); it never widens what storage grants. The CLI, WebAdmin
        and FTP backup use this; the components (``self.domains``...) are the system path."""
        return AdminView(self, admin, within)

    @property
    def secret_box(self) -> SecretBox:
        """The key for reversible CRAM-MD5/APOP secrets; made on first use only."""
        if self._secret_box is None:
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
