"""Mobile pages of folders: the folder list (the landing page) and a folder's message list."""

from __future__ import annotations

from typing import Any

from flask import render_template

from webmail.binding import current_user_account, user_mail
from webmail.folder_tree import folder_sections
from webmail.mobile.blueprint import bp


@bp.route("/")
def home() -> Any:
    return render_template(
        "mobile/folders.html", sections=folder_sections(user_mail(), current_user_account())
    )
