"""What an account submitted through JMAP (RFC 8621 7 EmailSubmission), kept so a client can read it back.

Got from ``store.for_user(account_id).submissions``; only that account's records are reachable. The
message itself went into the queue (mailflow.submission); a record says which Email and Identity were
sent, with which envelope, when, and under which queue id, so the delivery status can be read from the
queue while the message is still there.

Why a table of its own (migration 0013): the queue forgets a message once it is delivered, but a JMAP
client asks for submissions (and their changes) afterwards.

Retention (docs/jmap.md): a record lives ``RETENTION`` after it was sent; then it becomes a tombstone
(reported as destroyed by /changes), as does a record the client destroys. Tombstones are removed for
good once the record is twice ``RETENTION`` old; the newest modseq removed becomes the account's
*horizon*, and a /changes from a state at or below it raises ``ChangesTooOld`` (the client refetches).
Expiry runs when the account records a submission or destroys one (one indexed delete per account).

State: every record has the account's next ``modseq`` when made and again when destroyed; the state
string of the account's submissions is the highest modseq (or the horizon, when nothing is left).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from storage import schema as s
from storage.errors import InvalidInput, NotFound, StorageError
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

RETENTION: Final = timedelta(days=30)
MAX_ENVELOPE_BYTES: Final = 64 * 1024  # the envelope JSON of one record (1,000 recipients fit)

#: A queued recipient's state as RFC 8621 7's ``delivered`` says it: still trying, done, refused.
_DONE = {"sent", "new-mail"}
_FAILED = {"relay-error", "local-error", "filter-reject", "filter-discard", "removed", "io-error"}


class ChangesTooOld(StorageError):
    """The state asked about is older than what is still kept (JMAP: cannotCalculateChanges)."""


@dataclass(frozen=True)
class Submission:
    """One record; ``delivery`` maps each queued recipient to its queue state while the message is still
    queued, and is None once it left the queue (delivered, bounced or removed)."""

    id: int
    identity_id: str
    email_id: str
    thread_id: str
    envelope: dict[str, Any]
    send_at: datetime
    queue_id: int | None
    delivery: dict[str, tuple[str, str | None]] | None  # address -> (queue state, last error)

    @staticmethod
    def delivered(state: str) -> str:
        """RFC 8621 7's ``delivered`` value for a queue recipient state."""
        if state in _DONE:
            return "yes"
        if state in _FAILED:
            return "no"
        return "queued"


@dataclass(frozen=True)
class SubmissionChanges:
    created: list[int]
    updated: list[int]
    destroyed: list[int]
    new_state: int
    has_more: bool


