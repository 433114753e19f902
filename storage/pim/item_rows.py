"""Keeping ``pim_items`` and ``pim_removed`` right, inside the transactions that add and expunge messages.

Every message added to a PIM-kind folder gets its ``pim_items`` row in the transaction that adds it,
whoever adds it: the organizer's ``put``, an IMAP APPEND, COPY or MOVE, a restore from backup, WebMail's
"add to contacts", a delivery filed there (storage.mail_delivery calls ``index_added``). Every message
expunged from one leaves its name in ``pim_removed`` at the expunge's MODSEQ (storage.mail_updates calls
``record_removed``), so a DAV sync reports it however it went.

The organizer refuses bad items before they are stored (``put`` raises InvalidInput). Other paths store
what they are given: a message that is not one iCalendar object or vCard, is bigger than
``organizer.max_item_bytes`` or repeats a UID already in the folder stays an ordinary message, which IMAP
still shows and the organizer does not. Such a message is looked at again whenever the store opens
(``backfill``), which is also how the messages of PIM folders stored before the organizer existed
(revision 0012) get their rows.

Identity: each row has an ``item_key``, drawn from ``pim_item_keys`` when the item is first stored
(``new_key``: never given twice). The organizer's replace and move carry the key over to the new message (``keep_key``), so an
item keeps it for as long as it exists (JMAP's ids); any other path (an IMAP COPY, a restore) makes a new
item. Every key that leaves a folder is written to ``pim_gone`` with its component and the MODSEQ, and
struck from there when it comes back (a move back, or the replace that follows the expunge).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, insert, select, update

from storage import schema as s
from storage.errors import InvalidInput
from storage.models import Folder
from storage.names import as_utc
from storage.pim.index import etag_of, parse_item, resource_name
from storage.pim.models import PIM_KINDS

if TYPE_CHECKING:
    from storage.store import Store

BACKFILL_BATCH = 200


def is_pim(folder: Folder) -> bool:
    return folder.kind in PIM_KINDS


def max_item_bytes(store: Store, conn: Connection, folder: Folder) -> int:
    """The effective ``organizer.max_item_bytes`` for a folder's owner (its domain for public folders)."""
    if folder.account_id is not None:
        return int(store.settings_effective(conn, "organizer.max_item_bytes", account_id=folder.account_id))
    return int(store.settings_effective(conn, "organizer.max_item_bytes", domain_id=folder.domain_id))


def index_added(
    store: Store,
    conn: Connection,
    folder: Folder,
    uids: Sequence[int],
    raws: Sequence[bytes] | None = None,
    names: Sequence[str | None] | None = None,
) -> None:
    """Make the ``pim_items`` rows of messages just added to a PIM-kind folder (see the module docstring).

    Args:
        raws: the messages' bytes, in ``uids`` order, when the caller has them (else read from the blobs).
        names: resource names wanted, in ``uids`` order (None: made from the item's UID).
    """
    if not uids:
        return
    m, b = s.messages, s.bodies
    rows = {
        int(r.uid): r
        for r in conn.execute(
            select(m.c.id, m.c.uid, b.c.sha256)
            .join(b, b.c.id == m.c.body_id)
            .where(m.c.folder_id == folder.id, m.c.uid.in_(list(uids)))
        )
    }
    limit = max_item_bytes(store, conn, folder)
    for position, uid in enumerate(uids):
        row = rows.get(int(uid))
        if row is None:
            continue
        raw = raws[position] if raws is not None else store.blobs.read(row.sha256)
        wanted = names[position] if names is not None else None
        _index_one(conn, folder.id, int(row.id), int(uid), raw, limit, wanted)


