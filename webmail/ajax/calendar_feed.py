"""``POST /ajax/calendar/<folder_id>/link`` with ``{"action": "show" | "renew"}``: the Ajax Calendars
dialog's read-only link of a calendar (``.ics`` over the web address and its ``webcal://`` form), made by
the Standard link page's own code (``webmail.calendar_link.feed_link``).

Why a WebMail route and not a JMAP property: JMAP for Calendars has none for a secret feed address, and
the secret must never be made by a GET or a /get (showing makes one on first use), so it is a post with
the page's CSRF token (webmail/security.py checks it). Storage decides who may (the Administer right) and
keeps only a hash of the secret: an unknown or foreign calendar is a 404, one without the right a 403.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from storage.errors import NotFound, PermissionDenied
from webmail.ajax.blueprint import bp
from webmail.binding import user_mail
from webmail.calendar_link import ACTIONS, feed_link


@bp.post("/calendar/<int:folder_id>/link")
def calendar_feed_link(folder_id: int) -> Any:
    body = request.get_json(silent=True)
    action = body.get("action") if isinstance(body, dict) else None
    try:
        user_mail().organizer.collection(folder_id)  # someone else's calendar: a 404 before anything
        if action not in ACTIONS:
            return jsonify(error=str(_("Unknown action."))), 400
        (url, webcal), message = feed_link(folder_id, str(action))
    except NotFound:
        return jsonify(error=str(_("This folder or message does not exist."))), 404
    except PermissionDenied:
        return jsonify(error=str(_("You do not have the rights for this."))), 403
    return jsonify(url=url, webcal=webcal, message=message)
