"""The composer's routes, registered on the Standard and the Mobile blueprint alike.

Both interfaces write mail the same way (webmail.composing does the work); they differ only in the page
template, the frame around the confirmation page, and whether a script may ask for JSON answers
(Standard's autosave). Endpoint names are the same on both: ``<bp>.compose``, ``<bp>.compose_from``,
``<bp>.compose_post``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mailflow import outbox
from webmail import composing
from webmail.binding import current_store


def add_compose_routes(bp: Blueprint, *, template: str, frame: str, json_answers: bool) -> None:
    """Register the composer on ``bp`` (see the module docstring)."""
    name = bp.name

    def show(page: composing.ComposePage, status: int = 200) -> Any:
        return render_template(template, page=page), status

    @bp.get("/compose")
    def compose() -> Any:
        uid = composing.draft_uid_of(request.args.get("draft"))
        if uid is not None:
            draft = outbox.load_draft(current_store(), composing.account(), uid)
            return show(composing.page_for(draft, uid))
        return show(composing.page_for(composing.new_draft(request.args), None))

    @bp.route("/compose/<kind>/<int:folder_id>/<int:uid>", methods=["GET", "POST"])
    def compose_from(kind: str, folder_id: int, uid: int) -> Any:
        draft = composing.started_from(kind, folder_id, uid)
        if draft.attachments:  # saved at once, so the attachments live in Drafts
            if request.method != "POST":  # a write: only on a CSRF-checked POST
                return composing.confirm_start(frame, kind, request.path)
            saved, _draft = outbox.save_draft(current_store(), composing.account(), draft)
            return redirect(url_for(f"{name}.compose", draft=saved))
        return show(composing.page_for(draft, None))

    @bp.post("/compose")
    def compose_post() -> Any:
        outcome = composing.handle_post()
        wants_json = json_answers and request.accept_mimetypes.best == "application/json"
        if outcome.sent is not None:
            if wants_json:
                return jsonify(sent=True, message_id=outcome.sent.message_id)
            flash(_("Your message was sent."), "info")
            if outcome.sent.filing_error:
                flash(_("The message was sent, but no copy could be filed in Sent."), "warning")
            return redirect(url_for(f"{name}.home"))
        assert outcome.page is not None
        if wants_json:
            page = outcome.page
            return jsonify(
                draft_uid=page.draft_uid, message_id=page.draft.message_id, error=page.error
            ), outcome.status
        return show(outcome.page, outcome.status)
