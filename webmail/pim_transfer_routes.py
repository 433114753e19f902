"""Importing and exporting organizer folders in WebMail, on the Standard (``/mail``) and Mobile (``/m``)
blueprints alike (:func:`add_transfer_routes`).

* ``GET /organizer/import``: a form choosing a folder the user may write (calendars, tasks, notes,
  journal, contacts) and a file: ``.ics`` for the calendar kinds, ``.vcf`` for contacts;
* ``POST /organizer/import``: the file goes to ``organizer.import_items`` (storage splits it into items,
  one per UID or card); the answer is a report page: how many were added and updated, and for every item
  that was refused its position in the file (1 = the first) and why;
* ``GET /organizer/<folder_id>/export``: the folder as one download (a VCALENDAR, or the cards one after
  another), named after the folder.

Limit: a file of at most ``MAX_IMPORT_BYTES``; bigger ones are refused before storage reads them.

The checks and the call to storage are :func:`import_upload`, which the Ajax interface's JSON import
(webmail/ajax/transfer.py) runs too, so both interfaces refuse and report alike; the Ajax views download
a folder from this module's export route.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from storage.errors import InvalidInput
from storage.pim import PIM_KINDS, Collection, ImportReport
from webmail import pim_pages
from webmail.binding import user_mail

MAX_IMPORT_BYTES = 10 * 1024 * 1024
KIND_TYPES = {"contacts": ("text/vcard", "vcf")}
CALENDAR_TYPE = ("text/calendar", "ics")


def _writable_folders() -> list[Any]:
    out = []
    for kind in PIM_KINDS:
        out += [c for c in pim_pages.collections(kind) if pim_pages.may_write(c)]
    return out


class ImportRefused(Exception):
    """An import refused as a whole (nothing stored), with the reason to show the user."""


def import_upload(folder: str, upload: FileStorage | None) -> tuple[ImportReport, Collection]:
    """Import the uploaded file into organizer folder ``folder`` (its id as posted).

    Raises:
        ImportRefused: no folder or file chosen, a file too big, or one storage cannot read at all.
        NotFound: no such organizer folder for the user. PermissionDenied: no right to add items.
    """
    if not folder.isdigit():
        raise ImportRefused(_("Choose the folder to import into."))
    if upload is None or not upload.filename:
        raise ImportRefused(_("Choose a file to import."))
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(
            _("The file is larger than %(size)d MiB.", size=MAX_IMPORT_BYTES // (1024 * 1024))
        )
    collection = pim_pages.any_collection(int(folder))
    try:
        report = user_mail().organizer.import_items(collection.folder_id, data)
    except InvalidInput as exc:  # nothing in the file could be read at all
        raise ImportRefused(str(exc)) from None
    return report, collection


def add_transfer_routes(bp: Blueprint) -> None:
    """Register import and export on ``bp`` (see the module docstring)."""
    name = bp.name

    def form(error: str = "", status: int = 200) -> tuple[str, int]:
        return pim_pages.page(
            name, "pim_import", _("Import"), status, folders=_writable_folders(), error=error, report=None
        )

    @bp.get("/organizer/import")
    def pim_import() -> Any:
        return form()

    @bp.post("/organizer/import")
    def pim_import_post() -> Any:
        upload = request.files.get("file")
        try:
            report, collection = import_upload(request.form.get("folder", ""), upload)
        except ImportRefused as exc:
            return form(str(exc), 400)
        return pim_pages.page(
            name,
            "pim_import",
            _("Import"),
            folders=_writable_folders(),
            error="",
            report=report,
            collection=collection,
            filename=upload.filename if upload else "",
        )

    @bp.get("/organizer/<int:folder_id>/export")
    def pim_export(folder_id: int) -> Any:
        collection = pim_pages.any_collection(folder_id)
        data = user_mail().organizer.export_items(folder_id)
        mimetype, extension = KIND_TYPES.get(collection.kind, CALENDAR_TYPE)
        base = (
            re.sub(r"[^A-Za-z0-9._-]+", "_", collection.display_name or collection.path).strip("_")
            or "export"
        )
        return Response(
            data,
            mimetype=mimetype,
            headers={"Content-Disposition": f'attachment; filename="{base}.{extension}"'},
        )
