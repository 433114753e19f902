"""The accounts of a domain and its account classes, as WebAdmin's directory pages show and change them.

Got from ``store.for_admin(name).directory`` (storage.adminview). Every method opens the administrator's
scope (``AdminView.acting``) and does its work in that same transaction, so a refused check leaves
nothing changed; methods that only combine existing AdminView calls (adding an account with its class and
quota) run them inside one such transaction, so the whole line succeeds or nothing of it stays. Permissions (storage.adminscope): reading needs the domain in scope;
account changes need ``accounts`` (a quota also ``settings``), renaming and deleting classes ``settings``.

Implementation notes:

* Listing is paged in SQL (``LIMIT``/``OFFSET`` with a count), with an optional case-insensitive filter on
  the local part and the display name: a page of a 10,000-account domain reads 50 rows, never the domain.
  Usage comes from the cached columns of ``accounts`` (bytes, messages, folders), never from counting.
* No last-login time is stored for accounts (logins are counted by the throttle only when they fail), so
  details do not invent one.
* Deleting a class keeps its accounts (they fall back to the domain's settings, the foreign key sets their
  class to NULL) and removes the class's own setting values, which nothing could reach any more.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound
from storage.models import Account, Forwarder, Group
from storage.names import split_address
from storage.temporary_aliases import TemporaryAlias, TemporaryAliases

if TYPE_CHECKING:
    from storage.adminview import AdminView

MAX_PAGE: Final = 500  # rows of one listing page
MAX_FILTER: Final = 100  # characters of a listing filter
MAX_DISPLAY_NAME: Final = 200  # the width of accounts.display_name
RANDOM_PASSWORD_BYTES: Final = 12  # 16 URL-safe characters, about 96 bits


@dataclass(frozen=True)
class AccountRow:
    """One line of the accounts list (what the list shows, from one query)."""

    address: str
    display_name: str | None
    enabled: bool
    account_class: str | None
    used_bytes: int
    message_count: int


@dataclass(frozen=True)
class AccountPage:
    """One page of a domain's accounts: ``total`` matching accounts, ``rows`` from ``offset`` on."""

    rows: list[AccountRow]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class AccountDetails:
    """An account as its edit page shows it: the account, its permanent and temporary aliases, the
    quotas in force (0: none) and the service switches in force."""

    account: Account
    aliases: tuple[str, ...]
    temporary_aliases: tuple[TemporaryAlias, ...]
    quota_bytes: int
    quota_messages: int
    services: dict[str, bool]
    created_at: datetime | None


@dataclass(frozen=True)
class AccountClassInfo:
    name: str
    account_count: int


@dataclass(frozen=True)
class NewAccount:
    """An account just added; ``password`` is the generated one (shown once), None when it was given."""

    account: Account
    password: str | None


SERVICES: Final = ("imap", "pop3", "smtp", "webmail", "dav")


class FieldProblem(InvalidInput):
    """A refusal that belongs to one input of a form (``field``): WebAdmin shows it next to that field.
    The text is the original refusal's."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def _field(name: str, *kinds: type[Exception]) -> Iterator[None]:
    """Re-raise InvalidInput (and ``kinds``) inside the block as a FieldProblem of ``name``."""
    try:
        yield
    except FieldProblem:
        raise
    except Exception as exc:
        if isinstance(exc, (InvalidInput, *kinds)):
            raise FieldProblem(name, str(exc)) from exc
        raise


def random_password(min_length: int) -> str:
    """A password of at least ``min_length`` characters from the system's CSPRNG."""
    password = secrets.token_urlsafe(RANDOM_PASSWORD_BYTES)
    while len(password) < min_length:
        password += secrets.token_urlsafe(RANDOM_PASSWORD_BYTES)
    return password


def _class_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 64:
        raise InvalidInput("an account class needs a name of 1 to 64 characters")
    return clean


