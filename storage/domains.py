"""Domains and domain aliases.

A new domain gets its public-folder root (with the default "all users of the domain may look up" entry)
and a ``postmaster`` account; the postmaster's implicit rights come from the ACL engine, not from rows.
Renaming a domain changes one row: addresses are stored as (domain id, local part), never as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage import acl
from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound
from storage.folders import create_root, public_namespace
from storage.models import Domain
from storage.names import domain_name, utcnow

if TYPE_CHECKING:
    from storage.store import Store


# Built once: a domain's id is asked for every recipient SMTP and delivery look up, and building the
# statement (and its cache key) cost more than running it.
_DOMAIN_ID = select(s.domains.c.id).where(s.domains.c.name == bindparam("name"))
_ALIAS_DOMAIN_ID = select(s.domain_aliases.c.domain_id).where(s.domain_aliases.c.name == bindparam("name"))


class Domains:
    def __init__(self, store: Store) -> None:
        self.store = store

    def id_of(self, conn: Connection, name: str) -> int:
        """The domain id for a domain name or one of its aliases."""
        dn = domain_name(name)
        row = conn.execute(_DOMAIN_ID, {"name": dn}).first()
        if row is None:
            row = conn.execute(_ALIAS_DOMAIN_ID, {"name": dn}).first()
        if row is None:
            raise NotFound(f"domain {dn} does not exist")
        return int(row[0])

    def id_by_name(self, name: str) -> int:
        """The id of the domain ``name`` names (the domain itself or one of its aliases), read in a
        transaction of its own: the question a service asks to tell its own domains apart (DKIM signing
        signs an alias as the domain's own name, never another local domain).

        Args:
            name: a domain name or a domain alias, any case.

        Raises:
            NotFound: no domain and no alias has this name.
            InvalidInput: not a domain name.
        """
        with self.store.db.read() as conn:
            return self.id_of(conn, name)

    def _name_taken(self, conn: Connection, dn: str) -> bool:
        return bool(
            conn.execute(select(s.domains.c.id).where(s.domains.c.name == dn)).first()
            or conn.execute(select(s.domain_aliases.c.id).where(s.domain_aliases.c.name == dn)).first()
        )

    def add(self, name: str, postmaster_password: str | None = None) -> Domain:
        dn = domain_name(name)
        with self.store.db.write() as conn:
            if self._name_taken(conn, dn):
                raise AlreadyExists(f"domain {dn} already exists")
            did = conn.execute(
                insert(s.domains).values(name=dn, enabled=True, created_at=utcnow()).returning(s.domains.c.id)
            ).scalar_one()
            root = create_root(conn, public_namespace(did), did, None)
            acl.default_entries_for_new_domain(conn, root, did)
            self.store.accounts.insert(conn, did, "postmaster", postmaster_password)
        return self.get(dn)

    def get(self, name: str) -> Domain:
        with self.store.db.read() as conn:
            did = self.id_of(conn, name)
            return self._load(conn, did)

    def _load(self, conn: Connection, did: int) -> Domain:
        row = conn.execute(select(s.domains).where(s.domains.c.id == did)).one()
        aliases = conn.execute(
            select(s.domain_aliases.c.name)
            .where(s.domain_aliases.c.domain_id == did)
            .order_by(s.domain_aliases.c.name)
        ).scalars()
        count = conn.execute(
            select(func.count()).select_from(s.accounts).where(s.accounts.c.domain_id == did)
        ).scalar_one()
        return Domain(
            id=did, name=row.name, enabled=row.enabled, aliases=tuple(aliases), account_count=int(count)
        )

    def primary(self, hostname: str) -> str | None:
        """The server's own domain, whose postmaster receives mail for ``<postmaster>`` without a domain
        (RFC 5321 4.5.1): the one ``smtp.postmaster_domain`` names (or whose alias it names), else the
        most specific of ``hostname`` and its parent domains that is one of ours ("mx.example.org" gives
        "example.org"), else the oldest domain; None while there is no domain at all."""
        with self.store.db.read() as conn:
            configured = str(self.store.settings_effective(conn, "smtp.postmaster_domain") or "")
            labels = hostname.strip().rstrip(".").lower().split(".")
            candidates = [configured] if configured else []
            candidates += [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]
            for name in candidates:
                try:
                    did = self.id_of(conn, name)
                except (NotFound, InvalidInput):
                    continue
                return str(conn.execute(select(s.domains.c.name).where(s.domains.c.id == did)).scalar_one())
            oldest = conn.execute(select(s.domains.c.name).order_by(s.domains.c.id).limit(1)).scalar()
            return str(oldest) if oldest is not None else None

    def list(self) -> list[Domain]:
        with self.store.db.read() as conn:
            ids = conn.execute(select(s.domains.c.id).order_by(s.domains.c.name)).scalars().all()
            return [self._load(conn, int(i)) for i in ids]

    def rename(self, old: str, new: str) -> Domain:
        new_name = domain_name(new)
        with self.store.db.write() as conn:
            did = self.id_of(conn, old)
            if self._name_taken(conn, new_name):
                raise AlreadyExists(f"domain {new_name} already exists")
            conn.execute(update(s.domains).where(s.domains.c.id == did).values(name=new_name))
        return self.get(new_name)

    def delete(self, name: str) -> None:
        """Delete a domain with everything in it (accounts, folders, messages)."""
        with self.store.db.write() as conn:
            did = self.id_of(conn, name)
            for row in conn.execute(select(s.folders).where(s.folders.c.domain_id == did)).all():
                self.store.mail.remove_all(conn, row)
            conn.execute(s.folders.delete().where(s.folders.c.domain_id == did))
            conn.execute(s.domains.delete().where(s.domains.c.id == did))

    def add_alias(self, name: str, alias: str) -> None:
        an = domain_name(alias)
        with self.store.db.write() as conn:
            did = self.id_of(conn, name)
            if self._name_taken(conn, an):
                raise AlreadyExists(f"domain {an} already exists")
            try:
                conn.execute(insert(s.domain_aliases).values(domain_id=did, name=an))
            except IntegrityError as exc:
                raise AlreadyExists(f"domain {an} already exists") from exc

    def remove_alias(self, name: str, alias: str) -> None:
        an = domain_name(alias)
        with self.store.db.write() as conn:
            did = self.id_of(conn, name)
            gone = conn.execute(
                s.domain_aliases.delete().where(
                    s.domain_aliases.c.domain_id == did, s.domain_aliases.c.name == an
                )
            ).rowcount
            if not gone:
                raise NotFound(f"{an} is not an alias of {name}")

    def set_enabled(self, name: str, enabled: bool) -> None:
        with self.store.db.write() as conn:
            conn.execute(
                update(s.domains).where(s.domains.c.id == self.id_of(conn, name)).values(enabled=enabled)
            )


__all__ = ["Domains", "InvalidInput"]
