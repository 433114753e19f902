"""Standard page of a folder's permissions: ``/mail/folders/<id>/sharing`` (webmail/sharing_routes.py)."""

from __future__ import annotations

from typing import Any

from webmail.sharing_routes import sharing_page
from webmail.standard.blueprint import bp


@bp.route("/folders/<int:folder_id>/sharing", methods=["GET", "POST"])
def folder_sharing(folder_id: int) -> Any:
    return sharing_page("standard", folder_id)
