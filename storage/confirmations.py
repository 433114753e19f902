"""Identity confirmation state: which senders each account has confirmed, and the pending challenges.

One row per (account, sender): ``pending`` while a challenge is out (the row carries the code the sender
must send back, and ``updated_at`` is when the last challenge went), ``confirmed`` once the sender
answered or the account vouched for the sender. The filter engine (``filters.identity``) decides when to
ask; this module only keeps the record, so every SMTP and processing process sees the same state.

Implementation notes:

* ``challenge_due`` is one upsert (``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the row is pending and
  its last challenge is older than the interval ``RETURNING token``): two deliveries from the same unknown
  sender racing in two processes send one challenge between them, the same trick as
  ``storage.vacation`` (``store.scripts.vacation_due``).
* Codes are 32 hex characters from ``secrets`` (128 bits): guessing one is not a way in. A row keeps its
  code when it becomes confirmed, so a second answer to the same challenge is harmless.
* Senders are kept lower-cased (at most 320 characters, RFC 5321 4.5.3.1 local part plus domain).
"""

from __future__ import annotations

import builtins
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, and_, delete, select, update

from storage import dialect
from storage import schema as s
from storage.errors import InvalidInput, NotFound
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

PENDING: Final = "pending"
CONFIRMED: Final = "confirmed"
STATES: Final = (PENDING, CONFIRMED)
MAX_SENDER_LENGTH: Final = 320
TOKEN_RE: Final = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Confirmation:
    account_id: int
    sender: str
    state: str  # PENDING or CONFIRMED
    token: str
    created_at: datetime
    updated_at: datetime  # pending: when the last challenge went; confirmed: when it was confirmed


def sender_key(sender: str) -> str:
    """The stored form of a sender address.

    Raises:
        InvalidInput: empty, without "@", or longer than 320 characters.
    """
    if not isinstance(sender, str):
        raise InvalidInput(f"a sender must be text, not {type(sender).__name__}")
    who = sender.strip().lower()
    if "@" not in who or who.startswith("@") or who.endswith("@"):
        raise InvalidInput(f"{sender!r} is not a sender address")
    if len(who) > MAX_SENDER_LENGTH:
        raise InvalidInput(f"sender address is longer than {MAX_SENDER_LENGTH} characters")
    return who


def new_token() -> str:
    return secrets.token_hex(16)


def _row(row: Any) -> Confirmation:
    return Confirmation(
        account_id=int(row.account_id),
        sender=row.sender,
        state=row.state,
        token=row.token,
        created_at=as_utc(row.created_at) or utcnow(),
        updated_at=as_utc(row.updated_at) or utcnow(),
    )


