"""Two-step sign-in: one TOTP authenticator (RFC 6238) and ten recovery codes per account or administrator.

Reached as ``store.for_user(id).second_factor`` (a WebMail user), ``store.for_admin(name).second_factors``
(an administrator's own factor, and resetting an account's) and ``store.second_factors`` (the component
both use; its ``clock`` is the one place tests fix the time).

Life of a factor (table ``second_factors``, migration 0011):

1. ``enrol`` makes a random secret, sealed at rest under the store's key (``store.secret_box``), and
   returns it with its ``otpauth://`` URI for the QR code. The row is *pending* (``confirmed_at`` NULL):
   it asks nothing at sign-in yet, and enrolling again replaces it.
2. ``confirm(code)`` with a code from the app turns it on and returns ten recovery codes, shown once:
   only their SHA-256 is kept (75 random bits each, so a fast hash is enough; a slow one is for what
   people choose). Each works once. It also bumps the owner's password generation, so every web session
   and login cache made with the password alone ends (the caller starts its own session again).
3. ``verify(code)`` at sign-in takes a current code or a recovery code. Codes of the step before and after
   count too (``totp.WINDOW``); a code whose step is not later than ``last_step`` is refused, so a code
   seen over a shoulder cannot be used again -- the conditional UPDATE makes that hold across processes.
   Failures count in the login throttle (storage/throttle.py) under the same name as password failures,
   so guessing codes is slowed down exactly like guessing passwords.
4. ``disable(code)`` needs a current code or a recovery code; it also deletes the account's app
   passwords (storage/app_passwords.py), which only exist for accounts with a factor. ``reset`` does the
   same without a code: for an administrator helping a user who lost their phone (scope-checked by
   storage/admin_second_factors.py).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from storage import schema as s
from storage import totp
from storage.errors import AlreadyExists, AuthFailed, InvalidInput, NotFound, Throttled
from storage.names import as_utc

if TYPE_CHECKING:
    from storage.store import Store

RECOVERY_CODES: Final = 10
RECOVERY_GROUPS: Final = 3
RECOVERY_GROUP_LENGTH: Final = 5
_RECOVERY_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"  # 31 letters and digits, none look alike
WRONG_CODE: Final = "that code is not right (or was already used); try the next one"
NOT_ON: Final = "two-step sign-in is not on"
ALREADY_ON: Final = "two-step sign-in is already on; turn it off first to set up another app"
#: Administrators' throttle names (storage/admin_login.py uses the same), apart from mailbox names.
ADMIN_THROTTLE_PREFIX: Final = "admin:"
NOTHING_PENDING: Final = "start the set-up again: no authenticator is waiting for confirmation"
# Built once: every login of every service asks it
_CONFIRMED_FACTOR = select(s.second_factors.c.id).where(
    s.second_factors.c.account_id == bindparam("account_id"), s.second_factors.c.confirmed_at.is_not(None)
)


@dataclass(frozen=True)
class Owner:
    """Whose factor: an account (``account_id``) or an administrator (``admin_id``)."""

    column: str  # "account_id" | "admin_id"
    id: int
    label: str  # the address or administrator name, shown in the app
    issuer: str  # the name the app files it under
    throttle_key: str  # the login throttle's name for the owner: code failures count with passwords


@dataclass(frozen=True)
class Enrolment:
    """A pending authenticator: the secret to type in and the URI to scan (show both once)."""

    secret: str
    uri: str


@dataclass(frozen=True)
class FactorState:
    on: bool  # confirmed: sign-in asks for a code
    pending: bool  # enrolled, waiting for the first code
    confirmed_at: datetime | None
    recovery_left: int


@dataclass(frozen=True)
class Verified:
    kind: str  # "code" | "recovery"
    recovery_left: int


def recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def recovery_hash(code: str) -> str:
    """Case, spaces and dashes do not matter when a recovery code is typed."""
    text = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class SecondFactors:
    """The component (``store.second_factors``): finds owners and carries the clock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock: Callable[[], float] = time.time

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def for_account(self, account_id: int) -> SecondFactor:
        """The factor of an account (NotFound when the account does not exist)."""
        address = self.store.accounts.by_id(account_id).address
        return SecondFactor(
            self, Owner("account_id", account_id, address, address.rpartition("@")[2], address)
        )

    def for_admin(self, name: str) -> SecondFactor:
        """The factor of an administrator (NotFound when there is no such administrator)."""
        with self.store.db.read() as conn:
            aid = conn.execute(select(s.admins.c.id).where(s.admins.c.name == name)).scalar()
        if aid is None:
            raise NotFound(f"administrator {name!r} does not exist")
        owner = Owner("admin_id", int(aid), name, "Fieldpost WebAdmin", ADMIN_THROTTLE_PREFIX + name)
        return SecondFactor(self, owner)

    def account_has_factor(self, conn: Connection, account_id: int) -> bool:
        """True when the account turned two-step sign-in on (a confirmed factor), read in ``conn``."""
        return conn.execute(_CONFIRMED_FACTOR, {"account_id": account_id}).first() is not None


