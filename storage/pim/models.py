"""The organizer's values: what ``store.for_user(id).organizer`` takes and answers.

All are frozen dataclasses, so a page, the DAV server or a test can keep and compare them freely.
Datetimes are timezone-aware UTC. A PIM item is a message of a PIM-kind folder whose bytes are its
iCalendar (RFC 5545) or vCard (RFC 6350) text; ``name`` is its resource name (unique per folder, what a
DAV client puts and gets), ``etag`` the first 32 hex digits of the SHA-256 of its bytes, ``key`` the
item's identity: unique among all items, kept while the item is replaced (``put``) or moved (``move``),
never given to another item (JMAP builds its ids from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.rights import Rights

#: The organizer's folder kinds (storage.folders.KINDS less "mail").
PIM_KINDS = ("calendar", "tasks", "notes", "journal", "contacts")

#: Which components a collection of each kind holds. A calendar also takes tasks, as CalDAV clients
#: that keep tasks in their calendars (Thunderbird, DAVx5 with some apps) expect.
ALLOWED_COMPONENTS: dict[str, tuple[str, ...]] = {
    "calendar": ("VEVENT", "VTODO"),
    "tasks": ("VTODO",),
    "notes": ("VJOURNAL",),
    "journal": ("VJOURNAL",),
    "contacts": ("VCARD",),
}


@dataclass(frozen=True)
class Collection:
    """A PIM folder as the user sees it. ``owner`` is an address, or "@domain" for a public folder;
    ``ctag`` changes whenever anything in the folder changes; ``rights`` are the user's."""

    folder_id: int
    owner: str
    path: str
    kind: str
    display_name: str
    rights: Rights
    ctag: str
    shared: bool
    public: bool
    color: str | None


@dataclass(frozen=True)
class ItemRef:
    """One item's name, ETag and MODSEQ: what a listing or a sync answers."""

    name: str
    etag: str
    modseq: int
    key: int = 0
    component: str = ""


@dataclass(frozen=True)
class Item:
    """One item with its bytes. ``uid`` is the IMAP UID of its message, ``item_uid`` the iCalendar or
    vCard UID, ``component`` VEVENT, VTODO, VJOURNAL or VCARD, ``summary`` its SUMMARY (FN for a card)."""

    name: str
    etag: str
    modseq: int
    uid: int
    component: str
    data: bytes
    summary: str
    item_uid: str
    key: int = 0


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event in a time range (recurrences expanded on read)."""

    name: str
    etag: str
    folder_id: int
    item_uid: str
    recurrence_id: datetime | None
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    summary: str
    location: str
    status: str
    categories: tuple[str, ...]
    busy: bool
    private: bool
    key: int = 0


@dataclass(frozen=True)
class TaskRow:
    """One task as a list shows it."""

    name: str
    etag: str
    folder_id: int
    summary: str
    due_at: datetime | None
    completed_at: datetime | None
    status: str
    priority: int | None
    percent: int | None
    key: int = 0


@dataclass(frozen=True)
class Gone:
    """An item that left a folder (deleted, or moved away): its key and component."""

    key: int
    component: str


@dataclass(frozen=True)
class ItemPlace:
    """Where the item of a key is now: its folder, name and component."""

    key: int
    folder_id: int
    name: str
    component: str


@dataclass(frozen=True)
class SyncResult:
    """What changed in a folder since a sync token: the new token, changed items and removed names, and
    the keys of the items that left it (``gone``; not those replaced in place, which keep their key)."""

    token: str
    changed: list[ItemRef]
    removed: list[str]
    gone: list[Gone] = field(default_factory=list)


@dataclass(frozen=True)
class Busy:
    """A busy period; ``kind`` is BUSY, BUSY-TENTATIVE or BUSY-UNAVAILABLE (RFC 5545 3.2.9)."""

    start: datetime
    end: datetime
    kind: str


@dataclass(frozen=True)
class ImportReport:
    """An import's outcome: counts, and (1-based position of the item in the file, reason) per failure."""

    added: int
    updated: int
    failed: list[tuple[int, str]]
