"""Mobile pages for writing mail (``/m/compose``): the same form and work as the Standard pages
(webmail.composing), one column, plain text editing (an HTML draft is edited as its source)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mailflow import outbox
from webmail import composing
from webmail.binding import current_store
from webmail.mobile.blueprint import bp

TEMPLATE = "mobile/compose.html"


def show(page: composing.ComposePage, status: int = 200) -> Any:
    return render_template(TEMPLATE, page=page), status


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
            return composing.confirm_start("mobile/frame.html", kind, request.path)
        saved, _draft = outbox.save_draft(current_store(), composing.account(), draft)
        return redirect(url_for("mobile.compose", draft=saved))
    return show(composing.page_for(draft, None))


@bp.post("/compose")
def compose_post() -> Any:
    outcome = composing.handle_post()
    if outcome.sent is not None:
        flash(_("Your message was sent."), "info")
        if outcome.sent.filing_error:
            flash(_("The message was sent, but no copy could be filed in Sent."), "warning")
        return redirect(url_for("mobile.home"))
    assert outcome.page is not None
    return show(outcome.page, outcome.status)
