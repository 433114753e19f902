"""Account classes of a domain: named sets of settings that accounts of the class inherit (between the
domain's values and the account's own). Listed with how many accounts each holds; added, renamed and
deleted here; their settings are edited on the generated settings page of the class.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from storage.errors import AlreadyExists, InvalidInput
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.domain_pick import chosen_domain, domains, refuse_on, settings_link
from webadmin.pages import bp

nav.add("Accounts", _l("Account classes"), "pages.account_classes", order=40)


class ClassForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])


class RenameForm(FlaskForm):  # type: ignore[misc]
    """One per row of the table, drawn by hand; the token the row posts (``m.csrf()``) is checked by the
    app-wide CSRFProtect (webadmin/security.py) before this view runs."""

    class Meta:
        csrf = False

    old = StringField(validators=[DataRequired(), Length(max=64)])
    new = StringField(_l("New name"), validators=[DataRequired(), Length(max=64)])


def render_classes(
    domain: str, form: ClassForm | None = None, rename: RenameForm | None = None, status: int = 200
) -> Any:
    classes = admin_view().directory.classes(domain)
    return render_template(
        "account_classes.html",
        domain=domain,
        domains=domains(),
        classes=[(c, settings_link(domain=domain, account_class=c.name)) for c in classes],
        form=form or ClassForm(formdata=None),
        rename=rename,
    ), status


@bp.get("/classes")
def account_classes() -> Any:
    return render_classes(chosen_domain())


@bp.post("/classes/new")
def account_class_new() -> Any:
    domain = chosen_domain()
    form = ClassForm()
    if form.validate_on_submit():
        try:
            admin_view().directory.add_class(domain, form.name.data or "")
        except (InvalidInput, AlreadyExists) as exc:
            refuse_on(form, exc, "name")
        else:
            flash(_("Class %(name)s added.", name=form.name.data), "success")
            return redirect(url_for("pages.account_classes", domain=domain))
    return render_classes(domain, form=form, status=400)


@bp.post("/classes/rename")
def account_class_rename() -> Any:
    domain = chosen_domain()
    form = RenameForm(prefix="rename")
    if form.validate_on_submit():
        try:
            admin_view().directory.rename_class(domain, form.old.data or "", form.new.data or "")
        except (InvalidInput, AlreadyExists) as exc:
            refuse_on(form, exc, "new")
        else:
            flash(_("Class renamed."), "success")
            return redirect(url_for("pages.account_classes", domain=domain))
    return render_classes(domain, rename=form, status=400)


@bp.post("/classes/delete")
def account_class_delete() -> Any:
    domain = chosen_domain()
    name = request.form.get("name", "")
    admin_view().directory.delete_class(domain, name)
    flash(_("Class %(name)s deleted; its accounts now have no class.", name=name), "success")
    return redirect(url_for("pages.account_classes", domain=domain))
