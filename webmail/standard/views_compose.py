"""Standard pages for writing mail: new message, reply, reply to all, forward (inline or attached), a
saved draft, and the recipient suggestions the page's script asks for (webmail.composing does the work).
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mailflow import outbox
from mailflow.compose import Draft
from webmail import composing
from webmail.binding import current_store
from webmail.standard.blueprint import bp

TEMPLATE = "standard/compose.html"


def show(page: composing.ComposePage, status: int = 200) -> Any:
    return render_template(TEMPLATE, page=page), status


def _saved_and_reopened(draft: Draft) -> Any:
    """A start that carries attachments (a forward) is saved at once, so they live in Drafts."""
    uid, _draft = outbox.save_draft(current_store(), composing.account(), draft)
    return redirect(url_for("standard.compose", draft=uid))


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
    if draft.attachments:
        if request.method != "POST":  # the draft is saved at once: a write, so only on a CSRF-checked POST
            return composing.confirm_start("layout/frame.html", kind, request.path)
        return _saved_and_reopened(draft)
    return show(composing.page_for(draft, None))


@bp.post("/compose")
def compose_post() -> Any:
    outcome = composing.handle_post()
    wants_json = request.accept_mimetypes.best == "application/json"
    if outcome.sent is not None:
        if wants_json:
            return jsonify(sent=True, message_id=outcome.sent.message_id)
        flash(_("Your message was sent."), "info")
        if outcome.sent.filing_error:
            flash(_("The message was sent, but no copy could be filed in Sent."), "warning")
        return redirect(url_for("standard.home"))
    assert outcome.page is not None
    if wants_json:
        page = outcome.page
        return jsonify(
            draft_uid=page.draft_uid, message_id=page.draft.message_id, error=page.error
        ), outcome.status
    return show(outcome.page, outcome.status)


@bp.get("/compose/suggest")
def compose_suggest() -> Any:
    return jsonify(composing.suggestions(request.args.get("q", "")))
