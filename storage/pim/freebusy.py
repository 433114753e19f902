"""Busy periods from calendar instances: what a free/busy lookup or a room's booking check answers.

Instances that do not block time (TRANSP:TRANSPARENT, STATUS:CANCELLED, Outlook's FREE) are left out;
the rest are merged per kind (BUSY, BUSY-TENTATIVE, BUSY-UNAVAILABLE as RFC 5545 3.2.9 names them), so
two overlapping or touching meetings read as one busy block, and clipped to the asked range. Nothing of
an event but its times and kind leaves this module: a free/busy answer never carries a summary.

Who may ask (``free_busy``): the owner; anyone granted "1" (READ_FREEBUSY) on the owner's mailbox root,
who sees every calendar of the owner; anyone else sees the owner's calendars they may read ("r"), and
is refused when there are none. An address of a local domain that names nobody is refused in the same
words as one that is not shared, so the lookup does not tell which addresses exist; an address of a
domain this server does not serve is NotFound. At most ``organizer.max_occurrences`` instances (the
asking user's setting; the owner's on the system path) are looked at per answer: a very long range of a
very busy calendar is answered up to there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from storage import acl
from storage import folders as fo
from storage import schema as s
from storage.errors import NotFound, PermissionDenied
from storage.pim.models import Busy
from storage.pim.occurrences import candidates, check_range, expand_rows, max_occurrences
from storage.pim.recurrence import Instance

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer
    from storage.store import Store

KINDS = ("BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE")
Period = tuple[datetime, datetime, str]


def merge_busy(instances: Iterable[Instance], start: datetime, end: datetime) -> list[Period]:
    """(start, end, kind) periods inside [start, end), merged per kind, sorted by start then kind."""
    spans: dict[str, list[tuple[datetime, datetime]]] = {kind: [] for kind in KINDS}
    for inst in instances:
        if inst.busy_kind is None:
            continue
        s, e = max(inst.starts_at, start), min(inst.ends_at, end)
        if s < e:
            spans.setdefault(inst.busy_kind, []).append((s, e))
    merged: list[Period] = []
    for kind, items in spans.items():
        items.sort()
        current: list[datetime] | None = None
        for s, e in items:
            if current is not None and s <= current[1]:
                current[1] = max(current[1], e)
                continue
            if current is not None:
                merged.append((current[0], current[1], kind))
            current = [s, e]
        if current is not None:
            merged.append((current[0], current[1], kind))
    merged.sort(key=lambda p: (p[0], p[1], KINDS.index(p[2]) if p[2] in KINDS else len(KINDS)))
    return merged


def is_free(instances: Iterable[Instance], start: datetime, end: datetime) -> bool:
    """True when no blocking instance (tentative included) overlaps [start, end)."""
    return not merge_busy(instances, start, end)


# -- lookups in storage ----------------------------------------------------------------------------

NOT_SHARED = "the free/busy information of that address is not shared with you"


def calendar_ids(conn: Connection, owner_account_id: int) -> list[int]:
    """The ids of an account's own calendar folders, in path order."""
    f = s.folders
    return [
        int(fid)
        for fid in conn.execute(
            select(f.c.id)
            .where(f.c.namespace == fo.mailbox_namespace(owner_account_id), f.c.kind == "calendar")
            .order_by(f.c.path)
        ).scalars()
    ]


def account_busy(
    store: Store, owner_account_id: int, start: datetime, end: datetime, *, ignore_uid: str | None = None
) -> list[Busy]:
    """Busy periods of every calendar of an account, leaving out the item with UID ``ignore_uid`` (no
    rights asked: the system path, storage.pim.system)."""
    start, end = check_range(start, end)
    with store.db.read() as conn:
        limit = max_occurrences(store, conn, owner_account_id)
        rows = candidates(conn, calendar_ids(conn, owner_account_id), start, end)
    return _busy(store, rows, start, end, limit, ignore_uid)


def free_busy(organizer: Organizer, address: str, start: datetime, end: datetime) -> list[Busy]:
    """Organizer.free_busy (see its docstring)."""
    start, end = check_range(start, end)
    store = organizer.store
    with store.db.read() as conn:
        try:
            owner = store.accounts.id_of(conn, address.strip())
        except NotFound:
            owner = None
            try:
                store.domains.id_of(conn, address.strip().rpartition("@")[2])
            except NotFound:
                raise NotFound("that address is not a user of this server") from None
        if owner is None:
            raise PermissionDenied(NOT_SHARED)
        ids = calendar_ids(conn, owner)
        me = organizer.account_id
        if owner != me and "1" not in acl.rights_on_mailbox(conn, me, owner):
            rights = acl.rights_in_namespace(conn, me, fo.mailbox_namespace(owner))
            ids = [fid for fid in ids if "lr" in rights.get(fid, acl.NONE)]
            if not ids:
                raise PermissionDenied(NOT_SHARED)
        limit = max_occurrences(store, conn, me)
        rows = candidates(conn, ids, start, end)
    return _busy(store, rows, start, end, limit)


def _busy(
    store: Store, rows: list[Any], start: datetime, end: datetime, limit: int, ignore_uid: str | None = None
) -> list[Busy]:
    pairs = expand_rows(store, rows, start, end, limit)
    kept = (inst for _, inst in pairs if ignore_uid is None or inst.item_uid != ignore_uid)
    return [Busy(s0, e0, kind) for s0, e0, kind in merge_busy(kept, start, end)]
