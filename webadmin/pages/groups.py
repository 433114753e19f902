"""Groups of a domain (mail to the group reaches every member; groups nest) and forwarders (an address
whose mail goes on to a list of targets, local or outside).

Members and targets may be addresses of the domain or outside addresses; storage refuses an address of
another local domain outside the administrator's reach with the same NotFound as a missing domain.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from storage.errors import AlreadyExists, InvalidInput, NotFound
from webadmin import nav
from webadmin.binding import admin_view
from webadmin.domain_pick import chosen_domain, domains, refuse_on
from webadmin.pages import bp

nav.add("Accounts", _l("Groups"), "pages.groups", order=20)
nav.add("Accounts", _l("Forwarders"), "pages.forwarders", order=30)

MAX_TARGETS_TEXT = 20_000


class NewGroupForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])


class MemberForm(FlaskForm):  # type: ignore[misc]
    member = StringField(
        _l("Member"),
        validators=[DataRequired(), Length(max=320)],
        description=_l("A name of this domain (an account or a group), or any full address."),
    )


class ForwarderForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    targets = TextAreaField(
        _l("Targets"),
        validators=[DataRequired(), Length(max=MAX_TARGETS_TEXT)],
        description=_l("One address per line (or separated by commas)."),
    )


class TargetsForm(FlaskForm):  # type: ignore[misc]
    targets = TextAreaField(
        _l("Targets"),
        validators=[DataRequired(), Length(max=MAX_TARGETS_TEXT)],
        description=_l("One address per line (or separated by commas)."),
    )


def full_address(value: str, domain: str) -> str:
    """``bob`` -> ``bob@domain``; a full address stays as it is."""
    value = value.strip()
    return value if "@" in value else f"{value}@{domain}"


def split_targets(text: str, domain: str) -> list[str]:
    """Targets one per line or comma-separated; a bare name is an address of ``domain``."""
    return [full_address(t, domain) for t in text.replace(",", "\n").splitlines() if t.strip()]


# -- groups -----------------------------------------------------------------------------------------------


def render_groups(domain: str, form: NewGroupForm | None = None, status: int = 200) -> Any:
    return render_template(
        "groups.html",
        domain=domain,
        domains=domains(),
        groups=admin_view().list_groups(domain),
        form=form or NewGroupForm(formdata=None),
    ), status


@bp.get("/groups")
def groups() -> Any:
    return render_groups(chosen_domain())


@bp.post("/groups/new")
def group_new() -> Any:
    domain = chosen_domain()
    form = NewGroupForm()
    if form.validate_on_submit():
        address = f"{(form.name.data or '').strip()}@{domain}"
        try:
            admin_view().add_group(address, (form.display_name.data or "").strip() or None)
        except (InvalidInput, AlreadyExists) as exc:
            refuse_on(form, exc, "name")
        else:
            flash(_("Group %(address)s added.", address=address), "success")
            return redirect(url_for("pages.group_edit", address=address))
    return render_groups(domain, form, 400)


def render_group(address: str, form: MemberForm | None = None, status: int = 200) -> Any:
    group = admin_view().directory.group(address)
    return render_template(
        "group_edit.html",
        group=group,
        domain=group.address.rpartition("@")[2],
        form=form or MemberForm(formdata=None),
    ), status


@bp.get("/groups/<address>")
def group_edit(address: str) -> Any:
    return render_group(address)


@bp.post("/groups/<address>/members")
def group_member_add(address: str) -> Any:
    group = admin_view().directory.group(address)
    form = MemberForm()
    if form.validate_on_submit():
        member = full_address(form.member.data or "", group.address.rpartition("@")[2])
        try:
            admin_view().add_group_member(group.address, member)
        except (InvalidInput, AlreadyExists, NotFound) as exc:
            refuse_on(form, exc, "member")
        else:
            flash(_("%(member)s added.", member=member), "success")
            return redirect(url_for("pages.group_edit", address=group.address))
    return render_group(address, form, 400)


@bp.post("/groups/<address>/members/remove")
def group_member_remove(address: str) -> Any:
    admin_view().remove_group_member(address, request.form.get("member", ""))
    flash(_("Member removed."), "success")
    return redirect(url_for("pages.group_edit", address=address))


@bp.post("/groups/<address>/delete")
def group_delete(address: str) -> Any:
    group = admin_view().directory.group(address)
    domain = group.address.rpartition("@")[2]
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the deletion."), "error")
        return redirect(url_for("pages.group_edit", address=group.address))
    admin_view().delete_group(group.address)
    flash(_("Group %(address)s deleted.", address=group.address), "success")
    return redirect(url_for("pages.groups", domain=domain))


# -- forwarders -------------------------------------------------------------------------------------------


def render_forwarders(domain: str, form: ForwarderForm | None = None, status: int = 200) -> Any:
    return render_template(
        "forwarders.html",
        domain=domain,
        domains=domains(),
        forwarders=admin_view().list_forwarders(domain),
        form=form or ForwarderForm(formdata=None),
    ), status


@bp.get("/forwarders")
def forwarders() -> Any:
    return render_forwarders(chosen_domain())


@bp.post("/forwarders/new")
def forwarder_new() -> Any:
    domain = chosen_domain()
    form = ForwarderForm()
    if form.validate_on_submit():
        address = f"{(form.name.data or '').strip()}@{domain}"
        try:
            admin_view().add_forwarder(address, split_targets(form.targets.data or "", domain))
        except AlreadyExists as exc:
            refuse_on(form, exc, "name")
        except InvalidInput as exc:
            refuse_on(form, exc, "name" if address.split("@")[0] in str(exc) else "targets")
        except NotFound as exc:
            refuse_on(form, exc, "targets")
        else:
            flash(_("Forwarder %(address)s added.", address=address), "success")
            return redirect(url_for("pages.forwarders", domain=domain))
    return render_forwarders(domain, form, 400)


@bp.route("/forwarders/<address>", methods=["GET", "POST"])
def forwarder_edit(address: str) -> Any:
    forwarder = admin_view().directory.forwarder(address)
    domain = forwarder.address.rpartition("@")[2]
    form = TargetsForm(formdata=None if request.method == "GET" else request.form)
    status = 200
    if request.method == "GET":
        form.targets.data = "\n".join(forwarder.targets)
    elif form.validate_on_submit():
        try:
            admin_view().directory.replace_forwarder(
                forwarder.address, split_targets(form.targets.data or "", domain)
            )
        except (InvalidInput, NotFound) as exc:
            refuse_on(form, exc, "targets")
            status = 400
        else:
            flash(_("Targets saved."), "success")
            return redirect(url_for("pages.forwarder_edit", address=forwarder.address))
    else:
        status = 400
    return render_template(
        "forwarder_edit.html", forwarder=forwarder, form=form, domain=forwarder.address.rpartition("@")[2]
    ), status


@bp.post("/forwarders/<address>/delete")
def forwarder_delete(address: str) -> Any:
    forwarder = admin_view().directory.forwarder(address)
    admin_view().delete_forwarder(forwarder.address)
    flash(_("Forwarder %(address)s deleted.", address=forwarder.address), "success")
    return redirect(url_for("pages.forwarders", domain=forwarder.address.rpartition("@")[2]))
