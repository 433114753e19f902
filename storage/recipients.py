"""Where mail to an address goes, as the mail transfer side asks it: SMTP's RCPT and VRFY, the processing
service sorting a queued message's recipients and preparing Sieve's ``fileinto`` folders.

These are system questions (no user's rights apply: the answer is the same whoever sends), so they live
on ``store.recipients`` rather than the user facade. Each method opens its own read transaction, so the
callers never hold a Connection; the expansion rules (aliases, ``+detail``, groups, forwarders) are
``storage.groups.resolve``'s.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from storage import settings as reg
from storage.errors import InvalidInput, NotFound
from storage.groups import Resolution, resolve

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


def _look_up(store: Store, conn: Connection, address: str) -> Lookup:
    try:
        domain_id = store.domains.id_of(conn, address.rpartition("@")[2])
    except NotFound:
        return Lookup(address, Destination.REMOTE)
    except InvalidInput as exc:
        return Lookup(address, Destination.NOT_A_DOMAIN, str(exc))
    try:  # resolve splits at the same (last) "@", or refuses an address with more than one
        found = resolve(store, conn, address, domain_id=domain_id)
    except NotFound as exc:
        return Lookup(address, Destination.UNKNOWN, str(exc))
    except InvalidInput as exc:
        return Lookup(address, Destination.INVALID, str(exc))
    return Lookup(address, Destination.LOCAL, account_ids=frozenset(found.account_ids))


def _smallest_limit(conn: Connection, account_ids: Iterable[int]) -> int | None:
    limits = [int(reg.effective(conn, "mail.max_message_bytes", account_id=a)) for a in account_ids]
    return min(limits) if limits else None


class Recipients:
    def __init__(self, store: Store) -> None:
        self.store = store

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
        """
        with self.store.db.read() as conn:
            found = _look_up(self.store, conn, address)
            if not size_limit or not found.account_ids:
                return found
            return dataclasses.replace(found, max_message_bytes=_smallest_limit(conn, found.account_ids))

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
