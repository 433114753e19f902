"""Standard pages of folders: the landing page (the Inbox) and a folder's message list."""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for

from webmail.binding import current_user_account, user_mail
from webmail.folder_tree import inbox_of
from webmail.standard.blueprint import bp


@bp.route("/")
def home() -> Any:
    return redirect(url_for("standard.folder", folder_id=inbox_of(user_mail(), current_user_account()).id))
