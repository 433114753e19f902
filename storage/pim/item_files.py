"""A folder's items as one file and back: ``Organizer.import_items`` and ``Organizer.export_items``.

An import splits the file (storage.pim.transfer), then stores each resource through ``Organizer.put``,
so every item is checked, sized, counted against the quota and indexed exactly as a DAV PUT would be.
An item whose UID is already in the folder replaces that item (counted as updated); the rest are added.
What fails -- a broken item, a component the folder does not hold, a full mailbox, a missing right to
replace -- is reported with the item's position in the file and the reason, and the import goes on.
One write transaction per resource: a large file takes as many commits as it has resources.

The right to add items ("i") is asked before anything is stored, so an import into a folder the user
may only read fails as a whole with PermissionDenied rather than as N identical reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage import acl
from storage.errors import InvalidInput, StorageError
from storage.pim.models import ImportReport
from storage.pim.transfer import MAX_ITEMS, export_calendar, export_cards, split_import

if TYPE_CHECKING:
    from storage.pim.organizer import Organizer

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_REPORTED = 1000  # failures listed in a report (the rest are counted in a last line)


def import_items(organizer: Organizer, folder_id: int, data: bytes) -> ImportReport:
    """Organizer.import_items (see its docstring)."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"an import file may have at most {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    with organizer.store.db.read() as conn:
        folder, _ = organizer.pim_folder(conn, folder_id, acl.Rights.parse("i"))
    split = split_import(data)
    want_cards = folder.kind == "contacts"
    if split.resources and (split.resources[0].component == "VCARD") != want_cards:
        what = "a vCard (.vcf)" if want_cards else "an iCalendar (.ics)"
        raise InvalidInput(f"a {folder.kind} folder imports {what} file")
    added = updated = 0
    failed = list(split.failed)
    for res in split.resources:
        try:
            existing = organizer.find_uid(folder_id, res.uid)
            organizer.put(folder_id, existing.name if existing else None, res.data)
        except StorageError as exc:
            failed.append((res.position, str(exc) or type(exc).__name__))
            continue
        if existing:
            updated += 1
        else:
            added += 1
    failed.sort()
    if len(failed) > MAX_REPORTED:
        rest = len(failed) - MAX_REPORTED
        failed = failed[:MAX_REPORTED] + [(failed[MAX_REPORTED][0], f"and {rest} more items failed")]
    return ImportReport(added=added, updated=updated, failed=failed)


def export_items(organizer: Organizer, folder_id: int) -> bytes:
    """Organizer.export_items (see its docstring)."""
    collection = organizer.collection(folder_id)
    refs = organizer.items(folder_id)
    datas = [item.data for item in organizer.get_many(folder_id, [r.name for r in refs])]
    if collection.kind == "contacts":
        return export_cards(datas)
    return export_calendar(datas, name=collection.display_name)


__all__ = ["MAX_ITEMS", "export_items", "import_items"]
