"""Greylisting state: the (client network, sender, recipient) triplets seen, and the client networks
that passed often enough to skip greylisting. ``filters.checks.greylist`` decides what to do with it;
this module is the only place that reads or writes these tables.

Implementation notes:

* A triplet is kept as the SHA-256 (hex) of ``network|sender|recipient`` (lower-cased): fixed width for
  the primary key, and the table holds no address in clear.
* Life of a triplet row: created at the first attempt with ``first_seen = last_seen = now`` and no
  ``passed_at`` (pending). A retry at least ``delay`` later, and within ``retry_window`` of the first
  attempt, sets ``passed_at`` (it passed); from then on every use moves ``last_seen``, and the row lives
  until ``pass_ttl`` after its last use. A pending row never moves ``last_seen``, so both kinds of
  expiry are one range test on the indexed ``last_seen`` column (``prune``).
* A stale row (pending past the window, or passed but unused past ``pass_ttl``) met by ``check`` starts
  over as a first attempt: the same answer ``prune`` would have led to, without waiting for it.
* Each triplet that passes adds one to its client network's ``passes`` in ``greylist_clients`` and
  moves the row's ``expires_at`` to ``whitelist_ttl`` from now; a network with at least
  ``auto_whitelist_passes`` skips greylisting (``whitelisted``) until then, every use extending it.
* ``check`` is one write transaction. Two processes meeting the same new triplet at once both answer
  "new" (the insert is ``ON CONFLICT DO NOTHING``); PostgreSQL locks an existing row (``FOR UPDATE``) so
  its passing is counted once; SQLite's write transactions are serial already.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update

from storage import dialect
from storage import schema as s
from storage.errors import InvalidInput
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

MAX_CLIENT_LENGTH = 64  # the width of greylist_clients.client: "2001:db8:...::/64" fits easily

#: outcomes of ``Greylist.check``; the last three let the mail through
NEW, EARLY, PASSED, KNOWN, WHITELISTED = "new", "early", "passed", "known", "whitelisted"


@dataclass(frozen=True)
class GreylistPolicy:
    delay: timedelta = timedelta(minutes=5)
    retry_window: timedelta = timedelta(days=1)
    pass_ttl: timedelta = timedelta(days=35)
    auto_whitelist_passes: int = 5  # 0: never whitelist a client network
    whitelist_ttl: timedelta = timedelta(days=35)


@dataclass(frozen=True)
class GreylistAnswer:
    outcome: str
    retry_at: datetime | None = None  # NEW and EARLY: when a retry will be accepted

    @property
    def accepted(self) -> bool:
        return self.outcome in (PASSED, KNOWN, WHITELISTED)


@dataclass(frozen=True)
class GreylistStats:
    pending: int
    passed: int
    clients: int  # client networks with at least one pass remembered
    whitelisted: int  # ... of which enough passes to skip greylisting


def triplet_key(client: str, sender: str, recipient: str) -> str:
    """The stored key of a triplet (SHA-256 hex of the lower-cased parts)."""
    text = f"{client.lower()}|{sender.strip().lower()}|{recipient.strip().lower()}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _client_key(client: str) -> str:
    client = client.strip().lower()
    if not client or len(client) > MAX_CLIENT_LENGTH:
        raise InvalidInput(f"greylist client network must be 1 to {MAX_CLIENT_LENGTH} characters: {client!r}")
    return client


class Greylist:
    def __init__(self, store: Store) -> None:
        self.store = store

    def check(
        self,
        client: str,
        sender: str,
        recipient: str,
        policy: GreylistPolicy,
        *,
        now: datetime | None = None,
    ) -> GreylistAnswer:
        """Record an attempt of the triplet and say whether it may pass.

        Args:
            client: the client's network as the caller groups addresses ("192.0.2.0/24").
            sender: the envelope sender ("" for the null sender).
            recipient: one envelope recipient.
            policy: the delays and lifetimes (``filters.checks.greylist`` builds it from settings).
            now: the current time (tests inject a clock); default the real UTC time.

        Raises:
            InvalidInput: an empty or over-long client network.
        """
        when = as_utc(now) or utcnow()
        net = _client_key(client)
        key = triplet_key(net, sender, recipient)
        t, c = s.greylist_triplets, s.greylist_clients
        with self.store.db.write() as conn:
            if policy.auto_whitelist_passes > 0 and self._whitelisted(conn, net, policy, when):
                return GreylistAnswer(WHITELISTED)
            query = select(t.c.first_seen, t.c.passed_at, t.c.last_seen).where(t.c.triplet == key)
            row = conn.execute(dialect.lock_rows(conn, query)).first()
            if row is None:
                conn.execute(
                    dialect.insert(conn, t)
                    .values(triplet=key, first_seen=when, passed_at=None, last_seen=when)
                    .on_conflict_do_nothing(index_elements=[t.c.triplet])
                )
                return GreylistAnswer(NEW, when + policy.delay)
            first_seen, passed_at, last_seen = (
                as_utc(row.first_seen),
                as_utc(row.passed_at),
                as_utc(row.last_seen),
            )
            assert first_seen is not None and last_seen is not None
            stale = (passed_at is None and first_seen <= when - policy.retry_window) or (
                passed_at is not None and last_seen <= when - policy.pass_ttl
            )
            if stale:
                conn.execute(
                    update(t)
                    .where(t.c.triplet == key)
                    .values(first_seen=when, passed_at=None, last_seen=when)
                )
                return GreylistAnswer(NEW, when + policy.delay)
            if passed_at is not None:
                conn.execute(update(t).where(t.c.triplet == key).values(last_seen=when))
                conn.execute(
                    update(c).where(c.c.client == net).values(expires_at=when + policy.whitelist_ttl)
                )
                return GreylistAnswer(KNOWN)
            if when < first_seen + policy.delay:
                return GreylistAnswer(EARLY, first_seen + policy.delay)
            conn.execute(update(t).where(t.c.triplet == key).values(passed_at=when, last_seen=when))
            self._count_pass(conn, net, when, when + policy.whitelist_ttl)
            return GreylistAnswer(PASSED)

    def _whitelisted(self, conn: Connection, net: str, policy: GreylistPolicy, when: datetime) -> bool:
        c = s.greylist_clients
        row = conn.execute(select(c.c.passes, c.c.expires_at).where(c.c.client == net)).first()
        if (
            row is None
            or row.passes < policy.auto_whitelist_passes
            or (as_utc(row.expires_at) or when) <= when
        ):
            return False
        conn.execute(update(c).where(c.c.client == net).values(expires_at=when + policy.whitelist_ttl))
        return True

    def _count_pass(self, conn: Connection, net: str, when: datetime, expires_at: datetime) -> None:
        c = s.greylist_clients
        conn.execute(delete(c).where(c.c.client == net, c.c.expires_at <= when))  # expired: count afresh
        stmt = dialect.insert(conn, c).values(client=net, passes=1, expires_at=expires_at)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.c.client],
                set_={"passes": c.c.passes + 1, "expires_at": stmt.excluded.expires_at},
            )
        )

    def prune(self, policy: GreylistPolicy, *, now: datetime | None = None) -> int:
        """Delete expired triplets and client rows; returns how many rows went. The processing service
        calls it periodically; ``check`` does not depend on it (it treats stale rows as new)."""
        when = as_utc(now) or utcnow()
        t, c = s.greylist_triplets, s.greylist_clients
        with self.store.db.write() as conn:
            gone = conn.execute(
                delete(t).where(
                    or_(
                        and_(t.c.passed_at.is_(None), t.c.last_seen <= when - policy.retry_window),
                        and_(t.c.passed_at.is_not(None), t.c.last_seen <= when - policy.pass_ttl),
                    )
                )
            ).rowcount
            gone += conn.execute(delete(c).where(c.c.expires_at <= when)).rowcount
        return int(gone)

    def stats(self, policy: GreylistPolicy, *, now: datetime | None = None) -> GreylistStats:
        """Counts of live rows (expired ones that ``prune`` has not removed yet are left out)."""
        when = as_utc(now) or utcnow()
        t, c = s.greylist_triplets, s.greylist_clients
        with self.store.db.read() as conn:

            def count(table: Any, *where: Any) -> int:
                return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

            live_clients = c.c.expires_at > when
            return GreylistStats(
                pending=count(t, t.c.passed_at.is_(None), t.c.first_seen > when - policy.retry_window),
                passed=count(t, t.c.passed_at.is_not(None), t.c.last_seen > when - policy.pass_ttl),
                clients=count(c, live_clients),
                whitelisted=count(c, live_clients, c.c.passes >= max(1, policy.auto_whitelist_passes))
                if policy.auto_whitelist_passes
                else 0,
            )

    def clear(self) -> int:
        """Forget every triplet and client network (after a policy change, say); returns rows deleted."""
        with self.store.db.write() as conn:
            gone = conn.execute(delete(s.greylist_triplets)).rowcount
            gone += conn.execute(delete(s.greylist_clients)).rowcount
        return int(gone)
