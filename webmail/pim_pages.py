"""What the organizer's item pages (tasks, notes, journal, contacts, import/export) share: the user's
collections of one kind, the default one new items go to, reading a folder's items in bounded batches,
and the one template per interface every such page renders into.

Everything goes through ``user_mail().organizer`` (storage.pim): the rights are applied there, so a
collection the user may not see is a NotFound (404) like any folder, and a read-only one refuses a write
with PermissionDenied (403). The pages only use the rights to decide which buttons to show.

Limits: a list page reads at most ``ITEMS_PER_FOLDER`` items of each collection (in name order).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from flask import render_template, request

from storage.errors import InvalidInput, NotFound
from storage.pim import Collection, Item
from webmail.binding import current_user_account, user_mail
from webmail.i18n import select_timezone

ITEMS_PER_FOLDER = 2000
MAX_ID = 2**63 - 1  # a folder id beyond what SQL integers hold names no folder
BATCH = 200


def fold(text: str) -> str:
    """Case and accents folded, so "muller" finds "Müller"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def zone() -> str:
    """The user's time zone name (UTC when unset or unknown)."""
    return select_timezone()


def me() -> str:
    return current_user_account().address


def collections(kind: str) -> list[Collection]:
    """The user's collections of ``kind``: own first (by path), then shared, then public."""
    found = user_mail().organizer.collections(kind)
    return sorted(found, key=lambda c: (c.public, c.shared, c.owner, c.path.lower()))


def may_write(collection: Collection) -> bool:
    return "i" in collection.rights


def may_change(collection: Collection) -> bool:
    return all(letter in collection.rights for letter in "ite")


def collection_of(folder_id: int, *kinds: str) -> Collection:
    """The collection ``folder_id`` if it is of one of ``kinds`` (another kind is a NotFound, like a
    folder the user cannot see).

    Raises:
        NotFound: no such collection for the user, or not of those kinds.
    """
    found = any_collection(folder_id)
    if found.kind not in kinds:
        raise NotFound("no such folder")
    return found


def any_collection(folder_id: int) -> Collection:
    """The organizer folder ``folder_id`` of any kind; a mail folder is a NotFound here (these pages
    have nothing to show of it).

    Raises:
        NotFound: no such organizer folder for the user.
    """
    if not 0 < folder_id <= MAX_ID:
        raise NotFound("no such folder")
    try:
        return user_mail().organizer.collection(folder_id)
    except InvalidInput:
        raise NotFound("no such folder") from None


def target(kind: str, value: str | None) -> Collection:
    """The collection a new item goes to: the one posted (``folder`` field), else the user's first
    writable one of ``kind``.

    Raises:
        NotFound: the posted folder is not the user's (or not of ``kind``).
        InvalidInput: the user has no writable collection of ``kind``.
    """
    if value:
        if not value.isdigit():
            raise NotFound("no such folder")
        return collection_of(int(value), kind)
    for collection in collections(kind):
        if may_write(collection) and not collection.public:
            return collection
    raise InvalidInput(f"you have no folder of the {kind} type to keep this in; create one first")


def items_of(folder_id: int, *, limit: int = ITEMS_PER_FOLDER) -> list[Item]:
    """The items of one collection with their bytes, at most ``limit``, read ``BATCH`` at a time."""
    organizer = user_mail().organizer
    names = [ref.name for ref in organizer.items(folder_id)[:limit]]
    out: list[Item] = []
    for start in range(0, len(names), BATCH):
        out += organizer.get_many(folder_id, names[start : start + BATCH])
    return out


def items_in(folders: Iterable[Collection]) -> list[tuple[Collection, Item]]:
    return [(c, item) for c in folders for item in items_of(c.folder_id)]


def edited_etag(stored_etag: str) -> str:
    """The ETag the edit form was made from (its hidden ``etag`` field), else the stored one: saving with
    it as If-Match makes a change someone made while the form was open a PreconditionFailed (409)
    instead of being overwritten."""
    posted = request.form.get("etag", "")
    return posted if posted and len(posted) <= 128 and posted.isalnum() else stored_etag


def page(interface: str, body: str, title: str, status: int = 200, **values: Any) -> tuple[str, int]:
    """Render ``layout/<body>.html`` inside the interface's frame (``<interface>/organizer.html``)."""
    html = render_template(
        f"{interface}/organizer.html", body=f"layout/{body}.html", title=title, interface=interface, **values
    )
    return html, status
