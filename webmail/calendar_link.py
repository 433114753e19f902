"""The read-only link of a calendar (``/calendar/<folder_id>/link``, Standard and Mobile alike).

Anyone holding the link reads the calendar without signing in: ``/dav/feed/<secret>.ics`` over the web
address, or ``webcal://`` for programs that subscribe on a click (webmail/dav/blueprint.py serves it).
The page never makes a secret on a GET: "Show the link" (made on first use) and "Make a new link" (the
old one stops working) are posts. Storage decides who may (``organizer.feed_token``: the Administer
right, "a", on the calendar) and keeps only a hash of the secret; NotFound, PermissionDenied and
InvalidInput propagate to webmail/errors.py (404, 403, 400).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from webmail.binding import user_mail

ACTIONS = ("show", "renew")


def feed_urls(token: str) -> tuple[str, str]:
    """The https (or http) address of a feed and its webcal:// form."""
    url = url_for("dav.serve", sub=f"feed/{token}.ics", _external=True)
    rest = url.partition("://")[2]
    return url, f"webcal://{rest}"


def feed_link(folder_id: int, action: str) -> tuple[tuple[str, str], str]:
    """The feed addresses of the user's calendar ``folder_id`` after ``action`` ("show": the link, made on
    first use; "renew": a new one, the old one stops working) and the note to show; shared with the Ajax
    Calendars dialog (webmail/ajax/calendar_feed.py) so both interfaces hand out the same link."""
    urls = feed_urls(user_mail().organizer.feed_token(folder_id, renew=action == "renew"))
    return urls, _("A new link was made; the previous one no longer works.") if action == "renew" else ""


def add_calendar_link_routes(bp: Blueprint) -> None:
    """Register the link page on ``bp`` (its name is the interface: "standard" or "mobile")."""
    interface = bp.name

    @bp.route("/calendar/<int:folder_id>/link", methods=["GET", "POST"])
    def calendar_link(folder_id: int) -> Any:
        organizer = user_mail().organizer
        calendar = organizer.collection(folder_id)
        urls: tuple[str, str] | None = None
        message, status = "", 200
        if request.method == "POST":
            action = request.form.get("action", "")
            if action not in ACTIONS:
                message, status = _("Unknown action."), 400
            else:
                urls, message = feed_link(folder_id, action)
        page = render_template(
            f"{interface}/calendar_link.html",
            interface=interface,
            calendar=calendar,
            urls=urls,
            message=message,
        )
        return page, status
