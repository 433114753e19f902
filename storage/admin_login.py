"""Administrator sign-in for WebAdmin (and any other interface an administrator signs in to).

Why apart from ``Admins`` (storage/accounts.py): a sign-in is more than a password check. It goes through
the same database-backed throttle as every mailbox login (storage/throttle.py: failures counted against
the name and the client address, shared by every process), refuses a disabled administrator with the
same answer as a wrong password, and hands back what a session must remember to notice later that it
should end: the password generation (a password change anywhere ends every session opened before it).

The admin facade (``store.for_admin``) stays the only way to act; this module only tells who signed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from storage import passwords
from storage import schema as s
from storage.auth import dummy_hash
from storage.errors import AuthFailed, Throttled

if TYPE_CHECKING:
    from storage.store import Store

#: Throttle subjects of administrators are kept apart from mailbox names (those always hold an "@").
THROTTLE_PREFIX = "admin:"


@dataclass(frozen=True)
class AdminIdentity:
    """An administrator as a session remembers them."""

    name: str
    password_generation: int
    enabled: bool
    server_wide: bool


def identity(store: Store, name: str) -> AdminIdentity | None:
    """The administrator ``name`` as stored now, or None when there is no such administrator."""
    a = s.admins.c
    with store.db.read() as conn:
        row = conn.execute(
            select(a.name, a.password_generation, a.enabled, a.server_wide).where(a.name == name)
        ).first()
    if row is None:
        return None
    return AdminIdentity(row.name, int(row.password_generation), bool(row.enabled), bool(row.server_wide))


def sign_in(store: Store, name: str, password: str, *, ip: str | None = None) -> AdminIdentity:
    """Check an administrator's password, throttled like every login.

    Raises:
        Throttled: too many recent failures for this name or client address (``retry_after`` seconds).
        AuthFailed: unknown name, wrong password or a disabled administrator (one answer for all three).
    """
    name = name.strip()
    subject = THROTTLE_PREFIX + name
    throttle = store.auth.throttle
    seen = throttle.check(subject, ip)
    if seen.retry_after > 0:
        raise Throttled("too many failed logins; try again later", seen.retry_after)
    with store.db.read() as conn:
        stored = conn.execute(
            select(s.admins.c.password_hash, s.admins.c.enabled).where(s.admins.c.name == name)
        ).first()
    if stored is None:
        passwords.verify_password(dummy_hash(), password)  # the same cost whether or not the name exists
        ok = False
    else:
        ok = passwords.verify_password(stored.password_hash, password) and bool(stored.enabled)
    found = identity(store, name) if ok else None
    if found is None or not found.enabled:
        throttle.record_failure(subject, ip)
        raise AuthFailed("authentication failed")
    throttle.record_success(subject, ip, seen=seen)
    return found
