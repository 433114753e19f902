"""Where mail to an address goes, as the mail transfer side asks it: SMTP's RCPT and VRFY, the processing
service sorting a queued message's recipients and preparing Sieve's ``fileinto`` folders.

These are system questions (no user's rights apply: the answer is the same whoever sends), so they live
on ``store.recipients`` rather than the user facade. Each method opens its own read transaction, so the
callers never hold a Connection; the expansion rules (aliases, ``+detail``, groups, forwarders) are
``storage.groups.resolve``'s.

``rcpt`` (asked for every RCPT of every SMTP session) keeps its answers in the process, each with the
``directory_generation`` counter read in the same transaction before the tables it depends on. Triggers
bump that counter in every transaction that writes those tables (migration 0014: domains, domain
aliases, account classes, accounts' domain/name/class, address rows, groups, members, forwarders,
stored settings), whichever process or tool writes, so an answer is served again only while the
counter has not moved since it was read: a cached RCPT costs one read of one row instead of four
lookups. An answer that went through a temporary alias is kept until that alias expires at most.
The counter is read first: on PostgreSQL (READ COMMITTED, each statement its own snapshot) the lookups
then see data at least as new as the counter says, so an answer is never filed under a newer counter
than its data. Inside a write transaction (``Database.joined``) nothing is cached or served from the
cache: what it reads may still be rolled back.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from storage import schema as s
from storage import settings as reg
from storage.errors import InvalidInput, NotFound
from storage.groups import Resolution, resolve
from storage.names import utcnow

if TYPE_CHECKING:
    from storage.store import Store


class Destination(enum.Enum):
    """What the directory says of one recipient address."""

    LOCAL = "local"  # one of our domains, and the address resolves
    UNKNOWN = "unknown"  # one of our domains, nobody by that name (NotFound)
    INVALID = "invalid"  # one of our domains, the address cannot be resolved (InvalidInput: bad form, loop)
    REMOTE = "remote"  # not one of our domains
    NOT_A_DOMAIN = "not-a-domain"  # the part after "@" is not a domain name at all


@dataclass(frozen=True)
class Lookup:
    """One address as the directory sees it: its destination, why when it is not deliverable (the
    storage error's text for UNKNOWN, INVALID and NOT_A_DOMAIN, else ""), the local accounts it
    reaches (LOCAL only) and, from ``Recipients.rcpt`` when asked, the smallest
    ``mail.max_message_bytes`` among those accounts (None: not asked, or no account reached)."""

    address: str
    destination: Destination
    detail: str = ""
    account_ids: frozenset[int] = field(default_factory=frozenset)
    max_message_bytes: int | None = None


@dataclass(frozen=True)
class FolderCheck:
    """The accounts (by address, each once, in the order met) that lack a folder, and the addresses
    whose accounts' folder name could not be looked up (address, why)."""

    missing: list[str]
    invalid: list[tuple[str, str]]


CACHE_SIZE = 4096  # answers kept per process; all dropped when full (the next RCPTs refill it)
_GENERATION = select(s.directory_generation.c.value).where(s.directory_generation.c.id == 1)


@dataclass(frozen=True)
class _Kept:
    """An answer of ``rcpt`` and what it holds for: the counter it was read with, the alias expiry."""

    generation: int
    expires_at: datetime | None
    lookup: Lookup


def _holds(kept: _Kept) -> bool:
    """Whether no temporary alias the answer went through has expired since."""
    return kept.expires_at is None or utcnow() < kept.expires_at


def _look_up(store: Store, conn: Connection, address: str) -> Lookup:
    return _look_up_until(store, conn, address)[0]


def _look_up_until(store: Store, conn: Connection, address: str) -> tuple[Lookup, datetime | None]:
    """The lookup, and until when it holds (a temporary alias' expiry; None: until the data changes)."""
    try:
        domain_id = store.domains.id_of(conn, address.rpartition("@")[2])
    except NotFound:
        return Lookup(address, Destination.REMOTE), None
    except InvalidInput as exc:
        return Lookup(address, Destination.NOT_A_DOMAIN, str(exc)), None
    try:  # resolve splits at the same (last) "@", or refuses an address with more than one
        found = resolve(store, conn, address, domain_id=domain_id)
    except NotFound as exc:
        return Lookup(address, Destination.UNKNOWN, str(exc)), None
    except InvalidInput as exc:
        return Lookup(address, Destination.INVALID, str(exc)), None
    return Lookup(address, Destination.LOCAL, account_ids=frozenset(found.account_ids)), found.expires_at


def _smallest_limit(conn: Connection, account_ids: Iterable[int]) -> int | None:
    limits = [int(reg.effective(conn, "mail.max_message_bytes", account_id=a)) for a in account_ids]
    return min(limits) if limits else None


class Recipients:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: dict[tuple[str, bool], _Kept] = {}  # rcpt's answers (see the module notes)
        self.kept_answers_served = 0  # for tests and benchmarks

    def look_up(self, addresses: Iterable[str]) -> list[Lookup]:
        """Each address's destination, in the order given, read in one transaction.

        Args:
            addresses: recipient addresses (``local@domain``), as the client or the queue holds them.
        """
        with self.store.db.read() as conn:
            return [_look_up(self.store, conn, address) for address in addresses]

    def rcpt(self, address: str, *, size_limit: bool = False) -> Lookup:
        """What SMTP's RCPT asks of one address, in one read transaction and resolving it once: its
        destination (as ``look_up``) and, with ``size_limit``, the smallest ``mail.max_message_bytes``
        of the accounts it reaches (as ``max_message_bytes``) in ``Lookup.max_message_bytes``.

        Why one call: RCPT asked the two questions apart, each in its own transaction expanding the
        address again, and the two were most of the CPU an MX session spent per recipient (issue 10).
        Why kept: the same few addresses are asked over and over; a kept answer is checked against the
        directory counter (see the module notes) and costs one read.
        """
        with self.store.db.read() as conn:
            if conn.get_execution_options().get("fieldpost_immediate"):  # inside a write: never cached
                return self._rcpt(conn, address, size_limit)[0]
            generation = int(conn.execute(_GENERATION).scalar_one())  # first (see the module notes)
            key = (address, size_limit)
            kept = self._kept.get(key)
            if kept is not None and kept.generation == generation and _holds(kept):
                self.kept_answers_served += 1
                return kept.lookup
            found, expires_at = self._rcpt(conn, address, size_limit)
            if len(self._kept) >= CACHE_SIZE:
                self._kept.clear()
            self._kept[key] = _Kept(generation, expires_at, found)
            return found

    def _rcpt(self, conn: Connection, address: str, size_limit: bool) -> tuple[Lookup, datetime | None]:
        found, expires_at = _look_up_until(self.store, conn, address)
        if not size_limit or not found.account_ids:
            return found, expires_at
        limit = _smallest_limit(conn, found.account_ids)
        return dataclasses.replace(found, max_message_bytes=limit), expires_at

    def resolve(self, address: str) -> Resolution:
        """The local accounts and outside addresses mail to ``address`` reaches (groups and forwarders
        expanded); an address outside our domains is one outside address (RFC 5321 3.5.3 VRFY asks this).

        Raises:
            NotFound: the address is in one of our domains but names nothing there.
            InvalidInput: malformed, or an expansion nested too deep.
        """
        with self.store.db.read() as conn:
            return resolve(self.store, conn, address)

    def max_message_bytes(self, address: str) -> int | None:
        """The smallest ``mail.max_message_bytes`` among the local accounts ``address`` reaches (an alias
        or a group may reach several, each with its own limit); None when it reaches no local account or
        does not resolve (RCPT answers that on its own)."""
        with self.store.db.read() as conn:
            try:
                accounts = resolve(self.store, conn, address).account_ids
            except (NotFound, InvalidInput):
                return None
            return _smallest_limit(conn, accounts)

    def accounts_without_folder(self, addresses: Iterable[str], path: str) -> FolderCheck:
        """Which local accounts reached by ``addresses`` have no folder ``path`` (Sieve ``fileinto``
        creates or reports it before delivery). Addresses that do not resolve are left out: delivery
        reports them.

        Args:
            addresses: recipient addresses; each is expanded like ``resolve``.
            path: the folder path in each account's own tree.
        """
        missing: list[str] = []
        invalid: list[tuple[str, str]] = []
        with self.store.db.read() as conn:
            for address in addresses:
                try:
                    account_ids = resolve(self.store, conn, address).account_ids
                except (NotFound, InvalidInput):
                    continue
                for account_id in sorted(account_ids):
                    owner = self.store.accounts.load(conn, account_id).address
                    try:
                        self.store.folders.resolve_id(conn, owner, path)
                    except NotFound:
                        if owner not in missing:
                            missing.append(owner)
                    except InvalidInput as exc:
                        invalid.append((address, str(exc)))
        return FolderCheck(missing, invalid)