class Confirmations:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _require_account(self, conn: Connection, account_id: int) -> None:
        if conn.execute(select(s.accounts.c.id).where(s.accounts.c.id == account_id)).first() is None:
            raise NotFound("no such account")

    def get(self, account_id: int, sender: str) -> Confirmation | None:
        """The account's record of ``sender``, or None when it never wrote.

        Raises:
            InvalidInput: not a sender address.
        """
        who = sender_key(sender)
        t = s.sender_confirmations
        with self.store.db.read() as conn:
            row = conn.execute(select(t).where(t.c.account_id == account_id, t.c.sender == who)).first()
        return None if row is None else _row(row)

    def is_confirmed(self, account_id: int, sender: str) -> bool:
        """Whether the account has confirmed ``sender`` (an address that cannot be one is not)."""
        try:
            found = self.get(account_id, sender)
        except InvalidInput:
            return False
        return found is not None and found.state == CONFIRMED

    def challenge_due(
        self, account_id: int, sender: str, interval: timedelta, *, now: datetime | None = None
    ) -> str | None:
        """Record that ``sender`` is waiting for the account; the code to send when a challenge is due.

        Returns the code when the sender is new (a pending row is made) or pending and last challenged
        more than ``interval`` ago (the time is recorded); None when the sender is confirmed or was
        challenged within ``interval``. Check and record are one statement.

        Raises:
            InvalidInput: not a sender address, or a negative interval.
            NotFound: no such account.
        """
        if interval < timedelta(0):
            raise InvalidInput("the challenge interval cannot be negative")
        who = sender_key(sender)
        when = as_utc(now) or utcnow()
        t = s.sender_confirmations
        with self.store.db.write() as conn:
            self._require_account(conn, account_id)
            stmt = _upsert(
                conn,
                account_id,
                who,
                PENDING,
                when,
                changes={"updated_at": when},
                only_if=and_(t.c.state == PENDING, t.c.updated_at <= when - interval),
            )
            token = conn.execute(stmt.returning(t.c.token)).scalar()
        return None if token is None else str(token)

    def by_token(self, token: str) -> Confirmation:
        """The record holding a challenge code (pending or already confirmed).

        Raises:
            NotFound: no record holds this code (never issued, or expired and forgotten).
        """
        code = token.strip().lower() if isinstance(token, str) else ""
        if not TOKEN_RE.match(code):
            raise NotFound("no such confirmation code")
        t = s.sender_confirmations
        with self.store.db.read() as conn:
            row = conn.execute(select(t).where(t.c.token == code)).first()
        if row is None:
            raise NotFound("no such confirmation code")
        return _row(row)

    def confirm_token(self, token: str, *, now: datetime | None = None) -> Confirmation:
        """Mark the sender holding ``token`` confirmed (answering twice is harmless); returns the record.

        Raises:
            NotFound: no record holds this code.
        """
        found = self.by_token(token)
        if found.state == CONFIRMED:
            return found
        when = as_utc(now) or utcnow()
        t = s.sender_confirmations
        with self.store.db.write() as conn:
            conn.execute(update(t).where(t.c.token == found.token).values(state=CONFIRMED, updated_at=when))
            row = conn.execute(select(t).where(t.c.token == found.token)).first()
        if row is None:  # expired and pruned between the two statements
            raise NotFound("no such confirmation code")
        return _row(row)

    def confirm(self, account_id: int, sender: str, *, now: datetime | None = None) -> Confirmation:
        """Vouch for ``sender`` without a challenge (the account wrote to it, or an operator added it).

        Raises:
            InvalidInput: not a sender address.
            NotFound: no such account.
        """
        who = sender_key(sender)
        when = as_utc(now) or utcnow()
        t = s.sender_confirmations
        with self.store.db.write() as conn:
            self._require_account(conn, account_id)
            changes = {"state": CONFIRMED, "updated_at": when}
            conn.execute(
                _upsert(conn, account_id, who, CONFIRMED, when, changes=changes, only_if=t.c.state == PENDING)
            )
            row = conn.execute(select(t).where(t.c.account_id == account_id, t.c.sender == who)).one()
        return _row(row)

    def list(self, account_id: int, state: str | None = None) -> builtins.list[Confirmation]:
        """The account's records by sender; ``state`` limits them to PENDING or CONFIRMED.

        Raises:
            InvalidInput: an unknown state.
        """
        if state is not None and state not in STATES:
            raise InvalidInput(f"unknown confirmation state {state!r}; expected one of {', '.join(STATES)}")
        t = s.sender_confirmations
        q = select(t).where(t.c.account_id == account_id)
        if state is not None:
            q = q.where(t.c.state == state)
        with self.store.db.read() as conn:
            return [_row(r) for r in conn.execute(q.order_by(t.c.sender))]

    def forget(self, account_id: int, sender: str) -> bool:
        """Drop the account's record of ``sender`` (it becomes unknown again); whether there was one.

        Raises:
            InvalidInput: not a sender address.
        """
        who = sender_key(sender)
        t = s.sender_confirmations
        with self.store.db.write() as conn:
            gone = conn.execute(delete(t).where(t.c.account_id == account_id, t.c.sender == who)).rowcount
        return bool(gone)

    def expire_pending(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Forget pending records made more than ``older_than`` ago (their codes stop working); returns
        how many. Confirmed senders are never expired."""
        cutoff = (as_utc(now) or utcnow()) - older_than
        t = s.sender_confirmations
        with self.store.db.write() as conn:
            return int(conn.execute(delete(t).where(t.c.state == PENDING, t.c.created_at < cutoff)).rowcount)


def _upsert(
    conn: Connection,
    account_id: int,
    sender: str,
    state: str,
    when: datetime,
    *,
    changes: dict[str, Any],
    only_if: Any,
) -> Any:
    """Insert a record for (account, sender) in ``state``, or, when one exists and ``only_if`` holds for
    it, apply ``changes``: one statement, so two processes deciding at once cannot both act."""
    t = s.sender_confirmations
    stmt = dialect.insert(conn, t).values(
        account_id=account_id, sender=sender, state=state, token=new_token(), created_at=when, updated_at=when
    )
    return stmt.on_conflict_do_update(
        index_elements=[t.c.account_id, t.c.sender], set_=changes, where=only_if
    )
