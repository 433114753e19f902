"""Public folders of a domain and its folder recipients.

A public folder belongs to the domain, not to an account; who may read or file into it is set with
folder sharing (ACL) in WebMail or over IMAP. A folder recipient is an address of the domain whose mail is
filed straight into one public folder (a shared "support@" box, say). Deleting a folder deletes its
folder recipients with it.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from storage.errors import AlreadyExists, InvalidInput, NotFound
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.domain_pick import chosen_domain, domains, refuse_on
from webadmin.pages import bp

nav.add("Accounts", _l("Public folders"), "pages.public_folders", order=50)

KINDS = (
    ("mail", _l("Mail")),
    ("calendar", _l("Calendar")),
    ("contacts", _l("Contacts")),
    ("tasks", _l("Tasks")),
    ("notes", _l("Notes")),
    ("journal", _l("Journal")),
)


class FolderForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    path = StringField(
        _l("Folder"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("Use / between levels: Support/Tickets."),
    )
    kind = SelectField(_l("Holds"), choices=KINDS, default="mail")


class RenameForm(FlaskForm):  # type: ignore[misc]
    """One per row, drawn by hand; its token (``m.csrf()``) is checked by the app-wide CSRFProtect."""

    class Meta:
        csrf = False

    old = StringField(validators=[DataRequired(), Length(max=1000)])
    new = StringField(_l("New name"), validators=[DataRequired(), Length(max=1000)])


class RecipientForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Address"), validators=[DataRequired(), Length(max=64)])
    folder = SelectField(_l("Delivers into"), choices=[], validate_choice=False)


def render_folders(
    domain: str,
    form: FolderForm | None = None,
    rename: RenameForm | None = None,
    recipient: RecipientForm | None = None,
    status: int = 200,
) -> Any:
    view = admin_view()
    folders = view.public_folders.list(domain)
    recipient = recipient or RecipientForm(prefix="rcpt", formdata=None)
    recipient.folder.choices = [(f.path, f.path) for f in folders if f.kind == "mail"]
    return render_template(
        "public_folders.html",
        domain=domain,
        domains=domains(),
        folders=folders,
        recipients=view.public_folders.recipients(domain),
        form=form or FolderForm(formdata=None),
        rename=rename,
        recipient_form=recipient,
    ), status


@bp.get("/public-folders")
def public_folders() -> Any:
    return render_folders(chosen_domain())


@bp.post("/public-folders/new")
def public_folder_new() -> Any:
    domain = chosen_domain()
    form = FolderForm()
    if form.validate_on_submit():
        try:
            admin_view().public_folders.create(domain, form.path.data or "", kind=form.kind.data or "mail")
        except (InvalidInput, AlreadyExists) as exc:
            refuse_on(form, exc, "path")
        else:
            flash(_("Folder %(path)s created.", path=form.path.data), "success")
            return redirect(url_for("pages.public_folders", domain=domain))
    return render_folders(domain, form=form, status=400)


@bp.post("/public-folders/rename")
def public_folder_rename() -> Any:
    domain = chosen_domain()
    form = RenameForm(prefix="rename")
    if form.validate_on_submit():
        try:
            admin_view().public_folders.rename(domain, form.old.data or "", form.new.data or "")
        except (InvalidInput, AlreadyExists, NotFound) as exc:
            refuse_on(form, exc, "new")
        else:
            flash(_("Folder renamed."), "success")
            return redirect(url_for("pages.public_folders", domain=domain))
    return render_folders(domain, rename=form, status=400)


@bp.post("/public-folders/delete")
def public_folder_delete() -> Any:
    domain = chosen_domain()
    path = request.form.get("path", "")
    admin_view().public_folders.delete(domain, path)
    flash(_("Folder %(path)s deleted with its messages and subfolders.", path=path), "success")
    return redirect(url_for("pages.public_folders", domain=domain))


@bp.post("/public-folders/recipients")
def folder_recipient_new() -> Any:
    domain = chosen_domain()
    form = RecipientForm(prefix="rcpt")
    if form.validate_on_submit():
        address = f"{(form.name.data or '').strip()}@{domain}"
        try:
            admin_view().public_folders.add_recipient(address, form.folder.data or "")
        except (InvalidInput, AlreadyExists) as exc:
            refuse_on(form, exc, "name")
        except NotFound as exc:
            refuse_on(form, exc, "folder")
        else:
            flash(
                _("%(address)s now delivers into %(path)s.", address=address, path=form.folder.data),
                "success",
            )
            return redirect(url_for("pages.public_folders", domain=domain))
    return render_folders(domain, recipient=form, status=400)


@bp.post("/public-folders/recipients/remove")
def folder_recipient_remove() -> Any:
    domain = chosen_domain()
    admin_view().public_folders.remove_recipient(request.form.get("address", ""))
    flash(_("Folder recipient removed."), "success")
    return redirect(url_for("pages.public_folders", domain=domain))
