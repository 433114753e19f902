"""The organizer on behalf of one user: ``store.for_user(account_id).organizer``.

Implementation notes:

* Rights are storage.acl's, asked in the transaction of the work, exactly as for mail
  (storage.usermail): no "l" on a folder and it does not exist (``NotFound(acl.NO_SUCH_FOLDER)``); reading
  items needs "r"; a new item "i"; replacing one "i", "t" and "e" (it is an append and an expunge);
  deleting "t" and "e"; moving "r", "t", "e" on the source and "i" on the target; a collection's name
  and colour "x", like renaming the folder.
* An item is a message whose bytes are its iCalendar or vCard text. Replacing it expunges the old
  message and appends the new one in ONE write transaction, keeping its name (the ETag changes); the
  index rows and the removed names follow in the same transaction (storage.pim.item_rows), so IMAP, the
  change feed, quotas and backups see an item like any message.
* Items are parsed and their blobs written before the write transaction opens (refused early, as
  APPEND is); the rights, the ETag and If-None-Match conditions and the UID's uniqueness are checked
  again inside it, after locking the folder row (on PostgreSQL; SQLite's write lock serialises anyway),
  so two puts of one UID cannot both pass the check.
* Sync tokens are "<UIDVALIDITY>-<MODSEQ>": a folder deleted and made again under the same name has a
  new UIDVALIDITY, so an old token is refused there rather than answered wrongly.
* Reads are index reads: listing, a sync and a name or UID lookup never open a blob, except to return
  an item's bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from storage import acl, folder_tree
from storage import folders as fo
from storage import schema as s
from storage.errors import AlreadyExists, InvalidInput, NotFound, PreconditionFailed
from storage.models import Folder
from storage.pim import card_index, contact_search, feeds, freebusy, item_files, item_rows, task_list
from storage.pim import occurrences as occurrence_reads
from storage.pim.index import IndexedItem, check_name, parse_item, resource_name
from storage.pim.models import (
    ALLOWED_COMPONENTS,
    PIM_KINDS,
    Busy,
    Collection,
    Gone,
    ImportReport,
    Item,
    ItemPlace,
    ItemRef,
    Occurrence,
    SyncResult,
    TaskRow,
)

if TYPE_CHECKING:
    from storage.store import Store
    from storage.usermail import UserMail

NO_SUCH_ITEM = "no such item"
NOT_A_COLLECTION = "that folder is not a calendar, task, note, journal or contacts folder"
INVALID_SYNC_TOKEN = "invalid sync token"
MAX_DISPLAY_NAME = 200
MAX_COLOR = 16
REPLACE = acl.Rights.parse("ite")
REMOVE = acl.Rights.parse("te")


class Organizer:
    """Calendars, tasks, notes, journal and contacts as one account may see and change them."""

    def __init__(self, user: UserMail) -> None:
        self.user = user
        self.store: Store = user.store
        self.account_id = user.account_id

    # -- helpers shared by the organizer's modules ------------------------------------------------------

    def pim_folder(
        self, conn: Connection, folder_id: int, needed: str | acl.Rights
    ) -> tuple[Folder, acl.Rights]:
        """The folder and the user's rights, once they hold ``needed`` on a PIM-kind folder.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: a right missing.
            InvalidInput: a mail folder.
        """
        rights = acl.require(conn, self.account_id, folder_id, needed)
        folder = fo.folder_by_id(conn, folder_id)
        if folder.kind not in PIM_KINDS:
            raise InvalidInput(NOT_A_COLLECTION)
        return folder, rights

    def readable_folder_ids(self, conn: Connection, folder_ids: Iterable[int]) -> list[int]:
        """The PIM folders among ``folder_ids`` the user may read ("l" and "r"); the others are left out."""
        out = []
        for fid in dict.fromkeys(folder_ids):
            try:
                rights = acl.rights_for(conn, self.account_id, fid)
            except NotFound:
                continue
            if "lr" in rights and fo.folder_by_id(conn, fid).kind in PIM_KINDS:
                out.append(fid)
        return out

    def _owner_name(self, conn: Connection, folder: Folder) -> str:
        if folder.account_id is not None:
            return self.store.accounts.load(conn, folder.account_id).address
        name = conn.execute(select(s.domains.c.name).where(s.domains.c.id == folder.domain_id)).scalar_one()
        return "@" + str(name)

    # -- collections ------------------------------------------------------------------------------------

    def collections(self, kind: str | None = None) -> list[Collection]:
        """The user's own PIM folders, then those shared with them, then their domain's public ones, each
        part in path order; only folders with "l", and of ``kind`` when given.

        Raises:
            InvalidInput: an unknown kind.
        """
        if kind is not None and kind not in PIM_KINDS:
            raise InvalidInput(f"unknown collection kind {kind!r}; expected one of {', '.join(PIM_KINDS)}")
        with self.store.db.read() as conn:
            tree = [t for t in folder_tree.tree_in(conn, self.account_id, kind=kind) if t.kind in PIM_KINDS]
            ids = [t.id for t in tree]
            counters = {
                int(r.id): r
                for r in conn.execute(
                    select(s.folders.c.id, s.folders.c.uidvalidity, s.folders.c.highestmodseq).where(
                        s.folders.c.id.in_(ids)
                    )
                )
            }
            props = _props(conn, ids)
        out = []
        for t in tree:
            row = counters[t.id]
            name, color = props.get(t.id, (None, None))
            out.append(
                Collection(
                    folder_id=t.id,
                    owner=t.owner,
                    path=t.path,
                    kind=t.kind,
                    display_name=name or t.name,
                    rights=t.rights,
                    ctag=f"{row.uidvalidity}-{row.highestmodseq}",
                    shared=t.section == "shared",
                    public=t.section == "public",
                    color=color,
                )
            )
        return out

    def collection(self, folder_id: int) -> Collection:
        """One PIM folder the user may look up.

        Raises:
            NotFound: no such folder, or no "l". InvalidInput: a mail folder.
        """
        with self.store.db.read() as conn:
            return self._collection(conn, folder_id)

    def _collection(self, conn: Connection, folder_id: int) -> Collection:
        folder, rights = self.pim_folder(conn, folder_id, acl.NONE)
        name, color = _props(conn, [folder_id]).get(folder_id, (None, None))
        section = "personal"
        if folder.account_id is None:
            section = "public"
        elif folder.account_id != self.account_id:
            section = "shared"
        return Collection(
            folder_id=folder.id,
            owner=self._owner_name(conn, folder),
            path=folder.path,
            kind=folder.kind,
            display_name=name or folder.name,
            rights=rights,
            ctag=f"{folder.uidvalidity}-{folder.highestmodseq}",
            shared=section == "shared",
            public=section == "public",
            color=color,
        )

    def create_collection(
        self, path: str, kind: str, display_name: str | None = None, owner: str | None = None
    ) -> Collection:
        """Create a PIM folder of ``kind`` at ``path`` in ``owner``'s tree (default: the user's own
        mailbox; "@domain" for a public folder); needs "k" on its parent, as IMAP CREATE does.

        Raises:
            InvalidInput: an unknown kind, a bad path or display name. AlreadyExists: the folder exists
            and the user can see it. PermissionDenied: the folder may not be made there.
            QuotaExceeded: the owner's folder quota.
        """
        if kind not in PIM_KINDS:
            raise InvalidInput(f"unknown collection kind {kind!r}; expected one of {', '.join(PIM_KINDS)}")
        name = _display_name(display_name)
        if owner is None:
            with self.store.db.read() as conn:
                owner = self.store.accounts.load(conn, self.account_id).address
        folder = self.user.create_folder(owner, path, kind=kind)
        if name is not None:
            with self.store.db.write() as conn:
                _set_props(conn, folder.id, {"display_name": name})
        return self.collection(folder.id)

    def update_collection(
        self, folder_id: int, *, display_name: str | None = None, color: str | None = None
    ) -> Collection:
        """Change a collection's display name and/or colour (None leaves one as it is, "" clears it);
        needs "x", the right to rename the folder.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "x".
            InvalidInput: a mail folder, a name too long, a colour that is not "#rrggbb" or "#rrggbbaa".
        """
        values: dict[str, str | None] = {}
        if display_name is not None:
            values["display_name"] = _display_name(display_name)
        if color is not None:
            values["color"] = _color(color)
        with self.store.db.write() as conn:
            folder, _ = self.pim_folder(conn, folder_id, "x")
            if values:
                _set_props(conn, folder_id, values)
                self.store.changes.record(conn, folder_id, folder.account_id, folder.highestmodseq, "folder")
            return self._collection(conn, folder_id)

    def delete_collection(self, folder_id: int) -> None:
        """Delete a PIM folder with its items and subfolders; needs "x" on each, as IMAP DELETE does.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "x". InvalidInput: a mail folder.
        """
        with self.store.db.read() as conn:
            folder, _ = self.pim_folder(conn, folder_id, acl.NONE)
            owner = self._owner_name(conn, folder)
        self.user.delete_folder(owner, folder.path)

    # -- items ------------------------------------------------------------------------------------------

    def items(self, folder_id: int) -> list[ItemRef]:
        """Every item's name, ETag and MODSEQ, in name order (one index read).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r". InvalidInput: a mail folder.
        """
        p, m = s.pim_items, s.messages
        with self.store.db.read() as conn:
            self.pim_folder(conn, folder_id, "r")
            rows = conn.execute(
                select(p.c.name, p.c.etag, m.c.modseq, p.c.item_key, p.c.component)
                .join(m, m.c.id == p.c.message_id)
                .where(p.c.folder_id == folder_id)
                .order_by(p.c.name)
            ).all()
        return [_ref(r) for r in rows]

    def get(self, folder_id: int, name: str) -> Item:
        """One item with its bytes.

        Raises:
            NotFound: no such folder or item, or no "l". PermissionDenied: no "r".
        """
        found = self._items_where(folder_id, s.pim_items.c.name == name)
        if not found:
            raise NotFound(NO_SUCH_ITEM)
        return found[0]

    def get_many(self, folder_id: int, names: Iterable[str]) -> list[Item]:
        """The items of ``names`` that exist, in name order (a DAV multiget).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        wanted = sorted(set(names))
        out: list[Item] = []
        for start in range(0, max(len(wanted), 1), 500):
            out += self._items_where(folder_id, s.pim_items.c.name.in_(wanted[start : start + 500]))
        return sorted(out, key=lambda item: item.name)

    def find_uid(self, folder_id: int, item_uid: str) -> Item | None:
        """The item whose iCalendar/vCard UID is ``item_uid``, or None.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        found = self._items_where(folder_id, s.pim_items.c.item_uid == item_uid)
        return found[0] if found else None

    def _items_where(self, folder_id: int, condition: Any) -> list[Item]:
        p, m, b = s.pim_items, s.messages, s.bodies
        with self.store.db.read() as conn:
            self.pim_folder(conn, folder_id, "r")
            rows = conn.execute(
                select(p, m.c.modseq, b.c.sha256)
                .join(m, m.c.id == p.c.message_id)
                .join(b, b.c.id == m.c.body_id)
                .where(p.c.folder_id == folder_id, condition)
            ).all()
        return [
            Item(
                name=r.name,
                etag=r.etag,
                modseq=int(r.modseq),
                uid=int(r.uid),
                component=r.component,
                data=self.store.blobs.read(r.sha256),
                summary=r.summary,
                item_uid=r.item_uid,
                key=int(r.item_key or 0),
            )
            for r in rows
        ]

    def put(
        self,
        folder_id: int,
        name: str | None,
        data: bytes,
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> ItemRef:
        """Store an item: new under ``name``, or replacing the item of that name. With ``name`` None the
        name is made from the UID, and an item already holding that UID is replaced.

        Args:
            if_match: the ETag the item must have now (HTTP If-Match); a new item fails it.
            if_none_match: the item must not exist yet (HTTP If-None-Match: *).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "i" (and "t", "e" to replace).
            InvalidInput: bad iCalendar/vCard (the message says what), too big, a component this kind of
            folder does not hold, a bad name, or a mail folder.
            PreconditionFailed: ``if_match`` or ``if_none_match`` not met.
            AlreadyExists: another item of the folder has this UID.
            QuotaExceeded: the owner's mailbox is full.
        """
        if name is not None:
            check_name(name)
        mail = self.store.mail
        with self.store.db.read() as conn:
            folder, _ = self.pim_folder(conn, folder_id, "i")
            item = parse_item(data, max_bytes=item_rows.max_item_bytes(self.store, conn, folder))
            mail.check_quota_in(conn, folder_id, len(data))
        _check_component(folder, item)
        staged = mail.stage(data)
        sha = self.store.blobs.put(data)

        def unit(conn: Connection) -> ItemRef:
            folder, rights = self.pim_folder(conn, folder_id, "i")
            fo.folder_by_id(conn, folder_id, lock=True)  # PostgreSQL: puts to one folder check in turn
            by_uid = _row(conn, folder_id, s.pim_items.c.item_uid == item.item_uid)
            target = (
                name
                if name is not None
                else (by_uid.name if by_uid else resource_name(item.item_uid, item.component))
            )
            old = (
                by_uid
                if by_uid is not None and by_uid.name == target
                else _row(conn, folder_id, s.pim_items.c.name == target)
            )
            if if_none_match and old is not None:
                raise PreconditionFailed("an item of that name exists")
            if if_match is not None and (old is None or old.etag != _bare_etag(if_match)):
                raise PreconditionFailed("the item has changed (ETag mismatch)")
            if by_uid is not None and by_uid.name != target:
                raise AlreadyExists(f"the UID {item.item_uid!r} is already used by item {by_uid.name!r}")
            if old is not None:
                acl.require(conn, self.account_id, folder_id, REPLACE)
                self._expunge(conn, folder, old.uid)
            new = mail.append_in(conn, folder_id, staged, sha, None, pim_name=target)
            row = _row(conn, folder_id, s.pim_items.c.name == target)
            if row is None or row.uid != new.uid:
                raise InvalidInput("the item could not be indexed")  # rolled back; parse_item accepted it
            key = int(row.item_key)
            if old is not None and old.item_key is not None:
                key = int(old.item_key)
                item_rows.keep_key(conn, folder_id, new.uid, key)  # replaced, not a new item
            return ItemRef(target, row.etag, new.modseq, key, row.component)

        return self.store.db.write_unit(unit)

    def _expunge(self, conn: Connection, folder: Folder, uid: int) -> None:
        rows = conn.execute(
            select(s.messages).where(s.messages.c.folder_id == folder.id, s.messages.c.uid == uid)
        ).all()
        if rows:
            self.store.mail._expunge_rows(conn, fo.folder_by_id(conn, folder.id, lock=True), rows)

    def delete(self, folder_id: int, name: str, *, if_match: str | None = None) -> None:
        """Remove an item (expunged at once: no Trash for organizer items); a sync reports its name.

        Raises:
            NotFound: no such folder or item, or no "l". PermissionDenied: no "t" or "e".
            PreconditionFailed: ``if_match`` given and not the item's ETag.
        """

        def unit(conn: Connection) -> None:
            folder, _ = self.pim_folder(conn, folder_id, REMOVE)
            fo.folder_by_id(conn, folder_id, lock=True)
            old = _row(conn, folder_id, s.pim_items.c.name == name)
            if old is None:
                raise NotFound(NO_SUCH_ITEM)
            if if_match is not None and old.etag != _bare_etag(if_match):
                raise PreconditionFailed("the item has changed (ETag mismatch)")
            self._expunge(conn, folder, old.uid)

        self.store.db.write_unit(unit)

    def move(self, folder_id: int, name: str, to_folder_id: int) -> ItemRef:
        """Move an item to another PIM folder under the same name (rights as an IMAP MOVE). It keeps its
        ``key``: a sync of the source lists it in ``gone``, one of the target in ``changed``.

        Raises:
            NotFound: a folder or the item missing, or no "l". PermissionDenied: "r", "t" or "e" missing
            on the source or "i" on the target. InvalidInput: the target does not hold this component.
            AlreadyExists: the target has an item of that name or UID. QuotaExceeded: the target's owner.
        """

        def unit(conn: Connection) -> ItemRef:
            self.pim_folder(conn, folder_id, "rte")
            target, _ = self.pim_folder(conn, to_folder_id, "i")
            fo.folder_by_id(conn, to_folder_id, lock=True)  # the target first, as an IMAP MOVE locks
            old = _row(conn, folder_id, s.pim_items.c.name == name)
            if old is None:
                raise NotFound(NO_SUCH_ITEM)
            if old.component not in ALLOWED_COMPONENTS[target.kind]:
                raise InvalidInput(f"a {target.kind} folder does not hold {old.component} items")
            p = s.pim_items
            clash = _row(conn, to_folder_id, (p.c.name == name) | (p.c.item_uid == old.item_uid))
            if clash is not None:
                raise AlreadyExists(
                    f"the target folder already has an item {clash.name!r} with that name or UID"
                )
            new_uid = self.store.mail.copy_in(conn, folder_id, [old.uid], to_folder_id, move=True)[old.uid]
            conn.execute(update(p).where(p.c.folder_id == to_folder_id, p.c.uid == new_uid).values(name=name))
            if old.item_key is not None:
                item_rows.keep_key(conn, to_folder_id, new_uid, int(old.item_key))  # the same item, moved
            row = _row(conn, to_folder_id, p.c.name == name)
            if row is None:
                raise InvalidInput("the item could not be indexed in the target folder")
            modseq = fo.folder_by_id(conn, to_folder_id).highestmodseq
            return ItemRef(name, row.etag, modseq, int(row.item_key), row.component)

        return self.store.db.write_unit(unit)

    # -- sync (RFC 6578) --------------------------------------------------------------------------------

    def sync(self, folder_id: int, token: str | None) -> SyncResult:
        """What changed since ``token`` (None or "": everything, as an initial sync), and the new token.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
            InvalidInput: ``INVALID_SYNC_TOKEN`` for a token not made by this folder (or a newer one).
        """
        p, m, r, g = s.pim_items, s.messages, s.pim_removed, s.pim_gone
        with self.store.db.read() as conn:
            folder, _ = self.pim_folder(conn, folder_id, "r")
            since = _since(folder, token)
            q = (
                select(p.c.name, p.c.etag, m.c.modseq, p.c.item_key, p.c.component)
                .join(m, m.c.id == p.c.message_id)
                .where(p.c.folder_id == folder_id)
            )
            if since:
                q = q.where(m.c.folder_id == folder_id, m.c.modseq > since)
            changed = [_ref(row) for row in conn.execute(q.order_by(m.c.modseq, p.c.name))]
            removed: list[str] = []
            gone: list[Gone] = []
            if since:
                gone = [
                    Gone(int(row.item_key), row.component)
                    for row in conn.execute(
                        select(g.c.item_key, g.c.component)
                        .where(g.c.folder_id == folder_id, g.c.modseq > since)
                        .order_by(g.c.item_key)
                    )
                ]
                present = select(p.c.message_id).where(p.c.folder_id == folder_id, p.c.name == r.c.name)
                removed = [
                    str(n)
                    for n in conn.execute(
                        select(r.c.name)
                        .where(r.c.folder_id == folder_id, r.c.modseq > since, ~present.exists())
                        .order_by(r.c.name)
                    ).scalars()
                ]
        return SyncResult(f"{folder.uidvalidity}-{folder.highestmodseq}", changed, removed, gone)

    def locate(self, keys: Iterable[int]) -> list[ItemPlace]:
        """Where the items of ``keys`` are now, for those in a folder the user may read ("l" and "r");
        keys of items that are gone or out of reach are left out (one index read per 500 keys)."""
        wanted = sorted({int(k) for k in keys})
        p = s.pim_items
        found: list[Any] = []
        with self.store.db.read() as conn:
            for start in range(0, len(wanted), 500):
                found += conn.execute(
                    select(p.c.item_key, p.c.folder_id, p.c.name, p.c.component).where(
                        p.c.item_key.in_(wanted[start : start + 500])
                    )
                ).all()
            readable = set(self.readable_folder_ids(conn, {int(r.folder_id) for r in found}))
        return [
            ItemPlace(int(r.item_key), int(r.folder_id), r.name, r.component)
            for r in sorted(found, key=lambda r: int(r.item_key))
            if int(r.folder_id) in readable
        ]

    # -- reads over many items (storage.pim.occurrences, task_list, freebusy, contact_search) -----------

    def occurrences(
        self, folder_ids: Iterable[int], start: datetime, end: datetime, *, limit: int = 5000
    ) -> list[Occurrence]:
        """The occurrences of the events of ``folder_ids`` that overlap [start, end), recurrences
        expanded on read, sorted by start; folders without "r" are left out (storage.pim.occurrences).

        Raises:
            InvalidInput: ``end`` not after ``start``, a range over ten years, or ``limit`` below 1.
        """
        return occurrence_reads.occurrences(self, folder_ids, start, end, limit=limit)

    def names_in_range(self, folder_id: int, start: datetime, end: datetime) -> list[str]:
        """The names of the events of ``folder_id`` with at least one instance overlapping [start, end),
        in name order; no cap on their number. One-off events are decided by the index alone, only
        recurring ones are expanded (and only to their first instance in the range), so a wide range
        over a large calendar costs an index read, not a parse of every event (CalDAV's time-range
        queries). A folder without "r" gives nothing.

        Raises:
            InvalidInput: ``end`` not after ``start`` or a range over ten years.
        """
        return occurrence_reads.names_in_range(self, folder_id, start, end)

    def tasks(self, folder_ids: Iterable[int], *, include_done: bool = True) -> list[TaskRow]:
        """The tasks of ``folder_ids`` (folders without "r" left out), due first (storage.pim.task_list)."""
        return task_list.tasks(self, folder_ids, include_done=include_done)

    def free_busy(self, address: str, start: datetime, end: datetime) -> list[Busy]:
        """Busy periods of ``address``'s calendars in [start, end), without any detail of the events.

        Raises:
            PermissionDenied: not the user's own, no "1" on the owner's mailbox root and no readable
            calendar of theirs (also for an address of a local domain that names nobody).
            NotFound: a domain this server does not serve. InvalidInput: a bad address or range.
        """
        return freebusy.free_busy(self, address, start, end)

    def search_contacts(self, text: str, *, limit: int = 50) -> list[Item]:
        """Cards of the readable address books whose name or address holds every word of ``text``,
        folded ("muller" finds "Müller"; storage.pim.contact_search).

        Raises:
            InvalidInput: a query over 200 characters, or ``limit`` outside 1..500.
        """
        return contact_search.search_contacts(self, text, limit=limit)

    def card_rows(self, folder_ids: Iterable[int]) -> list[card_index.CardRow]:
        """The index rows of every card of ``folder_ids`` the user may read (folders without "r" left
        out), by folder and name: name, UID, FN, addresses, MODSEQ (storage.pim.card_index)."""
        return card_index.card_rows(self, folder_ids)

    def expunged_since(self, folder_id: int, modseq: int) -> bool:
        """Whether an item of the folder was replaced or deleted after ``modseq``.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        return card_index.expunged_since(self, folder_id, modseq)

    # -- files and feeds (storage.pim.item_files, feeds) -----------------------------------------------

    def import_items(self, folder_id: int, data: bytes) -> ImportReport:
        """Store the items of an .ics or .vcf file; each broken one reported by position and reason.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "i".
            InvalidInput: not an .ics/.vcf file, the wrong kind of file for the folder, or too big.
        """
        return item_files.import_items(self, folder_id, data)

    def export_items(self, folder_id: int) -> bytes:
        """The folder's items as one file: a VCALENDAR, or the vCards one after another.

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "r".
        """
        return item_files.export_items(self, folder_id)

    def feed_token(self, folder_id: int, *, renew: bool = False) -> str:
        """The secret of the calendar's read-only ICS feed link (made on first call; ``renew`` replaces
        it and the old link stops working; storage.pim.feeds).

        Raises:
            NotFound: no such folder, or no "l". PermissionDenied: no "a". InvalidInput: not a calendar.
        """
        return feeds.feed_token(self, folder_id, renew=renew)


