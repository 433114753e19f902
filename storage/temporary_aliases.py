"""Temporary aliases: throw-away addresses a user makes for a while (a sign-up form, a one-off purchase).

Got from ``store.for_user(account_id).temporary_aliases``. A temporary alias is an ``addresses`` row of
kind ``alias`` whose ``expires_at`` is set (migration 0009); a permanent alias leaves it NULL.

Rules (docs/webmail-settings.md):

* in the account's own domain only; the local part is the user's choice or a random one
  (``tmp-`` and 10 letters and digits, about 51 bits, so it cannot be guessed from another);
* at most ``aliases.temporary_max`` live ones per account (0: the feature is off for the account), each
  living 1 to ``aliases.temporary_max_days`` days (the default is the maximum);
* until ``expires_at`` it receives like any alias; from then on every lookup (SMTP RCPT, processing,
  ``store.accounts.id_of``) treats it as absent, so mail to it is refused as to an unknown user, even
  before the sweep removes the row. ``store.accounts.remove_expired_aliases`` is the sweep; the processing
  service runs it hourly (sidecars/processing/schedule.py), and ``create`` clears an expired row that
  holds the name asked for.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import BindParameter, ColumnElement, Connection, and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, QuotaExceeded
from storage.names import as_utc, local_part, split_address, utcnow

if TYPE_CHECKING:
    from storage.store import Store

RANDOM_PREFIX: Final = "tmp-"
RANDOM_LENGTH: Final = 10
_ALPHABET: Final = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class TemporaryAlias:
    address: str
    expires_at: datetime


class TooManyAliases(QuotaExceeded):
    """The account already holds ``aliases.temporary_max`` live temporary aliases."""


def live(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """The SQL condition "this address row has not expired" (permanent rows never do); ``now`` may be a
    bound parameter, for a statement built once."""
    return or_(s.addresses.c.expires_at.is_(None), s.addresses.c.expires_at > now)


def random_local_part() -> str:
    return RANDOM_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(RANDOM_LENGTH))


class TemporaryAliases:
    """One account's temporary aliases (see the module notes)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    def _account(self, conn: Connection) -> tuple[int, str]:
        row = conn.execute(
            select(s.accounts.c.domain_id, s.domains.c.name)
            .join(s.domains, s.domains.c.id == s.accounts.c.domain_id)
            .where(s.accounts.c.id == self.account_id)
        ).first()
        if row is None:
            raise NotFound("no such account")
        return int(row.domain_id), str(row.name)

    def _mine(self, now: datetime) -> ColumnElement[bool]:
        a = s.addresses.c
        return and_(
            a.account_id == self.account_id, a.kind == "alias", a.expires_at.is_not(None), a.expires_at > now
        )

    def limits(self) -> tuple[int, int]:
        """(``aliases.temporary_max``, ``aliases.temporary_max_days``) in force for the account."""
        names = ("aliases.temporary_max", "aliases.temporary_max_days")
        values = self.store.settings.effective_many(names, account_id=self.account_id)
        return int(values[names[0]]), int(values[names[1]])

    def list(self, *, now: datetime | None = None) -> list[TemporaryAlias]:
        """The live temporary aliases, soonest to expire first.

        Raises:
            NotFound: the account no longer exists.
        """
        when = as_utc(now) or utcnow()
        a = s.addresses.c
        with self.store.db.read() as conn:
            _, domain = self._account(conn)
            rows = conn.execute(
                select(a.local_part, a.expires_at)
                .where(self._mine(when))
                .order_by(a.expires_at, a.local_part)
            ).all()
        return [TemporaryAlias(f"{r.local_part}@{domain}", as_utc(r.expires_at) or when) for r in rows]

    def create(
        self, local: str | None = None, *, days: int | None = None, now: datetime | None = None
    ) -> TemporaryAlias:
        """Make a temporary alias in the account's domain.

        Args:
            local: the local part wanted (no ``+``, which is for subaddresses); None for a random one.
            days: its life, 1 to ``aliases.temporary_max_days`` (default: that maximum).
            now: the current time (tests); default the real UTC time.

        Raises:
            PermissionDenied: the feature is off for the account (``aliases.temporary_max`` is 0).
            TooManyAliases: the account has ``aliases.temporary_max`` live ones.
            InvalidInput: a bad local part or number of days.
            AlreadyExists: the address is taken.
            NotFound: the account no longer exists.
        """
        when = as_utc(now) or utcnow()
        most, max_days = self.limits()
        if most == 0:
            raise PermissionDenied("temporary aliases are turned off for this account")
        life = max_days if days is None else int(days)
        if not 1 <= life <= max_days:
            raise InvalidInput(f"a temporary alias lives 1 to {max_days} days")
        wanted = None if local is None or not local.strip() else local_part(local)
        if wanted is not None and "+" in wanted:
            raise InvalidInput("a temporary alias cannot contain '+' (it marks subaddresses)")
        expires = when + timedelta(days=life)
        a = s.addresses.c
        with self.store.db.write() as conn:
            domain_id, domain = self._account(conn)
            count = conn.execute(
                select(func.count()).select_from(s.addresses).where(self._mine(when))
            ).scalar_one()
            if count >= most:
                raise TooManyAliases(f"at most {most} temporary aliases may be held at once")
            for _ in range(5):  # a random name taken by chance is drawn again
                lp = wanted or random_local_part()
                conn.execute(
                    delete(s.addresses).where(
                        a.domain_id == domain_id,
                        a.local_part == lp,
                        a.expires_at.is_not(None),
                        a.expires_at <= when,
                    )
                )
                taken = conn.execute(select(a.id).where(a.domain_id == domain_id, a.local_part == lp)).first()
                if taken is None:
                    break
                if wanted is not None:
                    raise AlreadyExists(f"{lp}@{domain} is already taken")
            else:  # pragma: no cover - 5 collisions in 36**10 names
                raise AlreadyExists("no free random name was found; try again")
            try:
                conn.execute(
                    insert(s.addresses).values(
                        domain_id=domain_id,
                        local_part=lp,
                        kind="alias",
                        account_id=self.account_id,
                        expires_at=expires,
                    )
                )
            except IntegrityError as exc:
                raise AlreadyExists(f"{lp}@{domain} is already taken") from exc
        return TemporaryAlias(f"{lp}@{domain}", expires)

    def delete(self, address: str) -> None:
        """Remove one of the account's temporary aliases at once (mail to it is refused from now on).

        Raises:
            InvalidInput: not an address.
            NotFound: not a temporary alias of this account (permanent aliases are the administrator's).
        """
        lp, dn = split_address(address)
        a = s.addresses.c
        with self.store.db.write() as conn:
            domain_id, _ = self._account(conn)
            try:
                in_domain = self.store.domains.id_of(conn, dn) == domain_id
            except NotFound:
                in_domain = False
            gone = 0
            if in_domain:
                gone = conn.execute(
                    delete(s.addresses).where(
                        a.account_id == self.account_id,
                        a.kind == "alias",
                        a.expires_at.is_not(None),
                        a.local_part == lp,
                    )
                ).rowcount
            if not gone:
                raise NotFound(f"{address} is not one of your temporary aliases")


def remove_expired(store: Store, *, now: datetime | None = None) -> int:
    """Delete every temporary alias whose time is over; returns how many (the sweep)."""
    when = as_utc(now) or utcnow()
    a = s.addresses.c
    with store.db.write() as conn:
        return int(
            conn.execute(delete(s.addresses).where(a.expires_at.is_not(None), a.expires_at <= when)).rowcount
        )