class SecondFactor:
    """One owner's factor (see the module docstring)."""

    def __init__(self, factors: SecondFactors, owner: Owner) -> None:
        self.factors = factors
        self.store = factors.store
        self.owner = owner

    def _row(self, conn: Connection) -> Any:
        t = s.second_factors
        return conn.execute(select(t).where(t.c[self.owner.column] == self.owner.id)).first()

    def state(self) -> FactorState:
        with self.store.db.read() as conn:
            row = self._row(conn)
            if row is None:
                return FactorState(False, False, None, 0)
            left = self._recovery_left(conn, row.id)
        on = row.confirmed_at is not None
        return FactorState(on, not on, as_utc(row.confirmed_at), left)

    def pending(self) -> Enrolment | None:
        """The authenticator waiting for its first code (to show its QR code again), or None."""
        with self.store.db.read() as conn:
            row = self._row(conn)
        if row is None or row.confirmed_at is not None:
            return None
        secret = self.store.secret_box.open(row.sealed_secret)
        return Enrolment(secret, totp.provisioning_uri(secret, self.owner.label, self.owner.issuer))

    def enrol(self) -> Enrolment:
        """A new pending authenticator (replacing a pending one).

        Raises:
            AlreadyExists: ``ALREADY_ON`` (a confirmed factor must be turned off first).
        """
        secret = totp.new_secret()
        sealed = self.store.secret_box.seal(secret)
        t = s.second_factors
        with self.store.db.write() as conn:
            row = self._row(conn)
            if row is not None and row.confirmed_at is not None:
                raise AlreadyExists(ALREADY_ON)
            if row is not None:
                conn.execute(delete(t).where(t.c.id == row.id))
            conn.execute(
                insert(t).values(
                    {
                        self.owner.column: self.owner.id,
                        "sealed_secret": sealed,
                        "created_at": self.factors.now(),
                        "confirmed_at": None,
                        "last_step": 0,
                    }
                )
            )
        return Enrolment(secret, totp.provisioning_uri(secret, self.owner.label, self.owner.issuer))

    def confirm(self, code: str) -> list[str]:
        """Turn the pending authenticator on with its first code; returns the recovery codes (once).

        Raises:
            NotFound: ``NOTHING_PENDING``.
            AlreadyExists: ``ALREADY_ON``.
            InvalidInput: ``WRONG_CODE``.
        """
        t = s.second_factors
        with self.store.db.read() as conn:
            row = self._row(conn)
        if row is None:
            raise NotFound(NOTHING_PENDING)
        if row.confirmed_at is not None:
            raise AlreadyExists(ALREADY_ON)
        step = totp.matching_step(self.store.secret_box.open(row.sealed_secret), code, self.factors.clock())
        if step is None:
            raise InvalidInput(WRONG_CODE)
        codes = [recovery_code() for _ in range(RECOVERY_CODES)]
        with self.store.db.write() as conn:
            done = conn.execute(
                update(t)
                .where(t.c.id == row.id, t.c.confirmed_at.is_(None))
                .values(confirmed_at=self.factors.now(), last_step=step)
            ).rowcount
            if not done:
                raise AlreadyExists(ALREADY_ON)
            self._store_recovery(conn, row.id, codes)
            # Sessions and login caches made with the password alone end: what was signed in before
            # (perhaps by whoever made the user turn this on) must now show the second factor too.
            owners = s.accounts if self.owner.column == "account_id" else s.admins
            conn.execute(
                update(owners)
                .where(owners.c.id == self.owner.id)
                .values(password_generation=owners.c.password_generation + 1)
            )
        return codes

    def verify(self, code: str, *, ip: str | None = None) -> Verified:
        """Check a sign-in's second step: a current code or an unused recovery code.

        Raises:
            Throttled: too many recent failures for this name or address.
            AuthFailed: ``WRONG_CODE`` (also when the factor is not on: nothing to check against).
        """
        throttle = self.store.auth.throttle
        seen = throttle.check(self.owner.throttle_key, ip)
        if seen.retry_after > 0:
            raise Throttled("too many failed attempts; try again later", seen.retry_after)
        kind = self._use(code)
        if kind is None:
            throttle.record_failure(self.owner.throttle_key, ip)
            raise AuthFailed(WRONG_CODE)
        throttle.record_success(self.owner.throttle_key, ip, seen=seen)
        return Verified(kind, self.state().recovery_left)

    def _use(self, code: str) -> str | None:
        t = s.second_factors
        with self.store.db.read() as conn:
            row = self._row(conn)
        if row is None or row.confirmed_at is None:
            return None
        if totp.looks_like_code(code):
            secret = self.store.secret_box.open(row.sealed_secret)
            step = totp.matching_step(secret, code, self.factors.clock(), after=int(row.last_step))
            if step is None:
                return None
            with self.store.db.write() as conn:
                # another process may have taken this step meanwhile: only a later step wins
                taken = conn.execute(
                    update(t).where(t.c.id == row.id, t.c.last_step < step).values(last_step=step)
                ).rowcount
            return "code" if taken else None
        r = s.recovery_codes
        with self.store.db.write() as conn:
            used = conn.execute(
                update(r)
                .where(r.c.factor_id == row.id, r.c.code_hash == recovery_hash(code), r.c.used_at.is_(None))
                .values(used_at=self.factors.now())
            ).rowcount
        return "recovery" if used else None

    def new_recovery_codes(self, code: str, *, ip: str | None = None) -> list[str]:
        """Replace every recovery code (used or not) with ten new ones; needs a current code."""
        self.verify(code, ip=ip)
        codes = [recovery_code() for _ in range(RECOVERY_CODES)]
        with self.store.db.write() as conn:
            row = self._row(conn)
            if row is None:
                raise NotFound(NOT_ON)
            conn.execute(delete(s.recovery_codes).where(s.recovery_codes.c.factor_id == row.id))
            self._store_recovery(conn, row.id, codes)
        return codes

    def disable(self, code: str, *, ip: str | None = None) -> None:
        """Turn two-step sign-in off with a current code or a recovery code (app passwords go too).

        Raises:
            NotFound: ``NOT_ON``; Throttled / AuthFailed as ``verify``.
        """
        if not self.state().on:
            raise NotFound(NOT_ON)
        self.verify(code, ip=ip)
        self.reset()

    def reset(self) -> bool:
        """Remove the factor (pending or on), its recovery codes and the account's app passwords, without
        asking for a code. Only for an administrator's reset (callers check the scope). True if one went."""
        with self.store.db.write() as conn:
            gone = conn.execute(
                delete(s.second_factors).where(s.second_factors.c[self.owner.column] == self.owner.id)
            ).rowcount
            if self.owner.column == "account_id":
                conn.execute(delete(s.app_passwords).where(s.app_passwords.c.account_id == self.owner.id))
        return bool(gone)

    def _store_recovery(self, conn: Connection, factor_id: int, codes: list[str]) -> None:
        conn.execute(
            insert(s.recovery_codes),
            [{"factor_id": factor_id, "code_hash": recovery_hash(c), "used_at": None} for c in codes],
        )

    def _recovery_left(self, conn: Connection, factor_id: int) -> int:
        r = s.recovery_codes
        return int(
            conn.execute(
                select(func.count()).where(r.c.factor_id == factor_id, r.c.used_at.is_(None))
            ).scalar_one()
        )
