"""The organizer: calendars, tasks, notes, journal and contacts kept as iCalendar/vCard messages of
PIM-kind folders, indexed in ``pim_items`` (see docs/organizer.md and the modules below).

A user reaches it as ``store.for_user(account_id).organizer`` (storage.pim.organizer.Organizer), which
applies the folder rights of storage.acl exactly as mail does. This package re-exports the value types;
the facade itself is imported from its module (it sits above storage.usermail's machinery).
"""

from storage.pim.models import (
    ALLOWED_COMPONENTS,
    PIM_KINDS,
    Busy,
    Collection,
    ImportReport,
    Item,
    ItemRef,
    Occurrence,
    SyncResult,
    TaskRow,
)

__all__ = [
    "ALLOWED_COMPONENTS",
    "PIM_KINDS",
    "Busy",
    "Collection",
    "ImportReport",
    "Item",
    "ItemRef",
    "Occurrence",
    "SyncResult",
    "TaskRow",
]
