"""Administrators and administrator groups (delegated administration, docs/administration.md): the list,
adding one, and the page of each: switched on or off, password, role, server permissions, granted domains
with their permissions and limits, group membership; groups likewise.

Everything goes through ``admin_view().admins`` / ``.admin_groups`` (storage.administrators), which
decides who may do what: a delegated administrator holding ``admins`` sees only the administrators and
groups within what they hold themselves, and gives no more than that; a refusal is shown next to the
field it concerns, in storage's words.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from storage.adminscope import DOMAIN_RIGHTS, SERVER_RIGHTS
from storage.errors import StorageError
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.domain_pick import refuse_on
from webadmin.pages import bp

nav.add("Server", _l("Administrators"), "pages.administrators", server_only=True, right="admins", order=80)
nav.add(
    "Server", _l("Administrator groups"), "pages.admin_groups", server_only=True, right="admins", order=81
)


class Checkboxes(SelectMultipleField):  # type: ignore[misc]  # wtforms ships no type hints
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def server_rights_field(label: Any = None) -> Checkboxes:
    return Checkboxes(
        label or _l("Server permissions"), choices=[(n, f"{n}: {t}") for n, t in SERVER_RIGHTS.items()]
    )


class NewAdminForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    server_wide = BooleanField(_l("Server-wide (may do everything)"))
    server_rights = server_rights_field()


class PasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class RightsForm(FlaskForm):  # type: ignore[misc]
    server_rights = server_rights_field()


class RoleForm(FlaskForm):  # type: ignore[misc]
    server_wide = BooleanField(_l("Server-wide (may do everything)"))


class GrantForm(FlaskForm):  # type: ignore[misc]
    domain = SelectField(_l("Domain"), choices=[], validate_choice=False, validators=[DataRequired()])
    rights = Checkboxes(
        _l("Domain permissions"),
        choices=[(n, f"{n}: {t}") for n, t in DOMAIN_RIGHTS.items()],
        description=_l("None ticked: the domain is visible, read only."),
    )
    max_accounts = IntegerField(
        _l("Most accounts"), validators=[Optional(), NumberRange(min=0)], description=_l("Empty: no limit.")
    )
    max_quota_mb = IntegerField(
        _l("Largest mailbox (MB)"),
        validators=[Optional(), NumberRange(min=0)],
        description=_l("Empty: no limit. With a limit, no mailbox they manage is left unlimited."),
    )


class NewGroupForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    server_rights = server_rights_field(_l("Server permissions of its members"))


class MemberForm(FlaskForm):  # type: ignore[misc]
    admin = SelectField(_l("Administrator"), choices=[], validate_choice=False, validators=[DataRequired()])


def grant_form(*, posted: bool = False) -> GrantForm:
    """The grant form, blank or (``posted``) holding the request's values; its domains are ours."""
    form = GrantForm() if posted else GrantForm(formdata=None)
    form.domain.choices = [(d.name, d.name) for d in admin_view().list_domains()]
    return form


# -- administrators -------------------------------------------------------------------------------------


def render_list(form: NewAdminForm | None = None, status: int = 200) -> Any:
    return render_template(
        "administrators.html",
        admins=admin_view().admins.list(),
        form=form or NewAdminForm(formdata=None),
    ), status


@bp.get("/administrators")
def administrators() -> Any:
    return render_list()


@bp.post("/administrators/new")
def administrator_new() -> Any:
    form = NewAdminForm()
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        try:
            admin_view().admins.add(
                name,
                form.password.data or "",
                server_wide=form.server_wide.data,
                server_rights=form.server_rights.data,
            )
        except StorageError as exc:
            refuse_on(form, exc, "password" if "password" in str(exc) else "name")
        else:
            flash(_("Administrator %(name)s added.", name=name), "success")
            return redirect(url_for("pages.administrator_edit", name=name))
    return render_list(form, 400)


def render_admin(name: str, status: int = 200, **forms: Any) -> Any:
    info = admin_view().admins.get(name)
    rights = forms.get("rights_form") or RightsForm(formdata=None, server_rights=list(info.server_rights))
    return render_template(
        "administrator_edit.html",
        info=info,
        password_form=forms.get("password_form") or PasswordForm(formdata=None),
        rights_form=rights,
        role_form=forms.get("role_form") or RoleForm(formdata=None, server_wide=info.server_wide),
        grant=forms.get("grant") or grant_form(),
    ), status


@bp.get("/administrators/<name>")
def administrator_edit(name: str) -> Any:
    return render_admin(name)


@bp.post("/administrators/<name>/password")
def administrator_password(name: str) -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            admin_view().admins.set_password(name, form.password.data or "")
        except StorageError as exc:
            refuse_on(form, exc, "password")
        else:
            flash(_("Password changed."), "success")
            return redirect(url_for("pages.administrator_edit", name=name))
    return render_admin(name, 400, password_form=form)


@bp.post("/administrators/<name>/rights")
def administrator_rights(name: str) -> Any:
    form = RightsForm()
    if form.validate_on_submit():
        try:
            admin_view().admins.set_server_rights(name, form.server_rights.data or [])
        except StorageError as exc:
            refuse_on(form, exc, "server_rights")
        else:
            flash(_("Server permissions saved."), "success")
            return redirect(url_for("pages.administrator_edit", name=name))
    return render_admin(name, 400, rights_form=form)


@bp.post("/administrators/<name>/role")
def administrator_role(name: str) -> Any:
    form = RoleForm()
    if form.validate_on_submit():
        try:
            admin_view().admins.set_server_wide(name, bool(form.server_wide.data))
        except StorageError as exc:
            refuse_on(form, exc, "server_wide")
        else:
            flash(_("Role saved."), "success")
            return redirect(url_for("pages.administrator_edit", name=name))
    return render_admin(name, 400, role_form=form)


