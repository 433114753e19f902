"""App passwords: what mail programs sign in with once an account turned two-step sign-in on.

IMAP, POP3, SMTP and ManageSieve cannot ask for a code, so an account with a confirmed second factor
(storage/second_factor.py) refuses its own password there and takes one of these instead
(storage/auth.py); WebMail takes the account password and the code, never an app password. Reached as
``store.for_user(id).app_passwords``.

* Made by the server: 16 random lower-case letters (75 bits), shown once as four groups of four
  ("abcd efgh ijkl mnop"); spaces, dashes and case do not matter when typed.
* Kept like account passwords (argon2id, storage/passwords.py). ``password_hash`` holds
  ``<first four letters>:<argon2 hash>``: the four letters only pick which row to check, so a login costs
  one argon2 run however many app passwords the account has (they leave 56 unknown bits under argon2).
* Revoking deletes the row. Every login reads the rows again (storage is the truth; the in-process
  cache of storage/authcache.py is keyed by the row and consulted only after the row was found), so a
  revoked password stops at once in every process.
* Each successful use records when and from which address (written at most once a minute per password
  and address, so a client that reconnects all day does not write on every login).
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage import passwords
from storage import schema as s
from storage.authcache import AuthCache
from storage.errors import AlreadyExists, InvalidInput, NotFound
from storage.names import as_utc

if TYPE_CHECKING:
    from storage.store import Store

LENGTH: Final = 16
TAG_LENGTH: Final = 4
MAX_PER_ACCOUNT: Final = 20
MAX_NAME: Final = 64
NEEDS_FACTOR: Final = "turn on two-step sign-in first: app passwords are for accounts that use it"
RECORD_EVERY: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class AppPassword:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    last_used_from: str | None


@dataclass(frozen=True)
class NewAppPassword:
    """A password just made: ``password`` is shown to the user once and never again."""

    id: int
    name: str
    password: str


def new_password() -> str:
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(LENGTH))
    return " ".join(letters[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(text: str) -> str | None:
    """The 16 letters of a typed app password, or None when ``text`` cannot be one."""
    letters = "".join(text.split()).replace("-", "").lower()
    if len(letters) != LENGTH or not (letters.isascii() and letters.isalpha()):
        return None
    return letters


class AccountAppPasswords:
    """One account's app passwords (``store.for_user(id).app_passwords``)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    def list(self) -> list[AppPassword]:
        t = s.app_passwords
        with self.store.db.read() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.name, t.c.created_at, t.c.last_used_at, t.c.last_used_from)
                .where(t.c.account_id == self.account_id)
                .order_by(t.c.created_at, t.c.id)
            ).all()
        return [
            AppPassword(
                int(r.id),
                r.name,
                as_utc(r.created_at) or r.created_at,
                as_utc(r.last_used_at),
                r.last_used_from,
            )
            for r in rows
        ]

    def create(self, name: str) -> NewAppPassword:
        """A new app password named ``name`` (the program or device it is for).

        Raises:
            InvalidInput: an empty or too long name, ``NEEDS_FACTOR``, or ``MAX_PER_ACCOUNT`` reached.
            AlreadyExists: the account has an app password of that name.
        """
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise InvalidInput(f"give the app password a name of 1 to {MAX_NAME} characters")
        t = s.app_passwords
        with self.store.db.read() as conn:
            if not self.store.second_factors.account_has_factor(conn, self.account_id):
                raise InvalidInput(NEEDS_FACTOR)
            hashes = list(
                conn.execute(select(t.c.password_hash).where(t.c.account_id == self.account_id)).scalars()
            )
        if len(hashes) >= MAX_PER_ACCOUNT:
            raise InvalidInput(f"an account has at most {MAX_PER_ACCOUNT} app passwords; revoke one first")
        taken = {h.partition(":")[0] for h in hashes}
        shown = new_password()
        while (normalise(shown) or "")[:TAG_LENGTH] in taken:
            shown = new_password()
        letters = normalise(shown)
        assert letters is not None
        stored = f"{letters[:TAG_LENGTH]}:{passwords.hash_password(letters)}"
        now = self.store.second_factors.now()
        try:
            with self.store.db.write() as conn:
                new_id = conn.execute(
                    insert(t)
                    .values(account_id=self.account_id, name=name, password_hash=stored, created_at=now)
                    .returning(t.c.id)
                ).scalar_one()
        except IntegrityError:
            raise AlreadyExists(f"you already have an app password named {name!r}") from None
        return NewAppPassword(int(new_id), name, shown)

    def revoke(self, app_password_id: int) -> None:
        """Delete one; programs using it are refused from their next login on.

        Raises:
            NotFound: no such app password of this account.
        """
        t = s.app_passwords
        with self.store.db.write() as conn:
            gone = conn.execute(
                delete(t).where(t.c.id == app_password_id, t.c.account_id == self.account_id)
            ).rowcount
        if not gone:
            raise NotFound("no such app password")

    def count(self) -> int:
        t = s.app_passwords
        with self.store.db.read() as conn:
            return int(
                conn.execute(select(func.count()).where(t.c.account_id == self.account_id)).scalar_one()
            )


def match(store: Store, cache: AuthCache, account_id: int, candidate: str, ip: str | None) -> int | None:
    """The id of the account's app password that ``candidate`` is, recording its use; else None.

    One argon2 run at most (none when ``cache`` remembers this row and password)."""
    letters = normalise(candidate)
    if letters is None:
        return None
    t = s.app_passwords
    tag = letters[:TAG_LENGTH]
    with store.db.read() as conn:
        row = conn.execute(
            select(t.c.id, t.c.password_hash).where(
                t.c.account_id == account_id, t.c.password_hash.startswith(tag + ":", autoescape=True)
            )
        ).first()
    if row is None:
        return None
    app_id = int(row.id)
    # the row's own hash is the cache "generation": an id reused by a later row never matches an old entry
    generation = int.from_bytes(hashlib.sha256(row.password_hash.encode()).digest()[:8], "big")
    if not cache.check(app_id, letters, generation):
        if not passwords.verify_password(row.password_hash.partition(":")[2], letters):
            return None
        cache.remember(app_id, letters, generation)
    _record_use(store, app_id, ip)
    return app_id


def _record_use(store: Store, app_id: int, ip: str | None) -> None:
    now = store.second_factors.now()
    source = (ip or "")[:64] or None
    t = s.app_passwords
    with store.db.write() as conn:
        conn.execute(
            update(t)
            .where(
                t.c.id == app_id,
                or_(
                    t.c.last_used_at.is_(None),
                    t.c.last_used_at < now - RECORD_EVERY,
                    t.c.last_used_from.is_not(None)
                    if source is None
                    else or_(t.c.last_used_from.is_(None), t.c.last_used_from != source),
                ),
            )
            .values(last_used_at=now, last_used_from=source)
        )
