"""Small helpers the list templates of both interfaces call."""

from __future__ import annotations

from flask import request, url_for
from werkzeug.routing import BuildError


def message_link(folder_id: int, uid: int) -> str | None:
    """The reading page of a message in the current interface, or None while that page does not exist
    (the reader's routes are another area's: ``<interface>.message`` with ``folder_id`` and ``uid``)."""
    interface = (request.blueprint or "standard").split(".")[0]
    try:
        return url_for(f"{interface}.message", folder_id=folder_id, uid=uid)
    except BuildError:
        return None
