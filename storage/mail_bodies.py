"""Message bodies: one row and one blob file per distinct content, shared by reference count.

Taking a reference, releasing it and collecting unreferenced bodies, plus the columns and full-text
index entry parsed once per body (and rebuilt by reindex). See storage.mail for the durability order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select, update

from storage import dialect, folder_threads, list_keys, mime
from storage import schema as s
from storage.names import as_utc, utcnow
from storage.pim import item_rows

if TYPE_CHECKING:
    from storage.store import Store


class MailBodies:
    """Body reference counting and collection; the base every other part of Mail builds on."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- bodies -------------------------------------------------------------------------------------

    def reference_body(
        self, conn: Connection, sha: str, raw: bytes, parsed: mime.ParsedMessage, count: int
    ) -> int:
        """Take ``count`` references on the body with this content, creating its row and index entry."""
        _lock_content(conn, sha)
        row = conn.execute(_BODY_BY_SHA, {"sha": sha}).first()
        if row is not None:
            body_id = int(row[0])
            conn.execute(_MORE_REFERENCES, {"body_id": body_id, "count": count})
        else:
            columns = {"sha256": sha, "size": len(raw), "refcount": count, **_parsed_columns(parsed)}
            body_id = int(conn.execute(_INSERT_BODY, columns).scalar_one())
            self._index(conn, body_id, parsed)
        if not self.store.blobs.exists(sha):  # collected between our put() and this transaction
            self.store.blobs.put(raw, sha)
        return body_id

    def _index(self, conn: Connection, body_id: int, parsed: mime.ParsedMessage) -> None:
        dialect.index_body(conn, body_id, parsed.header_text, parsed.search_text)

    def reindex(self, batch: int = 200) -> int:
        """Rebuild the full-text index and the columns parsed at delivery (ENVELOPE and structure
        cache, list-view fields) from the blobs; returns the number of bodies indexed.

        Why the columns too: a parser fix (say, a display name taken from a comment) otherwise only
        reaches mail delivered after it. On SQLite the index is contentless, so rows of collected
        bodies stay until this runs (they are never matched: searches join through live messages).
        The organizer's columns of calendar items and cards (storage.pim.item_rows.refresh) are
        parsed again too. Run by `fieldpost storage reindex`.
        """
        with self.store.db.write() as conn:
            dialect.clear_body_index(conn)
        done, last = 0, 0
        while True:
            with self.store.db.read() as conn:
                rows = conn.execute(
                    select(s.bodies.c.id, s.bodies.c.sha256)
                    .where(s.bodies.c.id > last)
                    .order_by(s.bodies.c.id)
                    .limit(batch)
                ).all()
            if not rows:
                with self.store.db.write() as conn:
                    folder_threads.rebuild(conn)
                item_rows.refresh(self.store)  # the organizer's columns too (storage.pim.item_rows)
                return done
            shas = {r.id: r.sha256 for r in rows}
            parsed = [
                (r.id, mime.parse_message(self.store.blobs.read(r.sha256)))
                for r in rows
                if self.store.blobs.exists(r.sha256)
            ]
            with self.store.db.write() as conn:
                for body_id, p in parsed:
                    if (
                        conn.execute(select(s.bodies.c.id).where(s.bodies.c.id == body_id)).first()
                        is not None
                    ):
                        self._index(conn, body_id, p)
                        conn.execute(
                            update(s.bodies).where(s.bodies.c.id == body_id).values(**_parsed_columns(p))
                        )
                        self._rekey_messages(conn, body_id, p, shas[body_id])
                        done += 1
            last = rows[-1].id

    def _rekey_messages(self, conn: Connection, body_id: int, parsed: mime.ParsedMessage, sha: str) -> None:
        """The list keys (storage.list_keys) of every message of a body, from its parse."""
        m = s.messages
        for row in conn.execute(select(m.c.id, m.c.internal_date).where(m.c.body_id == body_id)).all():
            keys = list_keys.parsed_keys(parsed, as_utc(row.internal_date) or utcnow(), sha)
            conn.execute(update(m).where(m.c.id == row.id).values(**keys.columns()))

    def release_bodies(self, conn: Connection, counts: dict[int, int], *, collect: bool = True) -> None:
        """Drop references (body id -> how many); bodies that reach zero are collected after the commit
        (unless ``collect`` is False: the caller collects them)."""
        for body_id, n in counts.items():
            conn.execute(
                update(s.bodies).where(s.bodies.c.id == body_id).values(refcount=s.bodies.c.refcount - n)
            )
        if counts and collect:
            ids = sorted(counts)
            conn.info["after_commit"].append(lambda: self.collect_garbage(body_ids=ids))

    def release_and_collect(self, conn: Connection, counts: dict[int, int]) -> None:
        """As ``release_bodies``, but a body that reaches zero has its row deleted in this same
        transaction: for a write unit, where a collection of its own per message would cost a commit.

        The file goes only after the COMMIT, under the content's lock once more: unlinked before it, a
        reader could meet the queue row without its text, and a COMMIT that failed (or a crash before
        it) would bring the row back with its text gone. A crash after the COMMIT leaves an unused file,
        never a missing one."""
        self.release_bodies(conn, counts, collect=False)
        ids = sorted(counts)
        rows = conn.execute(
            select(s.bodies.c.id, s.bodies.c.sha256).where(s.bodies.c.id.in_(ids), s.bodies.c.refcount <= 0)
        ).all()
        if not rows:
            return
        for r in rows:
            _lock_content(conn, r.sha256)
        conn.execute(
            s.bodies.delete().where(s.bodies.c.id.in_([r.id for r in rows]), s.bodies.c.refcount <= 0)
        )
        shas = [str(r.sha256) for r in rows]
        conn.info["after_commit"].append(lambda: self._unlink_if_unreferenced(*shas))

    def _discard_unreferenced(self, conn: Connection, sha: str) -> None:
        """Remove a blob written for a delivery that ended up with no recipient, unless it is in use."""
        _lock_content(conn, sha)
        if conn.execute(select(s.bodies.c.id).where(s.bodies.c.sha256 == sha)).first() is None:
            conn.info["after_commit"].append(lambda: self._unlink_if_unreferenced(sha))

    def _unlink_if_unreferenced(self, *shas: str) -> None:
        """Unlink these contents' files unless a body row took them again since (reference_body, under
        the same lock, re-creates a file it finds missing, but not one that vanishes after its check)."""
        with self.store.db.write() as conn:
            for sha in shas:
                _lock_content(conn, sha)
                if conn.execute(select(s.bodies.c.id).where(s.bodies.c.sha256 == sha)).first() is None:
                    self.store.blobs.delete(sha)

    def collect_garbage(self, limit: int = 1000, *, body_ids: Sequence[int] | None = None) -> int:
        """Delete unreferenced bodies (all, or among ``body_ids``) and their blob files; returns how many.

        Row and file go in one transaction; a writer that takes a new reference on the same content
        re-creates the file inside its own transaction (see reference_body), so nothing is lost.
        """
        with self.store.db.write() as conn:
            q = select(s.bodies.c.id, s.bodies.c.sha256).where(s.bodies.c.refcount <= 0)
            if body_ids is not None:
                q = q.where(s.bodies.c.id.in_(list(body_ids)))
            q = q.limit(limit)
            q = dialect.lock_rows(conn, q, skip_locked=True)
            rows = conn.execute(q).all()
            if not rows:
                return 0
            for r in rows:
                _lock_content(conn, r.sha256)
            conn.execute(
                s.bodies.delete().where(s.bodies.c.id.in_([r.id for r in rows]), s.bodies.c.refcount <= 0)
            )
            for r in rows:
                self.store.blobs.delete(r.sha256)
        return len(rows)


