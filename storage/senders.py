"""Who may send as whom: the anti-impersonation question of mail submission, answered by storage.

An authenticated user may use, as envelope sender and in the ``From:`` header field, its own address
(with or without a ``+detail``), its aliases (in its domain or a domain alias) and the addresses of
mailboxes whose owner granted it "send as" (the ``0`` right on the mailbox root, storage/acl.py). The
setting ``smtp.allow_any_header_from`` (server, domain, class or account level; default off) lifts the
rule for the header only: the envelope sender is what bounces and SPF follow, so it stays checked.

"Send on behalf" (the ``2`` right on the owner's mailbox root) is the weaker delegation: the message
says who really wrote it. The owner's address may then stand in ``From:`` only when the ``Sender:``
field (RFC 5322 3.6.2) names the delegate, that is an address the delegate may use in its own right
(its address, an alias, or one it may send as). The envelope sender stays the delegate's own, so bounces
and SPF follow the person who sent. A ``Sender:`` field naming an address the account may not use is
refused like a foreign ``From:`` (the same impersonation, one field lower).

It lives in storage (not in the SMTP session) so that the policy has one home whichever component
asks: the SMTP submission checks today, a mail-flow package later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from storage import acl
from storage import schema as s
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from storage.store import Store

ANY_HEADER_FROM = "smtp.allow_any_header_from"


def _owner(store: Store, conn: Connection, address: str) -> int | None:
    """The account an address (or its base without ``+detail``) belongs to; None when it is nobody's."""
    local, _, domain = address.rpartition("@")
    base = f"{local.split('+', 1)[0]}@{domain}"
    try:
        return store.accounts.id_of(conn, base)
    except (NotFound, InvalidInput):
        return None


def _may_use(store: Store, conn: Connection, account_id: int, address: str) -> bool:
    owner = _owner(store, conn, address)
    if owner is None:
        return False
    return owner == account_id or _may_act_for(conn, account_id, owner, acl.SEND_AS)


def _may_act_for(conn: Connection, account_id: int, owner: int | None, right: acl.Rights) -> bool:
    """Whether ``owner``'s mailbox root grants the account ``right`` (a mailbox-level digit)."""
    if owner is None or owner == account_id:
        return False
    try:
        return right in acl.rights_on_mailbox(conn, account_id, owner)
    except NotFound:
        return False


def _granting_owners(conn: Connection, account_id: int, digit: str = "0") -> list[int]:
    """Accounts whose mailbox root holds an allow entry with the mailbox-level ``digit`` naming the
    account, its domain, anyone or one of its groups; a candidate list only: deny entries are applied by
    the caller."""
    f, a = s.folders, s.acl_entries
    kinds: dict[str, list[int]] = {}
    for kind, principal_id in acl.principals_of(conn, account_id):
        kinds.setdefault(kind, []).append(principal_id)
    named = [(a.c.principal_kind == kind) & a.c.principal_id.in_(ids) for kind, ids in kinds.items()]
    clause = named[0]
    for more in named[1:]:
        clause = clause | more
    rows = conn.execute(
        select(f.c.account_id)
        .join(a, a.c.folder_id == f.c.id)
        .where(f.c.path == "", f.c.account_id.is_not(None), a.c.allow.is_(True), clause)
        .where(a.c.rights.contains(digit))
        .distinct()
    )
    return sorted(int(owner) for owner in rows.scalars() if owner != account_id)


class Senders:
    def __init__(self, store: Store) -> None:
        self.store = store

    def addresses_for(self, account_id: int) -> list[str]:
        """Every address the account may send as, for WebMail's identity choice: its own address, its
        aliases, then the addresses of the mailboxes that granted it "send as" (and did not deny it),
        in that order. A ``+detail`` form of any of them is allowed too but never listed.

        Raises:
            NotFound: no such account.
        """
        with self.store.db.read() as conn:
            account = self.store.accounts.load(conn, account_id)
            out = [account.address, *account.aliases]
            for owner in _granting_owners(conn, account_id):
                if _may_act_for(conn, account_id, owner, acl.SEND_AS):
                    out.append(self.store.accounts.load(conn, owner).address)
            return out

    def on_behalf_of(self, account_id: int) -> list[str]:
        """The addresses of the mailboxes whose owner granted the account "send on behalf" (and did not
        deny it), for WebMail's identity choice; those it may also send as are left out (that right
        already covers them).

        Raises:
            NotFound: no such account.
        """
        with self.store.db.read() as conn:
            self.store.accounts.load(conn, account_id)
            out = []
            for owner in _granting_owners(conn, account_id, "2"):
                rights = acl.rights_on_mailbox(conn, account_id, owner)
                if acl.SEND_ON_BEHALF in rights and acl.SEND_AS not in rights:
                    out.append(self.store.accounts.load(conn, owner).address)
            return out

    def may_send_as(self, account_id: int, address: str) -> bool:
        """Whether the account may use ``address`` as its envelope sender ("" the null sender: always)."""
        if not address:
            return True
        with self.store.db.read() as conn:
            return _may_use(self.store, conn, account_id, address)

    def foreign_header_from(
        self, account_id: int, addresses: Iterable[str], sender: Iterable[str] = ()
    ) -> str | None:
        """The first ``From:`` or ``Sender:`` address the account may not use, or None when all are its
        own (or ``smtp.allow_any_header_from`` is on for it). A ``From:`` address of a mailbox that
        granted "send on behalf" passes when ``Sender:`` is present and the account's own.

        Args:
            account_id: the authenticated account.
            addresses: the addresses of the message's ``From:`` field(s), as parsed by the caller.
            sender: the address(es) of its ``Sender:`` field, likewise (none: no such field).
        """
        wanted = [a for a in addresses if a]
        senders = [a for a in sender if a]
        if not wanted and not senders:
            return None
        with self.store.db.read() as conn:
            if self.store.settings_effective(conn, ANY_HEADER_FROM, account_id=account_id):
                return None
            for address in senders:
                if not _may_use(self.store, conn, account_id, address):
                    return address
            for address in wanted:
                if _may_use(self.store, conn, account_id, address):
                    continue
                owner = _owner(self.store, conn, address)
                if not senders or not _may_act_for(conn, account_id, owner, acl.SEND_ON_BEHALF):
                    return address
        return None
