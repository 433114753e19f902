"""Vacation reply tracking (RFC 5230 4.2): which sender an account already answered, and when.

Why apart from the scripts: it is per-delivery bookkeeping the Sieve ``vacation`` action asks for, not
script storage; ``store.scripts`` still offers it (``Scripts`` includes ``VacationReplies``).

``vacation_due`` is one upsert (``INSERT ... ON CONFLICT DO UPDATE ... WHERE last_sent <= cutoff
RETURNING``), so two processes answering the same sender at once send one reply between them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from storage import dialect
from storage import schema as s
from storage.errors import InvalidInput, NotFound
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

MAX_HANDLE_LENGTH = 256
MAX_SENDER_LENGTH = 320


class VacationReplies:
    """The replies sent per (account, handle, sender), kept to answer each sender once per period."""

    store: Store

    # -- vacation (RFC 5230 4.2 response tracking) ---------------------------------------------------

    def vacation_due(
        self, account_id: int, handle: str, sender: str, days: int, *, now: datetime | None = None
    ) -> bool:
        """Whether the account should answer ``sender`` now for ``handle``; if so, records the reply.

        Returns True (and records ``now``) when no reply for this handle went to this sender within the
        last ``days`` days, else False. Check and record are one statement, so concurrent deliveries
        send one reply between them.

        Args:
            account_id: the answering account.
            handle: the vacation :handle, or the caller's hash of reason, subject and from; one longer
                than 256 characters is stored as its SHA-256.
            sender: the address answered (compared case-insensitively).
            days: the period (the Sieve engine clamps :days; 0 answers every time).
            now: the current time (tests inject a clock); default the real UTC time.

        Raises:
            InvalidInput: negative days, empty or over-long sender.
            NotFound: no such account.
        """
        if days < 0:
            raise InvalidInput("vacation days cannot be negative")
        when = as_utc(now) or utcnow()
        key, who = _handle_key(handle), _sender_key(sender)
        v = s.vacation_replies
        with self.store.db.write() as conn:
            if conn.execute(select(s.accounts.c.id).where(s.accounts.c.id == account_id)).first() is None:
                raise NotFound("no such account")
            stmt = dialect.insert(conn, v).values(
                account_id=account_id, handle=key, sender=who, last_sent=when
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[v.c.account_id, v.c.handle, v.c.sender],
                set_={"last_sent": stmt.excluded.last_sent},
                where=v.c.last_sent <= when - timedelta(days=days),
            )
            return conn.execute(stmt.returning(v.c.account_id)).first() is not None

    def prune_vacation(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Forget replies sent longer than ``older_than`` ago (use at least the longest :days allowed);
        returns how many were forgotten."""
        cutoff = (as_utc(now) or utcnow()) - older_than
        with self.store.db.write() as conn:
            v = s.vacation_replies
            return int(conn.execute(delete(v).where(v.c.last_sent < cutoff)).rowcount)


def _handle_key(handle: str) -> str:
    if len(handle) <= MAX_HANDLE_LENGTH:
        return handle
    return "sha256:" + hashlib.sha256(handle.encode("utf-8", "surrogatepass")).hexdigest()


def _sender_key(sender: str) -> str:
    who = sender.strip().lower()
    if not who:
        raise InvalidInput("a vacation reply needs a sender address")
    if len(who) > MAX_SENDER_LENGTH:
        raise InvalidInput(f"sender address is longer than {MAX_SENDER_LENGTH} characters")
    return who
