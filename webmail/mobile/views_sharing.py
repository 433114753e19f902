"""Mobile page of a folder's permissions: ``/m/folders/<id>/sharing`` (webmail/sharing_routes.py)."""

from __future__ import annotations

from typing import Any

from webmail.mobile.blueprint import bp
from webmail.sharing_routes import sharing_page


@bp.route("/folders/<int:folder_id>/sharing", methods=["GET", "POST"])
def folder_sharing(folder_id: int) -> Any:
    return sharing_page("mobile", folder_id)