class AdminDirectory:
    """Accounts and account classes for one administrator (see the module docstring)."""

    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    # -- accounts -----------------------------------------------------------------------------------

    def accounts_page(
        self, domain: str, *, search: str = "", offset: int = 0, limit: int = 50
    ) -> AccountPage:
        """The accounts of ``domain`` whose local part or display name contains ``search`` (any case),
        ordered by local part.

        Raises:
            NotFound: no such domain, or one outside the administrator's scope.
            InvalidInput: a negative offset, a limit outside 1..MAX_PAGE, a filter past MAX_FILTER.
        """
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"a page starts at 0 or later and holds 1 to {MAX_PAGE} accounts")
        term = search.strip().lower()
        if len(term) > MAX_FILTER:
            raise InvalidInput(f"the filter is longer than {MAX_FILTER} characters")
        a, c = s.accounts, s.account_classes
        with self.view.acting() as scope, self.store.db.read() as conn:
            did = scope.domain(self.store, conn, domain)
            dn = conn.execute(select(s.domains.c.name).where(s.domains.c.id == did)).scalar_one()
            where = [a.c.domain_id == did]
            if term:
                where.append(
                    or_(
                        a.c.local_part.contains(term, autoescape=True),
                        func.lower(func.coalesce(a.c.display_name, "")).contains(term, autoescape=True),
                    )
                )
            total = conn.execute(select(func.count()).select_from(a).where(*where)).scalar_one()
            rows = conn.execute(
                select(
                    a.c.local_part,
                    a.c.display_name,
                    a.c.enabled,
                    c.c.name.label("class_name"),
                    a.c.used_bytes,
                    a.c.message_count,
                )
                .outerjoin(c, c.c.id == a.c.account_class_id)
                .where(*where)
                .order_by(a.c.local_part)
                .offset(offset)
                .limit(limit)
            ).all()
        return AccountPage(
            rows=[
                AccountRow(
                    f"{r.local_part}@{dn}",
                    r.display_name,
                    bool(r.enabled),
                    r.class_name,
                    int(r.used_bytes),
                    int(r.message_count),
                )
                for r in rows
            ],
            total=int(total),
            offset=offset,
            limit=limit,
        )

    def account_details(self, address: str) -> AccountDetails:
        """Everything the account's edit page shows, read in one transaction.

        Raises:
            NotFound: no such account, or one outside the scope.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address)
            aid = self.store.accounts.id_of(conn, address, temporary=False)
            account = self.store.accounts.load(conn, aid)
            temporary = tuple(TemporaryAliases(self.store, aid).list())
            names = ("quota.storage_bytes", "quota.messages") + tuple(f"services.{n}" for n in SERVICES)
            values = self.store.settings_many(conn, names, account_id=aid)
            created = conn.execute(select(s.accounts.c.created_at).where(s.accounts.c.id == aid)).scalar()
        held = {t.address for t in temporary}
        return AccountDetails(
            account=account,
            aliases=tuple(x for x in account.aliases if x not in held),
            temporary_aliases=temporary,
            quota_bytes=int(values["quota.storage_bytes"]),
            quota_messages=int(values["quota.messages"]),
            services={n: bool(values[f"services.{n}"]) for n in SERVICES},
            created_at=created,
        )

    def set_display_name(self, address: str, display_name: str | None) -> None:
        """Set (or, with None or blanks, clear) the account's display name.

        Raises:
            NotFound: no such account, or one outside the scope.
            InvalidInput: longer than MAX_DISPLAY_NAME characters or with control characters.
        """
        clean = (display_name or "").strip()
        if len(clean) > MAX_DISPLAY_NAME or any(ord(ch) < 32 for ch in clean):
            raise InvalidInput(
                f"a display name has at most {MAX_DISPLAY_NAME} characters, none of them control"
            )
        with self.view.acting() as scope, self.store.db.write() as conn:
            scope.address(self.store, conn, address, "accounts")
            aid = self.store.accounts.id_of(conn, address, temporary=False)
            conn.execute(update(s.accounts).where(s.accounts.c.id == aid).values(display_name=clean or None))

    def add_account(
        self,
        address: str,
        password: str | None,
        *,
        display_name: str | None = None,
        account_class: str | None = None,
        quota: str | int | None = None,
    ) -> NewAccount:
        """Add an account with its class and storage quota in one transaction: any refusal (a password
        shorter than ``auth.password_min_length``, an unknown class, a bad quota, the address taken)
        leaves nothing behind. ``password`` None draws a random one (returned once in ``NewAccount``).

        Raises:
            NotFound: the domain does not exist (or is outside the scope).
            FieldProblem: (an InvalidInput) naming the input refused — ``address`` (malformed, taken),
                ``password``, ``display_name``, ``account_class`` (no such class), ``quota``.
        """
        generated = None
        with _field("address"):
            split_address(address)
        with self.view.acting() as scope, self.store.db.read() as conn:
            did = scope.address(self.store, conn, address)
            if password is None:
                minimum = int(self.store.settings_effective(conn, "auth.password_min_length", domain_id=did))
                generated = password = random_password(minimum)
            with _field("address", AlreadyExists):
                try:
                    self.view.add_account(address, password)
                except InvalidInput as exc:  # the address was checked above: the password is refused
                    raise FieldProblem("password", str(exc)) from exc
            if display_name and display_name.strip():
                with _field("display_name"):
                    self.set_display_name(address, display_name)
            if account_class:
                with _field("account_class", NotFound):
                    self.view.set_account_class(address, account_class)
            if quota is not None and str(quota).strip():
                with _field("quota"):
                    self.view.set_setting("quota.storage_bytes", str(quota).strip(), account=address)
            account = self.store.accounts.load(conn, self.store.accounts.id_of(conn, address))
        return NewAccount(account, generated)

    def update_account(
        self,
        address: str,
        *,
        display_name: str | None,
        enabled: bool,
        account_class: str | None,
        quota: str | None,
        services: Mapping[str, bool],
    ) -> None:
        """Save the account's edit form in one transaction (all of it or nothing). ``quota`` blank clears
        the account's own storage quota (the class's or domain's holds again); a service switch is stored
        at account level only when it differs from the value in force.

        Raises:
            NotFound: no such account (in scope).
            FieldProblem: the input refused (``display_name``, ``account_class``, ``quota``).
        """
        with self.view.acting():
            with _field("display_name"):
                self.set_display_name(address, display_name)
            with _field("account_class", NotFound):
                self.view.set_account_class(address, account_class or None)
            with _field("quota"):
                if quota is None or not quota.strip():
                    self.view.clear_setting("quota.storage_bytes", account=address)
                else:
                    self.view.set_setting("quota.storage_bytes", quota.strip(), account=address)
            for name, on in services.items():
                if name not in SERVICES:
                    raise InvalidInput(f"unknown service {name!r}")
                if bool(self.view.setting(f"services.{name}", account=address)) != on:
                    self.view.set_setting(f"services.{name}", on, account=address)
            self.view.set_account_enabled(address, enabled)

    def group(self, address: str) -> Group:
        """One group with its members (NotFound outside the scope)."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address)
            return self.store.groups.get(address)

    def forwarder(self, address: str) -> Forwarder:
        """One forwarder with its targets (NotFound outside the scope or when there is none)."""
        lp, dn = split_address(address)
        for found in self.view.list_forwarders(dn):
            if found.address == f"{lp}@{dn}":
                return found
        raise NotFound(f"forwarder {lp}@{dn} does not exist")

    def replace_forwarder(self, address: str, targets: list[str]) -> Forwarder:
        """Give a forwarder new targets (in one transaction: it is never without any).

        Raises:
            NotFound: no such forwarder (in scope). FieldProblem ``targets``: none, or a malformed one.
        """
        with self.view.acting():
            self.view.delete_forwarder(address)
            with _field("targets"):
                return self.view.add_forwarder(address, targets)

    def reset_password(self, address: str) -> str:
        """Give the account a new random password and return it (shown once)."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            did = scope.address(self.store, conn, address)
            minimum = int(self.store.settings_effective(conn, "auth.password_min_length", domain_id=did))
            password = random_password(minimum)
            self.view.set_password(address, password)
        return password

    def remove_temporary_alias(self, address: str, alias: str) -> None:
        """End one of the account's temporary aliases now (mail to it is refused from then on).

        Raises:
            NotFound: no such account in scope, or ``alias`` is not one of its temporary aliases.
        """
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, "accounts")
            aid = self.store.accounts.id_of(conn, address, temporary=False)
            TemporaryAliases(self.store, aid).delete(alias)

    # -- account classes ----------------------------------------------------------------------------

    def classes(self, domain: str) -> list[AccountClassInfo]:
        """The domain's account classes by name, each with how many accounts it holds."""
        c, a = s.account_classes, s.accounts
        with self.view.acting() as scope, self.store.db.read() as conn:
            did = scope.domain(self.store, conn, domain)
            rows = conn.execute(
                select(c.c.name, func.count(a.c.id).label("n"))
                .outerjoin(a, a.c.account_class_id == c.c.id)
                .where(c.c.domain_id == did)
                .group_by(c.c.id, c.c.name)
                .order_by(c.c.name)
            ).all()
        return [AccountClassInfo(r.name, int(r.n)) for r in rows]

    def add_class(self, domain: str, name: str) -> None:
        self.view.add_account_class(domain, _class_name(name))

    def rename_class(self, domain: str, old: str, new: str) -> None:
        """Rename a class; its accounts and its settings follow (they hold its id, not its name).

        Raises:
            NotFound: no such class (or domain in scope). AlreadyExists: ``new`` is taken.
        """
        new = _class_name(new)
        c = s.account_classes
        with self.view.acting() as scope, self.store.db.write() as conn:
            did = scope.domain(self.store, conn, domain, "settings")
            cid = self._class_id(conn, did, old)
            if conn.execute(
                select(c.c.id).where(c.c.domain_id == did, c.c.name == new, c.c.id != cid)
            ).first():
                raise AlreadyExists(f"account class {new!r} already exists")
            try:
                conn.execute(update(c).where(c.c.id == cid).values(name=new))
            except IntegrityError as exc:  # pragma: no cover - raced with another rename
                raise AlreadyExists(f"account class {new!r} already exists") from exc

    def delete_class(self, domain: str, name: str) -> None:
        """Delete a class: its accounts stay, without a class; its own settings go with it."""
        with self.view.acting() as scope, self.store.db.write() as conn:
            did = scope.domain(self.store, conn, domain, "settings")
            cid = self._class_id(conn, did, name)
            v = s.setting_values
            conn.execute(delete(v).where(v.c.level == "class", v.c.scope_id == cid))
            conn.execute(
                update(s.accounts).where(s.accounts.c.account_class_id == cid).values(account_class_id=None)
            )
            conn.execute(delete(s.account_classes).where(s.account_classes.c.id == cid))

    @staticmethod
    def _class_id(conn: Connection, domain_id: int, name: str) -> int:
        c = s.account_classes
        cid = conn.execute(
            select(c.c.id).where(c.c.domain_id == domain_id, c.c.name == name.strip())
        ).scalar()
        if cid is None:
            raise NotFound(f"account class {name!r} does not exist")
        return int(cid)


__all__ = ["AdminDirectory"]
