"""Login verification for every protocol: one place for passwords, the cache, throttling and switches.

Implementation notes:

* Order of checks: throttle (refuse before any work), then the cache, then argon2 (slow, ~50 ms), then
  the account and service switches. The throttle, the account, its switches and its second factor are
  read in one transaction before the password is checked (they were four, and a new IMAP session's
  LOGIN paid for each). Failures are never cached; every failure is recorded against both
  the account name and the client address.
* Unknown users cost the same argon2 work as known ones, and every refusal raises the same AuthFailed,
  so neither timing nor the reply tells whether an account exists.
* Two-step sign-in (storage/second_factor.py): for an account with a confirmed factor, every service but
  WebMail (which asks for the code itself) takes only app passwords (storage/app_passwords.py). The
  account password is then refused with ``AppPasswordRequired`` -- told apart from a wrong password so
  that the user learns what to do; it is still counted as a failure -- and SCRAM-SHA-256 and CRAM-MD5
  get no key material for the account (they cannot carry an app password), so only PLAIN and LOGIN work.
* The throttle's state is in the database (storage/throttle.py), shared by every service and process and
  kept across restarts: one read per attempt, one write per failure. The cache lives in this process
  only; the password generation read from the database with the hash makes a password change elsewhere
  invalidate this process's cache entry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, select

from storage import app_passwords, passwords
from storage import schema as s
from storage.authcache import AuthCache
from storage.errors import AppPasswordRequired, AuthFailed, InvalidInput, NotFound, Throttled
from storage.models import Account
from storage.names import split_address
from storage.throttle import LoginThrottle, ThrottlePolicy

if TYPE_CHECKING:
    from storage.store import Store

SERVICES = ("imap", "pop3", "smtp", "webmail", "dav", "jmap")
#: The one service that takes the account password of an account with two-step sign-in (and then asks
#: for the code); any other service, or none named, takes app passwords only.
SECOND_STEP_SERVICE = "webmail"
USE_APP_PASSWORD = (
    "this account uses two-step sign-in: mail programs sign in with an app password (WebMail settings)"
)
THROTTLE_SETTINGS = (
    "auth.free_failures",
    "auth.base_delay_seconds",
    "auth.max_delay_seconds",
    "auth.failure_window_seconds",
    "auth.lockout_failures",
)


def throttle_policy(values: dict[str, Any]) -> ThrottlePolicy:
    """The throttle policy from the ``auth.*`` settings (read when the process opens its store)."""
    base, top = float(values["auth.base_delay_seconds"]), float(values["auth.max_delay_seconds"])
    return ThrottlePolicy(
        free_failures=int(values["auth.free_failures"]),
        base_delay=min(base, top),  # a base above the cap would be refused; the cap wins
        max_delay=top,
        window=float(values["auth.failure_window_seconds"]),
        lock_after=int(values["auth.lockout_failures"]),
    )


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so a refusal costs the same either way.
    Made on first use, not at import: it costs one argon2 run."""
    return passwords.hash_password("fieldpost-timing-equaliser")


# Built once (every login runs it; building cost more than running)
_PASSWORD_ROW = (
    select(
        s.accounts.c.password_hash,
        s.accounts.c.password_generation,
        s.accounts.c.enabled,
        s.domains.c.enabled.label("domain_enabled"),
    )
    .join(s.domains, s.domains.c.id == s.accounts.c.domain_id)
    .where(s.accounts.c.id == bindparam("account_id"))
)


@dataclass(frozen=True)
class _LoginRead:
    """What a login reads before the password check, in one transaction."""

    account_id: int | None  # None: no such login name
    row: Any  # the password columns and the switches, or None
    app_only: bool  # two-step sign-in: only app passwords on this service
    account: Account | None  # loaded only when the account and its domain are enabled
    service_on: bool  # the service switch for the account (False when not loaded)


