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
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from storage.errors import InvalidInput
from storage.pim import PIM_KINDS
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
        folder = request.form.get("folder", "")
        upload = request.files.get("file")
        if not folder.isdigit():
            return form(_("Choose the folder to import into."), 400)
        if upload is None or not upload.filename:
            return form(_("Choose a file to import."), 400)
        data = upload.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            return form(
                _("The file is larger than %(size)d MiB.", size=MAX_IMPORT_BYTES // (1024 * 1024)), 400
            )
        collection = pim_pages.any_collection(int(folder))
        try:
            report = user_mail().organizer.import_items(collection.folder_id, data)
        except InvalidInput as exc:  # nothing in the file could be read at all
            return form(str(exc), 400)
        return pim_pages.page(
            name,
            "pim_import",
            _("Import"),
            folders=_writable_folders(),
            error="",
            report=report,
            collection=collection,
            filename=upload.filename,
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