class SubmissionRecords:
    """One account's submission records (see the module notes)."""

    def __init__(self, store: Store, account_id: int) -> None:
        self.store = store
        self.account_id = account_id

    def _exists(self, conn: Connection) -> None:
        if conn.execute(select(s.accounts.c.id).where(s.accounts.c.id == self.account_id)).first() is None:
            raise NotFound("no such account")

    def _horizon(self, conn: Connection) -> int:
        h = s.jmap_submission_horizons
        value = conn.execute(select(h.c.horizon).where(h.c.account_id == self.account_id)).scalar()
        return int(value or 0)

    def _state(self, conn: Connection) -> int:
        j = s.jmap_submissions
        top = conn.execute(select(func.max(j.c.modseq)).where(j.c.account_id == self.account_id)).scalar()
        return max(int(top or 0), self._horizon(conn))

    def _expire(self, conn: Connection, now: datetime) -> None:
        """Tombstone records past RETENTION; remove tombstones past twice that, raising the horizon."""
        j, h = s.jmap_submissions, s.jmap_submission_horizons
        mine = j.c.account_id == self.account_id
        old = conn.execute(
            select(j.c.id)
            .where(mine, j.c.destroyed.is_(False), j.c.send_at < now - RETENTION)
            .order_by(j.c.id)
        ).scalars()
        self._tombstone(conn, [int(i) for i in old])
        gone = and_(mine, j.c.destroyed.is_(True), j.c.send_at < now - 2 * RETENTION)
        top = conn.execute(select(func.max(j.c.modseq)).where(gone)).scalar()
        if top is None:
            return
        conn.execute(delete(j).where(gone))
        if conn.execute(update(h).where(h.c.account_id == self.account_id).values(horizon=int(top))).rowcount:
            return
        conn.execute(insert(h).values(account_id=self.account_id, horizon=int(top)))

    def _tombstone(self, conn: Connection, ids: Sequence[int]) -> None:
        j = s.jmap_submissions
        seq = self._state(conn)
        for record_id in ids:
            seq += 1
            conn.execute(update(j).where(j.c.id == record_id).values(destroyed=True, modseq=seq))

    def add(
        self,
        *,
        identity_id: str,
        email_id: str,
        thread_id: str,
        envelope: dict[str, Any],
        queue_id: int | None,
        now: datetime | None = None,
    ) -> Submission:
        """Record a submission the queue accepted; returns it.

        Raises:
            InvalidInput: an id longer than its column, or an envelope larger than MAX_ENVELOPE_BYTES.
            NotFound: no such account.
        """
        when = as_utc(now) or utcnow()
        text = json.dumps(envelope, separators=(",", ":"))
        if len(text.encode()) > MAX_ENVELOPE_BYTES:
            raise InvalidInput(f"the envelope is larger than {MAX_ENVELOPE_BYTES} bytes")
        if len(identity_id) > 64 or len(email_id) > 64 or len(thread_id) > 80:
            raise InvalidInput("an id is too long")
        with self.store.db.write() as conn:
            self._exists(conn)
            self._expire(conn, when)
            seq = self._state(conn) + 1
            record_id = conn.execute(
                insert(s.jmap_submissions).values(
                    account_id=self.account_id,
                    identity_id=identity_id,
                    email_id=email_id,
                    thread_id=thread_id,
                    envelope=text,
                    send_at=when,
                    queue_id=queue_id,
                    created_seq=seq,
                    modseq=seq,
                    destroyed=False,
                )
            ).inserted_primary_key
            assert record_id is not None
        return Submission(int(record_id[0]), identity_id, email_id, thread_id, envelope, when, queue_id, None)

    def state(self) -> int:
        """The state of the account's submissions (grows with every record made or destroyed).

        Raises:
            NotFound: no such account.
        """
        with self.store.db.read() as conn:
            self._exists(conn)
            return self._state(conn)

    def get(self, ids: Iterable[int] | None = None) -> tuple[int, list[Submission]]:
        """(state, the live records of ``ids``, or all of them when None, oldest first); ids that are not
        (or no longer) the account's are left out, the caller reports them as not found.

        Raises:
            NotFound: no such account.
        """
        j = s.jmap_submissions
        query = select(j).where(j.c.account_id == self.account_id, j.c.destroyed.is_(False)).order_by(j.c.id)
        if ids is not None:
            query = query.where(j.c.id.in_(list(ids)))
        with self.store.db.read() as conn:
            self._exists(conn)
            rows = conn.execute(query).all()
            queued = self._delivery(conn, [int(r.queue_id) for r in rows if r.queue_id is not None])
            state = self._state(conn)
        return state, [
            Submission(
                int(r.id),
                r.identity_id,
                r.email_id,
                r.thread_id,
                json.loads(r.envelope),
                as_utc(r.send_at) or utcnow(),
                None if r.queue_id is None else int(r.queue_id),
                queued.get(int(r.queue_id)) if r.queue_id is not None else None,
            )
            for r in rows
        ]

    def _delivery(
        self, conn: Connection, queue_ids: list[int]
    ) -> dict[int, dict[str, tuple[str, str | None]]]:
        """Recipient states of those queued messages that are still queued (and queued by this account)."""
        if not queue_ids:
            return {}
        q, r = s.queue_messages, s.queue_recipients
        rows = conn.execute(
            select(r.c.queue_id, r.c.address, r.c.state, r.c.last_error, q.c.origin)
            .join(q, q.c.id == r.c.queue_id)
            .where(r.c.queue_id.in_(queue_ids))
        ).all()
        address = self.store.accounts.load(conn, self.account_id).address
        out: dict[int, dict[str, tuple[str, str | None]]] = {}
        for row in rows:
            try:
                auth = json.loads(row.origin).get("auth")
            except ValueError:
                auth = None
            if auth == address:  # a queue id is only ever shown to the account that queued it
                out.setdefault(int(row.queue_id), {})[row.address] = (row.state, row.last_error)
        return out

    def changes(self, since: int, limit: int | None = None) -> SubmissionChanges:
        """What changed after state ``since`` (RFC 8620 5.2), at most ``limit`` ids (then ``has_more``).

        Raises:
            ChangesTooOld: ``since`` is at or below the horizon (records removed since), or is a state this
                account never had.
            NotFound: no such account.
        """
        j = s.jmap_submissions
        with self.store.db.read() as conn:
            self._exists(conn)
            current = self._state(conn)
            horizon = self._horizon(conn)
            if since > current or (horizon and since < horizon) or since < 0:
                raise ChangesTooOld("that state is no longer (or never was) known")
            rows = conn.execute(
                select(j.c.id, j.c.created_seq, j.c.modseq, j.c.destroyed)
                .where(j.c.account_id == self.account_id, j.c.modseq > since)
                .order_by(j.c.modseq)
            ).all()
        created: list[int] = []
        updated: list[int] = []
        destroyed: list[int] = []
        new_state = current
        for count, row in enumerate(rows):
            if limit is not None and count >= limit:
                new_state = int(rows[count - 1].modseq)
                break
            made_after = int(row.created_seq) > since
            if row.destroyed:
                if not made_after:
                    destroyed.append(int(row.id))
            elif made_after:
                created.append(int(row.id))
            else:
                updated.append(int(row.id))
        return SubmissionChanges(created, updated, destroyed, new_state, new_state != current)

    def destroy(self, ids: Iterable[int], *, now: datetime | None = None) -> list[int]:
        """Destroy the account's live records of ``ids`` (they become tombstones); returns those destroyed,
        the others (unknown, another account's, already destroyed) are the caller's notFound.

        Raises:
            NotFound: no such account.
        """
        j = s.jmap_submissions
        wanted = list(dict.fromkeys(ids))
        with self.store.db.write() as conn:
            self._exists(conn)
            found = [
                int(i)
                for i in conn.execute(
                    select(j.c.id)
                    .where(j.c.account_id == self.account_id, j.c.destroyed.is_(False), j.c.id.in_(wanted))
                    .order_by(j.c.id)
                ).scalars()
            ]
            self._tombstone(conn, found)
            self._expire(conn, as_utc(now) or utcnow())
        return found
