"""Mobile pages of a folder's messages: the list (paging, sort, search, conversations) and the
operations on checked messages (move, delete, mark), as in the Standard interface with less on screen;
and folder management (``/m/folders/manage``: create, rename, move, delete), the same forms as Standard's
(webmail/list_actions.py) one folder per block."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from webmail.binding import current_user_account, user_mail
from webmail.list_actions import apply as apply_action
from webmail.list_actions import create, delete, rename
from webmail.list_query import MOBILE_PAGE_SIZE, folder_list, parse
from webmail.list_view import message_link
from webmail.mobile.blueprint import bp
from webmail.sharing import manage_extras


@bp.route("/folder/<int:folder_id>")
def folder(folder_id: int) -> Any:
    listing = folder_list(user_mail(), folder_id, parse(request.args), MOBILE_PAGE_SIZE)
    return render_template("mobile/list.html", lst=listing, folder=listing.folder, message_link=message_link)


@bp.post("/folder/<int:folder_id>/messages")
def folder_action(folder_id: int) -> Any:
    flash(apply_action(user_mail(), folder_id, request.form))
    back: dict[str, Any] = dict(request.args)  # the list's query: same page, sort and search
    return redirect(url_for("mobile.folder", folder_id=folder_id, **back))


@bp.route("/folders/manage")
def folders_manage() -> Any:
    tree = user_mail().view.folder_tree()
    parents = [f for f in tree if "k" in f.rights.letters]
    extras = manage_extras(user_mail())
    return render_template("mobile/folders_manage.html", tree=tree, parents=parents, **extras)


@bp.post("/folders/manage/create")
def folder_create() -> Any:
    form = request.form
    flash(create(user_mail(), current_user_account().address, form.get("parent", ""), form.get("name", "")))
    return redirect(url_for("mobile.folders_manage"))


@bp.post("/folders/manage/rename")
def folder_rename() -> Any:
    form = request.form
    flash(rename(user_mail(), form.get("folder", ""), form.get("name", ""), form.get("parent", "")))
    return redirect(url_for("mobile.folders_manage"))


@bp.post("/folders/manage/delete")
def folder_delete() -> Any:
    flash(delete(user_mail(), request.form.get("folder", "")))
    return redirect(url_for("mobile.folders_manage"))