def _since(folder: Folder, token: str | None) -> int:
    if not token:
        return 0
    validity, _, modseq = token.partition("-")
    if not (validity.isdigit() and modseq.isdigit()) or int(validity) != folder.uidvalidity:
        raise InvalidInput(INVALID_SYNC_TOKEN)
    since = int(modseq)
    if since > folder.highestmodseq:
        raise InvalidInput(INVALID_SYNC_TOKEN)
    return since


def _ref(row: Any) -> ItemRef:
    return ItemRef(row.name, row.etag, int(row.modseq), int(row.item_key or 0), row.component)


def _row(conn: Connection, folder_id: int, condition: Any) -> Any:
    p = s.pim_items
    return conn.execute(select(p).where(and_(p.c.folder_id == folder_id, condition))).first()


def _bare_etag(value: str) -> str:
    """An ETag as HTTP carries it ('"abc"' or 'W/"abc"') or bare."""
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def _check_component(folder: Folder, item: IndexedItem) -> None:
    allowed = ALLOWED_COMPONENTS[folder.kind]
    if item.component not in allowed:
        raise InvalidInput(f"a {folder.kind} folder holds {' or '.join(allowed)} items, not {item.component}")


def _display_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > MAX_DISPLAY_NAME:
        raise InvalidInput(f"a display name may have at most {MAX_DISPLAY_NAME} characters")
    return value or None


def _color(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    digits = value[1:]
    if (
        value[:1] != "#"
        or len(digits) not in (6, 8)
        or any(ch not in "0123456789abcdefABCDEF" for ch in digits)
    ):
        raise InvalidInput("a colour is written #rrggbb or #rrggbbaa")
    return value.upper()


def _props(conn: Connection, folder_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    c = s.pim_collections
    if not folder_ids:
        return {}
    return {
        int(r.folder_id): (r.display_name, r.color)
        for r in conn.execute(select(c).where(c.c.folder_id.in_(folder_ids)))
    }


def _set_props(conn: Connection, folder_id: int, values: dict[str, str | None]) -> None:
    c = s.pim_collections
    current = conn.execute(select(c).where(c.c.folder_id == folder_id)).first()
    if current is None:
        conn.execute(insert(c).values(folder_id=folder_id, **values))
    else:
        conn.execute(update(c).where(c.c.folder_id == folder_id).values(**values))
    conn.execute(delete(c).where(c.c.folder_id == folder_id, c.c.display_name.is_(None), c.c.color.is_(None)))
