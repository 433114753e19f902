"""The permissions page's request handling, shared by Standard (``/mail/folders/<id>/sharing``) and
Mobile (``/m/folders/<id>/sharing``); the work is webmail.sharing's.

GET shows the entries; POST with ``action`` = ``grant`` (who + role or letters, allow or deny, "apply
to subfolders"), ``change`` (one listed entry's role or letters and its "apply to subfolders"),
``remove``, ``exception`` (cap one principal on this folder, webmail.sharing.exception) or, on the whole
mailbox's page, ``delegate`` (send as / on behalf / free-busy, webmail.delegation). A grant or delegation
with bad fields is shown again with the errors next to them (400); a done change redirects back with a
note. Without "a" the page says so with a 403, and a POST is refused by the facade (PermissionDenied ->
403).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import delegation, sharing
from webmail.binding import current_user_account, user_mail


def sharing_page(interface: str, folder_id: int) -> Any:
    """Answer one request of ``<interface>.folder_sharing`` (template ``<interface>/sharing.html``)."""
    mine = user_mail()
    template = f"{interface}/sharing.html"
    status = 200
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        action = form.get("action", "")
        if action == "grant":
            errors = sharing.grant(mine, folder_id, form, current_user_account().domain)
            if not errors:
                flash(_("Shared."))
        elif action == "change":
            error = sharing.change(mine, folder_id, form)
            flash(error or _("Permissions changed."), "error" if error else "message")
        elif action == "remove":
            error = sharing.remove(mine, folder_id, form)
            flash(error or _("Entry removed."), "error" if error else "message")
        elif action == "exception":
            error = sharing.exception(mine, folder_id, form)
            flash(error or _("Exception set for this folder."), "error" if error else "message")
        elif action == "delegate" and folder_id == mine.sharing.mailbox_root().id:
            errors = delegation.delegate(mine, form, current_user_account().domain)
            if not errors:
                flash(_("Delegation changed."))
        else:
            flash(_("Unknown action."), "error")
        if not errors:
            return redirect(url_for(f"{interface}.folder_sharing", folder_id=folder_id))
        status = 400
    page = sharing.load(mine, folder_id)
    page.errors = errors
    page.values = dict(request.form) if errors else {}
    if page.entries is None:
        status = 403
    return render_template(template, page=page, roles=sharing.role_labels()), status