# The statements of every delivery, built once: SQLAlchemy then reuses their cache key and compiled form
# instead of building, coercing and keying a new statement per message (bench/README.md, "Delivery CPU").
_BODY_BY_SHA = select(s.bodies.c.id).where(s.bodies.c.sha256 == bindparam("sha"))
_MORE_REFERENCES = (
    update(s.bodies)
    .where(s.bodies.c.id == bindparam("body_id"))
    .values(refcount=s.bodies.c.refcount + bindparam("count"))
)
_INSERT_BODY = insert(s.bodies).returning(s.bodies.c.id)


def _parsed_columns(parsed: mime.ParsedMessage) -> dict[str, Any]:
    """The body columns parsed once at delivery (and again by reindex), cut to their column sizes."""
    return {
        "structure": mime.to_json(parsed),
        "subject": parsed.subject[:1000],
        "from_display": parsed.from_display[:1000],
        "from_addr": (parsed.from_addr or None) and parsed.from_addr[:320],
        "to_addrs": ", ".join(parsed.to_addrs)[:2000],
        "message_id": parsed.message_id and parsed.message_id[:998],
        "sent_at": parsed.date,
        "snippet": parsed.snippet,
        "has_attachments": parsed.has_attachments,
    }


def _lock_content(conn: Connection, sha: str) -> None:
    """Serialise writers of one content on PostgreSQL (SQLite's write lock already does): taking a
    reference, collecting the body and discarding an unused blob must not interleave."""
    dialect.advisory_lock_text(conn, sha)


def _chunks(items: Sequence[int], n: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]