def _index_one(
    conn: Connection, folder_id: int, message_id: int, uid: int, raw: bytes, limit: int, wanted: str | None
) -> bool:
    try:
        item = parse_item(raw, max_bytes=limit, require_uid=False)
    except InvalidInput:
        return False
    p = s.pim_items
    taken = conn.execute(
        select(p.c.message_id).where(p.c.folder_id == folder_id, p.c.item_uid == item.item_uid)
    ).first()
    if taken is not None:
        return False
    name = wanted or resource_name(item.item_uid, item.component)
    if wanted is None and _name_taken(conn, folder_id, name):
        name = f"{uid}-{name}"[:255]
        if _name_taken(conn, folder_id, name):
            return False
    conn.execute(
        insert(p).values(
            message_id=message_id,
            folder_id=folder_id,
            uid=uid,
            name=name,
            etag=etag_of(raw),
            item_key=new_key(conn),
            **item.columns(),
        )
    )
    conn.execute(
        delete(s.pim_removed).where(s.pim_removed.c.folder_id == folder_id, s.pim_removed.c.name == name)
    )
    return True


def _name_taken(conn: Connection, folder_id: int, name: str) -> bool:
    p = s.pim_items
    return (
        conn.execute(select(p.c.message_id).where(p.c.folder_id == folder_id, p.c.name == name)).first()
        is not None
    )


def new_key(conn: Connection) -> int:
    """A key no item ever had: the autoincrement of ``pim_item_keys`` (the row is not kept)."""
    k = s.pim_item_keys
    made = conn.execute(insert(k)).inserted_primary_key
    assert made is not None
    key = int(made[0])
    conn.execute(delete(k).where(k.c.id == key))
    return key


def keep_key(conn: Connection, folder_id: int, uid: int, key: int) -> None:
    """Give the item just stored as message ``uid`` of ``folder_id`` the identity ``key`` of the item it
    replaces or moves (whose row is gone already: keys are unique)."""
    p, g = s.pim_items, s.pim_gone
    conn.execute(update(p).where(p.c.folder_id == folder_id, p.c.uid == uid).values(item_key=key))
    conn.execute(delete(g).where(g.c.folder_id == folder_id, g.c.item_key == key))


def record_removed(conn: Connection, folder: Folder, message_ids: Sequence[int], modseq: int) -> None:
    """Before messages of a PIM-kind folder are deleted: remember their names (and keys) as removed at
    ``modseq`` and drop their rows (the foreign key would too; this does not depend on it)."""
    p, r, g = s.pim_items, s.pim_removed, s.pim_gone
    names: list[str] = []
    for start in range(0, len(message_ids), 500):
        ids = list(message_ids[start : start + 500])
        rows = conn.execute(
            select(p.c.name, p.c.item_key, p.c.component).where(p.c.message_id.in_(ids))
        ).all()
        names += [str(row.name) for row in rows]
        gone = [
            {
                "folder_id": folder.id,
                "item_key": int(row.item_key),
                "component": row.component,
                "modseq": modseq,
            }
            for row in rows
            if row.item_key is not None
        ]
        if gone:
            keys = [x["item_key"] for x in gone]
            conn.execute(delete(g).where(g.c.folder_id == folder.id, g.c.item_key.in_(keys)))
            conn.execute(insert(g), gone)
        conn.execute(delete(p).where(p.c.message_id.in_(ids)))
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        conn.execute(delete(r).where(r.c.folder_id == folder.id, r.c.name.in_(chunk)))
        conn.execute(insert(r), [{"folder_id": folder.id, "name": n, "modseq": modseq} for n in chunk])


def kind_changed(store: Store, conn: Connection, folder: Folder) -> None:
    """After a folder's kind was changed (a restore naming the kind of a folder its messages made
    first): index its messages when it is now a PIM kind, drop its rows when it is not."""
    p, m = s.pim_items, s.messages
    if not is_pim(folder):
        conn.execute(delete(p).where(p.c.folder_id == folder.id))
        return
    uids = conn.execute(
        select(m.c.uid)
        .outerjoin(p, p.c.message_id == m.c.id)
        .where(m.c.folder_id == folder.id, p.c.message_id.is_(None))
        .order_by(m.c.uid)
    ).scalars()
    index_added(store, conn, folder, [int(u) for u in uids])


