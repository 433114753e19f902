"""Messages in folders: deliver, append, copy, move, set_flags, expunge.

Implementation notes:

* Order of durability: the blob is written and fsync'd (storage.blobs) *before* the transaction that
  references it; the transaction then takes the body reference, allocates UIDs and updates counters
  atomically. A crash before the commit leaves at most an unreferenced blob file, which `storage check`
  removes; it never leaves a row without its file.
* The blob collector deletes a body row *and* unlinks its file inside one write transaction, and every
  writer re-checks the file inside its own transaction after taking the body reference. So a delivery
  racing the collector for the same content rewrites the file instead of losing it.
* UIDs and MODSEQs come from the folder row, updated in the same transaction (on PostgreSQL the row is
  locked FOR UPDATE first; on SQLite the transaction holds the write lock from BEGIN IMMEDIATE). One
  transaction = one new MODSEQ per folder touched, shared by every message it changed (RFC 7162 3.1).
* Folder totals (messages, unseen, bytes) and account usage are maintained here, in the same
  transaction, so nothing ever counts a folder to answer SELECT or STATUS.
* ``Mail`` is the *system* path (delivery, Sieve, filters, the CLI): it checks no rights. Everything done
  on behalf of a user goes through ``store.for_user(account_id)`` (storage.usermail), which asks the ACL
  engine and then runs the ``*_in(conn, ...)`` functions here inside the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from storage import dialect, mime
from storage import flags as fl
from storage import folders as fo
from storage import schema as s
from storage import settings as settings_registry
from storage.blobs import sha256_hex
from storage.errors import InvalidInput, NotFound, QuotaExceeded
from storage.groups import resolve
from storage.models import DeliveryFailure, DeliveryProblem, DeliveryResult, FlagChange, Folder, MessageInfo
from storage.names import as_utc, folder_path, utcnow

if TYPE_CHECKING:
    from storage.store import Store


@dataclass(frozen=True)
class NewMessage:
    folder_id: int
    uid: int
    modseq: int


@dataclass(frozen=True)
class StagedMessage:
    """A message checked and parsed for an append, before any byte of it is written."""

    raw: bytes
    bits: int
    keywords: str
    parsed: mime.ParsedMessage


class Mail:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- bodies -------------------------------------------------------------------------------------

    def reference_body(
        self, conn: Connection, sha: str, raw: bytes, parsed: mime.ParsedMessage, count: int
    ) -> int:
        """Take ``count`` references on the body with this content, creating its row and index entry."""
        _lock_content(conn, sha)
        row = conn.execute(select(s.bodies.c.id).where(s.bodies.c.sha256 == sha)).first()
        if row is not None:
            body_id = int(row[0])
            conn.execute(
                update(s.bodies).where(s.bodies.c.id == body_id).values(refcount=s.bodies.c.refcount + count)
            )
        else:
            body_id = int(
                conn.execute(
                    insert(s.bodies)
                    .values(
                        sha256=sha,
                        size=len(raw),
                        refcount=count,
                        **_parsed_columns(parsed),
                    )
                    .returning(s.bodies.c.id)
                ).scalar_one()
            )
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
        Run by `fieldpost storage reindex`.
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
                return done
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
                        done += 1
            last = rows[-1].id

    def release_bodies(self, conn: Connection, counts: dict[int, int]) -> None:
        """Drop references (body id -> how many); bodies that reach zero are collected after the commit."""
        for body_id, n in counts.items():
            conn.execute(
                update(s.bodies).where(s.bodies.c.id == body_id).values(refcount=s.bodies.c.refcount - n)
            )
        if counts:
            ids = sorted(counts)
            conn.info["after_commit"].append(lambda: self.collect_garbage(body_ids=ids))

    def _discard_unreferenced(self, conn: Connection, sha: str) -> None:
        """Remove a blob written for a delivery that ended up with no recipient, unless it is in use."""
        _lock_content(conn, sha)
        if conn.execute(select(s.bodies.c.id).where(s.bodies.c.sha256 == sha)).first() is None:
            conn.info["after_commit"].append(lambda: self._unlink_if_unreferenced(sha))

    def _unlink_if_unreferenced(self, sha: str) -> None:
        with self.store.db.write() as conn:
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

    # -- adding messages ----------------------------------------------------------------------------

    def _quota_ok(self, conn: Connection, account_id: int, size: int) -> str | None:
        """None when the account can take ``size`` more bytes and one more message, else the reason."""
        limits = self.store.settings_many(conn, QUOTA_SETTINGS, account_id=account_id)
        used = conn.execute(
            select(s.accounts.c.used_bytes, s.accounts.c.message_count).where(s.accounts.c.id == account_id)
        ).one()
        max_bytes, max_msgs = int(limits["quota.storage_bytes"]), int(limits["quota.messages"])
        if max_bytes and used.used_bytes + size > max_bytes:
            return f"mailbox full: storage quota of {max_bytes} bytes exceeded"
        if max_msgs and used.message_count + 1 > max_msgs:
            return f"mailbox full: quota of {max_msgs} messages exceeded"
        return None

    def _add(
        self,
        conn: Connection,
        folder_id: int,
        entries: Sequence[tuple[int, int, int, str, datetime]],
    ) -> tuple[Folder, list[int]]:
        """Insert messages (body id, size, flag bits, keywords, internal date) into one folder."""
        folder = fo.folder_by_id(conn, folder_id, lock=True)
        modseq = folder.highestmodseq + 1
        uids = list(range(folder.uidnext, folder.uidnext + len(entries)))
        conn.execute(
            insert(s.messages),
            [
                {
                    "folder_id": folder_id,
                    "uid": uid,
                    "body_id": body_id,
                    "modseq": modseq,
                    "flags": bits,
                    "keywords": kw,
                    "internal_date": date,
                    "size": size,
                }
                for uid, (body_id, size, bits, kw, date) in zip(uids, entries, strict=True)
            ],
        )
        total = sum(e[1] for e in entries)
        unseen = sum(1 for e in entries if not e[2] & fl.SEEN)
        conn.execute(
            update(s.folders)
            .where(s.folders.c.id == folder_id)
            .values(
                uidnext=folder.uidnext + len(entries),
                highestmodseq=modseq,
                message_count=s.folders.c.message_count + len(entries),
                unseen_count=s.folders.c.unseen_count + unseen,
                total_bytes=s.folders.c.total_bytes + total,
            )
        )
        if folder.account_id is not None:
            _usage(conn, folder.account_id, total, len(entries))
        self.store.changes.record(conn, folder_id, folder.account_id, modseq, "new", uids[-1])
        return folder, uids

    def _add_to_folders(
        self, conn: Connection, folder_ids: Sequence[int], entry: tuple[int, int, int, str, datetime]
    ) -> list[int]:
        """One new message (the same entry) in each of several distinct folders, in a fixed number of
        statements whatever their count: the 50-recipient delivery path."""
        body_id, size, bits, kw, date = entry
        q = select(s.folders).where(s.folders.c.id.in_(list(folder_ids))).order_by(s.folders.c.id)
        q = dialect.lock_rows(conn, q)
        folders = {row.id: fo.row_to_folder(row) for row in conn.execute(q)}
        uids = [folders[fid].uidnext for fid in folder_ids]
        unseen = 0 if bits & fl.SEEN else 1
        conn.execute(
            insert(s.messages),
            [
                {
                    "folder_id": fid,
                    "uid": folders[fid].uidnext,
                    "body_id": body_id,
                    "modseq": folders[fid].highestmodseq + 1,
                    "flags": bits,
                    "keywords": kw,
                    "internal_date": date,
                    "size": size,
                }
                for fid in folder_ids
            ],
        )
        conn.execute(
            update(s.folders)
            .where(s.folders.c.id == bindparam("fid"))
            .values(
                uidnext=bindparam("next"),
                highestmodseq=bindparam("modseq"),
                message_count=s.folders.c.message_count + 1,
                unseen_count=s.folders.c.unseen_count + unseen,
                total_bytes=s.folders.c.total_bytes + size,
            ),
            [
                {"fid": fid, "next": folders[fid].uidnext + 1, "modseq": folders[fid].highestmodseq + 1}
                for fid in folder_ids
            ],
        )
        owners = [folders[fid].account_id for fid in folder_ids if folders[fid].account_id is not None]
        if owners:
            conn.execute(
                update(s.accounts)
                .where(s.accounts.c.id == bindparam("aid"))
                .values(
                    used_bytes=s.accounts.c.used_bytes + size, message_count=s.accounts.c.message_count + 1
                ),
                [{"aid": aid} for aid in owners],
            )
        self.store.changes.record_many(
            conn,
            [
                (fid, folders[fid].account_id, folders[fid].highestmodseq + 1, "new", folders[fid].uidnext)
                for fid in folder_ids
            ],
        )
        return uids

    def deliver(
        self,
        raw: bytes,
        recipients: Sequence[str],
        folder: str = "INBOX",
        *,
        queue_id: int | None = None,
        mark_sent: Iterable[str] | None = None,
    ) -> DeliveryResult:
        """Deliver one message to local recipients: one blob, one body row, a message row per mailbox.

        Each recipient is resolved (aliases, groups, forwarders); a recipient that is unknown or over
        quota is reported in ``failed`` (a ``DeliveryFailure`` naming the problem) without affecting the
        others. Outside addresses reached through groups or forwarders are returned in ``external`` for
        the caller to relay.

        With ``queue_id``, the queue recipients in ``mark_sent`` (default: all) that did not fail are
        marked "sent" in the same transaction as the delivery, so a crash can neither lose the mail nor
        deliver it twice when the queue worker runs again.
        """
        parsed = mime.parse_message(raw)
        sha = sha256_hex(raw)
        result = DeliveryResult(sha256=sha)
        path = folder_path(folder)
        self.store.blobs.put(raw, sha)  # outside the write lock: fsync is the slow part
        with self.store.db.write() as conn:
            targets: dict[int, str] = {}
            for rcpt in recipients:
                try:
                    res = resolve(self.store, conn, rcpt)
                except NotFound as exc:
                    result.failed[rcpt] = DeliveryFailure(DeliveryProblem.NO_SUCH_ADDRESS, str(exc))
                    continue
                except InvalidInput as exc:
                    result.failed[rcpt] = DeliveryFailure(DeliveryProblem.BAD_ADDRESS, str(exc))
                    continue
                result.external.extend(sorted(res.external - set(result.external)))
                for aid in res.account_ids:
                    targets.setdefault(aid, rcpt)
            accepted: list[tuple[int, str, int]] = []  # account id, recipient, folder id
            quotas = _quotas_configured(conn)
            for aid, rcpt in targets.items():
                reason = self._quota_ok(conn, aid, len(raw)) if quotas else None
                if reason:
                    result.failed[rcpt] = DeliveryFailure(DeliveryProblem.MAILBOX_FULL, reason)
                    continue
                accepted.append((aid, rcpt, self._delivery_folder(conn, aid, path)))
            if not accepted:
                self._discard_unreferenced(conn, sha)
                return result
            body_id = self.reference_body(conn, sha, raw, parsed, len(accepted))
            uids = self._add_to_folders(
                conn, [fid for _a, _r, fid in accepted], (body_id, len(raw), 0, "", utcnow())
            )
            for (_aid, rcpt, fid), uid in zip(accepted, uids, strict=True):
                result.delivered.setdefault(rcpt, (fid, uid))
            if queue_id is not None:
                done = [r for r in (recipients if mark_sent is None else mark_sent) if r not in result.failed]
                if done:
                    conn.execute(
                        update(s.queue_recipients)
                        .where(
                            s.queue_recipients.c.queue_id == queue_id, s.queue_recipients.c.address.in_(done)
                        )
                        .values(state="sent", last_error=None, attempts=s.queue_recipients.c.attempts + 1)
                    )
        return result

    def _delivery_folder(self, conn: Connection, account_id: int, path: str) -> int:
        ns = fo.mailbox_namespace(account_id)
        try:
            return fo.folder_by_path(conn, ns, path).id
        except NotFound:
            return fo.folder_by_path(conn, ns, "INBOX").id

    def append_to_folder(
        self,
        folder_id: int,
        raw: bytes,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> NewMessage:
        """System append (import, Sieve, WebMail drafts): one message with flags and an internal date.
        A user's IMAP APPEND goes through ``store.for_user(...).append``, which checks rights first."""
        staged = self.stage(raw, flags)
        with self.store.db.read() as conn:  # refuse early, before any byte is written
            self.check_quota_in(conn, folder_id, len(raw))
        sha = self.store.blobs.put(raw)
        with self.store.db.write() as conn:
            return self.append_in(conn, folder_id, staged, sha, internal_date)

    def stage(self, raw: bytes, flags: Iterable[str] = ()) -> StagedMessage:
        """Check and parse a message to append; nothing is written yet.

        Raises:
            InvalidInput: an empty message or a bad flag.
        """
        if not raw:
            raise InvalidInput("an empty message cannot be stored")
        bits, keywords = fl.encode(flags)
        return StagedMessage(raw, bits, keywords, mime.parse_message(raw))

    def check_quota_in(self, conn: Connection, folder_id: int, size: int) -> None:
        """Raise QuotaExceeded unless the folder's owner can take ``size`` more bytes and one message."""
        folder = fo.folder_by_id(conn, folder_id)
        if folder.account_id is not None:
            reason = self._quota_ok(conn, folder.account_id, size)
            if reason:
                raise QuotaExceeded(reason)

    def append_in(
        self,
        conn: Connection,
        folder_id: int,
        staged: StagedMessage,
        sha: str,
        internal_date: datetime | None,
    ) -> NewMessage:
        """Add a staged message whose blob (``sha``) is written, inside the caller's write transaction."""
        self.check_quota_in(conn, folder_id, len(staged.raw))
        body_id = self.reference_body(conn, sha, staged.raw, staged.parsed, 1)
        date = as_utc(internal_date) or utcnow()
        entry = (body_id, len(staged.raw), staged.bits, staged.keywords, date)
        _, uids = self._add(conn, folder_id, [entry])
        return NewMessage(folder_id, uids[0], fo.folder_by_id(conn, folder_id).highestmodseq)

    def append(
        self,
        address: str,
        folder: str,
        raw: bytes,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> int:
        """System append to a folder named by owner address and path; returns the new UID."""
        fid = self.store.folders.get(address, folder).id
        return self.append_to_folder(fid, raw, flags, internal_date).uid

    # -- changing messages --------------------------------------------------------------------------

    def set_flags(
        self,
        folder_id: int,
        uids: Iterable[int],
        flags: Iterable[str],
        mode: str = "add",
        *,
        unchanged_since: int | None = None,
    ) -> tuple[list[FlagChange], list[int]]:
        """System STORE; see ``set_flags_in``."""
        with self.store.db.write() as conn:
            return self.set_flags_in(conn, folder_id, uids, flags, mode, unchanged_since=unchanged_since)

    def set_flags_in(
        self,
        conn: Connection,
        folder_id: int,
        uids: Iterable[int],
        flags: Iterable[str],
        mode: str = "add",
        *,
        unchanged_since: int | None = None,
    ) -> tuple[list[FlagChange], list[int]]:
        """STORE (RFC 3501 6.4.6, RFC 7162 3.1.3): returns (changed messages, UIDs that failed
        UNCHANGEDSINCE). Messages whose flags end up the same are not changed and get no new MODSEQ."""
        new_bits, new_kw = fl.encode(flags)
        uid_list = sorted(set(uids))
        changed: list[FlagChange] = []
        conflicts: list[int] = []
        folder = fo.folder_by_id(conn, folder_id, lock=True)
        modseq = folder.highestmodseq + 1
        updates: list[dict[str, Any]] = []
        unseen_delta = 0
        for row in _rows_for_uids(conn, folder_id, uid_list):
            if unchanged_since is not None and row.modseq > unchanged_since:
                conflicts.append(row.uid)
                continue
            bits, kw = fl.apply(mode, row.flags, row.keywords, new_bits, new_kw)
            if bits == row.flags and kw == row.keywords:
                continue
            unseen_delta += int(bool(row.flags & fl.SEEN)) - int(bool(bits & fl.SEEN))
            updates.append({"mid": row.id, "f": bits, "k": kw, "m": modseq})
            changed.append(FlagChange(row.uid, fl.decode(bits, kw), modseq))
        if updates:
            conn.execute(
                update(s.messages)
                .where(s.messages.c.id == bindparam("mid"))
                .values(flags=bindparam("f"), keywords=bindparam("k"), modseq=bindparam("m")),
                updates,
            )
            conn.execute(
                update(s.folders)
                .where(s.folders.c.id == folder_id)
                .values(highestmodseq=modseq, unseen_count=s.folders.c.unseen_count + unseen_delta)
            )
            self.store.changes.record(conn, folder_id, folder.account_id, modseq, "flags")
        return changed, conflicts

    def copy(
        self, src_folder_id: int, uids: Iterable[int], dst_folder_id: int, *, move: bool = False
    ) -> dict[int, int]:
        """System COPY/MOVE; see ``copy_in``."""
        with self.store.db.write() as conn:
            return self.copy_in(conn, src_folder_id, uids, dst_folder_id, move=move)

    def copy_in(
        self,
        conn: Connection,
        src_folder_id: int,
        uids: Iterable[int],
        dst_folder_id: int,
        *,
        move: bool = False,
    ) -> dict[int, int]:
        """COPY/MOVE (RFC 3501 6.4.7, RFC 6851): returns source UID -> destination UID (for UIDPLUS).

        The copies share the source's body; flags and internal dates are kept. Atomic: all or nothing.
        """
        rows = list(_rows_for_uids(conn, src_folder_id, sorted(set(uids))))
        if not rows:
            return {}
        dst = fo.folder_by_id(conn, dst_folder_id)
        src = fo.folder_by_id(conn, src_folder_id)
        size = sum(r.size for r in rows)
        if dst.account_id is not None and dst.account_id != (src.account_id if move else None):
            limits = self.store.settings_many(conn, ("quota.storage_bytes",), account_id=dst.account_id)
            used = conn.execute(
                select(s.accounts.c.used_bytes).where(s.accounts.c.id == dst.account_id)
            ).scalar_one()
            cap = int(limits["quota.storage_bytes"])
            if cap and used + size > cap:
                raise QuotaExceeded(f"mailbox full: storage quota of {cap} bytes exceeded")
        for body_id, n in _count(r.body_id for r in rows).items():
            conn.execute(
                update(s.bodies).where(s.bodies.c.id == body_id).values(refcount=s.bodies.c.refcount + n)
            )
        _, new_uids = self._add(
            conn,
            dst_folder_id,
            [(r.body_id, r.size, r.flags, r.keywords, as_utc(r.internal_date) or utcnow()) for r in rows],
        )
        if move:
            self._expunge_rows(conn, src, rows)
        return {r.uid: nu for r, nu in zip(rows, new_uids, strict=True)}

    def move(self, src_folder_id: int, uids: Iterable[int], dst_folder_id: int) -> dict[int, int]:
        return self.copy(src_folder_id, uids, dst_folder_id, move=True)

    def expunge(self, folder_id: int, uids: Iterable[int] | None = None) -> list[int]:
        """System EXPUNGE; see ``expunge_in``."""
        with self.store.db.write() as conn:
            return self.expunge_in(conn, folder_id, uids)

    def expunge_in(self, conn: Connection, folder_id: int, uids: Iterable[int] | None = None) -> list[int]:
        """EXPUNGE / UID EXPUNGE (RFC 3501 6.4.3, RFC 4315 2.1): remove \\Deleted messages, return UIDs."""
        folder = fo.folder_by_id(conn, folder_id, lock=True)
        if uids is not None:
            wanted = sorted(set(uids))
            rows = [r for r in _rows_for_uids(conn, folder_id, wanted) if r.flags & fl.DELETED]
        else:
            q = select(s.messages).where(
                s.messages.c.folder_id == folder_id, s.messages.c.flags.op("&")(fl.DELETED) != 0
            )
            rows = list(conn.execute(q.order_by(s.messages.c.uid)))
        if rows:
            self._expunge_rows(conn, folder, rows)
        return [r.uid for r in rows]

    def _expunge_rows(self, conn: Connection, folder: Folder, rows: Sequence[Any]) -> None:
        modseq = fo.folder_by_id(conn, folder.id).highestmodseq + 1
        ids = [r.id for r in rows]
        for chunk in _chunks(ids, 500):
            conn.execute(s.messages.delete().where(s.messages.c.id.in_(chunk)))
        conn.execute(
            insert(s.expunged), [{"folder_id": folder.id, "uid": r.uid, "modseq": modseq} for r in rows]
        )
        if not self.store.holds.keep(conn, folder.id, rows):  # RFC 2180 4.1.1, see storage.holds
            self.release_bodies(conn, _count(r.body_id for r in rows))
        size = sum(r.size for r in rows)
        unseen = sum(1 for r in rows if not r.flags & fl.SEEN)
        conn.execute(
            update(s.folders)
            .where(s.folders.c.id == folder.id)
            .values(
                highestmodseq=modseq,
                message_count=s.folders.c.message_count - len(rows),
                unseen_count=s.folders.c.unseen_count - unseen,
                total_bytes=s.folders.c.total_bytes - size,
            )
        )
        if folder.account_id is not None:
            _usage(conn, folder.account_id, -size, -len(rows))
        self.store.changes.record(conn, folder.id, folder.account_id, modseq, "expunge")

    def remove_all(self, conn: Connection, folder: Any) -> None:
        """Release every message of a folder that is about to be deleted (inside the caller's txn)."""
        self.store.holds.release_folder(conn, folder.id)
        per_body = conn.execute(
            select(s.messages.c.body_id, func.count(), func.sum(s.messages.c.size))
            .where(s.messages.c.folder_id == folder.id)
            .group_by(s.messages.c.body_id)
        ).all()
        if not per_body:
            return
        self.release_bodies(conn, {int(b): int(n) for b, n, _ in per_body})
        conn.execute(s.messages.delete().where(s.messages.c.folder_id == folder.id))
        if folder.account_id is not None:
            _usage(
                conn, folder.account_id, -sum(int(r[2]) for r in per_body), -sum(int(r[1]) for r in per_body)
            )

    # -- reading (system: no rights checked; users read through store.for_user) ---------------------

    def uids(self, folder_id: int) -> list[int]:
        with self.store.db.read() as conn:
            return self.uids_in(conn, folder_id)

    def uids_in(self, conn: Connection, folder_id: int) -> list[int]:
        """All UIDs of a folder in order: what IMAP SELECT needs to map sequence numbers."""
        return [
            int(u)
            for u in conn.execute(
                select(s.messages.c.uid).where(s.messages.c.folder_id == folder_id).order_by(s.messages.c.uid)
            ).scalars()
        ]

    def flags(
        self, folder_id: int, uids: Iterable[int] | None = None, *, changed_since: int | None = None
    ) -> list[FlagChange]:
        with self.store.db.read() as conn:
            return self.flags_in(conn, folder_id, uids, changed_since=changed_since)

    def flags_in(
        self,
        conn: Connection,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
    ) -> list[FlagChange]:
        """(uid, flags, modseq) of messages, in UID order: FETCH FLAGS and resync without the bodies table."""
        m = s.messages
        base = select(m.c.uid, m.c.flags, m.c.keywords, m.c.modseq).where(m.c.folder_id == folder_id)
        if changed_since is not None:
            base = base.where(m.c.modseq > changed_since)
        if uids is None:
            rows = list(conn.execute(base.order_by(m.c.uid)))
        else:
            rows = []
            for chunk in _chunks(sorted(set(uids)), 500):
                rows.extend(conn.execute(base.where(m.c.uid.in_(chunk)).order_by(m.c.uid)))
        decoded: dict[tuple[int, str], frozenset[str]] = {}
        out = []
        for uid, bits, keywords, modseq in rows:
            names = decoded.get((bits, keywords))
            if names is None:
                names = decoded[(bits, keywords)] = fl.decode(bits, keywords)
            out.append(FlagChange(uid, names, modseq))
        return out

    def info(
        self,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]:
        with self.store.db.read() as conn:
            return self.info_in(
                conn, folder_id, uids, changed_since=changed_since, with_structure=with_structure
            )

    def info_in(
        self,
        conn: Connection,
        folder_id: int,
        uids: Iterable[int] | None = None,
        *,
        changed_since: int | None = None,
        with_structure: bool = True,
    ) -> list[MessageInfo]:
        """Cached metadata of messages (all, or the given UIDs), in UID order. Never touches blobs."""
        cols = [
            s.messages.c.id,
            s.messages.c.uid,
            s.messages.c.modseq,
            s.messages.c.flags,
            s.messages.c.keywords,
            s.messages.c.internal_date,
            s.messages.c.size,
            s.messages.c.body_id,
            s.bodies.c.sha256,
            s.bodies.c.subject,
            s.bodies.c.from_display,
            s.bodies.c.snippet,
            s.bodies.c.has_attachments,
        ]
        if with_structure:
            cols.append(s.bodies.c.structure)
        base = select(*cols).join(s.bodies, s.bodies.c.id == s.messages.c.body_id)
        base = base.where(s.messages.c.folder_id == folder_id)
        if changed_since is not None:
            base = base.where(s.messages.c.modseq > changed_since)
        rows: list[Any] = []
        if uids is None:
            rows = list(conn.execute(base.order_by(s.messages.c.uid)))
        else:
            for chunk in _chunks(sorted(set(uids)), 500):
                rows.extend(conn.execute(base.where(s.messages.c.uid.in_(chunk)).order_by(s.messages.c.uid)))
        return [
            MessageInfo(
                id=r.id,
                folder_id=folder_id,
                uid=r.uid,
                modseq=r.modseq,
                flags=fl.decode(r.flags, r.keywords),
                internal_date=as_utc(r.internal_date) or utcnow(),
                size=r.size,
                body_id=r.body_id,
                sha256=r.sha256,
                structure=r.structure if with_structure else "",
                subject=r.subject,
                from_display=r.from_display,
                snippet=r.snippet,
                has_attachments=r.has_attachments,
            )
            for r in rows
        ]

    def raw(self, folder_id: int, uid: int, *, start: int = 0, end: int | None = None) -> bytes:
        with self.store.db.read() as conn:
            sha = self.sha_in(conn, folder_id, uid)
        return self.store.blobs.read(sha, start, end)

    def sha_in(self, conn: Connection, folder_id: int, uid: int) -> str:
        """The blob name of a message's body.

        Raises:
            NotFound: no such message in the folder.
        """
        sha = conn.execute(
            select(s.bodies.c.sha256)
            .join(s.messages, s.messages.c.body_id == s.bodies.c.id)
            .where(s.messages.c.folder_id == folder_id, s.messages.c.uid == uid)
        ).scalar()
        if sha is None:
            raise NotFound(f"message {uid} does not exist")
        return str(sha)

    def iter_raw(self, address: str, folder: str) -> Iterator[tuple[int, bytes, datetime, frozenset[str]]]:
        """(uid, bytes, internal date, flags) for every message of a folder, for export; streams."""
        fid = self.store.folders.get(address, folder).id
        last = 0
        while True:
            batch = [m for m in self.info(fid, None, with_structure=False) if m.uid > last][:200]
            if not batch:
                return
            for m in batch:
                yield m.uid, self.store.blobs.read(m.sha256), m.internal_date, m.flags
            last = batch[-1].uid

    def expunged_since(self, folder_id: int, modseq: int) -> list[int]:
        with self.store.db.read() as conn:
            return self.expunged_since_in(conn, folder_id, modseq)

    def expunged_since_in(self, conn: Connection, folder_id: int, modseq: int) -> list[int]:
        """UIDs expunged after ``modseq`` (QRESYNC VANISHED, RFC 7162 3.2.10)."""
        return [
            int(u)
            for u in conn.execute(
                select(s.expunged.c.uid)
                .where(s.expunged.c.folder_id == folder_id, s.expunged.c.modseq > modseq)
                .order_by(s.expunged.c.uid)
            ).scalars()
        ]

    def search(self, folder_id: int, query: str, *, where: str = "all") -> list[int]:
        with self.store.db.read() as conn:
            return self.search_in(conn, folder_id, query, where=where)

    def search_in(self, conn: Connection, folder_id: int, query: str, *, where: str = "all") -> list[int]:
        """UIDs whose text matches every word of ``query`` (case- and diacritic-insensitive, word prefix).

        ``where`` is "all", "headers" (From, To, Cc, Subject) or "body".
        """
        words = search_words(query)
        if not words:
            return []
        return dialect.search_uids(conn, folder_id, words, where)


QUOTA_SETTINGS = ("quota.storage_bytes", "quota.messages")


def _quotas_configured(conn: Connection) -> bool:
    """False when no quota is set anywhere and the defaults are unlimited: then a delivery to many
    mailboxes need not look up each one's limits."""
    if any(settings_registry.get(name).default for name in QUOTA_SETTINGS):
        return True
    v = s.setting_values
    return conn.execute(select(v.c.id).where(v.c.name.in_(QUOTA_SETTINGS)).limit(1)).first() is not None


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


def _usage(conn: Connection, account_id: int, delta_bytes: int, delta_messages: int) -> None:
    conn.execute(
        update(s.accounts)
        .where(s.accounts.c.id == account_id)
        .values(
            used_bytes=s.accounts.c.used_bytes + delta_bytes,
            message_count=s.accounts.c.message_count + delta_messages,
        )
    )


def _rows_for_uids(conn: Connection, folder_id: int, uids: Sequence[int]) -> Iterator[Any]:
    for chunk in _chunks(list(uids), 500):
        yield from conn.execute(
            select(s.messages)
            .where(and_(s.messages.c.folder_id == folder_id, s.messages.c.uid.in_(chunk)))
            .order_by(s.messages.c.uid)
        )


def _chunks(items: Sequence[int], n: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _count(items: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


def search_words(query: str) -> list[str]:
    """The words of a search string, lower-cased; punctuation separates words as in the index."""
    return [w for w in re.findall(r"[^\W_]+", query.lower()) if w][:32]