@bp.post("/administrators/<name>/enabled")
def administrator_enabled(name: str) -> Any:
    enabled = request.form.get("enabled") == "yes"
    admin_view().admins.set_enabled(name, enabled)
    flash(_("Administrator switched on.") if enabled else _("Administrator switched off."), "success")
    return redirect(url_for("pages.administrator_edit", name=name))


@bp.post("/administrators/<name>/grant")
def administrator_grant(name: str) -> Any:
    form = grant_form(posted=True)
    if form.validate_on_submit() and _granted(form, admin=name):
        return redirect(url_for("pages.administrator_edit", name=name))
    return render_admin(name, 400, grant=form)


@bp.post("/administrators/<name>/revoke")
def administrator_revoke(name: str) -> Any:
    admin_view().admins.revoke(request.form.get("domain", ""), admin=name)
    flash(_("Domain withdrawn."), "success")
    return redirect(url_for("pages.administrator_edit", name=name))


@bp.post("/administrators/<name>/delete")
def administrator_delete(name: str) -> Any:
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the deletion."), "error")
        return redirect(url_for("pages.administrator_edit", name=name))
    admin_view().admins.delete(name)
    flash(_("Administrator %(name)s deleted.", name=name), "success")
    return redirect(url_for("pages.administrators"))


def _granted(form: GrantForm, *, admin: str | None = None, group: str | None = None) -> bool:
    try:
        admin_view().admins.grant(
            form.domain.data or "",
            admin=admin,
            group=group,
            rights=form.rights.data or [],
            max_accounts=form.max_accounts.data,
            max_account_quota_mb=form.max_quota_mb.data,
        )
    except StorageError as exc:
        refuse_on(form, exc, "domain")
        return False
    flash(_("Domain %(domain)s granted.", domain=form.domain.data), "success")
    return True


# -- groups ---------------------------------------------------------------------------------------------


def render_groups(form: NewGroupForm | None = None, status: int = 200) -> Any:
    return render_template(
        "admin_groups.html",
        groups=admin_view().admin_groups.list(),
        form=form or NewGroupForm(formdata=None),
    ), status


@bp.get("/admin-groups")
def admin_groups() -> Any:
    return render_groups()


@bp.post("/admin-groups/new")
def admin_group_new() -> Any:
    form = NewGroupForm()
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        try:
            admin_view().admin_groups.add(name, form.server_rights.data or [])
        except StorageError as exc:
            refuse_on(form, exc, "name")
        else:
            flash(_("Group %(name)s added.", name=name), "success")
            return redirect(url_for("pages.admin_group_edit", name=name))
    return render_groups(form, 400)


def render_group(name: str, status: int = 200, **forms: Any) -> Any:
    view = admin_view()
    info = view.admin_groups.get(name)
    member = forms.get("member_form") or MemberForm(formdata=None)
    member.admin.choices = [(a.name, a.name) for a in view.admins.list() if a.name not in info.members]
    return render_template(
        "admin_group_edit.html",
        info=info,
        rights_form=forms.get("rights_form")
        or RightsForm(formdata=None, server_rights=list(info.server_rights)),
        member_form=member,
        grant=forms.get("grant") or grant_form(),
    ), status


@bp.get("/admin-groups/<name>")
def admin_group_edit(name: str) -> Any:
    return render_group(name)


@bp.post("/admin-groups/<name>/rights")
def admin_group_rights(name: str) -> Any:
    form = RightsForm()
    if form.validate_on_submit():
        try:
            admin_view().admin_groups.set_server_rights(name, form.server_rights.data or [])
        except StorageError as exc:
            refuse_on(form, exc, "server_rights")
        else:
            flash(_("Server permissions saved."), "success")
            return redirect(url_for("pages.admin_group_edit", name=name))
    return render_group(name, 400, rights_form=form)


@bp.post("/admin-groups/<name>/members")
def admin_group_member_add(name: str) -> Any:
    form = MemberForm()
    if form.validate_on_submit():
        try:
            admin_view().admin_groups.add_member(name, form.admin.data or "")
        except StorageError as exc:
            refuse_on(form, exc, "admin")
        else:
            flash(_("%(admin)s added.", admin=form.admin.data), "success")
            return redirect(url_for("pages.admin_group_edit", name=name))
    return render_group(name, 400, member_form=form)


@bp.post("/admin-groups/<name>/members/remove")
def admin_group_member_remove(name: str) -> Any:
    admin_view().admin_groups.remove_member(name, request.form.get("admin", ""))
    flash(_("Member removed."), "success")
    return redirect(url_for("pages.admin_group_edit", name=name))


@bp.post("/admin-groups/<name>/grant")
def admin_group_grant(name: str) -> Any:
    form = grant_form(posted=True)
    if form.validate_on_submit() and _granted(form, group=name):
        return redirect(url_for("pages.admin_group_edit", name=name))
    return render_group(name, 400, grant=form)


@bp.post("/admin-groups/<name>/revoke")
def admin_group_revoke(name: str) -> Any:
    admin_view().admins.revoke(request.form.get("domain", ""), group=name)
    flash(_("Domain withdrawn."), "success")
    return redirect(url_for("pages.admin_group_edit", name=name))


@bp.post("/admin-groups/<name>/delete")
def admin_group_delete(name: str) -> Any:
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the deletion."), "error")
        return redirect(url_for("pages.admin_group_edit", name=name))
    admin_view().admin_groups.delete(name)
    flash(_("Group %(name)s deleted.", name=name), "success")
    return redirect(url_for("pages.admin_groups"))
