"""Settings in domain terms: levels named by domain, account class and account address.

The registry, validation and inheritance rules live in storage.settings; this facade opens transactions
and turns names into scope ids, for the CLI, WebAdmin and tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import schema as s
from storage import settings as reg
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.store import Store


class Settings:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _scope(
        self, conn: Connection, domain: str | None, account_class: str | None, account: str | None
    ) -> tuple[str, int]:
        if account is not None:
            return "account", self.store.accounts.id_of(conn, account)
        if account_class is not None:
            if domain is None:
                raise InvalidInput("an account class is named together with its domain")
            did = self.store.domains.id_of(conn, domain)
            cid = conn.execute(
                select(s.account_classes.c.id).where(
                    s.account_classes.c.domain_id == did, s.account_classes.c.name == account_class
                )
            ).scalar()
            if cid is None:
                raise NotFound(f"account class {account_class!r} does not exist in {domain}")
            return "class", int(cid)
        if domain is not None:
            return "domain", self.store.domains.id_of(conn, domain)
        return "server", 0

    def set(
        self,
        name: str,
        value: Any,
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> Any:
        """Set an explicit value at the level the keywords name (none: server); returns the stored value."""
        with self.store.db.write() as conn:
            level, scope = self._scope(conn, domain, account_class, account)
            return reg.set_value(conn, name, level, scope, value)

    def clear(
        self,
        name: str,
        *,
        domain: str | None = None,
        account_class: str | None = None,
        account: str | None = None,
    ) -> bool:
        with self.store.db.write() as conn:
            level, scope = self._scope(conn, domain, account_class, account)
            return reg.clear_value(conn, name, level, scope)

    def get(self, name: str, *, domain: str | None = None, account: str | None = None) -> Any:
        """The effective value for an account (or a domain, or the server)."""
        with self.store.db.read() as conn:
            account_id = self.store.accounts.id_of(conn, account) if account else None
            domain_id = self.store.domains.id_of(conn, domain) if domain and not account else None
            return reg.effective(conn, name, account_id=account_id, domain_id=domain_id)

    def effective_many(
        self,
        names: Iterable[str],
        *,
        domain: str | None = None,
        domain_id: int | None = None,
        account_id: int | None = None,
    ) -> dict[str, Any]:
        """The effective values of ``names`` for an account (``account_id``), a domain (``domain`` by name,
        an alias naming its domain, or ``domain_id``) or the server (none of them), read in one
        transaction, so a service reads its settings without holding a Connection.

        Raises:
            NotFound: ``domain`` is not one of ours.
            InvalidInput: ``domain`` is not a domain name.
        """
        with self.store.db.read() as conn:
            if domain:
                domain_id = self.store.domains.id_of(conn, domain)
            return reg.effective_many(conn, list(names), account_id=account_id, domain_id=domain_id)

    def on_for_any_domain(self, name: str) -> bool:
        """Whether the switch ``name`` is on, in effect, for at least one of our domains (its own value or
        the server's): for a feature a service offers before it knows the user (SMTP offers CRAM-MD5 when
        some domain allows it, and refuses the accounts of the others later). Two statements.

        Args:
            name: a setting with a boolean value that may be set per domain.

        Raises:
            NotFound: no such setting.
        """
        with self.store.db.read() as conn:
            return reg.on_for_any_domain(conn, [name])[name]

    def for_connection(self, names: Iterable[str], on_for_any_domain: Iterable[str] = ()) -> dict[str, Any]:
        """What a service reads once per new connection, before it knows the user, in one transaction:
        the server-level values of ``names``, and for each of ``on_for_any_domain`` whether it is on for
        any domain (see ``on_for_any_domain``).

        Raises:
            NotFound: no such setting.
        """
        with self.store.db.read() as conn:
            values = reg.effective_many(conn, list(names))
            values.update(reg.on_for_any_domain(conn, on_for_any_domain))
            return values

    def explicit(
        self, *, domain: str | None = None, account_class: str | None = None, account: str | None = None
    ) -> dict[str, Any]:
        with self.store.db.read() as conn:
            level, scope = self._scope(conn, domain, account_class, account)
            return reg.explicit_values(conn, level, scope)