def _missing(conn: Connection, after: int, limit: int) -> list[tuple[int, int, int]]:
    """(message id, folder id, uid) of messages in PIM-kind folders that have no row, by message id."""
    m, f, p = s.messages, s.folders, s.pim_items
    rows = conn.execute(
        select(m.c.id, m.c.folder_id, m.c.uid)
        .join(f, f.c.id == m.c.folder_id)
        .outerjoin(p, p.c.message_id == m.c.id)
        .where(f.c.kind.in_(PIM_KINDS), p.c.message_id.is_(None), m.c.id > after)
        .order_by(m.c.id)
        .limit(limit)
    ).all()
    return [(int(r.id), int(r.folder_id), int(r.uid)) for r in rows]


def backfill(store: Store) -> int:
    """Index the messages of PIM-kind folders that have no ``pim_items`` row (stored before revision
    0012, or not readable as an item when they were added); returns how many got one. One read finds
    none when all is indexed, which is what it costs when a store opens."""
    from storage import folders as fo

    done, after = 0, 0
    while True:
        with store.db.read() as conn:
            batch = _missing(conn, after, BACKFILL_BATCH)
        if not batch:
            return done
        after = batch[-1][0]

        def unit(conn: Connection, batch: list[tuple[int, int, int]] = batch) -> int:
            made = 0
            for message_id, folder_id, uid in batch:
                still = conn.execute(
                    select(s.messages.c.id, s.bodies.c.sha256)
                    .join(s.bodies, s.bodies.c.id == s.messages.c.body_id)
                    .outerjoin(s.pim_items, s.pim_items.c.message_id == s.messages.c.id)
                    .where(s.messages.c.id == message_id, s.pim_items.c.message_id.is_(None))
                ).first()
                if still is None:
                    continue  # expunged, or indexed by another process meanwhile
                folder = fo.folder_by_id(conn, folder_id)
                raw = store.blobs.read(still.sha256)
                made += _index_one(
                    conn, folder_id, message_id, uid, raw, max_item_bytes(store, conn, folder), None
                )
            return made

        done += store.db.write_unit(unit)


def refresh(store: Store) -> int:
    """Parse every indexed item again and update its columns (``fieldpost storage reindex``: a parser
    fix reaches items stored before it), then ``backfill``; returns how many rows changed or were made.
    An item the parser now refuses keeps its row (the organizer keeps showing it)."""
    p, m, b = s.pim_items, s.messages, s.bodies
    changed, after = 0, 0
    while True:
        with store.db.read() as conn:
            rows = conn.execute(
                select(p, b.c.sha256)
                .join(m, m.c.id == p.c.message_id)
                .join(b, b.c.id == m.c.body_id)
                .where(p.c.message_id > after)
                .order_by(p.c.message_id)
                .limit(BACKFILL_BATCH)
            ).all()
        if not rows:
            return changed + backfill(store)
        after = int(rows[-1].message_id)
        updates = []
        for row in rows:
            try:
                item = parse_item(store.blobs.read(row.sha256), max_bytes=1 << 62, require_uid=False)
            except InvalidInput:
                continue
            columns = item.columns()
            if item.item_uid != row.item_uid:
                del columns["item_uid"]  # the UID a client knows the item by stays
            if any(_stored(getattr(row, k)) != v for k, v in columns.items()):
                updates.append((int(row.message_id), columns))
        if updates:
            with store.db.write() as conn:
                for message_id, columns in updates:
                    conn.execute(p.update().where(p.c.message_id == message_id).values(**columns))
            changed += len(updates)


def _stored(value: object) -> object:
    """A column as read back: SQLite returns datetimes without their zone (UTC as written)."""
    return as_utc(value) if isinstance(value, datetime) else value
