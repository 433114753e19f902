"""`fieldpost storage check|repair`: verify what the crash rules promise, and mend what they allow.

What can be found after any crash, and what repair does about it:

* a blob file with no body row (a delivery died before its commit) -> deleted;
* a stale temporary blob file (a writer died before its rename) -> deleted;
* a body row with refcount 0, or a refcount that disagrees with its references (messages, queued
  messages, expunged messages held for IMAP sessions) -> recounted / collected;
* folder totals, UIDNEXT/HIGHESTMODSEQ or account usage that disagree with the rows -> recounted;
* conversation rows (``folder_threads``) that disagree with the messages -> every conversation recounted.

A body row whose blob file is missing is data loss, which the write order is meant to make impossible; it
is reported and never "repaired" away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, case, func, select, update

from storage import flags as fl
from storage import folder_threads
from storage import schema as s
from storage.models import CheckReport
from storage.names import as_utc

if TYPE_CHECKING:
    from storage.store import Store


def run_check(store: Store, *, repair: bool = False) -> CheckReport:
    report = CheckReport()
    _check_bodies(store, report, repair)
    _check_blob_files(store, report, repair)
    _check_folders(store, report, repair)
    _check_threads(store, report, repair)
    _check_accounts(store, report, repair)
    return report


def _note(report: CheckReport, repair: bool, problem: str) -> None:
    (report.repaired if repair else report.problems).append(problem)


def _references(conn: Connection) -> dict[int, int]:
    refs: dict[int, int] = {}
    for table in (s.messages, s.queue_messages, s.expunged_holds):  # a hold keeps its body (storage.holds)
        for body_id, n in conn.execute(select(table.c.body_id, func.count()).group_by(table.c.body_id)):
            refs[int(body_id)] = refs.get(int(body_id), 0) + int(n)
    return refs


def _check_bodies(store: Store, report: CheckReport, repair: bool) -> None:
    with store.db.write() if repair else store.db.read() as conn:
        refs = _references(conn)
        for row in conn.execute(select(s.bodies.c.id, s.bodies.c.sha256, s.bodies.c.refcount)).all():
            actual = refs.get(int(row.id), 0)
            if row.refcount != actual:
                _note(
                    report,
                    repair,
                    f"body {row.sha256[:12]}: refcount {row.refcount}, referenced {actual} times",
                )
                if repair:
                    conn.execute(update(s.bodies).where(s.bodies.c.id == row.id).values(refcount=actual))
            if not store.blobs.exists(row.sha256):
                if actual:
                    report.problems.append(
                        f"body {row.sha256[:12]}: blob file missing ({actual} messages affected)"
                    )
                else:
                    _note(report, repair, f"body {row.sha256[:12]}: unreferenced row without blob file")
                    if repair:
                        conn.execute(s.bodies.delete().where(s.bodies.c.id == row.id))
    if repair:
        while store.mail.collect_garbage():
            pass
    else:
        with store.db.read() as conn:
            n = conn.execute(
                select(func.count()).select_from(s.bodies).where(s.bodies.c.refcount <= 0)
            ).scalar_one()
            if n:
                report.problems.append(f"{n} unreferenced bodies waiting for collection")


def _check_blob_files(store: Store, report: CheckReport, repair: bool) -> None:
    with store.db.read() as conn:
        known = set(conn.execute(select(s.bodies.c.sha256)).scalars())
    for sha in store.blobs:
        if sha not in known:
            _note(report, repair, f"blob {sha[:12]}: file without a body row (orphan)")
            if repair:
                with store.db.write() as conn:  # re-check under the write lock: a delivery may own it now
                    if conn.execute(select(s.bodies.c.id).where(s.bodies.c.sha256 == sha)).first() is None:
                        store.blobs.delete(sha)
    for tmp in store.blobs.stale_temporaries():
        _note(report, repair, f"temporary blob file {tmp.name} left by an interrupted write")
        if repair:
            tmp.unlink(missing_ok=True)


def _check_folders(store: Store, report: CheckReport, repair: bool) -> None:
    m = s.messages
    with store.db.write() if repair else store.db.read() as conn:
        actual: dict[int, Any] = {
            int(r.folder_id): r
            for r in conn.execute(
                select(
                    m.c.folder_id,
                    func.count().label("n"),
                    func.sum(case((m.c.flags.op("&")(fl.SEEN) == 0, 1), else_=0)).label("unseen"),
                    func.sum(m.c.size).label("bytes"),
                    func.max(m.c.uid).label("max_uid"),
                    func.max(m.c.modseq).label("max_modseq"),
                ).group_by(m.c.folder_id)
            )
        }
        max_expunged = dict(
            conn.execute(
                select(s.expunged.c.folder_id, func.max(s.expunged.c.modseq)).group_by(s.expunged.c.folder_id)
            ).all()
        )
        for f in conn.execute(select(s.folders)).all():
            a = actual.get(int(f.id))
            n, unseen, size = (int(a.n), int(a.unseen or 0), int(a.bytes or 0)) if a else (0, 0, 0)
            max_uid = int(a.max_uid) if a else 0
            max_modseq = max(int(a.max_modseq) if a else 0, int(max_expunged.get(f.id, 0) or 0))
            fix: dict[str, int] = {}
            if (f.message_count, f.unseen_count, f.total_bytes) != (n, unseen, size):
                fix.update(message_count=n, unseen_count=unseen, total_bytes=size)
            if f.uidnext <= max_uid:
                fix["uidnext"] = max_uid + 1
            if f.highestmodseq < max_modseq:
                fix["highestmodseq"] = max_modseq
            if fix:
                _note(
                    report,
                    repair,
                    f"folder {f.namespace}:{f.path or '/'}: counters disagree ({', '.join(sorted(fix))})",
                )
                if repair:
                    conn.execute(update(s.folders).where(s.folders.c.id == f.id).values(**fix))


def _check_threads(store: Store, report: CheckReport, repair: bool) -> None:
    """Conversation rows (storage.folder_threads) against the messages: counts, newest message, and
    each folder's thread_count. Any difference is repaired by recounting every conversation."""
    m, t = s.messages, s.folder_threads
    with store.db.write() if repair else store.db.read() as conn:
        actual = {
            (int(r.folder_id), r.thread_key): (int(r.n), as_utc(r.latest))
            for r in conn.execute(
                select(
                    m.c.folder_id,
                    m.c.thread_key,
                    func.count().label("n"),
                    func.max(m.c.sort_date).label("latest"),
                ).group_by(m.c.folder_id, m.c.thread_key)
            )
        }
        kept = {
            (int(r.folder_id), r.thread_key): (int(r.message_count), as_utc(r.latest_date))
            for r in conn.execute(select(t.c.folder_id, t.c.thread_key, t.c.message_count, t.c.latest_date))
        }
        per_folder: dict[int, int] = {}
        for folder_id, _key in actual:
            per_folder[folder_id] = per_folder.get(folder_id, 0) + 1
        counts_ok = all(
            int(r.thread_count) == per_folder.get(int(r.id), 0)
            for r in conn.execute(select(s.folders.c.id, s.folders.c.thread_count))
        )
        if actual != kept or not counts_ok:
            _note(report, repair, "conversation counts disagree with the messages")
            if repair:
                folder_threads.rebuild(conn)


