"""Adding messages to folders: delivery to many recipients, and append (system and on a user's behalf).

UIDs and the MODSEQ come from the locked folder row, and folder totals and account usage are updated
in the same transaction; quotas are checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, insert, select, update

from storage import dialect, folder_threads, mime
from storage import flags as fl
from storage import folders as fo
from storage import schema as s
from storage import settings as settings_registry
from storage.blobs import sha256_hex, sync_before_commit
from storage.errors import InvalidInput, NotFound, QuotaExceeded
from storage.groups import resolve
from storage.list_keys import ListKeys, parsed_keys
from storage.mail_bodies import MailBodies
from storage.models import DeliveryFailure, DeliveryProblem, DeliveryResult, Folder
from storage.names import as_utc, folder_path, utcnow
from storage.pim import item_rows


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


class MailDelivery(MailBodies):
    """Deliver and append: new messages into folders."""

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
        entries: Sequence[Entry],
        *,
        raws: Sequence[bytes] | None = None,
        pim_names: Sequence[str | None] | None = None,
    ) -> tuple[Folder, list[int]]:
        """Insert messages (body id, size, flag bits, keywords, internal date, list keys) into one folder.

        In a PIM-kind folder each gets its organizer row too (storage.pim.item_rows), from ``raws`` (the
        bytes, in ``entries`` order) when given, else from the blobs; ``pim_names`` are the resource
        names wanted (None: made from each item's UID)."""
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
                    **keys.columns(),
                }
                for uid, (body_id, size, bits, kw, date, keys) in zip(uids, entries, strict=True)
            ],
        )
        folder_threads.added(
            conn,
            folder_id,
            [(uid, e[5].thread_key, e[5].sort_date) for uid, e in zip(uids, entries, strict=True)],
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
        if item_rows.is_pim(folder):
            item_rows.index_added(self.store, conn, folder, uids, raws, pim_names)
        self.store.changes.record(conn, folder_id, folder.account_id, modseq, "new", uids[-1])
        return folder, uids

    def _add_to_folders(self, conn: Connection, folder_ids: Sequence[int], entry: Entry) -> list[int]:
        """One new message (the same entry) in each of several distinct folders, in a fixed number of
        statements whatever their count (the 50-recipient delivery path), each built once."""
        body_id, size, bits, kw, date, keys = entry
        folders = {
            row.id: fo.row_to_folder(row)
            for row in conn.execute(_locked_folders(conn), {"ids": list(folder_ids)})
        }
        uids = [folders[fid].uidnext for fid in folder_ids]
        unseen = 0 if bits & fl.SEEN else 1
        columns = keys.columns()
        conn.execute(
            _INSERT_MESSAGE,
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
                    **columns,
                }
                for fid in folder_ids
            ],
        )
        new_threads = set(
            folder_threads.added_to_folders(
                conn,
                keys.thread_key,
                keys.sort_date,
                [(fid, folders[fid].uidnext) for fid in folder_ids],
                count=False,  # folded into the folder update below
            )
        )
        conn.execute(
            _BUMP_FOLDER,
            [
                {
                    "fid": fid,
                    "next": folders[fid].uidnext + 1,
                    "modseq": folders[fid].highestmodseq + 1,
                    "d_unseen": unseen,
                    "d_bytes": size,
                    "d_threads": 1 if fid in new_threads else 0,
                }
                for fid in folder_ids
            ],
        )
        owners = [folders[fid].account_id for fid in folder_ids if folders[fid].account_id is not None]
        if owners:
            conn.execute(_BUMP_ACCOUNT, [{"aid": aid, "d_bytes": size} for aid in owners])
        for fid in folder_ids:
            if item_rows.is_pim(folders[fid]):  # a delivery filed into a calendar or contacts folder
                item_rows.index_added(self.store, conn, folders[fid], [folders[fid].uidnext])
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
        finish_queue: bool = False,
    ) -> DeliveryResult:
        """Deliver one message to local recipients: one blob, one body row, a message row per mailbox.

        Each recipient is resolved (aliases, groups, forwarders; a folder recipient's copy goes into its
        public folder, whatever ``folder`` says); a recipient that is unknown or over
        quota is reported in ``failed`` (a ``DeliveryFailure`` naming the problem) without affecting the
        others. Outside addresses reached through groups or forwarders are returned in ``external`` for
        the caller to relay.

        With ``queue_id``, the queue recipients in ``mark_sent`` (default: all) that did not fail are
        marked "sent" in the same transaction as the delivery, so a crash can neither lose the mail nor
        deliver it twice when the queue worker runs again. With ``finish_queue`` too (the caller knows
        nothing else is left to do for that queued message once every recipient here is delivered), the
        queued message is removed in that same transaction when no recipient failed
        (``result.queue_finished``): no second commit for the queue's final state.
        """
        parsed = mime.parse_message(raw)
        sha = sha256_hex(raw)
        result = DeliveryResult(sha256=sha)
        path = folder_path(folder)
        # the file outside the write lock (and off the hub); its directory is fsync'd with the group
        _sha, dirs = self.store.blobs.put_unsynced(raw, sha)

        def unit(conn: Connection) -> None:
            sync_before_commit(conn.info, dirs)
            targets: dict[int, str] = {}
            public: dict[int, str] = {}  # folder recipients: public folder id -> recipient
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
                for fid in res.folder_ids:
                    public.setdefault(fid, rcpt)
            accepted: list[tuple[int, str, int]] = []  # account id, recipient, folder id
            quotas = _quotas_configured(conn)
            for aid, rcpt in targets.items():
                reason = self._quota_ok(conn, aid, len(raw)) if quotas else None
                if reason:
                    result.failed[rcpt] = DeliveryFailure(DeliveryProblem.MAILBOX_FULL, reason)
                    continue
                accepted.append((aid, rcpt, self._delivery_folder(conn, aid, path)))
            # a folder recipient files into its public folder whatever folder was asked: no quota applies
            accepted += [(0, rcpt, fid) for fid, rcpt in public.items()]
            if not accepted:
                self._discard_unreferenced(conn, sha)
                return
            body_id = self.reference_body(conn, sha, raw, parsed, len(accepted))
            now = utcnow()
            uids = self._add_to_folders(
                conn,
                [fid for _a, _r, fid in accepted],
                (body_id, len(raw), 0, "", now, parsed_keys(parsed, now, sha)),
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
                if finish_queue and not result.failed:
                    self.store.queue.finish_in(conn, queue_id)  # last: it may unlink the queued file
                    result.queue_finished = True

        self.store.db.write_unit(unit)  # grouped with other sessions' writes, durable on return
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
        sha, dirs = self.store.blobs.put_unsynced(raw)

        def unit(conn: Connection) -> NewMessage:
            sync_before_commit(conn.info, dirs)
            return self.append_in(conn, folder_id, staged, sha, internal_date)

        return self.store.db.write_unit(unit)

    def stage(self, raw: bytes, flags: Iterable[str] = ()) -> StagedMessage:
        """Check and parse a message to append; nothing is written yet.

        Raises:
            InvalidInput: an empty message or a bad flag.
        """
        if not raw:
            raise InvalidInput("an empty message cannot be stored")
        bits, keywords = fl.encode(flags)
        return StagedMessage(raw, bits, keywords, mime.parse_message(raw))

    def check_quota_in(
        self, conn: Connection, folder_id: int, size: int, *, folder: Folder | None = None
    ) -> None:
        """Raise QuotaExceeded unless the folder's owner can take ``size`` more bytes and one message
        (``folder``: its row, when the caller read it in this transaction)."""
        if folder is None:
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
        *,
        pim_name: str | None = None,
        folder: Folder | None = None,
    ) -> NewMessage:
        """Add a staged message whose blob (``sha``) is written, inside the caller's write transaction
        (``pim_name``: the organizer's resource name for it, in a PIM-kind folder; ``folder``: its row,
        when the caller read it in this transaction)."""
        self.check_quota_in(conn, folder_id, len(staged.raw), folder=folder)
        body_id = self.reference_body(conn, sha, staged.raw, staged.parsed, 1)
        date = as_utc(internal_date) or utcnow()
        keys = parsed_keys(staged.parsed, date, sha)
        entry = (body_id, len(staged.raw), staged.bits, staged.keywords, date, keys)
        names = None if pim_name is None else [pim_name]
        before, uids = self._add(conn, folder_id, [entry], raws=[staged.raw], pim_names=names)
        return NewMessage(folder_id, uids[0], before.highestmodseq + 1)  # the MODSEQ _add gave it

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


