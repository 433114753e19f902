"""Brute-force throttling of failed logins, kept in the database so it holds across services and processes.

A failure counts against the login name and against the client address (IPv6 clients per /64), and the
state lives in ``login_failures``: five failures on SMTP AUTH slow down the next IMAP LOGIN of the same
account, whichever process answers it, and a restart forgets nothing.

Policy (unchanged from the per-process throttle it replaces, same settings): after ``free_failures``
failures within the window, each further failure doubles the wait, ``base_delay * 2**(n - free - 1)``
seconds after the last failure, capped at ``max_delay``; ``lock_after`` failures within the window lock
the name (or address) for ``window`` seconds, and each failure while locked extends the lock. Only
failures are counted; a success clears the name's row (not the address's: one valid account must not
whitewash an address that guesses passwords for others).

Implementation notes:

* One row per (kind, subject): ``failures`` counts the failures since ``window_start``; the window is
  anchored at the first failure and starts over at the first failure after it ended, so every failure is
  forgotten at most ``window`` seconds after it happened (the per-process throttle kept every timestamp;
  a count is what fits one row).
* A login attempt costs one read (both rows by primary key, ``check``); a failure costs one statement (a
  two-row upsert whose ``ON CONFLICT`` arithmetic runs in the database, so concurrent failures in several
  processes are all counted); a success writes only when the name had failures.
* Stale rows (past ``expires_at`` and not locked) are deleted by ``prune``: hourly by the processing
  service, and by ``record_failure`` in a transaction of its own at most once per window per process,
  so the table stays bounded by the failures of about one window.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, DateTime, and_, bindparam, case, delete, false, func, literal, or_, select
from sqlalchemy.exc import DBAPIError

from storage import dialect
from storage import schema as s
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

ACCOUNT, CLIENT = "account", "client"  # values of login_failures.kind
MAX_SUBJECT = 255  # longer login names are stored as "sha256:<hex>"


@dataclass(frozen=True)
class ThrottlePolicy:
    """The throttle's parameters (settings ``auth.free_failures``, ``auth.base_delay_seconds``,
    ``auth.max_delay_seconds``, ``auth.failure_window_seconds``, ``auth.lockout_failures``).

    Raises:
        ValueError: a parameter is out of range.
    """

    free_failures: int = 3
    base_delay: float = 1.0
    max_delay: float = 60.0
    window: float = 15 * 60.0
    lock_after: int = 20  # 0: never lock

    def __post_init__(self) -> None:
        if self.free_failures < 0 or self.lock_after < 0:
            raise ValueError("free_failures and lock_after must not be negative")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")
        if self.window <= 0:
            raise ValueError("window must be positive")

    def backoff(self, failures: int) -> float:
        """The wait after the last of ``failures`` failures within the window (0.0 within the allowance)."""
        excess = failures - self.free_failures
        if excess <= 0:
            return 0.0
        return min(float(self.max_delay), self.base_delay * 2.0 ** min(excess - 1, 62))


@dataclass(frozen=True)
class ThrottleCheck:
    """What ``check`` found: seconds to refuse for (0.0: go ahead) and whether the name has failures
    on record (a success then clears them)."""

    retry_after: float
    locked: bool
    name_has_failures: bool


def account_key(account: str) -> str:
    """Logins are case-insensitive: varying the case must not buy an attacker a fresh allowance."""
    key = account.strip().casefold()
    if len(key) > MAX_SUBJECT:
        return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def client_key(ip: str) -> str:
    """Normalise an address; IPv6 clients are counted per /64 since one host usually owns a whole /64."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return account_key(ip)  # not an address (a test transport, a socket path): counted as given
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def _subjects(account: str | None, ip: str | None) -> list[tuple[str, str]]:
    found = []
    if account is not None:
        found.append((ACCOUNT, account_key(account)))
    if ip is not None:
        found.append((CLIENT, client_key(ip)))
    return found


_CHECKS: dict[int, Any] = {}  # built once per number of subjects (1 or 2): every login runs one


def _check_statement(subjects: int) -> Any:
    found = _CHECKS.get(subjects)
    if found is None:
        t = s.login_failures
        found = select(t.c.kind, t.c.failures, t.c.window_start, t.c.last_failure, t.c.locked_until).where(
            or_(
                *(
                    and_(t.c.kind == bindparam(f"k{i}"), t.c.subject == bindparam(f"s{i}"))
                    for i in range(subjects)
                )
            )
        )
        _CHECKS[subjects] = found
    return found