def _check_accounts(store: Store, report: CheckReport, repair: bool) -> None:
    m = s.messages
    with store.db.write() if repair else store.db.read() as conn:
        usage = {
            int(r.account_id): (int(r.bytes or 0), int(r.n))
            for r in conn.execute(
                select(s.folders.c.account_id, func.sum(m.c.size).label("bytes"), func.count().label("n"))
                .join(s.folders, s.folders.c.id == m.c.folder_id)
                .where(s.folders.c.account_id.is_not(None))
                .group_by(s.folders.c.account_id)
            )
        }
        folder_counts: dict[int, int] = dict(
            conn.execute(
                select(s.folders.c.account_id, func.count())
                .where(s.folders.c.account_id.is_not(None), s.folders.c.path != "")
                .group_by(s.folders.c.account_id)
            ).all()
        )
        for a in conn.execute(select(s.accounts)).all():
            size, n = usage.get(int(a.id), (0, 0))
            folders = int(folder_counts.get(a.id, 0))
            if (a.used_bytes, a.message_count, a.folder_count) != (size, n, folders):
                _note(report, repair, f"account {a.local_part} (id {a.id}): usage counters disagree")
                if repair:
                    conn.execute(
                        update(s.accounts)
                        .where(s.accounts.c.id == a.id)
                        .values(used_bytes=size, message_count=n, folder_count=folders)
                    )
