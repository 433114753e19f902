"""Standard settings page "Other mailboxes" (``/mail/settings/remote``): remote POP3/IMAP mailboxes fetched
into this one; what it does is webmail/remote_mailboxes.py, the user's guide docs/rpop.md."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import remote_mailboxes as pages
from webmail.settings_forms import ActionForm
from webmail.standard.blueprint import bp


def _page(form: pages.RemoteForm) -> Any:
    return render_template(
        "standard/settings_remote.html",
        form=form,
        remotes=pages.remotes(),
        action_form=ActionForm(),
        tab="remote",
    )


@bp.route("/settings/remote", methods=["GET", "POST"])
def settings_remote() -> Any:
    if request.method == "POST":
        form = pages.RemoteForm()
        saved = pages.save(form)
        if saved is None:
            return _page(form), 400
        flash(_("Saved. %(mailbox)s is fetched within a minute.", mailbox=saved.label), "info")
        return redirect(url_for("standard.settings_remote"))
    return _page(pages.new_form(request.args.get("edit")))


@bp.post("/settings/remote/delete")
def settings_remote_delete() -> Any:
    pages.delete(request.form.get("id", ""))
    flash(_("The remote mailbox was removed. Mail already fetched stays here."), "info")
    return redirect(url_for("standard.settings_remote"))


@bp.post("/settings/remote/fetch")
def settings_remote_fetch() -> Any:
    pages.fetch_now(request.form.get("id", ""))
    flash(_("It is fetched within a minute."), "info")
    return redirect(url_for("standard.settings_remote"))
