"""Mobile settings (``/m/settings``) on a phone: language, skin, time zone and signature, the out-of-office
reply, the rules (list, on/off, delete, and a one-condition "new rule" form), blocked and safe senders,
temporary addresses, and the password. Same forms and rules as the Standard pages
(webmail/settings_pages.py); the templates write the fields as XHTML (mobile/form_fields.html).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webmail import settings_pages as pages
from webmail.mobile.blueprint import bp
from webmail.settings_forms import (
    ActionForm,
    AliasForm,
    GeneralForm,
    OutOfOfficeForm,
    PasswordForm,
    RuleForm,
    SendersForm,
)


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Any:
    form = GeneralForm()
    if pages.general(form, request.method == "POST"):
        flash(_("Your settings were saved."), "info")
        return redirect(url_for("mobile.settings"))
    return render_template("mobile/settings.html", form=form)


@bp.route("/settings/out-of-office", methods=["GET", "POST"])
def settings_out_of_office() -> Any:
    form = OutOfOfficeForm()
    saved, state = pages.out_of_office(form, request.method == "POST")
    if saved:
        flash(_("Your automatic reply was saved."), "info")
        return redirect(url_for("mobile.settings_out_of_office"))
    return render_template(
        "mobile/settings_out_of_office.html", form=form, state=state, action_form=ActionForm()
    )


@bp.post("/settings/filters/activate")
def settings_filters_activate() -> Any:
    pages.filters().activate()
    flash(_("WebMail's rules and automatic reply are now in force."), "info")
    back = request.form.get("back") == "rules"
    return redirect(url_for("mobile.settings_rules" if back else "mobile.settings_out_of_office"))


@bp.route("/settings/password", methods=["GET", "POST"])
def settings_password() -> Any:
    form = PasswordForm()
    if pages.password(form, request.method == "POST", request.remote_addr):
        flash(_("Your password was changed. Other sessions and programs must sign in again."), "info")
        return redirect(url_for("mobile.settings"))
    return render_template("mobile/settings_password.html", form=form)


@bp.get("/settings/rules")
def settings_rules() -> Any:
    state = pages.filters().state()
    return render_template("mobile/settings_rules.html", state=state, action_form=ActionForm())


@bp.route("/settings/rules/new", methods=["GET", "POST"])
def settings_rule_new() -> Any:
    form = RuleForm()
    saved, state = pages.rule(form, 0, request.method == "POST")
    if saved:
        return redirect(url_for("mobile.settings_rules"))
    return render_template("mobile/settings_rule.html", form=form, state=state)


@bp.post("/settings/rules/<int:number>/<string:change>")
def settings_rule_change(number: int, change: str) -> Any:
    """Turn rule ``number`` (1-based) on or off, or delete it (the page offers no reordering)."""
    pages.rule_change(number, change, replace_edited=request.form.get("replace_edited") == "y")
    return redirect(url_for("mobile.settings_rules"))


@bp.route("/settings/senders", methods=["GET", "POST"])
def settings_senders() -> Any:
    form = SendersForm()
    if pages.senders(form, request.method == "POST"):
        flash(_("Your sender lists were saved."), "info")
        return redirect(url_for("mobile.settings_senders"))
    return render_template("mobile/settings_senders.html", form=form)


@bp.route("/settings/aliases", methods=["GET", "POST"])
def settings_aliases() -> Any:
    form = AliasForm()
    page = pages.aliases(form, request.method == "POST")
    if page.created:
        flash(_("%(address)s receives mail from now on.", address=page.created), "info")
        return redirect(url_for("mobile.settings_aliases"))
    return render_template("mobile/settings_aliases.html", form=form, page=page, action_form=ActionForm())


@bp.post("/settings/aliases/delete")
def settings_alias_delete() -> Any:
    pages.delete_alias(request.form.get("address", ""))  # another's address: NotFound, the 404 page
    return redirect(url_for("mobile.settings_aliases"))
