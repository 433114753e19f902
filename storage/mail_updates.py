"""Changing messages already stored: flags, copy, move and expunge.

Every change in one transaction takes one new MODSEQ per folder touched (RFC 7162 3.1) and keeps the
folder totals and account usage right in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from storage import flags as fl
from storage import folder_threads
from storage import folders as fo
from storage import schema as s
from storage.errors import QuotaExceeded
from storage.list_keys import ListKeys
from storage.mail_bodies import _chunks
from storage.mail_delivery import MailDelivery, _usage
from storage.models import FlagChange, Folder
from storage.names import as_utc, utcnow
from storage.pim import item_rows


class MailUpdates(MailDelivery):
    """Flags, copy, move, expunge and emptying a folder."""

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
            [
                (r.body_id, r.size, r.flags, r.keywords, as_utc(r.internal_date) or utcnow(), row_keys(r))
                for r in rows
            ],
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
        if item_rows.is_pim(folder):
            item_rows.record_removed(conn, folder, ids, modseq)  # sync-collection reports the names
        for chunk in _chunks(ids, 500):
            conn.execute(s.messages.delete().where(s.messages.c.id.in_(chunk)))
        folder_threads.removed(conn, folder.id, [r.thread_key for r in rows])
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
        conn.execute(s.folder_threads.delete().where(s.folder_threads.c.folder_id == folder.id))
        conn.execute(update(s.folders).where(s.folders.c.id == folder.id).values(thread_count=0))
        if folder.account_id is not None:
            _usage(
                conn, folder.account_id, -sum(int(r[2]) for r in per_body), -sum(int(r[1]) for r in per_body)
            )


def _rows_for_uids(conn: Connection, folder_id: int, uids: Sequence[int]) -> Iterator[Any]:
    for chunk in _chunks(list(uids), 500):
        yield from conn.execute(
            select(s.messages)
            .where(and_(s.messages.c.folder_id == folder_id, s.messages.c.uid.in_(chunk)))
            .order_by(s.messages.c.uid)
        )


def _count(items: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


def row_keys(row: Any) -> ListKeys:
    """The list keys of an existing message row, which its copies keep."""
    return ListKeys(as_utc(row.sort_date) or utcnow(), row.sort_subject, row.sort_from, row.thread_key)
