"""The address books' index rows and change points, for JMAP for Contacts (webmail/jmap/contacts):
``Organizer.card_rows`` and ``Organizer.expunged_since``.

Why here: a JMAP query filters and sorts every card the user may read, and a /changes call must tell a
card made since a state from one changed; both are answered from ``pim_items`` and ``expunged`` in one
read, without opening a card's bytes. Folders the user may not read ("l" and "r") are left out, as
everywhere in the organizer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from storage import schema as s

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer


@dataclass(frozen=True)
class CardRow:
    """One card as the index holds it: ``summary`` is its FN, ``emails`` its addresses (lower case)."""

    folder_id: int
    name: str
    item_uid: str
    summary: str
    emails: tuple[str, ...]
    modseq: int


def card_rows(organizer: Organizer, folder_ids: Iterable[int]) -> list[CardRow]:
    """Organizer.card_rows (see its docstring)."""
    p, m = s.pim_items, s.messages
    wanted = list(dict.fromkeys(folder_ids))
    with organizer.store.db.read() as conn:
        readable = organizer.readable_folder_ids(conn, wanted)
        if not readable:
            return []
        rows = conn.execute(
            select(p.c.folder_id, p.c.name, p.c.item_uid, p.c.summary, p.c.emails, m.c.modseq)
            .join(m, m.c.id == p.c.message_id)
            .where(p.c.folder_id.in_(readable), p.c.component == "VCARD")
            .order_by(p.c.folder_id, p.c.name)
        ).all()
    return [
        CardRow(
            int(r.folder_id),
            str(r.name),
            str(r.item_uid),
            str(r.summary or ""),
            tuple((r.emails or "").split()),
            int(r.modseq),
        )
        for r in rows
    ]


def expunged_since(organizer: Organizer, folder_id: int, modseq: int) -> bool:
    """Whether any message of the folder was expunged after ``modseq`` (an item replaced or deleted)."""
    e = s.expunged
    with organizer.store.db.read() as conn:
        organizer.pim_folder(conn, folder_id, "r")
        found = conn.execute(
            select(e.c.uid).where(e.c.folder_id == folder_id, e.c.modseq > modseq).limit(1)
        ).first()
    return found is not None
