"""The limits of a domain grant, enforced in the transaction of the change (storage.adminview calls these).

A delegated administrator's grant of a domain may carry two limits (storage.adminscope.DomainGrant):

* ``max_accounts``: how many accounts the domain may hold when they add one (the ``postmaster`` account
  every domain is made with does not count). The domain row is locked first on PostgreSQL, so two
  administrators adding at once cannot both take the last place; SQLite's write lock does the same.
* ``max_account_quota_mb``: the largest mailbox size (setting ``quota.storage_bytes``) they may give an
  account, and they may not leave an account without a size limit ("0 means no limit"). Values they set
  at account, account-class or domain level must be within it; a value they clear must leave one within
  it in force; an account they add whose inherited size is over it (or unlimited) gets the limit as its
  own value.

A server-wide administrator has no limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from storage import schema as s
from storage import settings as registry
from storage.adminscope import Scope
from storage.errors import InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from storage.store import Store

QUOTA_SETTING = "quota.storage_bytes"
MB = 1024 * 1024


def check_room_for_account(conn: Connection, scope: Scope, domain_id: int, domain: str) -> None:
    """Raises PermissionDenied when the domain already holds the administrator's ``max_accounts``."""
    limit = scope.grant(domain_id).max_accounts
    if limit is None:
        return
    conn.execute(select(s.domains.c.id).where(s.domains.c.id == domain_id).with_for_update())
    held = conn.execute(
        select(func.count())
        .select_from(s.accounts)
        .where(s.accounts.c.domain_id == domain_id, s.accounts.c.local_part != "postmaster")
    ).scalar_one()
    if int(held) >= limit:
        raise PermissionDenied(
            f"account limit reached: you may have at most {limit} accounts in {domain} (it holds {held})"
        )


def quota_limit(scope: Scope, domain_id: int) -> int | None:
    """The largest mailbox size in bytes this administrator may give in the domain (None: no limit)."""
    mb = scope.grant(domain_id).max_account_quota_mb
    return None if mb is None else mb * MB


def check_quota_value(scope: Scope, domain_id: int, value: Any) -> None:
    """Raises InvalidInput when ``value`` (bytes, 0 = unlimited) is outside the administrator's limit."""
    limit = quota_limit(scope, domain_id)
    if limit is None:
        return
    size = int(value)
    if size <= 0:
        raise InvalidInput(
            f"mailbox size limit: you must give a mailbox size of at most {limit // MB} MB (not unlimited)"
        )
    if size > limit:
        raise InvalidInput(
            f"mailbox size limit: at most {limit // MB} MB may be given here ({_mb(size)} MB asked)"
        )


def cap_new_account(store: Store, conn: Connection, scope: Scope, domain_id: int, account_id: int) -> bool:
    """An account just added by a limited administrator: an inherited size over the limit (or none)
    becomes the limit, set on the account itself. True when it did."""
    limit = quota_limit(scope, domain_id)
    if limit is None:
        return False
    inherited = int(store.settings_effective(conn, QUOTA_SETTING, account_id=account_id))
    if 0 < inherited <= limit:
        return False
    registry.set_value(conn, QUOTA_SETTING, "account", account_id, limit)
    return True


def check_account_quota(
    store: Store, conn: Connection, scope: Scope, domain_id: int, account_id: int
) -> None:
    """After a change (class, cleared value): the account's size in force must be within the limit."""
    if quota_limit(scope, domain_id) is None:
        return
    check_quota_value(scope, domain_id, store.settings_effective(conn, QUOTA_SETTING, account_id=account_id))


def check_domain_quota(store: Store, conn: Connection, scope: Scope, domain_id: int) -> None:
    """After a domain- or class-level value was cleared: what the domain now gives must be within the limit."""
    if quota_limit(scope, domain_id) is None:
        return
    check_quota_value(scope, domain_id, store.settings_effective(conn, QUOTA_SETTING, domain_id=domain_id))


def _mb(size: int) -> str:
    return f"{size / MB:g}"
