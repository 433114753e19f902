"""The mail queue: the only coupling between receiving (SMTP, WebMail compose) and processing/delivery.

Implementation notes:

* ``enqueue`` returns only after the blob is fsync'd and the envelope row is committed; SMTP answers
  "250 queued" after it returns, so an accepted message survives any crash. The blob's directory
  fsyncs are the commit's (``Database.write_unit(sync_dirs=...)``): the group committer fsyncs the
  distinct directories of its whole group before it begins the transaction, one thread, no caller
  waiting on its own, and the SQLite write lock not held across them.
* The queued content is an ordinary body: it holds one reference (``bodies.refcount``) until ``finish``,
  so local delivery from the queue adds mailbox references to the same blob without copying it.
* Workers ``claim`` due messages with a lease: the claim moves ``next_attempt_at`` past the lease, so a
  worker killed mid-processing leaves the message to be claimed again when the lease runs out. A message
  is therefore processed at least once; local delivery makes it exactly once by finishing recipients in
  the same transaction style (the SMTP issue builds that on top of these primitives).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from storage import dialect, mime
from storage import schema as s
from storage.errors import InvalidInput, NotFound
from storage.names import as_utc, utcnow

if TYPE_CHECKING:
    from storage.store import Store

# Message and recipient states, as the operator sees them in `fieldpost queue list`.
STATES = (
    "incoming",
    "received",
    "raw-received",
    "processing",
    "processed",
    "sending",
    "send-failure",
    "sent",
    "relay-error",
    "local-error",
    "filter-reject",
    "filter-discard",
    "cleanup-error",
    "new-mail",
    "removed",
    "io-error",
)


@dataclass(frozen=True)
class QueuedRecipient:
    address: str
    state: str
    attempts: int
    last_error: str | None
    dsn: dict[str, Any]


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    sha256: str
    sender: str
    state: str
    size: int
    received_at: datetime
    next_attempt_at: datetime
    attempts: int
    origin: dict[str, Any]
    last_error: str | None
    recipients: tuple[QueuedRecipient, ...]


# Built once (one message and its recipients per SMTP transaction): the statements, not their values.
_INSERT_MESSAGE = insert(s.queue_messages).returning(s.queue_messages.c.id)
_INSERT_RECIPIENT = insert(s.queue_recipients)


def _check_state(state: str) -> str:
    if state not in STATES:
        raise InvalidInput(f"unknown queue state {state!r}")
    return state


class Queue:
    def __init__(self, store: Store) -> None:
        self.store = store

    def enqueue(
        self,
        raw: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        origin: dict[str, Any] | None = None,
        state: str = "received",
        dsn: dict[str, dict[str, Any]] | None = None,
    ) -> int:
        """Make a message durable in the queue; returns its queue id."""
        if not recipients:
            raise InvalidInput("a queued message needs at least one recipient")
        _check_state(state)
        # the file is fsync'd here; its directories' fsyncs join the commit group's (storage.blobs)
        sha, dirs = self.store.blobs.put_unsynced(raw)
        parsed = mime.parse_message(raw)
        now = utcnow()

        def unit(conn: Connection) -> int:
            body_id = self.store.mail.reference_body(conn, sha, raw, parsed, 1)
            row = {
                "body_id": body_id,
                "sender": sender,
                "state": state,
                "size": len(raw),
                "received_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "origin": json.dumps(origin or {}),
            }
            qid = int(conn.execute(_INSERT_MESSAGE, row).scalar_one())
            conn.execute(  # every recipient in one executemany
                _INSERT_RECIPIENT,
                [
                    {
                        "queue_id": qid,
                        "address": r,
                        "state": state,
                        "attempts": 0,
                        "dsn": json.dumps((dsn or {}).get(r, {})),
                    }
                    for r in recipients
                ],
            )
            return qid

        # grouped with other sessions' writes; durable (blob, its directories and rows) when it returns
        return self.store.db.write_unit(unit, sync_dirs=dirs)

    def _load(self, conn: Connection, qid: int) -> QueuedMessage:
        row = conn.execute(
            select(s.queue_messages, s.bodies.c.sha256)
            .join(s.bodies, s.bodies.c.id == s.queue_messages.c.body_id)
            .where(s.queue_messages.c.id == qid)
        ).first()
        if row is None:
            raise NotFound(f"queued message {qid} does not exist")
        rcpts = conn.execute(
            select(s.queue_recipients)
            .where(s.queue_recipients.c.queue_id == qid)
            .order_by(s.queue_recipients.c.id)
        ).all()
        return QueuedMessage(
            id=row.id,
            sha256=row.sha256,
            sender=row.sender,
            state=row.state,
            size=row.size,
            received_at=as_utc(row.received_at) or utcnow(),
            next_attempt_at=as_utc(row.next_attempt_at) or utcnow(),
            attempts=row.attempts,
            origin=json.loads(row.origin),
            last_error=row.last_error,
            recipients=tuple(
                QueuedRecipient(r.address, r.state, r.attempts, r.last_error, json.loads(r.dsn))
                for r in rcpts
            ),
        )

    def get(self, qid: int) -> QueuedMessage:
        with self.store.db.read() as conn:
            return self._load(conn, qid)

    def raw(self, qid: int) -> bytes:
        """The queued message's text.

        Raises:
            NotFound: no such queued message, also when it was finished (and its text collected) between
                looking it up and reading it: a reader racing the processing service gets the same answer
                as one that came a moment later, not a missing file.
        """
        sha = self.get(qid).sha256
        try:
            return self.store.blobs.read(sha)
        except FileNotFoundError:
            # NotFound when the message is gone; a blob missing under a live message is another fault
            self.get(qid)
            raise

    def claim(self, limit: int = 10, lease: timedelta = timedelta(minutes=5)) -> list[QueuedMessage]:
        """Take up to ``limit`` due messages for processing; they return to the pool when the lease ends."""
        now = utcnow()
        with self.store.db.write() as conn:
            q = (
                select(s.queue_messages.c.id)
                .where(
                    s.queue_messages.c.next_attempt_at <= now, s.queue_messages.c.state.not_in(("removed",))
                )
                .order_by(s.queue_messages.c.next_attempt_at)
                .limit(limit)
            )
            q = dialect.lock_rows(conn, q, skip_locked=True)
            ids = [int(i) for i in conn.execute(q).scalars()]
            if not ids:
                return []
            conn.execute(
                update(s.queue_messages)
                .where(s.queue_messages.c.id.in_(ids))
                .values(
                    state="processing", next_attempt_at=now + lease, attempts=s.queue_messages.c.attempts + 1
                )
            )
            return [self._load(conn, i) for i in ids]

    def release_claims(self) -> int:
        """Make every claimed message due now: a worker starting up calls it to take over the claims of
        a predecessor that died (there is one worker per server). Returns how many were released."""
        with self.store.db.write() as conn:
            return int(
                conn.execute(
                    update(s.queue_messages)
                    .where(s.queue_messages.c.state == "processing")
                    .values(next_attempt_at=utcnow())
                ).rowcount
            )

    def set_recipient(self, qid: int, address: str, state: str, error: str | None = None) -> None:
        with self.store.db.write() as conn:
            conn.execute(
                update(s.queue_recipients)
                .where(s.queue_recipients.c.queue_id == qid, s.queue_recipients.c.address == address)
                .values(
                    state=_check_state(state), last_error=error, attempts=s.queue_recipients.c.attempts + 1
                )
            )

    def defer(
        self, qid: int, when: datetime, *, state: str = "send-failure", error: str | None = None
    ) -> None:
        """Try again at ``when`` (retry schedules are the caller's policy)."""
        with self.store.db.write() as conn:
            done = conn.execute(
                update(s.queue_messages)
                .where(s.queue_messages.c.id == qid)
                .values(next_attempt_at=when, state=_check_state(state), last_error=error)
            ).rowcount
            if not done:
                raise NotFound(f"queued message {qid} does not exist")

    def finish(self, qid: int) -> None:
        """Remove a message from the queue (delivered, bounced or deleted) and release its body."""
        with self.store.db.write() as conn:
            body_id = self._remove(conn, qid)
            self.store.mail.release_bodies(conn, {body_id: 1})

    def finish_in(self, conn: Connection, qid: int) -> None:
        """``finish`` inside the caller's write transaction (a delivery's unit), its body collected there
        too when this was its last reference: the queue's final state costs no commit of its own."""
        body_id = self._remove(conn, qid)
        self.store.mail.release_and_collect(conn, {body_id: 1})

    def _remove(self, conn: Connection, qid: int) -> int:
        body_id = conn.execute(
            select(s.queue_messages.c.body_id).where(s.queue_messages.c.id == qid)
        ).scalar()
        if body_id is None:
            raise NotFound(f"queued message {qid} does not exist")
        conn.execute(s.queue_messages.delete().where(s.queue_messages.c.id == qid))
        return int(body_id)

    def list(
        self,
        *,
        sender: str | None = None,
        recipient: str | None = None,
        states: Iterable[str] | None = None,
        min_size: int | None = None,
        limit: int = 100,
    ) -> list[QueuedMessage]:
        with self.store.db.read() as conn:
            q = select(s.queue_messages.c.id).order_by(s.queue_messages.c.id).limit(limit)
            if sender is not None:
                q = q.where(s.queue_messages.c.sender.contains(sender, autoescape=True))
            if states is not None:
                q = q.where(s.queue_messages.c.state.in_([_check_state(x) for x in states]))
            if min_size is not None:
                q = q.where(s.queue_messages.c.size >= min_size)
            if recipient is not None:
                q = q.where(
                    s.queue_messages.c.id.in_(
                        select(s.queue_recipients.c.queue_id).where(
                            s.queue_recipients.c.address.contains(recipient, autoescape=True)
                        )
                    )
                )
            return [self._load(conn, int(i)) for i in conn.execute(q).scalars()]
