"""Accounts, their aliases and credentials, and the server administrators.

Implementation notes:

* The password is kept three ways, each for one kind of login (see storage.passwords): an argon2id hash,
  SCRAM-SHA-256 keys, and, only when the domain's ``auth.allow_cram`` setting is on, a sealed secret for
  CRAM-MD5/APOP. ``password_generation`` goes up on every change so every process's AuthCache forgets the
  old password without being told.
* A new account gets its mailbox root and the default folders (INBOX, Sent, ... Calendar, Contacts).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage import folders as fo
from storage import passwords, temporary_aliases
from storage import schema as s
from storage import settings as settings_mod
from storage.auth import dummy_hash
from storage.errors import AlreadyExists, InvalidInput, NotFound
from storage.models import Account
from storage.names import local_part, split_address, utcnow

if TYPE_CHECKING:
    from storage.store import Store

# Built once: every login (and every new IMAP/POP3 session) resolves its name and loads its account,
# and building these statements cost more than running them.
_LOGIN_NAME = select(s.addresses.c.account_id).where(
    s.addresses.c.domain_id == bindparam("domain_id"),
    s.addresses.c.local_part == bindparam("local_part"),
    s.addresses.c.kind.in_(("account", "alias")),
    s.addresses.c.expires_at.is_(None),
)
_NAME = select(s.addresses.c.account_id).where(
    s.addresses.c.domain_id == bindparam("domain_id"),
    s.addresses.c.local_part == bindparam("local_part"),
    s.addresses.c.kind.in_(("account", "alias")),
    temporary_aliases.live(bindparam("now")),
)
_ACCOUNT = (
    select(s.accounts, s.domains.c.name.label("domain_name"), s.account_classes.c.name.label("class_name"))
    .join(s.domains, s.domains.c.id == s.accounts.c.domain_id)
    .outerjoin(s.account_classes, s.account_classes.c.id == s.accounts.c.account_class_id)
    .where(s.accounts.c.id == bindparam("account_id"))
)
_ALIASES = select(s.addresses.c.local_part).where(
    s.addresses.c.account_id == bindparam("account_id"),
    s.addresses.c.kind == "alias",
    temporary_aliases.live(bindparam("now")),
)


def credential_columns(
    store: Store, conn: Connection, domain_id: int, password: str | None
) -> dict[str, Any]:
    if password is None:
        return {"password_hash": None, "scram_keys": None, "sealed_secret": None}
    check_password_length(store, conn, password, domain_id=domain_id)
    iterations = int(store.settings_effective(conn, "auth.scram_iterations", domain_id=domain_id))
    allow_cram = bool(store.settings_effective(conn, "auth.allow_cram", domain_id=domain_id))
    return {
        "password_hash": passwords.hash_password(password),
        "scram_keys": passwords.derive_scram_keys(password, iterations=iterations).to_text(),
        "sealed_secret": store.secret_box.seal(password) if allow_cram else None,
    }


def check_password_length(store: Store, conn: Connection, password: str, *, domain_id: int | None) -> None:
    minimum = int(store.settings_effective(conn, "auth.password_min_length", domain_id=domain_id))
    if len(password) < minimum:
        raise InvalidInput(f"the password is too short: at least {minimum} characters")


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- lookups ------------------------------------------------------------------------------------

    def id_of(self, conn: Connection, address: str, *, temporary: bool = True) -> int:
        """Account id for an address or an account alias (in the domain or one of its aliases). An expired
        temporary alias names nobody; ``temporary=False`` (logins) refuses live ones too: a throw-away
        address handed to a web site must not become a user name to guess passwords for."""
        lp, dn = split_address(address)
        did = self.store.domains.id_of(conn, dn)
        if temporary:
            row = conn.execute(_NAME, {"domain_id": did, "local_part": lp, "now": utcnow()}).first()
        else:
            row = conn.execute(_LOGIN_NAME, {"domain_id": did, "local_part": lp}).first()
        if row is None:
            raise NotFound(f"account {lp}@{dn} does not exist")
        return int(row[0])

    def id_by_address(self, address: str) -> int:
        """The id of the account ``address`` names (its address or one of its aliases, in its domain or a
        domain alias), read in a transaction of its own: for the services that only need to know whose
        mail it is (Sieve's vacation tracking, the per-account sender lists). ``user+detail@`` is not
        stripped here; the callers decide whether a detail counts.

        Raises:
            NotFound: no such domain, or no account or account alias of that name.
            InvalidInput: not an address.
        """
        with self.store.db.read() as conn:
            return self.id_of(conn, address)

    def load(self, conn: Connection, account_id: int) -> Account:
        row = conn.execute(_ACCOUNT, {"account_id": account_id}).first()
        if row is None:
            raise NotFound("no such account")
        aliases = conn.execute(_ALIASES, {"account_id": account_id, "now": utcnow()}).scalars()
        quota = int(self.store.settings_effective(conn, "quota.storage_bytes", account_id=account_id))
        return Account(
            id=row.id,
            domain_id=row.domain_id,
            address=f"{row.local_part}@{row.domain_name}",
            enabled=row.enabled,
            display_name=row.display_name,
            account_class=row.class_name,
            used_bytes=row.used_bytes,
            message_count=row.message_count,
            folder_count=row.folder_count,
            quota_bytes=quota,
            aliases=tuple(sorted(f"{a}@{row.domain_name}" for a in aliases)),
            password_generation=row.password_generation,
        )

    def get(self, address: str) -> Account:
        with self.store.db.read() as conn:
            return self.load(conn, self.id_of(conn, address))

    def by_id(self, account_id: int) -> Account:
        with self.store.db.read() as conn:
            return self.load(conn, account_id)

    def list(self, domain: str | None = None) -> list[Account]:
        """Every account (of ``domain``), by domain and local part, read in three statements whatever
        their number (``load`` per account cost about 6 ms: 65 s for a domain of 10,000)."""
        a = s.accounts
        with self.store.db.read() as conn:
            q = (
                select(
                    a,
                    s.domains.c.name.label("domain_name"),
                    s.account_classes.c.name.label("class_name"),
                )
                .join(s.domains, s.domains.c.id == a.c.domain_id)
                .outerjoin(s.account_classes, s.account_classes.c.id == a.c.account_class_id)
            )
            if domain is not None:
                q = q.where(a.c.domain_id == self.store.domains.id_of(conn, domain))
            rows = conn.execute(q.order_by(s.domains.c.name, a.c.local_part)).all()
            aliases: dict[int, list[str]] = {}
            alias_q = select(s.addresses.c.account_id, s.addresses.c.local_part).where(
                s.addresses.c.kind == "alias", temporary_aliases.live(utcnow())
            )
            if domain is not None and rows:
                alias_q = alias_q.where(s.addresses.c.domain_id == rows[0].domain_id)
            for alias in conn.execute(alias_q):
                aliases.setdefault(int(alias.account_id), []).append(alias.local_part)
            quotas = settings_mod.effective_for_accounts(
                conn,
                "quota.storage_bytes",
                ((int(r.id), int(r.domain_id), r.account_class_id) for r in rows),
            )
        return [
            Account(
                id=row.id,
                domain_id=row.domain_id,
                address=f"{row.local_part}@{row.domain_name}",
                enabled=row.enabled,
                display_name=row.display_name,
                account_class=row.class_name,
                used_bytes=row.used_bytes,
                message_count=row.message_count,
                folder_count=row.folder_count,
                quota_bytes=int(quotas[int(row.id)]),
                aliases=tuple(sorted(f"{x}@{row.domain_name}" for x in aliases.get(int(row.id), []))),
                password_generation=row.password_generation,
            )
            for row in rows
        ]

    # -- changes ------------------------------------------------------------------------------------

    def insert(self, conn: Connection, domain_id: int, lp: str, password: str | None) -> int:
        """Create the account row, its address and its default folders inside the caller's transaction."""
        lp = local_part(lp)
        if conn.execute(
            select(s.addresses.c.id).where(
                s.addresses.c.domain_id == domain_id, s.addresses.c.local_part == lp
            )
        ).first():
            raise AlreadyExists(f"address {lp} is already taken in this domain")
        try:
            aid = conn.execute(
                insert(s.accounts)
                .values(
                    domain_id=domain_id,
                    local_part=lp,
                    enabled=True,
                    password_generation=0,
                    used_bytes=0,
                    message_count=0,
                    folder_count=0,
                    created_at=utcnow(),
                    **credential_columns(self.store, conn, domain_id, password),
                )
                .returning(s.accounts.c.id)
            ).scalar_one()
            conn.execute(
                insert(s.addresses).values(domain_id=domain_id, local_part=lp, kind="account", account_id=aid)
            )
        except IntegrityError as exc:
            raise AlreadyExists(f"address {lp} is already taken in this domain") from exc
        ns = fo.mailbox_namespace(aid)
        fo.create_root(conn, ns, domain_id, aid)
        for path, role, kind in fo.DEFAULT_MAILBOX:
            fo.create_folder(conn, ns, path, role=role, kind=kind)
        fo.subscribe_defaults(conn, aid)
        return int(aid)

    def add(self, address: str, password: str | None, *, display_name: str | None = None) -> Account:
        lp, dn = split_address(address)
        with self.store.db.write() as conn:
            aid = self.insert(conn, self.store.domains.id_of(conn, dn), lp, password)
            if display_name:
                conn.execute(
                    update(s.accounts).where(s.accounts.c.id == aid).values(display_name=display_name)
                )
        return self.by_id(aid)

    def set_password(self, address: str, password: str) -> None:
        with self.store.db.write() as conn:
            aid = self.id_of(conn, address)
            did = conn.execute(select(s.accounts.c.domain_id).where(s.accounts.c.id == aid)).scalar_one()
            conn.execute(
                update(s.accounts)
                .where(s.accounts.c.id == aid)
                .values(
                    password_generation=s.accounts.c.password_generation + 1,
                    **credential_columns(self.store, conn, did, password),
                )
            )
        self.store.auth.forget(aid)

    def set_enabled(self, address: str, enabled: bool) -> None:
        with self.store.db.write() as conn:
            conn.execute(
                update(s.accounts).where(s.accounts.c.id == self.id_of(conn, address)).values(enabled=enabled)
            )

    def set_class(self, address: str, class_name: str | None) -> None:
        with self.store.db.write() as conn:
            aid = self.id_of(conn, address)
            class_id = None
            if class_name is not None:
                did = conn.execute(select(s.accounts.c.domain_id).where(s.accounts.c.id == aid)).scalar_one()
                class_id = conn.execute(
                    select(s.account_classes.c.id).where(
                        s.account_classes.c.domain_id == did, s.account_classes.c.name == class_name
                    )
                ).scalar()
                if class_id is None:
                    raise NotFound(f"account class {class_name!r} does not exist")
            conn.execute(update(s.accounts).where(s.accounts.c.id == aid).values(account_class_id=class_id))

    def add_class(self, domain: str, name: str) -> int:
        if not name or len(name) > 64:
            raise InvalidInput("an account class needs a name of 1 to 64 characters")
        with self.store.db.write() as conn:
            did = self.store.domains.id_of(conn, domain)
            try:
                return int(
                    conn.execute(
                        insert(s.account_classes)
                        .values(domain_id=did, name=name)
                        .returning(s.account_classes.c.id)
                    ).scalar_one()
                )
            except IntegrityError as exc:
                raise AlreadyExists(f"account class {name!r} already exists") from exc

    def add_alias(self, address: str, alias: str) -> None:
        alias_lp, alias_dn = split_address(alias)
        with self.store.db.write() as conn:
            aid = self.id_of(conn, address)
            did = conn.execute(select(s.accounts.c.domain_id).where(s.accounts.c.id == aid)).scalar_one()
            if self.store.domains.id_of(conn, alias_dn) != did:
                raise InvalidInput(f"alias {alias} must be in the account's domain")
            if conn.execute(
                select(s.addresses.c.id).where(
                    s.addresses.c.domain_id == did, s.addresses.c.local_part == alias_lp
                )
            ).first():
                raise AlreadyExists(f"address {alias} is already taken")
            conn.execute(
                insert(s.addresses).values(domain_id=did, local_part=alias_lp, kind="alias", account_id=aid)
            )

    def remove_alias(self, address: str, alias: str) -> None:
        alias_lp, _ = split_address(alias)
        with self.store.db.write() as conn:
            aid = self.id_of(conn, address)
            gone = conn.execute(
                s.addresses.delete().where(
                    s.addresses.c.account_id == aid,
                    s.addresses.c.kind == "alias",
                    s.addresses.c.local_part == alias_lp,
                )
            ).rowcount
            if not gone:
                raise NotFound(f"{alias} is not an alias of {address}")

    def remove_expired_aliases(self, *, now: datetime | None = None) -> int:
        """Delete the temporary aliases whose time is over (storage.temporary_aliases); returns how many.
        Lookups already ignore them; this keeps the table small and frees their names."""
        return temporary_aliases.remove_expired(self.store, now=now)

    def delete(self, address: str) -> None:
        """Delete an account with its folders and messages; the postmaster stays with its domain."""
        with self.store.db.write() as conn:
            aid = self.id_of(conn, address)
            lp = conn.execute(select(s.accounts.c.local_part).where(s.accounts.c.id == aid)).scalar_one()
            if lp == "postmaster":
                raise InvalidInput("the postmaster account is deleted only with its domain")
            for row in conn.execute(select(s.folders).where(s.folders.c.account_id == aid)).all():
                self.store.mail.remove_all(conn, row)
            conn.execute(s.folders.delete().where(s.folders.c.account_id == aid))
            conn.execute(s.accounts.delete().where(s.accounts.c.id == aid))
        self.store.auth.forget(aid)


class Admins:
    """Server administrators (WebAdmin, CLI service); not mailbox users."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def set_password(self, name: str, password: str) -> None:
        if (
            not name
            or len(name) > 64
            or not name.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise InvalidInput(f"invalid administrator name {name!r}")
        with self.store.db.read() as conn:
            check_password_length(self.store, conn, password, domain_id=None)
        hashed = passwords.hash_password(password)
        with self.store.db.write() as conn:
            gone = conn.execute(
                update(s.admins)
                .where(s.admins.c.name == name)
                .values(password_hash=hashed, password_generation=s.admins.c.password_generation + 1)
            ).rowcount
            if not gone:
                conn.execute(insert(s.admins).values(name=name, password_hash=hashed, password_generation=0))

    def verify(self, name: str, password: str) -> bool:
        """Password check without throttling (sign-ins use ``store.admin_login``); False for a disabled
        administrator."""
        with self.store.db.read() as conn:
            row = conn.execute(
                select(s.admins.c.password_hash, s.admins.c.enabled).where(s.admins.c.name == name)
            ).first()
        if row is None:
            passwords.verify_password(dummy_hash(), password)  # same cost whether or not the name exists
            return False
        return passwords.verify_password(row.password_hash, password) and bool(row.enabled)

    def list(self) -> list[str]:
        with self.store.db.read() as conn:
            return list(conn.execute(select(s.admins.c.name).order_by(s.admins.c.name)).scalars())

    def operator(self, preferred: str) -> str:
        """Whom the ``fieldpost`` commands act as: ``preferred`` when it is an enabled server-wide
        administrator, else the first such by name (``admin`` may have been replaced by another), else
        ``preferred`` (whose every call is then refused as no such administrator)."""
        a = s.admins.c
        with self.store.db.read() as conn:
            names = list(
                conn.execute(
                    select(a.name).where(a.server_wide.is_(True), a.enabled.is_(True)).order_by(a.name)
                ).scalars()
            )
        return preferred if preferred in names or not names else names[0]

    def remove(self, name: str) -> None:
        """Delete an administrator; their open sessions are refused from their next call on (every call
        of ``store.for_admin`` looks them up again).

        Raises:
            NotFound: no such administrator.
        """
        with self.store.db.write() as conn:
            if not conn.execute(s.admins.delete().where(s.admins.c.name == name)).rowcount:
                raise NotFound(f"administrator {name!r} does not exist")
