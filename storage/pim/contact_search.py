"""Finding contacts by name or address: ``Organizer.search_contacts``.

Where it looks: every contacts folder the user may read -- their own, those shared with them, their
domain's public ones (what ``Organizer.collections("contacts")`` lists with "r").

How it matches: the words of the query are folded like mail search folds text (case and diacritics
dropped, storage.list_keys.fold), so "muller" finds "Müller" and "MÜLLER"; a card matches when every word
is found in its display name (FN) or one of its e-mail addresses, both read from the index. Nothing is
parsed to search; only the matching cards' bytes are read, at most ``limit`` of them (at most
``MAX_LIMIT``). An empty query lists the first cards by name. Results are sorted by folded name, then
address book order (own first), then resource name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from storage import schema as s
from storage.errors import InvalidInput
from storage.list_keys import fold
from storage.pim.models import Item

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer

MAX_LIMIT = 500
MAX_QUERY = 200


def search_contacts(organizer: Organizer, text: str, *, limit: int = 50) -> list[Item]:
    """Organizer.search_contacts (see its docstring)."""
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"a contact search may have at most {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"the result limit must be between 1 and {MAX_LIMIT}")
    words = fold(text).split()
    books = [c.folder_id for c in organizer.collections("contacts") if "r" in c.rights]
    if not books:
        return []
    order = {fid: i for i, fid in enumerate(books)}
    p = s.pim_items
    with organizer.store.db.read() as conn:
        readable = set(organizer.readable_folder_ids(conn, books))
        rows = conn.execute(
            select(p.c.folder_id, p.c.name, p.c.summary, p.c.emails).where(
                p.c.folder_id.in_(sorted(readable)), p.c.component == "VCARD"
            )
        ).all()
    hits = []
    for row in rows:
        name = fold(row.summary or "")
        haystack = name + " " + fold(row.emails or "")
        if all(w in haystack for w in words):
            hits.append((name, order[int(row.folder_id)], str(row.name), int(row.folder_id)))
    hits.sort()
    chosen = hits[:limit]
    by_folder: dict[int, list[str]] = {}
    for _, _, name, fid in chosen:
        by_folder.setdefault(fid, []).append(name)
    items = {
        (fid, item.name): item for fid, names in by_folder.items() for item in organizer.get_many(fid, names)
    }
    return [items[(fid, name)] for _, _, name, fid in chosen if (fid, name) in items]