QUOTA_SETTINGS = ("quota.storage_bytes", "quota.messages")

# A message row to insert: body id, size, flag bits, keywords, internal date, list keys.
Entry = tuple[int, int, int, str, datetime, ListKeys]


def _quotas_configured(conn: Connection) -> bool:
    """False when no quota is set anywhere and the defaults are unlimited: then a delivery to many
    mailboxes need not look up each one's limits."""
    if any(settings_registry.get(name).default for name in QUOTA_SETTINGS):
        return True
    return conn.execute(_ANY_QUOTA_SET).first() is not None


# The statements of every delivery, built once: SQLAlchemy then reuses their cache key and compiled form
# instead of building, coercing and keying new ones per message (bench/README.md, "Delivery CPU").
_ANY_QUOTA_SET = select(s.setting_values.c.id).where(s.setting_values.c.name.in_(QUOTA_SETTINGS)).limit(1)
_FOLDERS_BY_IDS = (
    select(s.folders).where(s.folders.c.id.in_(bindparam("ids", expanding=True))).order_by(s.folders.c.id)
)
_LOCKED_FOLDERS: dict[str, Select[Any]] = {}  # _FOLDERS_BY_IDS locking its rows, per dialect
_INSERT_MESSAGE = insert(s.messages)
_BUMP_FOLDER = (
    update(s.folders)
    .where(s.folders.c.id == bindparam("fid"))
    .values(
        uidnext=bindparam("next"),
        highestmodseq=bindparam("modseq"),
        message_count=s.folders.c.message_count + 1,
        unseen_count=s.folders.c.unseen_count + bindparam("d_unseen"),
        total_bytes=s.folders.c.total_bytes + bindparam("d_bytes"),
        thread_count=s.folders.c.thread_count + bindparam("d_threads"),
    )
)
_BUMP_ACCOUNT = (
    update(s.accounts)
    .where(s.accounts.c.id == bindparam("aid"))
    .values(
        used_bytes=s.accounts.c.used_bytes + bindparam("d_bytes"),
        message_count=s.accounts.c.message_count + 1,
    )
)


def _locked_folders(conn: Connection) -> Select[Any]:
    """The folders of a delivery, their rows locked until the commit (FOR UPDATE on PostgreSQL)."""
    query = _LOCKED_FOLDERS.get(conn.dialect.name)
    if query is None:
        query = _LOCKED_FOLDERS[conn.dialect.name] = dialect.lock_rows(conn, _FOLDERS_BY_IDS)
    return query


def _usage(conn: Connection, account_id: int, delta_bytes: int, delta_messages: int) -> None:
    conn.execute(
        update(s.accounts)
        .where(s.accounts.c.id == account_id)
        .values(
            used_bytes=s.accounts.c.used_bytes + delta_bytes,
            message_count=s.accounts.c.message_count + delta_messages,
        )
    )
