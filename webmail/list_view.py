"""Small helpers the list templates of both interfaces call."""

from __future__ import annotations

from flask import request, url_for
from werkzeug.routing import BuildError

from storage.folder_tree import TreeFolder


def is_my_drafts(folder: TreeFolder) -> bool:
    """The user's own Drafts folder (special-use \\Drafts, RFC 6154), whose messages reopen in the
    composer; a Drafts folder someone shares with the user is read like any other."""
    return folder.section == "personal" and "/" not in folder.path and (folder.role or "").lower() == "drafts"


def message_link(folder: TreeFolder | int, uid: int) -> str | None:
    """Where a message of the list opens in the current interface: the composer (``?draft=UID``) for a
    message of the user's own Drafts, else the reading page (``<interface>.message``). None while that
    page does not exist. ``folder`` may be the list's folder or only its id (no Drafts check then)."""
    interface = (request.blueprint or "standard").split(".")[0]
    try:
        if isinstance(folder, TreeFolder):
            if is_my_drafts(folder):
                return url_for(f"{interface}.compose", draft=uid)
            folder = folder.id
        return url_for(f"{interface}.message", folder_id=folder, uid=uid)
    except BuildError:
        return None
