"""The Ajax organizer views' import (``POST /ajax/organizer/import``): an .ics or .vcf file into a
calendar, task list or address book, answered as JSON for the view's report dialog.

Why a route here and not the Standard ``/mail/organizer/import``: that one answers a page. The work is
the same function (webmail/pim_transfer_routes.py ``import_upload``: the same size limit, the same
refusals, the same storage call that splits the file and reports each refused item), so both interfaces
accept and refuse the same files with the same words. Export needs no route of its own: the views link
to the Standard ``/mail/organizer/<id>/export`` download.

The body is ``multipart/form-data`` with ``folder`` (the organizer folder's id) and ``file``; the
``X-CSRFToken`` header is checked by CSRFProtect before this runs. The answer is ``{"folder", "file",
"added", "updated", "failed": [{"position", "reason"}, ...]}``, or ``{"error": reason}`` with 400 (the
import refused as a whole: nothing stored), 404 (no such folder) or 403 (no right to add to it).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from storage.errors import NotFound, PermissionDenied
from webmail.ajax.blueprint import bp
from webmail.pim_transfer_routes import ImportRefused, import_upload


@bp.post("/organizer/import")
def organizer_import() -> Any:
    """The module docstring's import."""
    upload = request.files.get("file")
    try:
        report, collection = import_upload(request.form.get("folder", ""), upload)
    except ImportRefused as exc:
        return jsonify(error=str(exc)), 400
    except NotFound:
        return jsonify(error=str(_("This folder or message does not exist."))), 404
    except PermissionDenied:
        return jsonify(error=str(_("You do not have the rights for this."))), 403
    return jsonify(
        folder=collection.display_name or collection.path,
        file=upload.filename if upload else "",
        added=report.added,
        updated=report.updated,
        failed=[{"position": position, "reason": reason} for position, reason in report.failed],
    )