class LoginThrottle:
    def __init__(self, store: Store, policy: ThrottlePolicy) -> None:
        self.store = store
        self.policy = policy
        self._last_prune: datetime | None = None

    def check(self, account: str | None, ip: str | None, *, now: datetime | None = None) -> ThrottleCheck:
        """One indexed read: how long a login for ``account`` from ``ip`` must still be refused.

        While locked, ``retry_after`` is the remaining lock time: callers refuse outright rather than
        hold a connection that long.
        """
        with self.store.db.read() as conn:
            return self.check_in(conn, account, ip, now=now)

    def check_in(
        self, conn: Connection, account: str | None, ip: str | None, *, now: datetime | None = None
    ) -> ThrottleCheck:
        """``check`` inside the caller's transaction (a login reads the throttle and the account in one)."""
        subjects = _subjects(account, ip)
        if not subjects:
            return ThrottleCheck(0.0, False, False)
        when = as_utc(now) or utcnow()
        params: dict[str, str] = {}
        for i, (kind, subject) in enumerate(subjects):
            params[f"k{i}"], params[f"s{i}"] = kind, subject
        rows = conn.execute(_check_statement(len(subjects)), params).all()
        wait, locked, name_failed = 0.0, False, False
        for row in rows:
            name_failed = name_failed or row.kind == ACCOUNT
            locked_until = as_utc(row.locked_until)
            if locked_until is not None and locked_until > when:
                locked = True
                wait = max(wait, (locked_until - when).total_seconds())
                continue
            window_start, last_failure = as_utc(row.window_start), as_utc(row.last_failure)
            assert window_start is not None and last_failure is not None
            if window_start <= when - timedelta(seconds=self.policy.window):
                continue  # the window is over: its failures are forgotten
            backoff = self.policy.backoff(row.failures)
            wait = max(wait, (last_failure - when).total_seconds() + backoff)
        return ThrottleCheck(max(0.0, wait), locked, name_failed)

    def retry_after(self, account: str | None, ip: str | None, *, now: datetime | None = None) -> float:
        """Seconds to refuse a login for (0.0: go ahead); see ``check``."""
        return self.check(account, ip, now=now).retry_after

    def record_failure(self, account: str | None, ip: str | None, *, now: datetime | None = None) -> None:
        """Count one failed login for the name and the client address (either may be None)."""
        subjects = _subjects(account, ip)
        if not subjects:
            return
        when = as_utc(now) or utcnow()
        window = timedelta(seconds=self.policy.window)
        lock_end = when + window
        t = s.login_failures
        at = literal(when, DateTime(timezone=True))
        ended = t.c.window_start <= literal(when - window, DateTime(timezone=True))
        count = case((ended, 1), else_=t.c.failures + 1)
        lock_after = self.policy.lock_after
        locking: Any = or_(count >= lock_after, t.c.locked_until > at) if lock_after else false()
        first_lock = lock_end if lock_after == 1 else None
        with self.store.db.write() as conn:
            stmt = dialect.insert(conn, t).values(
                [
                    {
                        "kind": kind,
                        "subject": subject,
                        "failures": 1,
                        "window_start": when,
                        "last_failure": when,
                        "locked_until": first_lock,
                        "expires_at": lock_end,
                    }
                    for kind, subject in subjects
                ]
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[t.c.kind, t.c.subject],
                    set_={
                        "failures": count,
                        "window_start": case((ended, at), else_=t.c.window_start),
                        "last_failure": at,
                        "locked_until": case(
                            (locking, literal(lock_end, DateTime(timezone=True))), else_=t.c.locked_until
                        ),
                        "expires_at": stmt.excluded.expires_at,
                    },
                )
            )
        if self._last_prune is None or self._last_prune <= when - window:
            self._last_prune = when
            # Housekeeping in a transaction of its own: a prune that loses a lock race (PostgreSQL may
            # pick it as a deadlock victim against another process's upsert) must not fail the login
            # that was counted; the next window's first failure tries again.
            with contextlib.suppress(DBAPIError):
                self.prune(now=when)

    def record_success(
        self, account: str | None, ip: str | None, *, seen: ThrottleCheck | None = None
    ) -> None:
        """Clear the name's failures (and lock); the address keeps its count. With ``seen`` (the
        ``check`` made before this login) nothing is written when the name had no failures."""
        del ip  # the address keeps its count, see the module docstring
        if account is None or (seen is not None and not seen.name_has_failures):
            return
        t = s.login_failures
        with self.store.db.write() as conn:
            conn.execute(delete(t).where(t.c.kind == ACCOUNT, t.c.subject == account_key(account)))

    def prune(self, *, now: datetime | None = None) -> int:
        """Delete rows whose failures are all forgotten and whose lock is over; returns how many went."""
        when = as_utc(now) or utcnow()
        t = s.login_failures
        with self.store.db.write() as conn:
            gone = conn.execute(
                delete(t).where(
                    t.c.expires_at <= when, or_(t.c.locked_until.is_(None), t.c.locked_until <= when)
                )
            ).rowcount
        return int(gone)

    def count(self) -> int:
        """Rows on record (live or not yet pruned)."""
        with self.store.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(s.login_failures)).scalar_one())
