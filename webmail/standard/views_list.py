"""Standard pages of a folder's messages and of folder management.

* ``GET /mail/folder/<id>``: the list (paging, sort links, conversations, flags, search form; the
  query is in the URL, webmail/list_query.py);
* ``POST /mail/folder/<id>/messages``: move, copy, delete or mark the checked messages, then back to
  the same list;
* ``GET /mail/folder/<id>/thread/<key>``: the messages of one conversation;
* ``GET /mail/folders`` and the ``POST /mail/folders/{create,rename,delete}`` forms.

Rights are storage's (webmail/list_actions.py): forms are shown only where the folder's rights allow
them, and a forged request is refused by storage all the same.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from webmail.binding import current_user_account, user_mail
from webmail.list_actions import apply as apply_action
from webmail.list_actions import create, delete, rename
from webmail.list_query import folder_entry, folder_list, parse
from webmail.list_view import message_link
from webmail.sharing import manage_extras
from webmail.standard.blueprint import bp


@bp.route("/folder/<int:folder_id>")
def folder(folder_id: int) -> Any:
    listing = folder_list(user_mail(), folder_id, parse(request.args))
    return render_template(
        "standard/list.html", lst=listing, folder=listing.folder, message_link=message_link
    )


@bp.post("/folder/<int:folder_id>/messages")
def folder_action(folder_id: int) -> Any:
    flash(apply_action(user_mail(), folder_id, request.form))
    back: dict[str, Any] = dict(request.args)  # the list's query: same page, sort and search
    return redirect(url_for("standard.folder", folder_id=folder_id, **back))


@bp.route("/folder/<int:folder_id>/thread/<key>")
def thread(folder_id: int, key: str) -> Any:
    mine = user_mail()
    entry, _tree = folder_entry(mine, folder_id)
    rows = mine.view.thread(folder_id, key[:64])
    return render_template(
        "standard/thread.html", folder=entry, rows=rows, message_link=message_link, back=dict(request.args)
    )


@bp.route("/folders")
def folders() -> Any:
    tree = user_mail().view.folder_tree()
    parents = [f for f in tree if "k" in f.rights.letters]  # where a folder may be created or moved to
    extras = manage_extras(user_mail())
    return render_template("standard/folders.html", tree=tree, parents=parents, **extras)


@bp.post("/folders/create")
def folder_create() -> Any:
    form = request.form
    flash(create(user_mail(), current_user_account().address, form.get("parent", ""), form.get("name", "")))
    return redirect(url_for("standard.folders"))


@bp.post("/folders/rename")
def folder_rename() -> Any:
    form = request.form
    flash(rename(user_mail(), form.get("folder", ""), form.get("name", ""), form.get("parent", "")))
    return redirect(url_for("standard.folders"))


@bp.post("/folders/delete")
def folder_delete() -> Any:
    flash(delete(user_mail(), request.form.get("folder", "")))
    return redirect(url_for("standard.folders"))