class Auth:
    def __init__(self, store: Store) -> None:
        self.store = store
        with store.db.read() as conn:
            values = store.settings_many(conn, [*THROTTLE_SETTINGS, "auth.cache_seconds"])
        self.cache = AuthCache(float(values["auth.cache_seconds"]))
        self.app_cache = AuthCache(float(values["auth.cache_seconds"]))  # keyed by app password row
        self.throttle = LoginThrottle(store, throttle_policy(values))

    def forget(self, account_id: int) -> None:
        self.cache.forget(account_id)

    def verify(
        self, address: str, password: str, *, ip: str | None = None, service: str | None = None
    ) -> Account:
        """Check a login; returns the account or raises AuthFailed / Throttled.

        Raises:
            Throttled: too many recent failures for this name or address (``retry_after`` seconds).
            AppPasswordRequired: the account password of an account with two-step sign-in, on a
                service other than WebMail.
            AuthFailed: wrong password, unknown or disabled account, or the service is switched off.
            InvalidInput: ``service`` is not one of ``SERVICES``.
        """
        if service is not None and service not in SERVICES:
            raise InvalidInput(f"unknown service {service!r}")
        name = address.strip().lower()
        with self.store.db.read() as conn:  # every read of a login in one transaction
            seen = self.throttle.check_in(conn, name, ip)
            if seen.retry_after > 0:
                raise Throttled("too many failed logins; try again later", seen.retry_after)
            found = self._read_login(conn, name, service)
        try:
            account = self._check_password(found, password, ip)
        except AuthFailed:
            self.throttle.record_failure(name, ip)
            raise
        if service is not None and not found.service_on:
            raise AuthFailed("authentication failed")
        self.throttle.record_success(name, ip, seen=seen)
        return account

    def verify_if_cached(
        self, address: str, password: str, *, ip: str | None = None, service: str | None = None
    ) -> Account | None:
        """``verify``'s success when it needs no argon2 run and writes nothing: this process's cache
        remembers the password for the account at its current password generation (compared in
        constant time, ``AuthCache.check``), the account and its domain are enabled, the service is on,
        the account takes its own password here (no two-step sign-in), and the name has no failed
        logins to clear. None in every other case, including a wrong password: the caller then runs
        ``verify``, which decides it as before (argon2, the throttle's writes). Reads only, so a gevent
        server may call it on its hub and keep its threads for the argon2 runs.

        Raises:
            InvalidInput: ``service`` is not one of ``SERVICES``.
        """
        if service is not None and service not in SERVICES:
            raise InvalidInput(f"unknown service {service!r}")
        name = address.strip().lower()
        with self.store.db.read() as conn:
            seen = self.throttle.check_in(conn, name, ip)
            if seen.retry_after > 0 or seen.name_has_failures:
                return None
            found = self._read_login(conn, name, service)
        aid, row, account = found.account_id, found.row, found.account
        if aid is None or row is None or row.password_hash is None or account is None:
            return None
        if found.app_only or not found.service_on:
            return None
        return account if self.cache.check(aid, password, row.password_generation) else None

    def _read_login(self, conn: Connection, name: str, service: str | None) -> _LoginRead:
        try:
            split_address(name)
            aid = self.store.accounts.id_of(conn, name, temporary=False)
        except (NotFound, InvalidInput):
            return _LoginRead(None, None, False, None, False)
        row = conn.execute(_PASSWORD_ROW, {"account_id": aid}).first()
        if row is None:
            return _LoginRead(aid, None, False, None, False)
        app_only = service != SECOND_STEP_SERVICE and self.store.second_factors.account_has_factor(conn, aid)
        if not (row.enabled and row.domain_enabled):
            return _LoginRead(aid, row, app_only, None, False)
        account = self.store.accounts.load(conn, aid)
        service_on = service is None or bool(
            self.store.settings_effective(conn, f"services.{service}", account_id=aid)
        )
        return _LoginRead(aid, row, app_only, account, service_on)

    def _check_password(self, found: _LoginRead, password: str, ip: str | None) -> Account:
        aid, row, account = found.account_id, found.row, found.account
        if (
            found.app_only
            and aid is not None
            and account is not None
            and app_passwords.match(self.store, self.app_cache, aid, password, ip) is not None
        ):
            return account
        if aid is None or row is None or row.password_hash is None:
            passwords.verify_password(dummy_hash(), password)
            raise AuthFailed("authentication failed")
        if not self.cache.check(aid, password, row.password_generation):
            if not passwords.verify_password(row.password_hash, password):
                raise AuthFailed("authentication failed")
            self.cache.remember(aid, password, row.password_generation)
        if account is None:  # the account or its domain is disabled
            raise AuthFailed("authentication failed")
        if found.app_only:
            raise AppPasswordRequired(USE_APP_PASSWORD)
        return account

    def service_enabled(self, account: Account, service: str) -> bool:
        if service not in SERVICES:
            raise InvalidInput(f"unknown service {service!r}")
        with self.store.db.read() as conn:
            return bool(self.store.settings_effective(conn, f"services.{service}", account_id=account.id))

    def scram_keys(self, address: str) -> passwords.ScramKeys | None:
        """SCRAM-SHA-256 material for a SASL exchange; None for unknown or password-less accounts."""
        with self.store.db.read() as conn:
            try:
                aid = self.store.accounts.id_of(conn, address, temporary=False)
            except (NotFound, InvalidInput):
                return None
            text = conn.execute(select(s.accounts.c.scram_keys).where(s.accounts.c.id == aid)).scalar()
            if text and self.store.second_factors.account_has_factor(conn, aid):
                return None  # SCRAM cannot carry an app password (see the module notes)
        return passwords.ScramKeys.from_text(text) if text else None

    def shared_secret(self, address: str) -> str | None:
        """The CRAM-MD5/APOP secret, only where the domain allowed storing it (``auth.allow_cram``)."""
        with self.store.db.read() as conn:
            try:
                aid = self.store.accounts.id_of(conn, address, temporary=False)
            except (NotFound, InvalidInput):
                return None
            sealed = conn.execute(select(s.accounts.c.sealed_secret).where(s.accounts.c.id == aid)).scalar()
            if sealed and self.store.second_factors.account_has_factor(conn, aid):
                return None  # the account password is not for mail programs any more
        return self.store.secret_box.open(sealed) if sealed else None
