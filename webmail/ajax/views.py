"""The Ajax interface's routes: the shell page, the reader's body documents, the composer's sanitiser.

Every read goes through ``user_mail()`` (the ACL engine): another user's message is 404 here as in the
Standard reader. Answers are JSON; storage's exceptions become the usual error statuses
(webmail/errors.py), which the client shows as a notice.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from mailflow import html_text, outbox
from webmail import composing
from webmail.ajax.blueprint import bp
from webmail.ajax.meeting import meeting_json
from webmail.ajax.strings import client_strings
from webmail.binding import current_store, current_user_account, user_mail
from webmail.i18n import select_timezone
from webmail.reader_actions import add_trusted_sender, reader_options
from webmail.reading import IFRAME_SANDBOX, build_view, open_message
from webmail.user_settings import user_settings

#: Largest HTML the composer may send to be cleaned (the editor's whole document).
MAX_CLEAN_CHARS = 4 * 1024 * 1024
#: A folder id no real folder has, for URL templates the client fills in.
PLACEHOLDER = 987654321


@bp.get("/")
def home() -> Any:
    """The shell: the client's settings and strings go in as JSON data blocks (not script: the CSP
    allows no inline script)."""
    user = current_user_account()
    config = {
        "address": user.address,
        "name": user.display_name,
        "session": "/.well-known/jmap",
        "csrf": generate_csrf(),
        "suggest": url_for("standard.compose_suggest"),
        "read": url_for("ajax.home") + "read/",  # + "<folder>/<uid>"
        "clean": url_for("ajax.clean"),
        # the Standard print view of a folder's messages (print.js puts the folder in)
        "print": url_for("standard.print_messages", folder_id=PLACEHOLDER).replace(
            str(PLACEHOLDER), "{folder}"
        ),
        "sandbox": IFRAME_SANDBOX,
        "logout": url_for("auth.logout"),
        # where an ended session's notice sends the user (session.js), and back here after signing in
        "login": url_for("auth.login", next=url_for("ajax.home")),
        "settings": url_for("standard.settings_general"),  # the Standard tabs, for whoever wants them
        "settings_api": url_for("ajax.home") + "settings/",  # + "general", "rules"... (settings_routes.py)
        # + "<folder id>/export": the Standard download of an organizer folder (pim_transfer_routes.py)
        "organizer_export": url_for("standard.pim_export", folder_id=1).removesuffix("1/export"),
        "organizer_import": url_for("ajax.organizer_import"),
        "timezone": select_timezone(),  # user.timezone: the calendar's and the out-of-office days' zone
        "compose_limits": compose_limits(),
        "interfaces": {
            name: url_for("auth.switch_interface", name=name)
            for name in user_settings().interfaces
            if name != "ajax"
        },
    }
    return render_template("ajax/app.html", config=config, strings=client_strings())


def compose_limits() -> dict[str, Any]:
    """The Standard composer's attachment limits (``webmail.max_attachment_bytes`` per file,
    ``mail.max_message_bytes`` in all), which the Ajax composer checks before uploading a file and shows
    under its attachments; JMAP checks only the whole message (EmailSubmission's tooLarge)."""
    limit = outbox.limits(current_store(), composing.account())
    size = current_app.jinja_env.filters["filesizeformat"]
    return {
        "attachment": limit.max_attachment_bytes,
        "attachment_text": size(limit.max_attachment_bytes, True),
        "message_text": size(limit.max_message_bytes, True),
    }


@bp.get("/read/<int:folder_id>/<int:uid>")
def read(folder_id: int, uid: int) -> Any:
    """What the reader pane shows of a message besides its JMAP properties: the URLs of the sanitised
    body documents (one per readable part), the attachments, and how many remote images were held back.
    Opening it marks the message seen, as the Standard reader does (usermail decides on the rights)."""
    stored = open_message(user_mail(), folder_id, uid)
    options = reader_options(stored, request.args)
    view = build_view(stored, options)
    images = "1" if options.remote_images else None
    text = None if options.prefer_html else "text"  # ``view=text``: the plain-text view, frames included
    size = current_app.jinja_env.filters["filesizeformat"]
    stored.mark_seen()
    return jsonify(
        # the header lines JMAP's properties do not settle as the Standard reader does: Reply-To only
        # when it is not From, Sender only when it is someone else (webmail/reading/headers.py)
        reply_to=view.headers.reply_to,
        sender=view.headers.sender,
        has_html=view.has_html,
        text_view=not options.prefer_html,
        sections=[
            {
                "kind": s.kind,
                "truncated": s.truncated,
                "url": url_for(
                    "standard.message_body",
                    folder_id=folder_id,
                    uid=uid,
                    section=s.section,
                    images=images,
                    view=text,
                ),
            }
            for s in view.sections
        ],
        attachments=[
            {
                "name": a.filename,
                "type": a.content_type,
                "size": a.size,
                "size_text": size(a.size),
                "url": url_for("standard.message_part", folder_id=folder_id, uid=uid, section=a.section),
                "image": url_for("standard.message_image", folder_id=folder_id, uid=uid, section=a.section)
                if a.is_image
                else None,
            }
            for a in view.attachments
        ],
        blocked_images=view.blocked_images,
        remote_images=view.remote_images,
        # the meeting panel (webmail/ajax/meeting.py) and the read-receipt question, as the Standard
        # reader shows them
        meeting=meeting_json(stored),
        meeting_answer=url_for("ajax.meeting_answer", folder_id=folder_id, uid=uid),
        receipt_to=view.headers.read_receipt_to if view.wants_read_receipt else None,
        # the Standard reader's own pages for what a pane has no room for
        trust=url_for("ajax.trust", folder_id=folder_id, uid=uid),
        source=url_for("standard.message_raw", folder_id=folder_id, uid=uid),
        download=url_for("standard.message_raw", folder_id=folder_id, uid=uid, download=1),
        print=url_for("standard.print_messages", folder_id=folder_id, uid=uid, images=images),
    )


@bp.post("/trust/<int:folder_id>/<int:uid>")
def trust(folder_id: int, uid: int) -> Any:
    """ "Always show images from this sender": the message's sender put on the same trusted list the
    Standard reader's button adds to (a message without a usable sender is refused, 400)."""
    stored = open_message(user_mail(), folder_id, uid)
    return jsonify(address=add_trusted_sender(current_store(), current_user_account().address, stored))


@bp.post("/compose/clean")
def clean() -> Any:
    """The editor's HTML through the server's sanitiser, and its plain-text twin: what a draft or a
    sent message holds (``{"html": ...}`` in, ``{"html", "text"}`` out)."""
    body = request.get_json(silent=True)
    html = body.get("html") if isinstance(body, dict) else None
    if not isinstance(html, str):
        return jsonify(error='send {"html": "..."}'), 400
    if len(html) > MAX_CLEAN_CHARS:
        return jsonify(error=f"the message is longer than {MAX_CLEAN_CHARS} characters"), 400
    safe = html_text.sanitise(html)
    return jsonify(html=safe, text=html_text.to_text(safe))
